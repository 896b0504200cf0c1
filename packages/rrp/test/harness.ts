/**
 * A small deterministic world for the rrp tests: a virtual clock with ordered timers, a seeded
 * random stream, and one in-memory network per ring whose links can be cut (per direction), made
 * lossy or delayed. (The full simulator, `@totem-ts/sim`, runs srp over rrp; it sits above this
 * package, so the unit tests carry their own few lines.)
 */
import {
  createMemoryLogger,
  createTransportStats,
  type DatagramHandler,
  type Destination,
  type MemoryLogger,
  type NodeId,
  nodeId,
  type Runtime,
  type Timer,
  type Transport,
} from '@totem-ts/common'
import { type CreateRrpOptions, createRrp, type Rrp } from '../src/index.ts'

interface Ev {
  at: number
  seq: number
  fire: () => void
  dead: boolean
}

export class Clock {
  now = 0
  #seq = 0
  #q: Ev[] = []
  after(delayMs: number, fire: () => void): Timer {
    const ev: Ev = { at: this.now + Math.max(0, delayMs), seq: this.#seq++, fire, dead: false }
    this.#q.push(ev)
    return { cancel: () => (ev.dead = true) }
  }
  run(untilMs: number): void {
    for (;;) {
      let best = -1
      for (let i = 0; i < this.#q.length; i++) {
        const e = this.#q[i] as Ev
        const b = this.#q[best] as Ev | undefined
        if (b === undefined || e.at < b.at || (e.at === b.at && e.seq < b.seq)) best = i
      }
      const e = this.#q[best]
      if (e === undefined || e.at > untilMs) break
      this.#q.splice(best, 1)
      this.now = e.at
      if (!e.dead) e.fire()
    }
    this.now = untilMs
  }
}

/** xorshift32: enough for loss draws in tests. */
export function rng(seed: number): {
  float(): number
  int(n: number): number
  fill(o: Uint8Array): void
} {
  let x = seed >>> 0 || 1
  const next = (): number => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
  return {
    float: () => next() / 2 ** 32,
    int: (n) => Math.floor((next() / 2 ** 32) * n),
    fill: (o) => {
      for (let i = 0; i < o.length; i++) o[i] = next() & 0xff
    },
  }
}

export interface Link {
  cut: boolean
  loss: number
  delayMs: number
}

/** One network: directed links with cut/loss/delay, udpu semantics ('all' includes the sender). */
export class Net {
  readonly links = new Map<string, Link>()
  readonly handlers = new Map<number, DatagramHandler>()
  sent = 0
  readonly clock: Clock
  readonly ringNo: number
  readonly nodes: readonly number[]
  readonly random: ReturnType<typeof rng>
  readonly mtu: number
  constructor(
    clock: Clock,
    ringNo: number,
    nodes: readonly number[],
    random: ReturnType<typeof rng>,
    mtu = 1500,
  ) {
    this.clock = clock
    this.ringNo = ringNo
    this.nodes = nodes
    this.random = random
    this.mtu = mtu
  }
  link(a: number, b: number): Link {
    const k = `${a}>${b}`
    let l = this.links.get(k)
    if (l === undefined) {
      l = { cut: false, loss: 0, delayMs: 0.2 }
      this.links.set(k, l)
    }
    return l
  }
  /** Cuts (or heals) everything to and from `node`, or the whole network without a node. */
  cut(on: boolean, node?: number): void {
    for (const a of this.nodes)
      for (const b of this.nodes)
        if (a !== b && (node === undefined || a === node || b === node)) this.link(a, b).cut = on
  }
  setLoss(p: number): void {
    for (const a of this.nodes) for (const b of this.nodes) if (a !== b) this.link(a, b).loss = p
  }
  transport(me: number): Transport {
    const stats = createTransportStats()
    const net = this
    return {
      mtuBytes: this.mtu,
      send(to: Destination, bytes: Uint8Array) {
        if (bytes.length > net.mtu) {
          stats.sendErrors++
          return
        }
        const targets = to === 'all' ? net.nodes : [to.node]
        for (const t of targets) {
          stats.datagramsTx++
          net.sent++
          const l = t === me ? { cut: false, loss: 0, delayMs: 0.05 } : net.link(me, t)
          if (l.cut || (l.loss > 0 && net.random.float() < l.loss)) continue
          const copy = bytes.slice()
          net.clock.after(l.delayMs, () => {
            const h = net.handlers.get(t)
            if (h !== undefined) h(copy, net.ringNo)
          })
        }
      },
      onDatagram(h) {
        net.handlers.set(me, h)
      },
      setMembers() {},
      start: () => Promise.resolve(),
      stop: () => {
        net.handlers.delete(me)
        return Promise.resolve()
      },
      stats: () => stats,
    }
  }
}

export interface TestNode {
  readonly id: NodeId
  readonly rrp: Rrp
  readonly received: { bytes: Uint8Array; ringNo: number }[]
}

export interface World {
  readonly clock: Clock
  readonly nets: Net[]
  readonly nodes: TestNode[]
  readonly logs: MemoryLogger
  /** Runs virtual time forward by `ms`, in steps, so that promises in between settle. */
  run(ms: number): Promise<void>
}

export async function createWorld(
  n: number,
  rings: number,
  options: Omit<CreateRrpOptions, 'nodeId'>,
  seed = 1,
  /** Sees every datagram a node's rrp passes up (after `received` got it). */
  tap?: (node: NodeId, bytes: Uint8Array, ringNo: number) => void,
): Promise<World> {
  const clock = new Clock()
  const random = rng(seed)
  const ids = Array.from({ length: n }, (_, i) => i + 1)
  const nets = Array.from({ length: rings }, (_, r) => new Net(clock, r, ids, random))
  const logs = createMemoryLogger('debug')
  const nodes: TestNode[] = []
  for (const id of ids) {
    const runtime: Runtime = {
      clock: { nowMs: () => clock.now },
      timers: { after: (d, f) => clock.after(d, f) },
      random: rng(seed * 7919 + id),
      logger: logs.child(`node${id}`),
    }
    const rrp = createRrp(
      nets.map((net) => net.transport(id)),
      { ...options, nodeId: nodeId(id) },
      runtime,
    )
    const received: TestNode['received'] = []
    rrp.onDatagram((bytes, ringNo) => {
      received.push({ bytes: bytes.slice(), ringNo })
      tap?.(nodeId(id), bytes, ringNo)
    })
    nodes.push({ id: nodeId(id), rrp, received })
  }
  for (const x of nodes) {
    await x.rrp.start()
    x.rrp.setMembers(ids.map((i) => nodeId(i)))
  }
  return {
    clock,
    nets,
    nodes,
    logs,
    async run(ms) {
      const end = clock.now + ms
      while (clock.now < end) {
        clock.run(Math.min(end, clock.now + 10))
        await Promise.resolve()
      }
    },
  }
}
