/**
 * A deterministic driver for CPG scenario tests: virtual time and timers, an in-memory network
 * with scriptable drops, and on every node srp + the CPG service, exactly as the daemon composes
 * them (packages/stack/src/cpg-node.ts). Handles are embedded (`initialize({ service })`).
 */
import {
  createTransportStats,
  type DatagramHandler,
  type Destination,
  type NodeId,
  noopLogger,
  type Runtime,
  type Transport,
} from '@totem-ts/common'
import { createMemoryRingIdStore, createSrp, resolveSrpOptions, type Srp } from '@totem-ts/srp'
import { decodeHeader } from '@totem-ts/wire'
import {
  type CpgEvent,
  type CpgHandle,
  type CpgService,
  createCpgService,
  initialize,
} from '../src/index.ts'

interface Pending {
  at: number
  seq: number
  fire: () => void
  cancelled: boolean
}

const before = (a: Pending, b: Pending): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

export type DropRule = (from: number, to: number, type: number) => boolean

interface Node {
  srp: Srp
  cpg: CpgService
  handler?: DatagramHandler
  alive: boolean
}

export class CpgWorld {
  now = 0
  #seq = 0
  #queue: Pending[] = []
  readonly ids: number[]
  readonly nodes = new Map<number, Node>()
  readonly stores = new Map<number, ReturnType<typeof createMemoryRingIdStore>>()
  drop: DropRule = () => false
  /** Each node's ring, to inject raw messages. */
  readonly srps = new Map<number, Srp>()

  /**
   * Services created with `createCpgService`'s `corosyncCompat`, on srp with
   * `holdSendsDuringRingChange` (as `createCpgNode` composes them in `interop: corosync3`).
   */
  readonly corosyncCompat: boolean

  constructor(ids: number[], options: { corosyncCompat?: boolean } = {}) {
    this.ids = ids
    this.corosyncCompat = options.corosyncCompat ?? false
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

  #pop(): void {
    const q = this.#queue
    const last = q.pop()
    if (q.length === 0 || last === undefined) return
    q[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < q.length && before(q[l] as Pending, q[m] as Pending)) m = l
      if (r < q.length && before(q[r] as Pending, q[m] as Pending)) m = r
      if (m === i) return
      ;[q[i], q[m]] = [q[m] as Pending, q[i] as Pending]
      i = m
    }
  }

  runtime(id: number): Runtime {
    return {
      clock: { nowMs: () => this.now },
      timers: {
        after: (d, fire) => {
          const entry = this.nodes.get(id)
          const p = this.at(d, () => {
            if (entry?.alive) fire()
          })
          return {
            cancel: () => {
              p.cancelled = true
            },
          }
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
        const type = decodeHeader(copy).type
        for (const t of targets) {
          if (t === id || world.drop(id, t, type)) continue
          world.at(0.1, () => {
            const n = world.nodes.get(t)
            if (n?.alive) n.handler?.(copy, 0)
          })
        }
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

  /** Starts node `id` (again, after a crash: a new incarnation with the same stored ring seq). */
  async add(id: number): Promise<CpgService> {
    const store = this.stores.get(id) ?? createMemoryRingIdStore()
    this.stores.set(id, store)
    const entry = { alive: true } as Node
    this.nodes.set(id, entry)
    const runtime = this.runtime(id)
    const cpg = createCpgService({
      nodeId: id as NodeId,
      runtime,
      corosyncCompat: this.corosyncCompat,
    })
    const srpOptions = { tokenTimeoutMs: 200, holdSendsDuringRingChange: this.corosyncCompat }
    const srp = createSrp(resolveSrpOptions(srpOptions, this.ids.length), {
      nodeId: id as NodeId,
      runtime,
      transport: this.transport(id),
      store,
      listener: cpg,
    })
    cpg.bind(srp)
    this.srps.set(id, srp)
    entry.srp = srp
    entry.cpg = cpg
    await srp.start()
    return cpg
  }

  crash(id: number): void {
    const n = this.nodes.get(id)
    if (n) n.alive = false
  }

  cpg(id: number): CpgService {
    return (this.nodes.get(id) as Node).cpg
  }

  run(untilMs: number): void {
    for (;;) {
      const p = this.#queue[0]
      if (p === undefined || p.at > untilMs) {
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

  /** Runs virtual time while `promise` is pending (up to `ms`), then awaits it. */
  async settle<T>(promise: Promise<T>, ms = 2000): Promise<T> {
    let done = false
    const p = promise.finally(() => {
      done = true
    })
    for (let t = 0; t < ms && !done; t += 10) {
      this.runFor(10)
      await Promise.resolve()
      await new Promise((r) => setImmediate(r))
    }
    return p
  }
}

/** A handle with its events recorded as short strings: `M1`, `CTA(1,5)(2,6)`, `CRA(...)`. */
export interface Recorder {
  readonly handle: CpgHandle
  readonly log: string[]
  readonly events: CpgEvent[]
}

const dec = new TextDecoder()

export async function record(service: CpgService, pid: number, group: string): Promise<Recorder> {
  const handle = await initialize({ service, pid })
  const log: string[] = []
  const events: CpgEvent[] = []
  const members = (ms: readonly { nodeId: number; pid: number }[]): string =>
    ms.map((m) => `(P${m.nodeId},${m.pid})`).join('')
  handle.on('deliver', (e) => {
    if (e.group !== group) return
    events.push(e)
    log.push(dec.decode(e.payload))
  })
  handle.on('confchg', (e) => {
    if (e.group !== group) return
    events.push(e)
    if (e.left.length === 0 && e.joined.length === 0 && e.kind === 'regular')
      log.push(`CRA${members(e.members)}`)
    else if (e.kind === 'transitional') log.push(`CTA${members(e.members)}`)
    else log.push(`CRA${members(e.members)}`)
  })
  return { handle, log, events }
}
