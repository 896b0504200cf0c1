/**
 * The redundant ring protocol: N `Transport`s, one per network, offered to srp as one
 * `Transport`. See README.md ("Design") for why it is built this way; in short:
 *
 * - every datagram carries a per-sender seq (duplicate filter) and a per-network seq (loss
 *   measurement), so each node measures every (peer, network) pair in both modes;
 * - problem counts are a leaky bucket: lost datagrams and silences fill it, time and datagrams
 *   received in sequence drain it, so only loss above `lossFractionMax` (or a silence) adds up;
 * - every node gossips, in heartbeats on every network, the networks it judges faulty; a network is
 *   used only while no live member reports it, so all members agree on the networks in use;
 * - a network out of use keeps its heartbeats, padded to the MTU and sent to everyone (the probes);
 *   it is taken back after consecutive clean recovery checks, more of them each time it flaps.
 *
 * Deterministic: time, timers and randomness come from the `Runtime` (STYLE §5).
 */
import {
  countDrop,
  type DatagramHandler,
  type Destination,
  invalidArgument,
  isTotemError,
  type Logger,
  NODES_MAX,
  type NodeId,
  type Runtime,
  type Timer,
  TotemError,
  type Transport,
} from '@totem-ts/common'
import { createDuplicateFilter, type DuplicateFilter } from './dedup.ts'
import { RrpErrorCode } from './errors.ts'
import {
  type FrameHeader,
  FrameKind,
  type HeartbeatBody,
  RRP_HEADER_BYTES,
  RRP_HEARTBEAT_BODY_BYTES,
  readHeader,
  readHeartbeat,
  seqDiff,
  writeHeader,
  writeHeartbeat,
} from './frame.ts'
import { RRP_NETWORKS_MAX, type RrpConfig, type RrpOptions, resolveRrpOptions } from './options.ts'
import {
  createNetworkStats,
  type RrpEvent,
  type RrpNetworkState,
  type RrpNetworkStats,
  type RrpStats,
} from './stats.ts'

/** Options of {@link createRrp}: {@link RrpOptions} plus who this node is. */
export interface CreateRrpOptions extends RrpOptions {
  /** This node's id: the sender field of every frame. */
  readonly nodeId: NodeId
  /** Called synchronously on every fault, recovery and change of the networks in use. */
  readonly onEvent?: (e: RrpEvent) => void
}

/** The redundant ring: a `Transport` over several, plus fault state and a manual re-enable. */
export interface Rrp extends Transport {
  readonly config: RrpConfig
  /** Number of networks. */
  readonly networkCount: number
  /**
   * `corosync-cfgtool -r`: clears every fault on every network, here and (through the heartbeats,
   * which carry a re-enable generation) on every member. A network that is still broken is marked
   * faulty again by the usual rules.
   */
  reenable(): void
  /** Per-network state: what `totem-cfgtool -s` prints. */
  networks(): RrpNetworkStats[]
  stats(): Readonly<RrpStats>
}

/** A lost datagram further than this from the expected seq resyncs the stream instead. */
const GAP_MAX = 4096

/** Problem count of a (peer, network) from which passive mode sends the peer no unicast. */
const SUSPECT_COUNT = 1

interface Stream {
  next: number | undefined
  lastMs: number
  /** Losses counted and not yet refunded by a late arrival. */
  pending: number
}

interface PeerNet {
  readonly mcast: Stream
  readonly ucast: Stream
  score: number
  lastRxMs: number
  heardInExpiry: boolean
  lostInCheck: number
  lostInExpiry: number
  probesInCheck: number
}

interface Peer {
  readonly id: number
  epoch: number
  readonly nets: PeerNet[]
  lastRxAnyMs: number
  heardAnyInExpiry: boolean
  reportGen: number
  reportMask: number
  reportStandby: number
  hasReport: boolean
}

interface Net {
  readonly ringNo: number
  readonly transport: Transport
  localFaulty: boolean
  /** Locally faulty, yet every live member was heard on it in the last expiry period, nothing lost. */
  standbyLocal: boolean
  inUse: boolean
  /** Agreed: out of use, but standby wherever it is judged faulty. */
  standby: boolean
  mcastSeq: number
  readonly ucastSeq: Map<number, number>
  cleanChecks: number
  checksRequired: number
  recoveredAtMs: number
  faultyAtMs: number
  lastChangeMs: number
  readonly stats: RrpNetworkStats
}

const newStream = (): Stream => ({ next: undefined, lastMs: 0, pending: 0 })

class RrpTransport implements Rrp {
  readonly config: RrpConfig
  readonly networkCount: number
  readonly mtuBytes: number
  readonly #me: number
  readonly #rt: Runtime
  readonly #log: Logger
  readonly #onEvent: ((e: RrpEvent) => void) | undefined
  readonly #nets: Net[]
  readonly #peers = new Map<number, Peer>()
  readonly #dedup: DuplicateFilter
  readonly #epoch: number
  readonly #wLoss: number
  readonly #wDrain: number
  #members = new Set<number>()
  #handler: DatagramHandler | undefined
  #state: 'new' | 'starting' | 'running' | 'stopped' = 'new'
  #seq = 0
  #gen = 0
  #mcastCursor = -1
  #tokenCursor = -1
  #allFaulty = false
  #lastLeakMs = 0
  #hbTimer: Timer | undefined
  #expiryTimer: Timer | undefined
  #checkTimer: Timer | undefined
  readonly #hdr: FrameHeader = { kind: 0, sender: 0, epoch: 0, seq: 0, netSeq: 0 }
  readonly #hb: HeartbeatBody = {
    reenableGen: 0,
    faultyMask: 0,
    standbyMask: 0,
    ringNo: 0,
    networks: 0,
  }
  readonly #stats: RrpStats

  constructor(transports: readonly Transport[], o: CreateRrpOptions, runtime: Runtime) {
    if (!Array.isArray(transports) || transports.length < 1 || transports.length > RRP_NETWORKS_MAX)
      invalidArgument(`createRrp needs 1 … ${RRP_NETWORKS_MAX} transports`, {
        option: 'transports',
        value: Array.isArray(transports) ? transports.length : String(transports),
      })
    if (!Number.isInteger(o.nodeId) || o.nodeId < 1 || o.nodeId > 0xffff_ffff)
      invalidArgument('nodeId must be a node id (1 … 2³²−1)', { option: 'nodeId' })
    this.config = resolveRrpOptions(o)
    this.networkCount = transports.length
    this.#me = o.nodeId
    this.#rt = runtime
    this.#log = runtime.logger.child('RRP')
    this.#onEvent = o.onEvent
    this.#epoch = (runtime.random.int(0xffff_ffff) + 1) >>> 0
    this.#wLoss = this.config.problemCountThreshold / this.config.problemCountMcastThreshold
    const f = this.config.lossFractionMax
    this.#wDrain = (this.#wLoss * f) / (1 - f)
    this.#dedup = createDuplicateFilter(this.config.duplicateWindow, NODES_MAX)
    let mtu = Number.POSITIVE_INFINITY
    for (const t of transports) mtu = Math.min(mtu, t.mtuBytes)
    this.mtuBytes = mtu - RRP_HEADER_BYTES
    if (this.mtuBytes < RRP_HEARTBEAT_BODY_BYTES)
      invalidArgument('the transports MTU is too small for RRP', { option: 'mtuBytes', value: mtu })
    this.#nets = transports.map((transport, ringNo) => ({
      ringNo,
      transport,
      localFaulty: false,
      standbyLocal: false,
      inUse: true,
      standby: false,
      mcastSeq: 0,
      ucastSeq: new Map(),
      cleanChecks: 0,
      checksRequired: this.config.recoveryChecks,
      recoveredAtMs: Number.NEGATIVE_INFINITY,
      faultyAtMs: 0,
      lastChangeMs: 0,
      stats: createNetworkStats(ringNo),
    }))
    this.#stats = {
      datagramsTx: 0,
      datagramsRx: 0,
      bytesTx: 0,
      bytesRx: 0,
      sendErrors: 0,
      rxDropped: {},
      mode: this.config.mode,
      duplicatesDropped: 0,
      heartbeatsTx: 0,
      heartbeatsRx: 0,
      allFaulty: false,
      allFaultyEntered: 0,
      reenableGen: 0,
      reenables: 0,
      networks: [],
    }
    for (const n of this.#nets) n.transport.onDatagram((b) => this.#receive(n, b))
  }

  // ---- Transport -------------------------------------------------------------------------

  onDatagram(handler: DatagramHandler): void {
    if (this.#state !== 'new')
      throw new TotemError('ERR_INVALID_STATE', 'onDatagram must be called before start()')
    this.#handler = handler
  }

  setMembers(members: readonly NodeId[]): void {
    this.#members = new Set(members)
    for (const n of this.#nets) n.transport.setMembers(members)
    // A node that left takes its reports (and so its probes' verdicts) with it.
    for (const p of this.#peers.values()) if (!this.#members.has(p.id)) p.hasReport = false
    if (this.#state === 'running') this.#recomputeInUse()
  }

  async start(): Promise<void> {
    if (this.#state !== 'new')
      throw new TotemError('ERR_INVALID_STATE', 'start() may be called once')
    if (this.#handler === undefined)
      throw new TotemError('ERR_INVALID_STATE', 'onDatagram must be called before start()')
    this.#state = 'starting'
    await Promise.all(this.#nets.map((n) => n.transport.start()))
    this.#state = 'running'
    this.#lastLeakMs = this.#rt.clock.nowMs()
    this.#log.info(
      `RRP mode ${this.config.mode} over ${this.#nets.length} networks`,
      this.config as unknown as Record<string, unknown>,
    )
    this.#heartbeat()
    this.#hbTimer = this.#every(this.config.heartbeatIntervalMs, () => this.#heartbeat())
    this.#expiryTimer = this.#every(this.config.tokenExpiredTimeoutMs, () => this.#expiryCheck())
    this.#checkTimer = this.#every(this.config.autorecoveryCheckTimeoutMs, () =>
      this.#recoveryCheck(),
    )
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'new')
      throw new TotemError('ERR_INVALID_STATE', 'stop() needs a started transport')
    this.#state = 'stopped'
    for (const t of [this.#hbTimer, this.#expiryTimer, this.#checkTimer]) t?.cancel()
    await Promise.all(this.#nets.map((n) => n.transport.stop()))
  }

  send(to: Destination, bytes: Uint8Array): void {
    const s = this.#stats
    if (this.#state !== 'running' || bytes.length > this.mtuBytes) {
      s.sendErrors++
      return
    }
    this.#seq = (this.#seq + 1) >>> 0
    const mcast = to === 'all'
    const inUse = this.#nets.filter((n) => n.inUse)
    let use = inUse
    if (inUse.length < 2) {
      // Fewer than two networks in use: every datagram also goes on the standbys (out of use, but
      // probing clean), so that losing the last network in use costs no membership. With no
      // network in use and no standby, on every network (in both modes) rather than on none
      // (corosync 2901ecea: a node that sends nothing never even sees its own joins) or on ring 0
      // only (a one-way fault there would cut someone off).
      use = inUse.concat(this.#nets.filter((n) => n.standby))
      if (use.length === 0) use = this.#nets
    }
    if (this.config.mode === 'active' || inUse.length < 2) {
      let errors = 0
      for (const [i, n] of use.entries()) {
        const r = this.#sendOn(n, to, bytes, i === 0)
        if (r < 0) errors++
      }
      if (errors === use.length) s.sendErrors++
    } else {
      const cursor = mcast ? this.#mcastCursor : this.#tokenCursor
      // A unicast (srp's token) skips the networks on which its destination is suspect here — a
      // problem count of at least one, a whole expiry period of silence or its worth of loss —
      // while another network in use is clear. Plain round robin sent tokens onto a dead network
      // that was not yet faulty: every node alternates once per rotation, so their cursors run
      // in phase, and a rotation whose every hop went there cost one token retransmission per
      // node, longer than the token timeout on five nodes (sim seed 0x310003, passive).
      // (With nothing suspect, the common case, no array is built on this per-token path.)
      let pool = use
      const p = mcast ? undefined : this.#peers.get(to.node)
      if (p !== undefined) {
        const clear = (n: Net): boolean => (p.nets[n.ringNo] as PeerNet).score < SUSPECT_COUNT
        if (!use.every(clear)) {
          const some = use.filter(clear)
          if (some.length > 0) pool = some
        }
      }
      // The next usable network after the last one used: bounded by the network count.
      let pick = pool[0] as Net
      for (const n of pool) {
        if (n.ringNo > cursor) {
          pick = n
          break
        }
      }
      if (mcast) this.#mcastCursor = pick.ringNo
      else this.#tokenCursor = pick.ringNo
      if (this.#sendOn(pick, to, bytes, true) < 0) s.sendErrors++
    }
  }

  stats(): Readonly<RrpStats> {
    const s = this.#stats
    const rxDropped: Record<string, number> = { ...s.rxDropped }
    for (const n of this.#nets) {
      const t = n.transport.stats()
      for (const [k, v] of Object.entries(t.rxDropped)) rxDropped[k] = (rxDropped[k] ?? 0) + v
    }
    return {
      ...s,
      rxDropped,
      allFaulty: this.#allFaulty,
      reenableGen: this.#gen,
      networks: this.networks(),
    }
  }

  // ---- Rrp -------------------------------------------------------------------------------

  reenable(): void {
    this.#adoptGen((this.#gen + 1) >>> 0, 'by the administrator')
    if (this.#state === 'running') this.#heartbeat()
  }

  networks(): RrpNetworkStats[] {
    const t = this.config.problemCountThreshold
    return this.#nets.map((n) => {
      let score = 0
      for (const p of this.#peers.values()) {
        if (!this.#members.has(p.id)) continue
        score = Math.max(score, (p.nets[n.ringNo] as PeerNet).score)
      }
      const reportedBy: number[] = []
      for (const p of this.#peers.values())
        if (this.#reportCounts(p) && (p.reportMask & (1 << n.ringNo)) !== 0) reportedBy.push(p.id)
      reportedBy.sort((a, b) => a - b)
      const state: RrpNetworkState = n.standby
        ? 'recovering'
        : !n.inUse
          ? 'faulty'
          : score >= t / 2 || n.localFaulty
            ? 'suspect'
            : 'ok'
      const inner = n.transport.stats()
      return {
        ...n.stats,
        state,
        inUse: n.inUse,
        standby: n.standby,
        localFaulty: n.localFaulty,
        reportedFaultyBy: reportedBy,
        problemCount: Math.round(score * 100) / 100,
        cleanChecks: n.cleanChecks,
        recoveryChecksRequired: n.checksRequired,
        lastChangeMs: n.lastChangeMs,
        transport: { ...inner, rxDropped: { ...inner.rxDropped } },
      }
    })
  }

  // ---- sending ---------------------------------------------------------------------------

  /**
   * Sends one copy on `n`. With `count`, the datagrams the network put out for it (one per
   * member for `'all'` on udpu) are counted as this transport's `datagramsTx`, as every transport
   * counts them. Returns that number, or −1 when the network refused the send.
   */
  #sendOn(n: Net, to: Destination, bytes: Uint8Array, count: boolean): number {
    const frame = new Uint8Array(RRP_HEADER_BYTES + bytes.length)
    let netSeq: number
    if (to === 'all') {
      n.mcastSeq = (n.mcastSeq + 1) >>> 0
      netSeq = n.mcastSeq
    } else {
      netSeq = ((n.ucastSeq.get(to.node) ?? 0) + 1) >>> 0
      n.ucastSeq.set(to.node, netSeq)
    }
    const h = this.#hdr
    h.kind = to === 'all' ? FrameKind.Mcast : FrameKind.Unicast
    h.sender = this.#me
    h.epoch = this.#epoch
    h.seq = this.#seq
    h.netSeq = netSeq
    writeHeader(frame, h)
    frame.set(bytes, RRP_HEADER_BYTES)
    n.stats.datagramsTx++
    const inner = n.transport.stats()
    const tx0 = inner.datagramsTx
    const err0 = inner.sendErrors
    n.transport.send(to, frame)
    const after = n.transport.stats()
    if (after.sendErrors > err0 && after.datagramsTx === tx0) return -1
    const fanout = after.datagramsTx - tx0
    if (count) {
      this.#stats.datagramsTx += fanout
      this.#stats.bytesTx += fanout * bytes.length
    }
    return fanout
  }

  #heartbeat(): void {
    if (this.#state !== 'running') return
    let mask = 0
    let standbyMask = 0
    for (const n of this.#nets) {
      if (n.localFaulty) mask |= 1 << n.ringNo
      if (n.standbyLocal) standbyMask |= 1 << n.ringNo
    }
    for (const n of this.#nets) {
      // Out of use: a probe, padded to the network's MTU, so a network comes back only when it
      // carries what the data needs (full-size datagrams, to everyone, both ways).
      const size = n.inUse
        ? RRP_HEADER_BYTES + RRP_HEARTBEAT_BODY_BYTES
        : Math.max(RRP_HEADER_BYTES + RRP_HEARTBEAT_BODY_BYTES, n.transport.mtuBytes)
      const frame = new Uint8Array(size)
      n.mcastSeq = (n.mcastSeq + 1) >>> 0
      const h = this.#hdr
      h.kind = FrameKind.Heartbeat
      h.sender = this.#me
      h.epoch = this.#epoch
      h.seq = 0
      h.netSeq = n.mcastSeq
      writeHeader(frame, h)
      const b = this.#hb
      b.reenableGen = this.#gen
      b.faultyMask = mask
      b.standbyMask = standbyMask
      b.ringNo = n.ringNo
      b.networks = this.#nets.length
      writeHeartbeat(frame, b)
      this.#stats.heartbeatsTx++
      n.stats.heartbeatsTx++
      if (!n.inUse) n.stats.probesTx++
      n.transport.send('all', frame)
    }
  }

  // ---- receiving -------------------------------------------------------------------------

  #receive(n: Net, bytes: Uint8Array): void {
    if (this.#state !== 'running') return
    const h = this.#hdr
    try {
      readHeader(bytes, h)
      if (h.kind === FrameKind.Heartbeat) readHeartbeat(bytes, this.#hb)
    } catch (e) {
      if (!isTotemError(e)) throw e
      this.#drop(n, e.code)
      return
    }
    n.stats.framesRx++
    const now = this.#rt.clock.nowMs()
    if (h.sender !== this.#me) {
      let p = this.#peers.get(h.sender)
      if (p === undefined) {
        if (this.#peers.size >= NODES_MAX) {
          this.#drop(n, RrpErrorCode.TooManySenders)
          return
        }
        p = this.#newPeer(h.sender, h.epoch)
        this.#peers.set(h.sender, p)
      } else if (p.epoch !== h.epoch) this.#resetPeer(p, h.epoch)
      const pn = p.nets[n.ringNo] as PeerNet
      p.lastRxAnyMs = now
      p.heardAnyInExpiry = true
      pn.lastRxMs = now
      pn.heardInExpiry = true
      if (h.kind === FrameKind.Heartbeat) {
        const b = this.#hb
        if (b.ringNo !== n.ringNo || b.networks !== this.#nets.length) {
          // Crossed cables or a config with another ring count: not evidence about this network.
          this.#drop(n, RrpErrorCode.BadField)
          return
        }
        this.#account(p, n, pn, pn.mcast, h.netSeq, now)
        this.#stats.heartbeatsRx++
        if (bytes.length > RRP_HEADER_BYTES + RRP_HEARTBEAT_BODY_BYTES) {
          pn.probesInCheck++
          n.stats.probesRx++
        }
        this.#onReport(p, b.reenableGen, b.faultyMask, b.standbyMask)
        return
      }
      this.#account(p, n, pn, h.kind === FrameKind.Mcast ? pn.mcast : pn.ucast, h.netSeq, now)
    } else if (h.kind === FrameKind.Heartbeat) return
    if (!this.#dedup.accept(h.sender, h.epoch, h.seq)) {
      this.#stats.duplicatesDropped++
      n.stats.duplicatesDropped++
      return
    }
    const payload = bytes.subarray(RRP_HEADER_BYTES)
    this.#stats.datagramsRx++
    this.#stats.bytesRx += payload.length
    n.stats.datagramsRx++
    ;(this.#handler as DatagramHandler)(payload, n.ringNo)
  }

  #drop(n: Net, code: string): void {
    countDrop(this.#stats, code)
    countDrop(n.stats, code)
    if (this.#log.isEnabled('debug'))
      this.#log.debug('dropped a datagram', { ring: n.ringNo, code })
  }

  #newPeer(id: number, epoch: number): Peer {
    return {
      id,
      epoch,
      nets: this.#nets.map(() => ({
        mcast: newStream(),
        ucast: newStream(),
        score: 0,
        lastRxMs: 0,
        heardInExpiry: false,
        lostInCheck: 0,
        lostInExpiry: 0,
        probesInCheck: 0,
      })),
      lastRxAnyMs: 0,
      heardAnyInExpiry: false,
      reportGen: 0,
      reportMask: 0,
      reportStandby: 0,
      hasReport: false,
    }
  }

  #resetPeer(p: Peer, epoch: number): void {
    p.epoch = epoch
    p.hasReport = false
    for (const pn of p.nets) {
      pn.mcast.next = undefined
      pn.mcast.pending = 0
      pn.ucast.next = undefined
      pn.ucast.pending = 0
      pn.score = 0
    }
  }

  /** Loss measurement on one (peer, network, stream): gaps fill the bucket, arrivals drain it. */
  #account(p: Peer, n: Net, pn: PeerNet, s: Stream, netSeq: number, now: number): void {
    // After a silence of the stream the gap is not counted as loss again: the silence was (one
    // count per expiry period), and a network that comes back must not be marked faulty for it.
    const resync = now - s.lastMs > this.config.tokenExpiredTimeoutMs
    s.lastMs = now
    if (s.next === undefined || resync) {
      s.pending = 0
      s.next = (netSeq + 1) >>> 0
      return
    }
    const d = seqDiff(netSeq, s.next)
    if (d === 0) {
      s.next = (netSeq + 1) >>> 0
      pn.score = Math.max(0, pn.score - this.#wDrain)
    } else if (d > 0 && d < GAP_MAX) {
      s.next = (netSeq + 1) >>> 0
      s.pending += d
      pn.lostInCheck += d
      pn.lostInExpiry += d
      n.stats.lost += d
      this.#problem(p, n, pn, d * this.#wLoss, `${d} datagrams lost`)
    } else if (d < 0 && d > -GAP_MAX) {
      // Late (reordered): refund a loss counted for it.
      if (s.pending > 0) {
        s.pending--
        n.stats.lost--
        if (pn.lostInCheck > 0) pn.lostInCheck--
        pn.score = Math.max(0, pn.score - this.#wLoss)
      }
    } else {
      s.next = (netSeq + 1) >>> 0
      s.pending = 0
    }
  }

  #problem(p: Peer, n: Net, pn: PeerNet, w: number, why: string): void {
    // Capped: a long outage must not take longer to forget than a short one (the recovery checks,
    // not the bucket, decide when a faulty network comes back).
    pn.score = Math.min(pn.score + w, 2 * this.config.problemCountThreshold)
    if (!this.#members.has(p.id)) return
    if (!n.localFaulty && pn.score >= this.config.problemCountThreshold) {
      this.#markFaulty(
        n,
        `from node ${p.id}: ${why}, problem count ${pn.score.toFixed(1)} of ${this.config.problemCountThreshold}`,
      )
    }
  }

  #onReport(p: Peer, gen: number, mask: number, standby: number): void {
    const d = seqDiff(gen, this.#gen)
    if (d > 0) this.#adoptGen(gen, `by node ${p.id}`)
    else if (d < 0) return // an old report: made before a re-enable it has not seen yet
    const changed = !p.hasReport || p.reportMask !== mask || p.reportStandby !== standby
    p.reportGen = gen
    p.reportMask = mask
    p.reportStandby = standby
    p.hasReport = true
    if (changed && this.#members.has(p.id)) this.#recomputeInUse()
  }

  // ---- verdicts --------------------------------------------------------------------------

  #markFaulty(n: Net, why: string): void {
    const now = this.#rt.clock.nowMs()
    n.localFaulty = true
    n.standbyLocal = false
    n.faultyAtMs = now
    n.lastChangeMs = now
    n.cleanChecks = 0
    // Hysteresis: failing again soon after a recovery doubles the clean checks the next recovery
    // needs; a calm flap window resets them.
    const base = this.config.recoveryChecks
    n.checksRequired =
      now - n.recoveredAtMs < this.config.flapWindowMs
        ? Math.min(n.checksRequired * 2, base * 64)
        : base
    n.stats.faultyCount++
    this.#log.info(`Marking ring ${n.ringNo} FAULTY (${why})`, {
      ring: n.ringNo,
      recoveryChecksRequired: n.checksRequired,
    })
    this.#emit({ type: 'faulty', ringNo: n.ringNo, atMs: now, reason: why })
    this.#recomputeInUse()
  }

  #recover(n: Net, why: string): void {
    const now = this.#rt.clock.nowMs()
    n.localFaulty = false
    n.standbyLocal = false
    n.recoveredAtMs = now
    n.lastChangeMs = now
    n.cleanChecks = 0
    n.stats.recoveredCount++
    for (const p of this.#peers.values()) {
      const pn = p.nets[n.ringNo] as PeerNet
      pn.score = 0
      pn.mcast.pending = 0
      pn.ucast.pending = 0
    }
    this.#log.info(`Automatically recovered ring ${n.ringNo} (${why})`, { ring: n.ringNo })
    this.#emit({ type: 'recovered', ringNo: n.ringNo, atMs: now, reason: why })
    this.#recomputeInUse()
  }

  #adoptGen(gen: number, by: string): void {
    const now = this.#rt.clock.nowMs()
    this.#gen = gen
    this.#stats.reenables++
    for (const n of this.#nets) {
      n.localFaulty = false
      n.standbyLocal = false
      n.cleanChecks = 0
      n.checksRequired = this.config.recoveryChecks
      n.lastChangeMs = now
    }
    for (const p of this.#peers.values()) {
      p.hasReport = false
      for (const pn of p.nets) {
        pn.score = 0
        pn.mcast.pending = 0
        pn.ucast.pending = 0
      }
    }
    this.#log.info(`Re-enabling every ring ${by} (generation ${gen})`)
    this.#emit({ type: 'reenabled', ringNo: -1, atMs: now, reason: by })
    this.#recomputeInUse()
  }

  /** A live member: in the ring and heard on some network recently. */
  #live(p: Peer, now: number): boolean {
    return (
      this.#members.has(p.id) &&
      now - p.lastRxAnyMs <=
        Math.max(this.config.autorecoveryCheckTimeoutMs, 2 * this.config.tokenExpiredTimeoutMs)
    )
  }

  #reportCounts(p: Peer): boolean {
    return p.hasReport && p.reportGen === this.#gen && this.#live(p, this.#rt.clock.nowMs())
  }

  /** The agreement: a network is in use while neither this node nor a live member reports it. */
  #recomputeInUse(): void {
    const now = this.#rt.clock.nowMs()
    let reported = 0
    let notStandby = 0
    for (const p of this.#peers.values()) {
      if (!this.#reportCounts(p)) continue
      reported |= p.reportMask
      notStandby |= p.reportMask & ~p.reportStandby
    }
    let any = false
    for (const n of this.#nets) {
      const bit = 1 << n.ringNo
      const inUse = !n.localFaulty && (reported & bit) === 0
      const standby = !inUse && (!n.localFaulty || n.standbyLocal) && (notStandby & bit) === 0
      if (standby !== n.standby) {
        n.standby = standby
        if (this.#log.isEnabled('debug'))
          this.#log.debug(
            `ring ${n.ringNo} ${standby ? 'is a standby (probes clean): carries copies while fewer than two rings are in use' : 'is no standby'}`,
          )
      }
      if (inUse !== n.inUse) {
        n.inUse = inUse
        n.lastChangeMs = now
        if (inUse) {
          n.stats.inUseEntered++
          this.#log.info(`ring ${n.ringNo} is in use again`, { ring: n.ringNo })
        } else {
          n.stats.outOfUseEntered++
          this.#log.info(
            `ring ${n.ringNo} is no longer in use (${n.localFaulty ? 'faulty here' : 'reported faulty by a member'})`,
            { ring: n.ringNo },
          )
        }
        this.#emit({ type: inUse ? 'in-use' : 'out-of-use', ringNo: n.ringNo, atMs: now })
      }
      any ||= inUse || standby
    }
    const all = !any
    if (all !== this.#allFaulty) {
      this.#allFaulty = all
      if (all) {
        this.#stats.allFaultyEntered++
        this.#log.info('every ring is FAULTY: sending on all of them')
      } else this.#log.info('a ring is usable again: left the all-faulty fallback')
      this.#emit({ type: all ? 'all-faulty' : 'not-all-faulty', ringNo: -1, atMs: now })
    }
  }

  // ---- timers ----------------------------------------------------------------------------

  #every(periodMs: number, fire: () => void): Timer {
    let t: Timer
    const tick = (): void => {
      if (this.#state !== 'running') return
      t = this.#rt.timers.after(periodMs, tick)
      fire()
    }
    t = this.#rt.timers.after(periodMs, tick)
    return { cancel: () => t.cancel() }
  }

  /** Silence: a member heard on another network but not on this one adds one problem count. */
  #expiryCheck(): void {
    const now = this.#rt.clock.nowMs()
    const leak = (now - this.#lastLeakMs) / this.config.problemCountTimeoutMs
    this.#lastLeakMs = now
    // Standby: a faulty network on which every live member was heard, with nothing lost, during
    // the period that just ended.
    for (const n of this.#nets) {
      if (!n.localFaulty) continue
      let live = 0
      let clean = true
      for (const p of this.#peers.values()) {
        if (!this.#members.has(p.id) || !p.heardAnyInExpiry) continue
        live++
        const pn = p.nets[n.ringNo] as PeerNet
        if (!pn.heardInExpiry || pn.lostInExpiry > 0) clean = false
      }
      n.standbyLocal = clean && live > 0
    }
    for (const p of this.#peers.values()) {
      for (const pn of p.nets) {
        pn.score = Math.max(0, pn.score - leak)
        pn.lostInExpiry = 0
      }
      if (this.#members.has(p.id) && p.heardAnyInExpiry) {
        for (const n of this.#nets) {
          const pn = p.nets[n.ringNo] as PeerNet
          if (!pn.heardInExpiry) {
            n.stats.silences++
            this.#problem(p, n, pn, 1, 'silent')
          }
        }
      }
      p.heardAnyInExpiry = false
      for (const pn of p.nets) pn.heardInExpiry = false
    }
    this.#recomputeInUse()
  }

  /** Recovery of a locally faulty network: consecutive clean checks, then back in use. */
  #recoveryCheck(): void {
    const now = this.#rt.clock.nowMs()
    for (const n of this.#nets) {
      if (n.localFaulty) {
        let clean = true
        let why = ''
        for (const p of this.#peers.values()) {
          if (!this.#live(p, now)) continue
          const pn = p.nets[n.ringNo] as PeerNet
          if (pn.probesInCheck === 0) {
            clean = false
            why = `no probe from node ${p.id}`
          } else if (pn.lostInCheck > 0) {
            clean = false
            why = `${pn.lostInCheck} lost from node ${p.id}`
          }
          if (!clean) break
        }
        if (clean) {
          n.cleanChecks++
          if (n.cleanChecks >= n.checksRequired) this.#recover(n, `${n.cleanChecks} clean checks`)
        } else {
          if (n.cleanChecks > 0 && this.#log.isEnabled('debug'))
            this.#log.debug(`ring ${n.ringNo}: recovery check failed (${why})`)
          n.cleanChecks = 0
        }
      }
      for (const p of this.#peers.values()) {
        const pn = p.nets[n.ringNo] as PeerNet
        pn.lostInCheck = 0
        pn.probesInCheck = 0
      }
    }
  }

  #emit(e: RrpEvent): void {
    this.#onEvent?.(e)
  }
}

/**
 * Joins `transports` (one per network, `ringNo` = index) into one `Transport` for srp.
 * Wrap each network's transport with `withCrypto` first (each with its own `channel`).
 *
 * @example
 * ```ts
 * const net = createRrp([withCrypto(udp0, keyring, c0), withCrypto(udp1, keyring, c1)],
 *   { mode: 'passive', nodeId }, runtime)
 * const srp = createSrp(config, { nodeId, runtime, transport: net, store, listener })
 * ```
 */
export function createRrp(
  transports: readonly Transport[],
  options: CreateRrpOptions,
  runtime: Runtime,
): Rrp {
  return new RrpTransport(transports, options, runtime)
}
