import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import {
  countDrop,
  type DatagramHandler,
  type Destination,
  invalidArgument,
  isTotemError,
  type Logger,
  type NodeId,
  TotemError,
  type Transport,
} from '@totem-ts/common'
import { UdpError, UdpErrorCode } from './errors.ts'
import { resolveUdpOptions, type UdpConfig, type UdpOptions, type UdpPeer } from './options.ts'
import { countCode, createUdpStats, type UdpPeerStats, type UdpStats } from './stats.ts'

/** The udpu {@link Transport} returned by {@link createUdpTransport}. */
export interface UdpTransport extends Transport {
  /** The resolved options. */
  readonly config: Readonly<UdpConfig>
  /** Live counters (the same object on every call; copy it to keep a snapshot). */
  stats(): Readonly<UdpStats>
}

type State = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped'

interface Peer {
  readonly cfg: UdpPeer
  readonly stats: UdpPeerStats
  /** Connected sending socket (sendMode 'connected'); undefined: send from the bound socket. */
  socket: Socket | undefined
  /** Send-completion callback, one per peer so that no closure is allocated per send. */
  readonly onSent: (err: Error | null) => void
}

/** Logs the 1st, 2nd, 4th, 8th… occurrence: a rate limit that needs no clock. */
function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0
}

function errnoCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'EUNKNOWN'
}

class Udpu implements UdpTransport {
  readonly config: Readonly<UdpConfig>
  readonly mtuBytes: number
  readonly #log: Logger
  readonly #stats: UdpStats
  readonly #peers: Peer[]
  readonly #byId = new Map<number, Peer>()
  readonly #byAddress = new Map<string, Peer>()
  readonly #family: 4 | 6
  #state: State = 'idle'
  #handler: DatagramHandler | undefined
  #bound: Socket | undefined
  #inflight = 0
  #drained: (() => void) | undefined

  constructor(config: Readonly<UdpConfig>) {
    this.config = config
    this.mtuBytes = config.netmtu
    this.#log = config.logger.child('TOTEM')
    this.#family = config.family === 'ipv4' ? 4 : 6
    this.#stats = createUdpStats(config.nodelist)
    this.#peers = config.nodelist.map((cfg, i) => {
      const stats = this.#stats.peers[i] as UdpPeerStats
      const peer: Peer = {
        cfg,
        stats,
        socket: undefined,
        onSent: (err) => {
          if (err !== null) this.#sendFailed(peer, errnoCode(err), err)
          if (--this.#inflight === 0 && this.#drained !== undefined) this.#drained()
        },
      }
      this.#byId.set(cfg.nodeId, peer)
      this.#byAddress.set(cfg.address, peer)
      return peer
    })
  }

  onDatagram(handler: DatagramHandler): void {
    if (typeof handler !== 'function') invalidArgument('handler must be a function')
    if (this.#state !== 'idle')
      throw new TotemError('ERR_INVALID_STATE', 'onDatagram() must be called before start()', {
        details: { state: this.#state },
      })
    this.#handler = handler
  }

  setMembers(members: readonly NodeId[]): void {
    if (!Array.isArray(members)) invalidArgument('members must be an array')
    // udpu sends to the whole nodelist (reference §1.1); the list is kept for stats only.
    this.#stats.members = Object.freeze(members.slice())
  }

  stats(): Readonly<UdpStats> {
    return this.#stats
  }

  send(to: Destination, bytes: Uint8Array): void {
    if (!(bytes instanceof Uint8Array)) invalidArgument('bytes must be a Uint8Array')
    if (this.#state !== 'running') {
      this.#sendFailed(undefined, UdpErrorCode.NotRunning)
      return
    }
    if (bytes.length > this.mtuBytes) {
      this.#sendFailed(undefined, UdpErrorCode.Oversize)
      return
    }
    if (to === 'all') {
      for (const p of this.#peers) this.#sendTo(p, bytes)
      return
    }
    if (typeof to !== 'object' || to === null) invalidArgument("to must be { node } or 'all'")
    const peer = this.#byId.get(to.node)
    if (peer === undefined) {
      this.#sendFailed(undefined, UdpErrorCode.UnknownNode)
      return
    }
    this.#sendTo(peer, bytes)
  }

  #sendTo(peer: Peer, bytes: Uint8Array): void {
    const st = this.#stats
    st.datagramsTx++
    st.bytesTx += bytes.length
    peer.stats.datagramsTx++
    peer.stats.bytesTx += bytes.length
    this.#inflight++
    try {
      if (peer.socket !== undefined) peer.socket.send(bytes, peer.onSent)
      else (this.#bound as Socket).send(bytes, this.config.port, peer.cfg.address, peer.onSent)
    } catch (e) {
      // dgram throws synchronously only for a closed socket or bad arguments; count, never throw.
      this.#inflight--
      this.#sendFailed(peer, errnoCode(e), e)
    }
  }

  #sendFailed(peer: Peer | undefined, code: string, cause?: unknown): void {
    const st = this.#stats
    st.sendErrors++
    countCode(st.sendErrorsByCode, code)
    if (peer !== undefined) peer.stats.sendErrors++
    if (isPowerOfTwo(st.sendErrorsByCode[code] as number) && this.#log.isEnabled('debug'))
      this.#log.debug('send failed', {
        code,
        node: peer?.cfg.nodeId,
        count: st.sendErrorsByCode[code],
        error: cause instanceof Error ? cause.message : undefined,
      })
  }

  #onMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    const st = this.#stats
    const peer = this.#byAddress.get(rinfo.address)
    if (peer === undefined && this.config.blockUnlistedIps) {
      this.#drop(UdpErrorCode.UnlistedSource, rinfo)
      return
    }
    if (msg.length > this.config.rxDatagramBytesMax) {
      this.#drop(UdpErrorCode.Oversize, rinfo)
      return
    }
    st.datagramsRx++
    st.bytesRx += msg.length
    if (peer !== undefined) {
      peer.stats.datagramsRx++
      peer.stats.bytesRx += msg.length
    }
    // STYLE §9: no Buffer above this layer. A plain Uint8Array view of the same memory, no copy
    // (dgram gives every datagram its own buffer, so the view aliases nothing else).
    const view = new Uint8Array(msg.buffer, msg.byteOffset, msg.length)
    try {
      ;(this.#handler as DatagramHandler)(view, 0)
    } catch (e) {
      // The receive boundary: a TotemError from the layers above is a dropped datagram, counted
      // under its code; anything else is a bug and propagates.
      if (!isTotemError(e)) throw e
      this.#drop(e.code, rinfo)
    }
  }

  #drop(code: string, rinfo: RemoteInfo): void {
    countDrop(this.#stats, code)
    if (isPowerOfTwo(this.#stats.rxDropped[code] as number) && this.#log.isEnabled('debug'))
      this.#log.debug('datagram dropped', {
        code,
        from: rinfo.address,
        port: rinfo.port,
        bytes: rinfo.size,
        count: this.#stats.rxDropped[code],
      })
  }

  #newSocket(): Socket {
    const family = this.#family
    return createSocket({
      type: family === 4 ? 'udp4' : 'udp6',
      ipv6Only: family === 6,
      // Every address here is a validated literal: answer at once instead of dns.lookup, which
      // costs a process.nextTick per send (TOOLCHAIN.md) and would delay sends issued just
      // before stop().
      lookup: (hostname, _options, callback) => callback(null, hostname, family),
    })
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle')
      throw new TotemError('ERR_INVALID_STATE', 'start() may be called once', {
        details: { state: this.#state },
      })
    if (this.#handler === undefined)
      throw new TotemError('ERR_INVALID_STATE', 'call onDatagram() before start()')
    this.#state = 'starting'
    const cfg = this.config
    const bound = this.#newSocket()
    try {
      await bind(bound, cfg.port, cfg.bindAddress)
    } catch (e) {
      bound.close()
      this.#state = 'idle'
      throw new UdpError(
        UdpErrorCode.Bind,
        `cannot bind ${cfg.bindAddress}:${cfg.port}: ${errnoCode(e)}`,
        { details: { address: cfg.bindAddress, port: cfg.port, errno: errnoCode(e) }, cause: e },
      )
    }
    this.#bound = bound
    bound.on('error', (e) => this.#socketError(undefined, e))
    bound.on('message', this.#onMessage)
    this.#stats.receiveBufferBytes = this.#setBuffer(bound, 'recv', cfg.receiveBufferBytes)
    let sendBuffer = this.#setBuffer(bound, 'send', cfg.sendBufferBytes)
    if (cfg.sendMode === 'connected') {
      const results = await Promise.all(this.#peers.map((p) => this.#connectPeer(p)))
      for (const r of results) if (r > 0) sendBuffer = r
    }
    this.#stats.sendBufferBytes = sendBuffer
    this.#state = 'running'
    this.#log.info('udpu transport started', {
      address: cfg.bindAddress,
      port: cfg.port,
      nodes: this.#peers.length,
      sendMode: cfg.sendMode,
      receiveBufferBytes: this.#stats.receiveBufferBytes,
      sendBufferBytes: this.#stats.sendBufferBytes,
    })
  }

  /** Opens the peer's connected socket; returns its SO_SNDBUF, or 0 when it fell back. */
  async #connectPeer(peer: Peer): Promise<number> {
    const s = this.#newSocket()
    try {
      await bind(s, 0, this.config.bindAddress)
      await connect(s, this.config.port, peer.cfg.address)
    } catch (e) {
      s.close()
      this.#log.warn('cannot open a connected socket; sending from the listening socket', {
        node: peer.cfg.nodeId,
        address: peer.cfg.address,
        errno: errnoCode(e),
      })
      return 0
    }
    s.on('error', (e) => this.#socketError(peer, e))
    peer.socket = s
    return this.#setBuffer(s, 'send', this.config.sendBufferBytes)
  }

  #setBuffer(s: Socket, which: 'send' | 'recv', bytes: number): number {
    try {
      if (which === 'send') s.setSendBufferSize(bytes)
      else s.setRecvBufferSize(bytes)
    } catch (e) {
      this.#log.warn(`cannot set the ${which} buffer size`, { bytes, errno: errnoCode(e) })
    }
    const got = which === 'send' ? s.getSendBufferSize() : s.getRecvBufferSize()
    // Linux reports twice what it granted; less than asked means net.core.[rw]mem_max capped it.
    if (got < bytes)
      this.#log.warn(`the kernel granted a smaller ${which} buffer than asked`, {
        asked: bytes,
        reported: got,
      })
    return got
  }

  /**
   * An 'error' event: on a connected socket, a receive error is an ICMP error for an earlier send
   * (ECONNREFUSED: nothing listens at the peer); on the listening socket it is counted apart.
   */
  #socketError(peer: Peer | undefined, e: Error): void {
    if (peer !== undefined) {
      this.#sendFailed(peer, errnoCode(e), e)
      return
    }
    const code = errnoCode(e)
    countCode(this.#stats.socketErrors, code)
    if (isPowerOfTwo(this.#stats.socketErrors[code] as number))
      this.#log.debug('socket error', { code, error: e.message })
  }

  async stop(): Promise<void> {
    if (this.#state !== 'running')
      throw new TotemError('ERR_INVALID_STATE', 'stop() needs a started transport', {
        details: { state: this.#state },
      })
    this.#state = 'stopping'
    // Let what was already handed to the sockets go out (srp sends its leave just before stop).
    if (this.#inflight > 0)
      await new Promise<void>((resolve) => {
        this.#drained = resolve
      })
    this.#drained = undefined
    const sockets = [this.#bound as Socket]
    for (const p of this.#peers) {
      if (p.socket !== undefined) sockets.push(p.socket)
      p.socket = undefined
    }
    this.#bound = undefined
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(resolve))))
    this.#state = 'stopped'
    this.#log.info('udpu transport stopped', { stats: JSON.stringify(this.#stats) })
  }
}

function bind(s: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => {
      s.off('listening', onListening)
      reject(e)
    }
    const onListening = (): void => {
      s.off('error', onError)
      resolve()
    }
    s.once('error', onError)
    s.once('listening', onListening)
    s.bind({ port, address, exclusive: true })
  })
}

function connect(s: Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // dgram calls the connect callback with the error when connecting fails (@types/node omits it).
    const done = (err?: Error): void => (err === undefined ? resolve() : reject(err))
    s.connect(port, address, done as () => void)
  })
}

/**
 * Creates corosync's `udpu` transport (reference §1.1): one socket bound to `<own address>:<port>`
 * receives everything; `send('all', …)` is one unicast per nodelist member, self included;
 * `send({ node })` one unicast. Validates `options` with {@link resolveUdpOptions} (throws
 * `ERR_INVALID_ARGUMENT`); opens nothing until `start()`.
 *
 * @example
 * ```ts
 * const udp = createUdpTransport({
 *   nodeId: 1,
 *   nodelist: [{ nodeId: 1, address: '127.0.0.1' }, { nodeId: 2, address: '127.0.0.2' }],
 * })
 * udp.onDatagram((bytes) => console.log(bytes.length))
 * await udp.start()
 * udp.send('all', new Uint8Array([1, 2, 3]))
 * ```
 */
export function createUdpTransport(options: UdpOptions): UdpTransport {
  return new Udpu(resolveUdpOptions(options))
}
