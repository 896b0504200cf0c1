/**
 * A small virtual-time world for tests and benches: one in-memory network per LAN (fixed latency,
 * no faults), real srp on each LAN, multiring on every node. The simulator (`@totem-ts/sim`)
 * runs the faulty version of this; it cannot be imported here (it sits above this package).
 */
import {
  createTransportStats,
  type DatagramHandler,
  type Destination,
  type Guarantee,
  type NodeId,
  nodeId,
  noopLogger,
  type Runtime,
  type Transport,
} from '@totem-ts/common'
import { createMemoryRingIdStore, createSrp, resolveSrpOptions } from '@totem-ts/srp'
import { createMultiring, type Multiring, resolveMultiringOptions } from '../src/index.ts'

interface Pending {
  at: number
  seq: number
  fire: () => void
  cancelled: boolean
}

const before = (a: Pending, b: Pending): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)

export interface Delivered {
  readonly node: number
  readonly sender: number
  readonly text: string
  readonly g: Guarantee
  readonly atMs: number
}

export class MemWorld {
  now = 0
  #seq = 0
  readonly #q: Pending[] = []
  readonly lans: readonly (readonly number[])[]
  readonly handlers = new Map<string, DatagramHandler>()
  readonly mr = new Map<number, Multiring>()
  readonly delivered: Delivered[] = []
  readonly sentAt = new Map<string, number>()
  latencyMs: number

  constructor(lans: readonly (readonly number[])[], latencyMs = 0.1) {
    this.lans = lans
    this.latencyMs = latencyMs
  }

  at(d: number, fire: () => void): Pending {
    const p = { at: this.now + d, seq: this.#seq++, fire, cancelled: false }
    const q = this.#q
    q.push(p)
    let i = q.length - 1
    while (i > 0) {
      const up = (i - 1) >> 1
      if (!before(q[i] as Pending, q[up] as Pending)) break
      ;[q[i], q[up]] = [q[up] as Pending, q[i] as Pending]
      i = up
    }
    return p
  }

  #pop(): Pending | undefined {
    const q = this.#q
    const top = q[0]
    const last = q.pop()
    if (q.length > 0 && last !== undefined) {
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

  run(untilMs: number): void {
    for (;;) {
      const p = this.#q[0]
      if (p === undefined || p.at > untilMs) break
      this.#pop()
      this.now = p.at
      if (!p.cancelled) p.fire()
    }
    this.now = untilMs
  }

  runtime(): Runtime {
    return {
      clock: { nowMs: () => this.now },
      timers: {
        after: (d, fire) => {
          const p = this.at(d, fire)
          return { cancel: () => (p.cancelled = true) }
        },
      },
      random: { float: () => 0.5, int: (m) => Math.floor(m / 2), fill: (o) => o.fill(7) },
      logger: noopLogger,
    }
  }

  transport(lan: number, id: number): Transport {
    const stats = createTransportStats()
    const peers = this.lans[lan] as readonly number[]
    return {
      mtuBytes: 1500,
      send: (to: Destination, bytes: Uint8Array) => {
        const copy = bytes.slice()
        for (const t of to === 'all' ? peers : [to.node]) {
          if (t === id) continue
          this.at(this.latencyMs, () => this.handlers.get(`${lan}/${t}`)?.(copy, 0))
        }
        stats.datagramsTx++
      },
      onDatagram: (h) => {
        this.handlers.set(`${lan}/${id}`, h)
      },
      setMembers() {},
      start: async () => {},
      stop: async () => {},
      stats: () => stats,
    }
  }

  /** Starts every node (gateways are the nodes listed on several LANs). */
  async start(tokenTimeoutMs = 200): Promise<void> {
    const ids = [...new Set(this.lans.flat())].sort((a, b) => a - b)
    const dec = new TextDecoder()
    for (const id of ids) {
      const runtime = this.runtime()
      const rings = this.lans.flatMap((members, lan) =>
        members.includes(id)
          ? [
              {
                lan,
                create: (l: Parameters<typeof createSrp>[1]['listener']) =>
                  createSrp(resolveSrpOptions({ tokenTimeoutMs }, members.length), {
                    nodeId: nodeId(id),
                    runtime,
                    transport: this.transport(lan, id),
                    listener: l,
                    store: createMemoryRingIdStore(),
                  }),
              },
            ]
          : [],
      )
      const mr = createMultiring(resolveMultiringOptions(), {
        nodeId: nodeId(id),
        runtime,
        rings,
        listener: {
          onDeliver: (d) =>
            this.delivered.push({
              node: id,
              sender: d.sender,
              text: dec.decode(d.payload),
              g: d.guarantee,
              atMs: this.now,
            }),
          onConfigurationChange: () => {},
        },
      })
      this.mr.set(id, mr)
      await mr.start()
    }
  }

  send(id: number, text: string, g: Guarantee = 'agreed'): 'queued' | 'full' {
    const r = (this.mr.get(id) as Multiring).send(new TextEncoder().encode(text), g)
    if (r === 'queued') this.sentAt.set(text, this.now)
    return r
  }

  /** True once every node's topology lists every node. */
  whole(): boolean {
    const all = [...new Set(this.lans.flat())].sort((a, b) => a - b)
    for (const mr of this.mr.values())
      if (mr.members.length !== all.length || mr.members.some((m, i) => m !== all[i])) return false
    return true
  }

  /** Runs until the topology is whole (or `maxMs` passed). */
  settle(maxMs = 20_000): boolean {
    const end = this.now + maxMs
    while (this.now < end) {
      if (this.whole()) return true
      this.run(this.now + 10)
    }
    return this.whole()
  }

  textsAt(node: number): string[] {
    return this.delivered.filter((d) => d.node === node).map((d) => d.text)
  }

  nodes(): NodeId[] {
    return [...this.mr.keys()].map((n) => nodeId(n))
  }
}
