/**
 * A tiny in-memory network for tests and benchmarks: endpoints are `Transport`s, `send` delivers
 * synchronously to the destination's handler, and every datagram on the "wire" can be captured,
 * replayed or replaced by the test.
 */
import {
  countDrop,
  createTransportStats,
  type DatagramHandler,
  type Destination,
  type NodeId,
  nodeId,
  type Transport,
  type TransportStats,
} from '@totem-ts/common'

export interface WireDatagram {
  readonly from: NodeId
  readonly to: NodeId
  readonly bytes: Uint8Array
}

export interface LoopbackOptions {
  readonly mtuBytes?: number
  /** Keep every datagram sent in `wire` (default true). */
  readonly capture?: boolean
}

export class LoopbackNetwork {
  readonly endpoints = new Map<NodeId, LoopbackTransport>()
  readonly wire: WireDatagram[] = []
  readonly mtuBytes: number
  readonly capture: boolean
  /** When set, decides per datagram whether it is delivered (false: lost in the network). */
  filter: ((d: WireDatagram) => boolean) | undefined

  constructor(o: LoopbackOptions = {}) {
    this.mtuBytes = o.mtuBytes ?? 1500
    this.capture = o.capture ?? true
  }

  endpoint(id: number): LoopbackTransport {
    const t = new LoopbackTransport(this, nodeId(id))
    this.endpoints.set(t.id, t)
    return t
  }

  /** Delivers raw bytes to `to` as if they came from the network. */
  inject(to: number, bytes: Uint8Array, ringNo = 0): void {
    const ep = this.endpoints.get(to as NodeId)
    if (ep === undefined) throw new Error(`no endpoint ${to}`)
    ep.receive(bytes, ringNo)
  }

  transmit(from: NodeId, to: Destination, bytes: Uint8Array): void {
    const targets = to === 'all' ? [...this.endpoints.keys()] : [to.node]
    for (const t of targets) {
      const d = { from, to: t, bytes }
      if (this.capture) this.wire.push(d)
      if (this.filter !== undefined && !this.filter(d)) continue
      this.endpoints.get(t)?.receive(bytes, 0)
    }
  }
}

export class LoopbackTransport implements Transport {
  readonly id: NodeId
  readonly mtuBytes: number
  readonly #net: LoopbackNetwork
  readonly #stats: TransportStats = createTransportStats()
  #handler: DatagramHandler | undefined
  members: readonly NodeId[] = []
  started = false

  constructor(net: LoopbackNetwork, id: NodeId) {
    this.#net = net
    this.id = id
    this.mtuBytes = net.mtuBytes
  }

  send(to: Destination, bytes: Uint8Array): void {
    if (bytes.length > this.mtuBytes) {
      this.#stats.sendErrors++
      return
    }
    this.#stats.datagramsTx++
    this.#stats.bytesTx += bytes.length
    this.#net.transmit(this.id, to, bytes)
  }

  /** Counts a drop of the inner transport itself (to test how wrappers merge stats). */
  countInnerDrop(code: string): void {
    countDrop(this.#stats, code)
  }

  receive(bytes: Uint8Array, ringNo: number): void {
    this.#stats.datagramsRx++
    this.#stats.bytesRx += bytes.length
    this.#handler?.(bytes, ringNo)
  }

  onDatagram(handler: DatagramHandler): void {
    this.#handler = handler
  }

  setMembers(members: readonly NodeId[]): void {
    this.members = members
  }

  start(): Promise<void> {
    this.started = true
    return Promise.resolve()
  }

  stop(): Promise<void> {
    this.started = false
    return Promise.resolve()
  }

  stats(): Readonly<TransportStats> {
    return { ...this.#stats, rxDropped: { ...this.#stats.rxDropped } }
  }
}
