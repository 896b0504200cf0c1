/**
 * The simulated network: one {@link SimNetwork} per ring, handing each node a `Transport` with the
 * same contract as udpu (unreliable, unordered datagrams). Every datagram draws its fate from the
 * network's seeded stream: loss, duplication, a delay (base + jitter, so datagrams reorder),
 * partitions (blocked directed pairs: isolation, splits, one-way links) and clogging (a node's
 * outgoing or incoming traffic delayed heavily for a while).
 */
import {
  createTransportStats,
  type DatagramHandler,
  type Destination,
  invalidArgument,
  type NodeId,
  type Transport,
  type TransportStats,
} from '@totem-ts/common'
import type { EventOwner, EventQueue } from './event-queue.ts'
import type { SimRandom } from './random.ts'

/** Per-datagram faults of a {@link SimNetwork}; change them at any time with `setLinkFaults`. */
export interface LinkFaults {
  /** Probability that one datagram to one receiver is lost (0 … 1). */
  readonly lossRate: number
  /** Probability that one datagram to one receiver arrives twice (0 … 1). */
  readonly dupRate: number
  /** Fixed one-way latency, virtual ms. */
  readonly delayBaseMs: number
  /** Extra latency drawn uniformly in [0, jitter) per datagram: datagrams reorder when > 0. */
  readonly delayJitterMs: number
}

/** The default link: no loss, no duplication, 0.1 ms latency, no jitter. */
export const PERFECT_LINK: LinkFaults = Object.freeze({
  lossRate: 0,
  dupRate: 0,
  delayBaseMs: 0.1,
  delayJitterMs: 0,
})

/** Options of {@link createSimNetwork}. */
export interface SimNetworkOptions {
  /** The world's event queue (deliveries are events on it). */
  readonly queue: EventQueue
  /** The network's own random stream. */
  readonly random: SimRandom
  /** The nodelist: what `'all'` means, and who may be addressed. */
  readonly nodes: readonly NodeId[]
  /** Largest datagram; bigger sends count as `sendErrors`. @defaultValue 1500 */
  readonly mtuBytes?: number
  /**
   * Whether `send('all', …)` also delivers to the sender itself, after the link delay. Real udpu
   * sends to every nodelist member, itself included; srp handles its own messages locally and does
   * not need the echo, so the simulator leaves it out unless asked.
   * @defaultValue false
   */
  readonly loopback?: boolean
  /** @defaultValue {@link PERFECT_LINK} */
  readonly link?: Partial<LinkFaults>
  /** The ring number handed to receive handlers (rrp). @defaultValue 0 */
  readonly ringNo?: number
}

/** Network-wide datagram counters (one per datagram per receiver). */
export interface SimNetworkStats {
  /** Datagrams handed to the network (per receiver; a send to 'all' of n others counts n). */
  sent: number
  /** Datagrams handed to a receiver's handler. */
  delivered: number
  /** Dropped by the loss draw. */
  lost: number
  /** Extra copies created by the duplication draw. */
  duplicated: number
  /** Dropped because a partition blocks the direction sender → receiver. */
  blocked: number
  /** Delayed by a clog on the sender's outgoing or the receiver's incoming side. */
  clogged: number
  /** Arrived at a node that was down or whose transport was stopped. */
  droppedDead: number
  /** Sends refused: larger than the MTU, to an unknown node, or from a stopped transport. */
  sendErrors: number
}

/** Which side of a node a clog slows down. */
export type ClogDirection = 'in' | 'out'

/** A simulated network joining the nodes of one ring. */
export interface SimNetwork {
  readonly nodes: readonly NodeId[]
  readonly mtuBytes: number
  /** The current per-datagram faults. */
  readonly link: LinkFaults
  setLinkFaults(faults: Partial<LinkFaults>): void
  /**
   * A new transport endpoint for `node`, replacing the previous one (a restart): datagrams in
   * flight reach whichever endpoint is attached when they arrive. With an `owner`, the endpoint
   * stops receiving once the owner is no longer alive (a crash).
   */
  attach(node: NodeId, owner?: EventOwner): Transport
  /** Blocks datagrams from `from` to `to` (one direction). */
  block(from: NodeId, to: NodeId): void
  /** True when datagrams from `from` to `to` are blocked. */
  isBlocked(from: NodeId, to: NodeId): boolean
  /** Blocks both directions between every pair of nodes in different groups. */
  partition(groups: readonly (readonly NodeId[])[]): void
  /** Blocks both directions between `node` and everyone else. */
  isolate(node: NodeId): void
  /** Removes every block. */
  clearPartitions(): void
  /** Adds `extraDelayMs` (± half) to `node`'s traffic in one direction until `untilMs`. */
  clog(node: NodeId, direction: ClogDirection, extraDelayMs: number, untilMs: number): void
  /** Removes every clog. */
  clearClogs(): void
  /** Number of blocked directed pairs. */
  readonly blockedPairs: number
  stats(): Readonly<SimNetworkStats>
}

interface Endpoint {
  readonly node: NodeId
  readonly owner: EventOwner | undefined
  handler: DatagramHandler | undefined
  started: boolean
  stopped: boolean
  members: readonly NodeId[]
  readonly stats: TransportStats
}

interface Clog {
  extraDelayMs: number
  untilMs: number
}

function checkRate(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) invalidArgument(`${name} must be in 0..1`, { option: name, value: v })
}

function checkDelay(name: string, v: number): void {
  if (!(v >= 0 && Number.isFinite(v)))
    invalidArgument(`${name} must be a finite number >= 0`, { option: name, value: v })
}

class Network implements SimNetwork {
  readonly nodes: readonly NodeId[]
  readonly mtuBytes: number
  #link: LinkFaults
  readonly #queue: EventQueue
  readonly #random: SimRandom
  readonly #loopback: boolean
  readonly #ringNo: number
  readonly #endpoints = new Map<NodeId, Endpoint>()
  readonly #index = new Map<NodeId, number>()
  /** blocked[from * n + to] */
  readonly #blocked: Uint8Array
  #blockedPairs = 0
  readonly #clogIn = new Map<NodeId, Clog>()
  readonly #clogOut = new Map<NodeId, Clog>()
  readonly #stats: SimNetworkStats = {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    blocked: 0,
    clogged: 0,
    droppedDead: 0,
    sendErrors: 0,
  }

  constructor(o: SimNetworkOptions) {
    if (o.nodes.length === 0) invalidArgument('a network needs at least one node')
    this.nodes = Object.freeze(o.nodes.slice())
    this.nodes.forEach((n, i) => {
      if (this.#index.has(n)) invalidArgument('duplicate node id in the nodelist', { node: n })
      this.#index.set(n, i)
    })
    this.mtuBytes = o.mtuBytes ?? 1500
    this.#queue = o.queue
    this.#random = o.random
    this.#loopback = o.loopback ?? false
    this.#ringNo = o.ringNo ?? 0
    this.#blocked = new Uint8Array(this.nodes.length * this.nodes.length)
    this.#link = PERFECT_LINK
    this.setLinkFaults(o.link ?? {})
  }

  get link(): LinkFaults {
    return this.#link
  }

  get blockedPairs(): number {
    return this.#blockedPairs
  }

  setLinkFaults(f: Partial<LinkFaults>): void {
    const next = { ...this.#link, ...f }
    checkRate('lossRate', next.lossRate)
    checkRate('dupRate', next.dupRate)
    checkDelay('delayBaseMs', next.delayBaseMs)
    checkDelay('delayJitterMs', next.delayJitterMs)
    this.#link = Object.freeze(next)
  }

  #idx(node: NodeId): number {
    const i = this.#index.get(node)
    if (i === undefined) invalidArgument('node is not in the nodelist', { node })
    return i
  }

  attach(node: NodeId, owner?: EventOwner): Transport {
    this.#idx(node)
    const ep: Endpoint = {
      node,
      owner,
      handler: undefined,
      started: false,
      stopped: false,
      members: [],
      stats: createTransportStats(),
    }
    this.#endpoints.set(node, ep)
    const net = this
    return {
      mtuBytes: this.mtuBytes,
      send(to: Destination, bytes: Uint8Array): void {
        net.#send(ep, to, bytes)
      },
      onDatagram(handler: DatagramHandler): void {
        ep.handler = handler
      },
      setMembers(members: readonly NodeId[]): void {
        ep.members = members.slice()
      },
      start(): Promise<void> {
        ep.started = true
        return Promise.resolve()
      },
      stop(): Promise<void> {
        ep.stopped = true
        return Promise.resolve()
      },
      stats: () => ep.stats,
    }
  }

  #alive(ep: Endpoint): boolean {
    return (
      ep.started &&
      !ep.stopped &&
      ep.handler !== undefined &&
      (ep.owner === undefined || ep.owner.alive) &&
      this.#endpoints.get(ep.node) === ep
    )
  }

  #send(ep: Endpoint, to: Destination, bytes: Uint8Array): void {
    const st = this.#stats
    if (ep.stopped || !(ep.owner === undefined || ep.owner.alive) || bytes.length > this.mtuBytes) {
      ep.stats.sendErrors++
      st.sendErrors++
      return
    }
    // The protocol may reuse its buffer after send(): every datagram travels as a private copy.
    const copy = bytes.slice()
    if (to === 'all') {
      for (const n of this.nodes) {
        if (n === ep.node && !this.#loopback) continue
        this.#route(ep, n, copy)
      }
    } else {
      if (!this.#index.has(to.node)) {
        ep.stats.sendErrors++
        st.sendErrors++
        return
      }
      this.#route(ep, to.node, copy)
    }
  }

  #route(from: Endpoint, to: NodeId, bytes: Uint8Array): void {
    const st = this.#stats
    const link = this.#link
    const r = this.#random
    from.stats.datagramsTx++
    from.stats.bytesTx += bytes.length
    st.sent++
    if (this.isBlocked(from.node, to)) {
      st.blocked++
      return
    }
    if (r.chance(link.lossRate)) {
      st.lost++
      return
    }
    const copies = r.chance(link.dupRate) ? 2 : 1
    if (copies === 2) st.duplicated++
    const now = this.#queue.nowMs
    let clogMs = 0
    const co = this.#clogOut.get(from.node)
    if (co !== undefined && co.untilMs > now) clogMs += co.extraDelayMs
    const ci = this.#clogIn.get(to)
    if (ci !== undefined && ci.untilMs > now) clogMs += ci.extraDelayMs
    if (clogMs > 0) st.clogged++
    for (let c = 0; c < copies; c++) {
      let delay = link.delayBaseMs + link.delayJitterMs * r.float()
      if (clogMs > 0) delay += clogMs * (0.5 + r.float())
      this.#queue.after(delay, () => this.#arrive(to, bytes))
    }
  }

  #arrive(to: NodeId, bytes: Uint8Array): void {
    const ep = this.#endpoints.get(to)
    if (ep === undefined || !this.#alive(ep)) {
      this.#stats.droppedDead++
      return
    }
    this.#stats.delivered++
    ep.stats.datagramsRx++
    ep.stats.bytesRx += bytes.length
    ;(ep.handler as DatagramHandler)(bytes, this.#ringNo)
  }

  block(from: NodeId, to: NodeId): void {
    if (from === to) return
    const k = this.#idx(from) * this.nodes.length + this.#idx(to)
    if (this.#blocked[k] === 0) {
      this.#blocked[k] = 1
      this.#blockedPairs++
    }
  }

  isBlocked(from: NodeId, to: NodeId): boolean {
    if (this.#blockedPairs === 0) return false
    return this.#blocked[this.#idx(from) * this.nodes.length + this.#idx(to)] === 1
  }

  partition(groups: readonly (readonly NodeId[])[]): void {
    for (let a = 0; a < groups.length; a++) {
      for (let b = 0; b < groups.length; b++) {
        if (a === b) continue
        for (const x of groups[a] as readonly NodeId[])
          for (const y of groups[b] as readonly NodeId[]) this.block(x, y)
      }
    }
  }

  isolate(node: NodeId): void {
    for (const n of this.nodes) {
      if (n === node) continue
      this.block(node, n)
      this.block(n, node)
    }
  }

  clearPartitions(): void {
    this.#blocked.fill(0)
    this.#blockedPairs = 0
  }

  clog(node: NodeId, direction: ClogDirection, extraDelayMs: number, untilMs: number): void {
    this.#idx(node)
    checkDelay('extraDelayMs', extraDelayMs)
    ;(direction === 'in' ? this.#clogIn : this.#clogOut).set(node, { extraDelayMs, untilMs })
  }

  clearClogs(): void {
    this.#clogIn.clear()
    this.#clogOut.clear()
  }

  stats(): Readonly<SimNetworkStats> {
    return { ...this.#stats }
  }
}

/** Creates a {@link SimNetwork} over the given nodelist. */
export function createSimNetwork(o: SimNetworkOptions): SimNetwork {
  return new Network(o)
}
