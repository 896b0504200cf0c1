import {
  countDrop,
  createTransportStats,
  type DatagramHandler,
  type Destination,
  invalidArgument,
  isTotemError,
  type NodeId,
  nodeId,
  TotemError,
  type Transport,
  type TransportStats,
} from '@totem-ts/common'

/** Options of {@link createMemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** The nodelist: every node that may attach a transport. */
  readonly nodes: readonly number[]
  /**
   * `mtuBytes` of every transport; longer sends are counted in `sendErrors`, not delivered.
   * @defaultValue 1500
   */
  readonly mtuBytes?: number
  /**
   * Whether `send('all')` also reaches the sender, as udpu does.
   * @defaultValue true
   */
  readonly selfDelivery?: boolean
  /**
   * `'microtask'`: queued datagrams are delivered from a microtask after the sending code returns;
   * `'manual'`: only when `flush()` is called, which makes a test fully synchronous.
   * @defaultValue 'microtask'
   */
  readonly delivery?: 'microtask' | 'manual'
  /**
   * The `ringNo` handed to handlers.
   * @defaultValue 0
   */
  readonly ringNo?: number
}

/** Counters of the whole network. */
export interface MemoryNetworkStats {
  /** Datagrams queued (one per destination). */
  queued: number
  delivered: number
  /** Queued datagrams whose destination was not running when their turn came. */
  droppedNotRunning: number
}

/** A lossless, in-order, in-memory network; see {@link createMemoryNetwork}. */
export interface MemoryNetwork {
  readonly nodes: readonly NodeId[]
  readonly mtuBytes: number
  /**
   * A new transport for `node` (in the nodelist). A node may attach again once its previous
   * transport is stopped (a restart); datagrams go to the latest one.
   */
  transport(node: number): Transport
  /** Datagrams queued and not yet delivered. */
  readonly pending: number
  /**
   * Delivers queued datagrams in FIFO order, including those sent by handlers meanwhile, and
   * returns how many were handed to a handler.
   */
  flush(): number
  stats(): Readonly<MemoryNetworkStats>
}

interface Endpoint {
  readonly node: NodeId
  handler: DatagramHandler | undefined
  state: 'idle' | 'running' | 'stopped'
  readonly stats: TransportStats
}

interface InFlight {
  readonly to: Endpoint
  readonly bytes: Uint8Array
}

class Memory implements MemoryNetwork {
  readonly nodes: readonly NodeId[]
  readonly mtuBytes: number
  readonly #selfDelivery: boolean
  readonly #manual: boolean
  readonly #ringNo: number
  readonly #endpoints = new Map<NodeId, Endpoint>()
  readonly #queue: InFlight[] = []
  #head = 0
  #scheduled = false
  #flushing = false
  readonly #stats: MemoryNetworkStats = { queued: 0, delivered: 0, droppedNotRunning: 0 }

  constructor(o: MemoryNetworkOptions) {
    if (typeof o !== 'object' || o === null) invalidArgument('options must be an object')
    if (!Array.isArray(o.nodes) || o.nodes.length === 0)
      invalidArgument('nodes must be a non-empty array', { option: 'nodes' })
    const nodes = o.nodes.map(nodeId)
    if (new Set(nodes).size !== nodes.length)
      invalidArgument('duplicate node id', { option: 'nodes' })
    this.nodes = Object.freeze(nodes)
    const mtu = o.mtuBytes ?? 1500
    if (!Number.isInteger(mtu) || mtu < 1)
      invalidArgument('mtuBytes must be a positive integer', { option: 'mtuBytes', value: mtu })
    this.mtuBytes = mtu
    this.#selfDelivery = o.selfDelivery ?? true
    const delivery = o.delivery ?? 'microtask'
    if (delivery !== 'microtask' && delivery !== 'manual')
      invalidArgument("delivery must be 'microtask' or 'manual'", { option: 'delivery' })
    this.#manual = delivery === 'manual'
    this.#ringNo = o.ringNo ?? 0
    if (!Number.isInteger(this.#ringNo) || this.#ringNo < 0)
      invalidArgument('ringNo must be an integer >= 0', { option: 'ringNo' })
  }

  get pending(): number {
    return this.#queue.length - this.#head
  }

  stats(): Readonly<MemoryNetworkStats> {
    return this.#stats
  }

  transport(node: number): Transport {
    const id = nodeId(node)
    if (!this.nodes.includes(id)) invalidArgument('node is not in the nodelist', { node })
    const prev = this.#endpoints.get(id)
    if (prev !== undefined && prev.state !== 'stopped')
      throw new TotemError('ERR_INVALID_STATE', 'the node already has a transport that runs', {
        details: { node },
      })
    const ep: Endpoint = {
      node: id,
      handler: undefined,
      state: 'idle',
      stats: createTransportStats(),
    }
    const net = this
    return {
      mtuBytes: this.mtuBytes,
      send(to: Destination, bytes: Uint8Array): void {
        net.#send(ep, to, bytes)
      },
      onDatagram(handler: DatagramHandler): void {
        if (typeof handler !== 'function') invalidArgument('handler must be a function')
        if (ep.state !== 'idle')
          throw new TotemError('ERR_INVALID_STATE', 'onDatagram() must be called before start()')
        ep.handler = handler
      },
      setMembers(members: readonly NodeId[]): void {
        if (!Array.isArray(members)) invalidArgument('members must be an array')
      },
      start(): Promise<void> {
        if (ep.state !== 'idle' || ep.handler === undefined)
          return Promise.reject(
            new TotemError('ERR_INVALID_STATE', 'start() once, after onDatagram()', {
              details: { state: ep.state },
            }),
          )
        const cur = net.#endpoints.get(id)
        if (cur !== undefined && cur !== ep && cur.state === 'running')
          return Promise.reject(
            new TotemError('ERR_INVALID_STATE', 'the node already has a transport that runs'),
          )
        net.#endpoints.set(id, ep)
        ep.state = 'running'
        return Promise.resolve()
      },
      stop(): Promise<void> {
        if (ep.state !== 'running')
          return Promise.reject(
            new TotemError('ERR_INVALID_STATE', 'stop() needs a started transport', {
              details: { state: ep.state },
            }),
          )
        ep.state = 'stopped'
        return Promise.resolve()
      },
      stats: (): Readonly<TransportStats> => ep.stats,
    }
  }

  #send(from: Endpoint, to: Destination, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) invalidArgument('bytes must be a Uint8Array')
    if (from.state !== 'running' || bytes.length > this.mtuBytes) {
      from.stats.sendErrors++
      return
    }
    if (to === 'all') {
      for (const n of this.nodes)
        if (n !== from.node || this.#selfDelivery) this.#route(from, n, bytes)
      return
    }
    if (typeof to !== 'object' || to === null) invalidArgument("to must be { node } or 'all'")
    if (!this.nodes.includes(to.node)) {
      from.stats.sendErrors++
      return
    }
    this.#route(from, to.node, bytes)
  }

  #route(from: Endpoint, to: NodeId, bytes: Uint8Array): void {
    from.stats.datagramsTx++
    from.stats.bytesTx += bytes.length
    const ep = this.#endpoints.get(to)
    if (ep === undefined) return // nothing listens at that address yet: lost, as with UDP
    // Like the kernel, every datagram travels as its own copy: senders may reuse their buffer.
    this.#queue.push({ to: ep, bytes: bytes.slice() })
    this.#stats.queued++
    if (!this.#manual && !this.#scheduled) {
      this.#scheduled = true
      queueMicrotask(() => {
        this.#scheduled = false
        this.flush()
      })
    }
  }

  flush(): number {
    if (this.#flushing) return 0 // a handler called flush(): the running loop picks it up
    this.#flushing = true
    let n = 0
    try {
      while (this.#head < this.#queue.length) {
        const d = this.#queue[this.#head++] as InFlight
        const ep = d.to
        if (ep.state !== 'running' || this.#endpoints.get(ep.node) !== ep) {
          this.#stats.droppedNotRunning++
          continue
        }
        ep.stats.datagramsRx++
        ep.stats.bytesRx += d.bytes.length
        this.#stats.delivered++
        n++
        try {
          ;(ep.handler as DatagramHandler)(d.bytes, this.#ringNo)
        } catch (e) {
          // Same receive boundary as the UDP transport: a TotemError is a counted drop.
          if (!isTotemError(e)) throw e
          countDrop(ep.stats, e.code)
        }
      }
    } finally {
      this.#flushing = false
      if (this.#head === this.#queue.length) {
        this.#queue.length = 0
        this.#head = 0
      }
    }
    return n
  }
}

/**
 * An in-memory network of {@link Transport}s for tests of the layers above udp: lossless, FIFO,
 * deterministic (no timers, no randomness), with udpu's semantics — `'all'` reaches every node of
 * the nodelist including the sender, unknown nodes, oversize datagrams and sends while not running
 * are counted in `sendErrors`. Faults belong to `@totem-ts/sim`'s network or, over real sockets,
 * to {@link createUdpFaultProxy}.
 *
 * @example
 * ```ts
 * const net = createMemoryNetwork({ nodes: [1, 2], delivery: 'manual' })
 * const a = net.transport(1)
 * const b = net.transport(2)
 * a.onDatagram(() => {})
 * b.onDatagram((bytes) => console.log(bytes))
 * await a.start(); await b.start()
 * a.send({ node: nodeId(2) }, new Uint8Array([7]))
 * net.flush() // b's handler runs here
 * ```
 */
export function createMemoryNetwork(options: MemoryNetworkOptions): MemoryNetwork {
  return new Memory(options)
}
