/**
 * A small deterministic driver for scenario tests: virtual time, a timer queue, and an in-memory
 * network with a fixed latency and scriptable drops. The full fault-injecting simulator is
 * @totem-ts/sim; this one exists so that srp's own tests need nothing above srp.
 */
import {
  type ConfigurationChange,
  createTransportStats,
  type DatagramHandler,
  type Delivery,
  type Destination,
  formatRingId,
  type NodeId,
  noopLogger,
  type Runtime,
  type Transport,
} from '@totem-ts/common'
import { decodeHeader } from '@totem-ts/wire'
import {
  createMemoryRingIdStore,
  createSrp,
  resolveSrpOptions,
  type Srp,
  type SrpOptions,
  type SrpTestFaults,
} from '../src/index.ts'

interface Pending {
  at: number
  seq: number
  fire: () => void
  cancelled: boolean
}

export type Event =
  | { node: number; ev: 'deliver'; t: number; from: number; text: string; g: string; ring: string }
  | { node: number; ev: 'conf'; kind: 'trans' | 'reg'; ring: string; members: number[] }

/** Decides whether a datagram is dropped: (from, to, message type) → true to drop. */
export type DropRule = (from: number, to: number, type: number, bytes: Uint8Array) => boolean

const before = (a: Pending, b: Pending): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

export class World {
  now = 0
  #seq = 0
  #queue: Pending[] = []
  readonly latencyMs: number
  readonly nodes = new Map<number, { srp: Srp; handler?: DatagramHandler; alive: boolean }>()
  readonly events: Event[] = []
  readonly raw = new Map<number, Uint8Array[]>()
  readonly ids: number[]
  drop: DropRule = () => false
  /** Latency of one datagram (vary it to reorder); defaults to the fixed latency. */
  delay: () => number = () => this.latencyMs
  /** How many extra copies of a datagram to deliver (duplication). */
  copies: () => number = () => 0
  /** Called for every delivery and configuration change, in order (for trace writers). */
  observe:
    | ((node: number, d: Delivery | undefined, c: ConfigurationChange | undefined) => void)
    | undefined
  readonly stores = new Map<number, ReturnType<typeof createMemoryRingIdStore>>()

  constructor(ids: number[], latencyMs = 0.1) {
    this.ids = ids
    this.latencyMs = latencyMs
  }

  at(delayMs: number, fire: () => void): Pending {
    const p = { at: this.now + delayMs, seq: this.#seq++, fire, cancelled: false }
    const q = this.#queue
    q.push(p)
    let i = q.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(q[i] as Pending, q[parent] as Pending)) break
      ;[q[i], q[parent]] = [q[parent] as Pending, q[i] as Pending]
      i = parent
    }
    return p
  }

  #pop(): Pending | undefined {
    const q = this.#queue
    const top = q[0]
    const last = q.pop()
    if (q.length > 0 && last) {
      q[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < q.length && before(q[l] as Pending, q[m] as Pending)) m = l
        if (r < q.length && before(q[r] as Pending, q[m] as Pending)) m = r
        if (m === i) break
        ;[q[i], q[m]] = [q[m] as Pending, q[i] as Pending]
        i = m
      }
    }
    return top
  }

  runtime(id: number): Runtime {
    const entry = this.nodes.get(id)
    return {
      clock: { nowMs: () => this.now },
      timers: {
        after: (d, fire) => {
          // A crashed incarnation's timers never fire.
          const p = this.at(d, () => {
            if (entry?.alive) fire()
          })
          return { cancel: () => (p.cancelled = true) }
        },
      },
      random: { float: () => 0.5, int: (m) => Math.floor(m / 2), fill: (o) => o.fill(7) },
      logger: noopLogger,
    }
  }

  transport(id: number): Transport {
    const world = this
    const stats = createTransportStats()
    return {
      mtuBytes: 1500,
      send(to: Destination, bytes: Uint8Array) {
        if (!world.nodes.get(id)?.alive) return
        const targets = to === 'all' ? world.ids : [to.node]
        const copy = bytes.slice()
        for (const t of targets) {
          if (t === id) continue
          const type = decodeHeader(copy).type
          if (world.drop(id, t, type, copy)) continue
          for (let c = world.copies(); c >= 0; c--) {
            world.at(world.delay(), () => {
              const n = world.nodes.get(t)
              if (n?.alive) n.handler?.(copy, 0)
            })
          }
        }
        stats.datagramsTx++
      },
      onDatagram(h) {
        const n = world.nodes.get(id)
        if (n) n.handler = h
      },
      setMembers() {},
      start: async () => {},
      stop: async () => {},
      stats: () => stats,
    }
  }

  async add(id: number, options: SrpOptions = {}, testFaults?: SrpTestFaults): Promise<Srp> {
    const store = this.stores.get(id) ?? createMemoryRingIdStore()
    this.stores.set(id, store)
    const entry: { srp: Srp; handler?: DatagramHandler; alive: boolean } = {
      srp: undefined as unknown as Srp,
      alive: true,
    }
    this.nodes.set(id, entry)
    const srp = createSrp(resolveSrpOptions({ tokenTimeoutMs: 200, ...options }, this.ids.length), {
      nodeId: id as NodeId,
      runtime: this.runtime(id),
      transport: this.transport(id),
      store,
      ...(testFaults ? { testFaults } : {}),
      listener: {
        onDeliver: (d: Delivery) => {
          this.observe?.(id, d, undefined)
          const list = this.raw.get(id) ?? []
          list.push(d.payload.slice())
          this.raw.set(id, list)
          this.events.push({
            node: id,
            ev: 'deliver',
            t: this.now,
            from: d.sender,
            text: new TextDecoder().decode(d.payload),
            g: d.guarantee,
            ring: formatRingId(d.ringId),
          })
        },
        onConfigurationChange: (c: ConfigurationChange) => {
          this.observe?.(id, undefined, c)
          this.events.push({
            node: id,
            ev: 'conf',
            kind: c.kind === 'transitional' ? 'trans' : 'reg',
            ring: formatRingId(c.ringId),
            members: [...c.members],
          })
        },
      },
    })
    entry.srp = srp
    await srp.start()
    return srp
  }

  crash(id: number): void {
    const n = this.nodes.get(id)
    if (n) n.alive = false
  }

  srp(id: number): Srp {
    return (this.nodes.get(id) as { srp: Srp }).srp
  }

  send(id: number, text: string, g: 'agreed' | 'safe' = 'agreed'): 'queued' | 'full' {
    return this.srp(id).send(new TextEncoder().encode(text), g)
  }

  /** Runs events until virtual time `untilMs` (or the queue is empty). */
  run(untilMs: number): void {
    for (;;) {
      const p = this.#queue[0]
      if (p === undefined) return
      if (p.at > untilMs) {
        this.now = untilMs
        return
      }
      this.#pop()
      this.now = p.at
      if (!p.cancelled) p.fire()
    }
  }

  runFor(ms: number): void {
    this.run(this.now + ms)
  }

  /** Delivered texts of a node, in order. */
  delivered(id: number): string[] {
    return this.events
      .filter((e) => e.node === id && e.ev === 'deliver')
      .map((e) => (e as { text: string }).text)
  }

  /** Delivered payloads of a node, in order. */
  rawDelivered(id: number): Uint8Array[] {
    return this.raw.get(id) ?? []
  }

  confs(id: number): string[] {
    return this.events
      .filter((e) => e.node === id && e.ev === 'conf')
      .map((e) => {
        const c = e as { kind: string; ring: string; members: number[] }
        return `${c.kind}:${c.members.join(',')}`
      })
  }

  /** Delivery events and configuration changes of a node, as short strings. */
  story(id: number): string[] {
    return this.events
      .filter((e) => e.node === id)
      .map((e) => (e.ev === 'deliver' ? `${e.text}` : `${e.kind}:${e.members.join(',')}`))
  }
}
