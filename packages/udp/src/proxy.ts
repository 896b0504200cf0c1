import { createSocket, type RemoteInfo, type Socket } from 'node:dgram'
import { invalidArgument, isNodeId, type NodeId, TotemError } from '@totem-ts/common'
import { UdpError, UdpErrorCode } from './errors.ts'
import { parseIpLiteral } from './options.ts'

/** A node behind the proxy: where it really listens, and the address that stands in for it. */
export interface FaultProxyNode {
  readonly nodeId: number
  /** The node's real address (its own nodelist entry, where its transport binds). */
  readonly address: string
  /** Where the proxy listens for datagrams meant for this node; the others' nodelists say this. */
  readonly proxyAddress: string
}

/** One datagram crossing the proxy, as a {@link FaultPolicy} sees it. */
export interface ProxiedDatagram {
  readonly from: NodeId
  readonly to: NodeId
  /** The payload (a private copy; the policy may keep it). */
  readonly bytes: Uint8Array
  /** 0, 1, 2… in arrival order across the whole proxy. */
  readonly seq: number
}

/**
 * What to do with one datagram: forward it (`'pass'`), drop it, hold it until
 * {@link UdpFaultProxy.release} (a deterministic way to reorder), or forward `copies` copies
 * (0 drops, 2 duplicates) after `delayMs` (delay reorders against later datagrams).
 */
export type FaultDecision =
  | 'pass'
  | 'drop'
  | 'hold'
  | { readonly copies?: number; readonly delayMs?: number }

/** Decides the fate of each datagram; runs synchronously on arrival. */
export type FaultPolicy = (d: ProxiedDatagram) => FaultDecision

/** Options of {@link createUdpFaultProxy}. */
export interface UdpFaultProxyOptions {
  /** The port every node and the proxy use (the transports' `port`). */
  readonly port: number
  /** The nodes behind the proxy; at least two. */
  readonly nodes: readonly FaultProxyNode[]
  /**
   * The initial policy.
   * @defaultValue every datagram passes
   */
  readonly policy?: FaultPolicy
}

/** Counters of a {@link UdpFaultProxy}. */
export interface UdpFaultProxyStats {
  /** Datagrams that arrived from a known node. */
  received: number
  /** Datagrams sent on (each copy counts). */
  forwarded: number
  dropped: number
  /** Extra copies sent beyond the first. */
  duplicated: number
  delayed: number
  held: number
  released: number
  /** Datagrams from a source address that is not a node's real address, dropped. */
  unknownSource: number
  sendErrors: number
}

/** A loopback proxy that injects faults between udpu nodes; see {@link createUdpFaultProxy}. */
export interface UdpFaultProxy {
  /** Binds one socket per node at `proxyAddress:port`; rejects with `ERR_UDP_BIND`. */
  start(): Promise<void>
  /** Cancels delayed datagrams, forgets held ones, closes the sockets. */
  stop(): Promise<void>
  /** Replaces the policy (e.g. partition now, heal later). */
  setPolicy(policy: FaultPolicy): void
  /**
   * The nodelist that node `node` must be configured with: its own real address, and the proxy
   * address of every other node, so that all its traffic to them crosses the proxy.
   */
  nodelistFor(node: number): { nodeId: number; address: string }[]
  /** Datagrams currently held. */
  readonly heldCount: number
  /** Forwards the held datagrams, in arrival order or reversed; returns how many. */
  release(order?: 'fifo' | 'reverse'): number
  stats(): Readonly<UdpFaultProxyStats>
}

interface Entry {
  readonly id: NodeId
  readonly address: string
  readonly proxyAddress: string
  readonly family: 4 | 6
  socket: Socket | undefined
}

interface Held {
  readonly via: Entry
  readonly to: Entry
  readonly bytes: Uint8Array
}

const PASS: FaultPolicy = () => 'pass'

class FaultProxy implements UdpFaultProxy {
  readonly #port: number
  readonly #entries: Entry[]
  readonly #byReal = new Map<string, Entry>()
  #policy: FaultPolicy
  #held: Held[] = []
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  #seq = 0
  #state: 'idle' | 'running' | 'stopped' = 'idle'
  readonly #stats: UdpFaultProxyStats = {
    received: 0,
    forwarded: 0,
    dropped: 0,
    duplicated: 0,
    delayed: 0,
    held: 0,
    released: 0,
    unknownSource: 0,
    sendErrors: 0,
  }
  readonly #onSent = (err: Error | null): void => {
    if (err !== null) this.#stats.sendErrors++
  }

  constructor(o: UdpFaultProxyOptions) {
    if (typeof o !== 'object' || o === null) invalidArgument('options must be an object')
    if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65_535)
      invalidArgument('port must be in 1..65535', { option: 'port', value: String(o.port) })
    this.#port = o.port
    if (!Array.isArray(o.nodes) || o.nodes.length < 2)
      invalidArgument('nodes must list at least two nodes', { option: 'nodes' })
    const seen = new Set<string>()
    this.#entries = o.nodes.map((n, i) => {
      if (!isNodeId(n.nodeId))
        invalidArgument('bad node id', { option: `nodes[${i}].nodeId`, value: String(n.nodeId) })
      const real = parseIpLiteral(n.address)
      const proxy = parseIpLiteral(n.proxyAddress)
      if (real === undefined)
        invalidArgument('not an IP literal', { option: `nodes[${i}].address`, value: n.address })
      if (proxy === undefined || proxy.family !== real.family)
        invalidArgument('not an IP literal of the same family as address', {
          option: `nodes[${i}].proxyAddress`,
          value: String(n.proxyAddress),
        })
      for (const [k, v] of [
        ['nodeId', String(n.nodeId)],
        ['address', real.address],
        ['address', proxy.address],
      ] as const) {
        if (seen.has(`${k}:${v}`))
          invalidArgument(`duplicate ${k}`, { option: `nodes[${i}]`, value: v })
        seen.add(`${k}:${v}`)
      }
      const e: Entry = {
        id: n.nodeId,
        address: real.address,
        proxyAddress: proxy.address,
        family: real.family === 'ipv4' ? 4 : 6,
        socket: undefined,
      }
      this.#byReal.set(e.address, e)
      return e
    })
    this.#policy = o.policy ?? PASS
  }

  get heldCount(): number {
    return this.#held.length
  }

  stats(): Readonly<UdpFaultProxyStats> {
    return this.#stats
  }

  setPolicy(policy: FaultPolicy): void {
    if (typeof policy !== 'function') invalidArgument('policy must be a function')
    this.#policy = policy
  }

  nodelistFor(node: number): { nodeId: number; address: string }[] {
    if (!this.#entries.some((e) => e.id === node))
      invalidArgument('node is not behind the proxy', { node })
    return this.#entries.map((e) => ({
      nodeId: e.id,
      address: e.id === node ? e.address : e.proxyAddress,
    }))
  }

  async start(): Promise<void> {
    if (this.#state !== 'idle')
      throw new TotemError('ERR_INVALID_STATE', 'start() may be called once')
    this.#state = 'running'
    for (const e of this.#entries) {
      const s = createSocket({
        type: e.family === 4 ? 'udp4' : 'udp6',
        ipv6Only: e.family === 6,
        lookup: (host, _o, cb) => cb(null, host, e.family),
      })
      try {
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject)
          s.bind({ port: this.#port, address: e.proxyAddress, exclusive: true }, () => {
            s.off('error', reject)
            resolve()
          })
        })
      } catch (err) {
        s.close()
        await this.stop()
        const errno = String((err as { code?: unknown }).code ?? 'EUNKNOWN')
        throw new UdpError(UdpErrorCode.Bind, `proxy cannot bind ${e.proxyAddress}:${this.#port}`, {
          details: { address: e.proxyAddress, port: this.#port, errno },
          cause: err,
        })
      }
      s.on('error', () => {
        this.#stats.sendErrors++
      })
      s.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.#onMessage(e, msg, rinfo))
      e.socket = s
    }
  }

  #onMessage(to: Entry, msg: Buffer, rinfo: RemoteInfo): void {
    const from = this.#byReal.get(rinfo.address)
    if (from === undefined) {
      this.#stats.unknownSource++
      return
    }
    this.#stats.received++
    const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.length)
    const decision = this.#policy({ from: from.id, to: to.id, bytes, seq: this.#seq++ })
    // Forwarded as if from `from`: through the socket at from's proxy address, so the receiver
    // sees a source address its nodelist lists for `from`.
    if (decision === 'pass') {
      this.#forward(from, to, bytes)
      return
    }
    if (decision === 'drop') {
      this.#stats.dropped++
      return
    }
    if (decision === 'hold') {
      this.#stats.held++
      this.#held.push({ via: from, to, bytes })
      return
    }
    const copies = decision.copies ?? 1
    const delayMs = decision.delayMs ?? 0
    if (!Number.isInteger(copies) || copies < 0 || !(delayMs >= 0))
      invalidArgument('a fault decision needs copies >= 0 and delayMs >= 0', {
        copies: String(copies),
        delayMs: String(delayMs),
      })
    if (copies === 0) {
      this.#stats.dropped++
      return
    }
    this.#stats.duplicated += copies - 1
    if (delayMs === 0) {
      for (let i = 0; i < copies; i++) this.#forward(from, to, bytes)
      return
    }
    this.#stats.delayed++
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      for (let i = 0; i < copies; i++) this.#forward(from, to, bytes)
    }, delayMs)
    this.#timers.add(timer)
  }

  #forward(via: Entry, to: Entry, bytes: Uint8Array): void {
    const s = via.socket
    if (s === undefined || this.#state !== 'running') return
    this.#stats.forwarded++
    try {
      s.send(bytes, this.#port, to.address, this.#onSent)
    } catch {
      this.#stats.sendErrors++
    }
  }

  release(order: 'fifo' | 'reverse' = 'fifo'): number {
    const held = this.#held
    this.#held = []
    if (order === 'reverse') held.reverse()
    for (const h of held) this.#forward(h.via, h.to, h.bytes)
    this.#stats.released += held.length
    return held.length
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') throw new TotemError('ERR_INVALID_STATE', 'already stopped')
    this.#state = 'stopped'
    for (const t of this.#timers) clearTimeout(t)
    this.#timers.clear()
    this.#held = []
    const sockets = this.#entries.flatMap((e) => (e.socket === undefined ? [] : [e.socket]))
    for (const e of this.#entries) e.socket = undefined
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(r))))
  }
}

/**
 * A lossy UDP proxy on loopback for integration tests (the hypercore/udx idea): it drops,
 * duplicates, delays and reorders datagrams between udpu nodes by a predicate, without touching
 * the nodes' code. Test-only: it opens sockets, so it lives in this package.
 *
 * Topology: node N really listens at `address` (127.0.0.N); the proxy listens for it at
 * `proxyAddress` (127.0.1.N), same port. Each node's nodelist (from {@link UdpFaultProxy.nodelistFor})
 * has its own real address and the *proxy* addresses of the others. Node M's datagram for N goes
 * to 127.0.1.N, the proxy sees it come from 127.0.0.M (so it knows the sender), applies the policy
 * and sends it on to 127.0.0.N *from 127.0.1.M*, which N's nodelist lists as M — so
 * `blockUnlistedIps` stays on. A node's copies to itself do not cross the proxy.
 *
 * ```
 *  node 1 (127.0.0.1) --to 127.0.1.2--> proxy[2] --from 127.0.1.1--> node 2 (127.0.0.2)
 *  node 2 (127.0.0.2) --to 127.0.1.1--> proxy[1] --from 127.0.1.2--> node 1 (127.0.0.1)
 * ```
 *
 * @example
 * ```ts
 * const proxy = createUdpFaultProxy({ port, nodes: [1, 2, 3].map((n) => ({
 *   nodeId: n, address: `127.0.0.${n}`, proxyAddress: `127.0.1.${n}` })) })
 * await proxy.start()
 * const udp1 = createUdpTransport({ nodeId: 1, port, nodelist: proxy.nodelistFor(1) })
 * proxy.setPolicy(({ from, to }) => (from === 3 || to === 3 ? 'drop' : 'pass')) // isolate node 3
 * ```
 */
export function createUdpFaultProxy(options: UdpFaultProxyOptions): UdpFaultProxy {
  return new FaultProxy(options)
}

/** Options of {@link randomFaults}: probabilities in 0..1, applied per datagram. */
export interface RandomFaultsOptions {
  /** Seed of the proxy's own PRNG (mulberry32), so that a run's decisions can be replayed. */
  readonly seed: number
  readonly lossRate?: number
  readonly dupRate?: number
  /** Probability that a datagram is delayed by 1..`delayMaxMs` ms (which reorders it). */
  readonly delayRate?: number
  /** @defaultValue 20 */
  readonly delayMaxMs?: number
  /** Only datagrams matching this are subject to faults. @defaultValue all */
  readonly match?: (d: ProxiedDatagram) => boolean
}

/**
 * A seeded random {@link FaultPolicy}: loss, duplication and delay (hence reordering) at the
 * given rates. The decision sequence depends only on the seed and the arrival order.
 */
export function randomFaults(o: RandomFaultsOptions): FaultPolicy {
  const rate = (name: string, v: number | undefined): number => {
    const r = v ?? 0
    if (!(r >= 0 && r <= 1)) invalidArgument(`${name} must be in 0..1`, { option: name })
    return r
  }
  const loss = rate('lossRate', o.lossRate)
  const dup = rate('dupRate', o.dupRate)
  const delay = rate('delayRate', o.delayRate)
  const delayMax = o.delayMaxMs ?? 20
  if (!Number.isInteger(delayMax) || delayMax < 1)
    invalidArgument('delayMaxMs must be an integer >= 1', { option: 'delayMaxMs' })
  if (!Number.isInteger(o.seed)) invalidArgument('seed must be an integer', { option: 'seed' })
  let state = o.seed >>> 0
  const next = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  return (d) => {
    if (o.match !== undefined && !o.match(d)) return 'pass'
    if (next() < loss) return 'drop'
    const copies = next() < dup ? 2 : 1
    const delayMs = next() < delay ? 1 + Math.floor(next() * delayMax) : 0
    return copies === 1 && delayMs === 0 ? 'pass' : { copies, delayMs }
  }
}
