import {
  type ConfigurationChange,
  countDrop,
  formatRingId,
  type Guarantee,
  invalidArgument,
  isTotemError,
  type Logger,
  type NodeId,
  type RingId,
  ringIdEquals,
  SORT_QUEUE_SEQS,
  TotemError,
} from '@totem-ts/common'
import {
  type Assembler,
  type CommitMember,
  createAssembler,
  decodeEncapsulated,
  decodePgPacket,
  decodeTotemMessage,
  detectByteOrder,
  encodeMcast,
  encodeMembCommitToken,
  encodeMembJoin,
  encodeMembMergeDetect,
  encodeOrfToken,
  encodeTokenHoldCancel,
  MCAST_HEADER_BYTES,
  type Mcast,
  type MembCommitToken,
  type MembJoin,
  type MembMergeDetect,
  type OrfToken,
  type RtrItem,
  type TokenHoldCancel,
} from '@totem-ts/wire'
import type { SrpConfig } from './options.ts'
import { Sender } from './sender.ts'
import { unwrap32, wire32 } from './seq.ts'
import { NamedTimeout } from './timer.ts'
import {
  createMemoryRingIdStore,
  type RingIdStore,
  type Srp,
  type SrpDeps,
  type SrpState,
  type SrpStats,
  type SrpTestFaults,
} from './types.ts'

/** A message of a ring, as stored for delivery and retransmission. */
interface Stored {
  readonly seq: number
  /** Originator (header nodeid of the original mcast): the sender delivered upward. */
  readonly sender: number
  readonly guarantee: Guarantee
  /** The totempg packet (copy). */
  readonly packet: Uint8Array
  readonly littleEndian: boolean
  /** The datagram as first sent, for retransmission and for encapsulation in recovery. */
  readonly datagram: Uint8Array
}

/** The state of one ring's message stream. */
interface RingStream {
  ringId: RingId
  members: NodeId[]
  queue: Map<number, Stored>
  /** Every seq ≤ aru is held. */
  aru: number
  /** Highest seq held. */
  highSeq: number
  /** Highest seq delivered (in order). */
  highDelivered: number
  /** Every seq ≤ released has been freed. */
  released: number
}

/** Recovery bookkeeping for the ring being formed (reference §3.4; paper §4.5). */
interface Recovery {
  ringId: RingId
  members: NodeId[]
  /** Members coming from my old ring. */
  trans: NodeId[]
  /** Members whose old-ring messages I deliver in the transitional configuration. */
  deliverSet: NodeId[]
  /** Highest old-ring seq any transitional member delivered. */
  highRingDelivered: number
  /** Stream of the new ring during recovery (re-sent old messages, new seqs). */
  stream: RingStream
  /** Encapsulated re-sends waiting for the token. */
  resend: Uint8Array[]
  /** I set the token's retrans flag. */
  setRetransFlg: boolean
  /** Consecutive tokens forwarded with retrans_flg 0. */
  retransFlgCount: number
  /** New-ring seq by which every re-send went out; −1 until known. */
  installSeq: number
  /** Rotations with installSeq ≤ token.aru. */
  installRotations: number
  receivedFlg: boolean
  /** The representative already sent the first ORF token. */
  firstTokenSent: boolean
}

const sortNum = (a: number, b: number): number => a - b
const setOf = (xs: readonly number[]): Set<number> => new Set(xs)
const sameSet = (a: readonly number[], b: ReadonlySet<number>): boolean => {
  const s = setOf(a)
  if (s.size !== b.size) return false
  for (const x of s) if (!b.has(x)) return false
  return true
}
const subset = (a: readonly number[], b: ReadonlySet<number>): boolean => a.every((x) => b.has(x))

function emptyStats(): SrpStats {
  return {
    orfTokenTx: 0,
    orfTokenRx: 0,
    memJoinTx: 0,
    memJoinRx: 0,
    memMergeTx: 0,
    memMergeRx: 0,
    commitTokenTx: 0,
    commitTokenRx: 0,
    tokenHoldCancelTx: 0,
    tokenHoldCancelRx: 0,
    mcastTx: 0,
    mcastRetx: 0,
    mcastRx: 0,
    operationalEntered: 0,
    operationalTokenLost: 0,
    gatherEntered: 0,
    gatherTokenLost: 0,
    commitEntered: 0,
    commitTokenLost: 0,
    recoveryEntered: 0,
    recoveryTokenLost: 0,
    consensusTimeouts: 0,
    rxDropped: {},
    rxIgnored: 0,
    messagesDelivered: 0,
    configurationChanges: 0,
    recoveryResent: 0,
    lastFormationMs: 0,
  }
}

/**
 * The Totem single-ring protocol core of one node: a synchronous, deterministic state machine
 * driven by datagrams and named timeouts (STYLE §5). See docs/PROTOCOL.md.
 */
class SrpCore implements Srp {
  readonly #cfg: SrpConfig
  readonly #me: NodeId
  readonly #deps: SrpDeps
  readonly #log: Logger
  readonly #store: RingIdStore
  readonly #faults: SrpTestFaults
  readonly #st: SrpStats = emptyStats()
  readonly #sender: Sender

  #state: SrpState = 'gather'
  #started = false
  #stopped = false
  /** The last installed (operational) ring: the "old ring" while a new one forms. */
  #op!: RingStream
  /** Highest ring seq adopted (installed ring or a commit token's). */
  #myRingSeq = 0n
  /** Highest ring seq seen in my ring ids and in joins (the next commit token adds 4). */
  #highestRingSeqSeen = 0n

  // Membership (GATHER).
  #proc = new Set<number>()
  #fail = new Set<number>()
  #consensus = new Set<number>()
  #gatherSince = 0

  // COMMIT / RECOVERY.
  #commitRing: RingId | undefined
  #commitMembers: NodeId[] = []
  #rec: Recovery | undefined

  // Token handling.
  /** token_seq of the last token accepted (internal, unwrapped). */
  #lastTokenSeq = -1
  #tokenCopy: { bytes: Uint8Array; to: NodeId } | undefined
  #tokenHeld: OrfToken | undefined
  #lastTokenSeqValue = -1
  #seqUnchanged = 0
  #aruForwardedPrev = -1
  #safePoint = 0
  #prevTokenAru = -1
  #aruStuckCount = 0
  #myTrc = 0
  #myPbl = 0
  #missCounts = new Map<number, number>()
  #thisSeqno = 0
  /** The token's seq when I last forwarded it (a message with a higher seq proves it moved on). */
  #seqAtForward = 0

  readonly #assembler: Assembler
  /** The ring id and guarantee to report for deliveries coming out of the assembler. */
  #deliveryRing: RingId
  #deliveryGuarantee: Guarantee = 'agreed'

  readonly #tokenLoss: NamedTimeout
  readonly #tokenRetransmit: NamedTimeout
  readonly #joinTimeout: NamedTimeout
  readonly #consensusTimeout: NamedTimeout
  readonly #mergeTimeout: NamedTimeout
  readonly #holdTimeout: NamedTimeout

  constructor(cfg: SrpConfig, deps: SrpDeps) {
    this.#cfg = cfg
    this.#deps = deps
    this.#me = deps.nodeId
    this.#log = deps.runtime.logger.child('TOTEM')
    this.#store = deps.store ?? createMemoryRingIdStore()
    this.#faults = deps.testFaults ?? {}
    this.#sender = new Sender(cfg.netmtu, cfg.sendQueueMax)
    const timers = deps.runtime.timers
    this.#tokenLoss = new NamedTimeout(
      'tokenLoss',
      timers,
      cfg.tokenTimeoutMs,
      () => this.#onTokenLoss(),
      this.#log,
    )
    this.#tokenRetransmit = new NamedTimeout(
      'tokenRetransmit',
      timers,
      cfg.tokenRetransmitTimeoutMs,
      () => this.#onTokenRetransmit(),
      this.#log,
    )
    this.#joinTimeout = new NamedTimeout(
      'join',
      timers,
      cfg.joinTimeoutMs,
      () => this.#onJoinTimeout(),
      this.#log,
    )
    this.#consensusTimeout = new NamedTimeout(
      'consensus',
      timers,
      cfg.consensusTimeoutMs,
      () => this.#onConsensusTimeout(),
      this.#log,
    )
    this.#mergeTimeout = new NamedTimeout(
      'merge',
      timers,
      cfg.mergeTimeoutMs,
      () => this.#onMergeTimeout(),
      this.#log,
    )
    this.#holdTimeout = new NamedTimeout(
      'hold',
      timers,
      cfg.holdTimeoutMs,
      () => this.#releaseHeldToken(),
      this.#log,
    )
    this.#deliveryRing = { rep: this.#me, seq: 0n }
    this.#assembler = createAssembler({
      onMessage: (sender, payload) => {
        this.#st.messagesDelivered++
        this.#deps.listener.onDeliver({
          sender: sender as NodeId,
          ringId: this.#deliveryRing,
          guarantee: this.#deliveryGuarantee,
          payload,
        })
      },
      onDrop: (_sender, code) => countDrop(this.#st, code),
    })
  }

  // ---------------------------------------------------------------- public API

  get state(): SrpState {
    return this.#state
  }

  get ringId(): RingId {
    return this.#op.ringId
  }

  get members(): readonly NodeId[] {
    return this.#op.members
  }

  stats(): Readonly<SrpStats> {
    return { ...this.#st, rxDropped: { ...this.#st.rxDropped } }
  }

  /**
   * Queues a message. An `ordered` one is originated only while this processor holds every
   * message of the ring below the token's seq (so, in a transitional configuration, no member
   * delivers it behind a gap of the old ring's order that its sender's side holds and another
   * side does not; see the multiring's stamping). Not a wire change.
   */
  send(
    payload: Uint8Array,
    guarantee: Guarantee,
    opts?: { readonly ordered?: boolean },
  ): 'queued' | 'full' {
    if (!(payload instanceof Uint8Array)) invalidArgument('payload must be a Uint8Array')
    if (guarantee !== 'agreed' && guarantee !== 'safe')
      invalidArgument('guarantee must be agreed or safe')
    if (this.#stopped) throw new TotemError('ERR_INVALID_STATE', 'srp is stopped')
    const r = this.#sender.enqueue(payload, guarantee, opts?.ordered === true)
    // A held token is released at once when there is something to send.
    if (r === 'queued' && this.#state === 'operational') this.#wantToken()
    return r
  }

  syncCompleted(): void {
    if (!this.#cfg.holdSendsDuringRingChange || this.#stopped) return
    const had = this.#sender.held
    this.#sender.release()
    if (had > 0 && this.#state === 'operational') this.#wantToken()
  }

  async start(): Promise<void> {
    if (this.#started) throw new TotemError('ERR_INVALID_STATE', 'srp already started')
    this.#started = true
    this.#deps.transport.onDatagram((bytes) => this.#onDatagram(bytes))
    await this.#deps.transport.start()
    // Start-up (paper §4.7, our choice #7): a singleton ring {me} with seq stored + 1, installed
    // and delivered as the first regular configuration, then GATHER.
    const seq = this.#store.load() + 1n
    this.#store.store(seq)
    const ring: RingId = { rep: this.#me, seq }
    this.#myRingSeq = seq
    this.#highestRingSeqSeen = seq
    this.#op = {
      ringId: ring,
      members: [this.#me],
      queue: new Map(),
      aru: 0,
      highSeq: 0,
      highDelivered: 0,
      released: 0,
    }
    this.#deliveryRing = ring
    this.#deps.transport.setMembers([this.#me])
    this.#confchg({
      kind: 'regular',
      ringId: ring,
      members: [this.#me],
      left: [],
      joined: [this.#me],
    })
    this.#state = 'operational'
    this.#shiftToGather('startup')
  }

  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    if (this.#started) {
      // Orderly leave (reference §3.7): a join with header nodeid 0 and me as the last failed entry.
      const proc = [...this.#proc].filter((n) => n !== this.#me)
      const failed = [...this.#fail].filter((n) => n !== this.#me)
      failed.push(this.#me)
      this.#sendAll(
        encodeMembJoin({
          nodeid: 0,
          systemFrom: this.#me,
          procList: proc,
          failedList: failed,
          ringSeq: this.#myRingSeq,
        }),
      )
    }
    for (const t of this.#timeouts()) t.stop()
    await this.#deps.transport.stop()
  }

  // ---------------------------------------------------------------- I/O helpers

  #timeouts(): NamedTimeout[] {
    return [
      this.#tokenLoss,
      this.#tokenRetransmit,
      this.#joinTimeout,
      this.#consensusTimeout,
      this.#mergeTimeout,
      this.#holdTimeout,
    ]
  }

  #sendAll(bytes: Uint8Array): void {
    if (this.#stopped && bytes[3] !== 3) return
    this.#deps.transport.send('all', bytes)
  }

  #sendTo(node: NodeId, bytes: Uint8Array): void {
    if (this.#stopped) return
    if (node === this.#me) {
      // A ring of one passes the token to itself; never re-enter the handler synchronously.
      this.#deps.runtime.timers.after(0, () => this.#onDatagram(bytes))
      return
    }
    this.#deps.transport.send({ node }, bytes)
  }

  #confchg(c: ConfigurationChange): void {
    this.#st.configurationChanges++
    this.#log.debug(`${c.kind} configuration ${formatRingId(c.ringId)}`, {
      members: c.members.join(','),
      left: c.left.join(','),
      joined: c.joined.join(','),
    })
    this.#deps.listener.onConfigurationChange(c)
  }

  #onDatagram(bytes: Uint8Array): void {
    if (this.#stopped || !this.#started) return
    let m: ReturnType<typeof decodeTotemMessage>
    try {
      m = decodeTotemMessage(bytes)
    } catch (e) {
      if (!isTotemError(e)) throw e
      countDrop(this.#st, e.code)
      if (this.#log.isEnabled('debug')) this.#log.debug('dropped datagram', { code: e.code })
      return
    }
    switch (m.type) {
      case 'orf-token':
        this.#st.orfTokenRx++
        this.#onOrfToken(m)
        break
      case 'mcast':
        this.#st.mcastRx++
        this.#onMcast(m, bytes)
        break
      case 'join':
        this.#st.memJoinRx++
        this.#onJoin(m)
        break
      case 'commit-token':
        this.#st.commitTokenRx++
        this.#onCommitToken(m)
        break
      case 'merge-detect':
        this.#st.memMergeRx++
        this.#onMergeDetect(m)
        break
      case 'token-hold-cancel':
        this.#st.tokenHoldCancelRx++
        this.#onTokenHoldCancel(m)
        break
    }
  }

  #isMember(n: number): boolean {
    return this.#op.members.includes(n as NodeId)
  }

  #successor(members: readonly NodeId[]): NodeId {
    const i = members.indexOf(this.#me)
    return members[(i + 1) % members.length] as NodeId
  }

  // ---------------------------------------------------------------- membership: GATHER

  #sendJoin(): void {
    this.#st.memJoinTx++
    this.#sendAll(
      encodeMembJoin({
        nodeid: this.#me,
        systemFrom: this.#me,
        procList: [...this.#proc],
        failedList: [...this.#fail],
        ringSeq: this.#myRingSeq,
      }),
    )
  }

  #shiftToGather(reason: string): void {
    const from = this.#state
    if (from === 'operational') {
      this.#gatherSince = this.#deps.runtime.clock.nowMs()
      // Nothing more is sent on the old ring: messages not completely sent go out whole later.
      this.#sender.restartRing()
      if (this.#cfg.holdSendsDuringRingChange) this.#sender.holdAll()
      this.#tokenHeld = undefined
    }
    if (from === 'recovery') this.#abortRecovery()
    // A ring that did not get installed leaves no verdict behind: its fail set was agreed for that
    // attempt only. Keeping it (the paper keeps sets until an install) let a representative that
    // is always the last to finish recovery re-exclude, attempt after attempt, nodes that had come
    // back, and the cluster never re-merged (sim seeds 0x180f, 0x1b36). Silent nodes are failed
    // again by the next consensus timeout, so membership still terminates.
    if (from === 'commit' || from === 'recovery') this.#fail.clear()
    this.#state = 'gather'
    this.#st.gatherEntered++
    this.#log.info('entering GATHER', { reason, from })
    this.#proc.add(this.#me)
    this.#tokenLoss.stop()
    this.#tokenRetransmit.stop()
    this.#mergeTimeout.stop()
    this.#holdTimeout.stop()
    this.#consensus = new Set([this.#me])
    this.#sendJoin()
    this.#joinTimeout.reset()
    // Jittered (up to a quarter longer), like the merge timer: with a fixed timeout, two nodes
    // that each formed a ring of itself at one consensus timeout met again in lockstep, their
    // joins crossing with the other in the failed list (a join naming me failed fails its
    // sender here), so they failed each other and everyone else at every next timeout, and the
    // LAN's ring re-formed every second for ever without them (multiring sim seed 0x7410a).
    const c = this.#cfg.consensusTimeoutMs
    this.#consensusTimeout.reset(c + this.#deps.runtime.random.int(Math.trunc(c / 4) + 1))
    // Alone in proc − fail: nobody else's join is needed.
    if (this.#consensusAgreed() && this.#candidates()[0] === this.#me) this.#createCommitToken()
  }

  #onJoinTimeout(): void {
    if (this.#state !== 'gather') return
    this.#sendJoin()
    this.#joinTimeout.reset()
  }

  /** proc − fail, sorted. */
  #candidates(): NodeId[] {
    return [...this.#proc].filter((n) => !this.#fail.has(n)).sort(sortNum) as NodeId[]
  }

  #consensusAgreed(): boolean {
    return this.#candidates().every((n) => this.#consensus.has(n))
  }

  #onConsensusTimeout(): void {
    if (this.#state !== 'gather') return
    this.#st.consensusTimeouts++
    this.#consensusCheck('consensus timeout')
  }

  /** Consensus timeout (and token loss while waiting for a commit token) in GATHER. */
  #consensusCheck(reason: string): void {
    if (this.#consensusAgreed() && this.#candidates()[0] === this.#me) {
      this.#createCommitToken()
      return
    }
    if (this.#consensusAgreed()) {
      // Everyone agreed; wait for the commit token, but not forever.
      this.#consensus = new Set([this.#me])
      this.#tokenLoss.reset()
      return
    }
    for (const n of this.#candidates()) if (!this.#consensus.has(n)) this.#fail.add(n)
    this.#shiftToGather(reason)
  }

  #onJoin(j: MembJoin): void {
    if (j.systemFrom === this.#me || j.systemFrom === 0) return
    const leave = j.nodeid === 0
    if (j.ringSeq > this.#highestRingSeqSeen) this.#highestRingSeqSeen = j.ringSeq
    const q = j.systemFrom
    switch (this.#state) {
      case 'operational':
        // Stale joins: ones that exclude me, or from a member of my ring about an older ring.
        if (j.failedList.includes(this.#me) && !leave) {
          this.#st.rxIgnored++
          return
        }
        if (this.#isMember(q) && j.ringSeq < this.#myRingSeq) {
          this.#st.rxIgnored++
          return
        }
        this.#applyJoin(j, leave)
        if (this.#state === 'operational') this.#shiftToGather('join during operational')
        return
      case 'gather':
        this.#applyJoin(j, leave)
        return
      case 'commit':
      case 'recovery':
        if (this.#commitMembers.includes(q as NodeId) && j.ringSeq >= this.#myRingSeq) {
          this.#applyJoin(j, leave)
          if ((this.#state as SrpState) !== 'gather')
            this.#shiftToGather('join during commit/recovery')
        } else {
          this.#st.rxIgnored++
        }
        return
    }
  }

  /** The join rules of reference §3.2 / paper §4.3. */
  #applyJoin(j: MembJoin, leave: boolean): void {
    const q = j.systemFrom
    if (sameSet(j.procList, this.#proc) && sameSet(j.failedList, this.#fail)) {
      if (!leave) this.#consensus.add(q)
      if (
        this.#state === 'gather' &&
        this.#consensusAgreed() &&
        this.#candidates()[0] === this.#me
      ) {
        this.#createCommitToken()
      }
      return
    }
    if (subset(j.procList, this.#proc) && subset(j.failedList, this.#fail)) return
    if (this.#fail.has(q)) return
    const before = this.#proc.size + this.#fail.size
    for (const n of j.procList) this.#proc.add(n)
    if (j.failedList.includes(this.#me)) {
      this.#fail.add(q)
    } else if (this.#isMember(q)) {
      if (!this.#fail.has(q)) {
        for (const n of j.failedList) this.#fail.add(n)
      } else {
        for (const n of j.failedList) if (!this.#isMember(n)) this.#fail.add(n)
      }
    }
    // Sets only grow, so their sizes tell whether anything changed. A join that changes nothing
    // here (a failed list from outside my ring is not taken over) must not make me resend mine:
    // two such nodes would answer each other at network speed. The join timer keeps resending,
    // and the consensus timeout settles the disagreement.
    if (this.#proc.size + this.#fail.size === before && this.#state === 'gather') return
    this.#shiftToGather(leave ? 'leave message' : 'merge during join')
  }

  #onMergeDetect(m: MembMergeDetect): void {
    if (m.systemFrom === this.#me) return
    if (ringIdEquals(m.ringId, this.#op.ringId)) return
    if (this.#isMember(m.systemFrom) && m.ringId.seq < this.#myRingSeq) {
      this.#st.rxIgnored++
      return
    }
    this.#foreign(m.systemFrom, 'merge detect')
  }

  /** A message from outside my ring: bring its sender into the membership. */
  #foreign(from: number, reason: string): void {
    if (this.#state === 'operational') {
      this.#proc.add(from)
      this.#shiftToGather(`foreign message (${reason})`)
    } else if (this.#state === 'gather' && !this.#proc.has(from)) {
      this.#proc.add(from)
      this.#shiftToGather(`foreign message (${reason})`)
    }
  }

  // ---------------------------------------------------------------- membership: COMMIT

  #createCommitToken(): void {
    const members = this.#candidates()
    const ring: RingId = { rep: this.#me, seq: this.#highestRingSeqSeen + 4n }
    this.#log.info('creating commit token', {
      ring: formatRingId(ring),
      members: members.join(','),
    })
    const token: MembCommitToken = {
      type: 'commit-token',
      nodeid: this.#me,
      tokenSeq: 0,
      ringId: ring,
      retransFlg: 0,
      membIndex: 0,
      members: members.map((n) => ({
        nodeid: n,
        ringId: { rep: 0, seq: 0n },
        aru: 0,
        highDelivered: 0,
        receivedFlg: 0,
      })),
    }
    this.#enterCommit(token)
  }

  #onCommitToken(t: MembCommitToken): void {
    const n = t.members.length
    switch (this.#state) {
      case 'operational':
        this.#st.rxIgnored++
        return
      case 'gather': {
        const cands = this.#candidates()
        const ok =
          n === cands.length &&
          t.members.every((e, i) => e.nodeid === cands[i]) &&
          t.ringId.seq > this.#myRingSeq &&
          t.membIndex < n &&
          t.members[t.membIndex]?.nodeid === this.#me
        if (!ok) {
          this.#st.rxIgnored++
          return
        }
        this.#enterCommit(t)
        return
      }
      case 'commit':
        if (this.#commitRing && ringIdEquals(t.ringId, this.#commitRing) && t.membIndex === n) {
          this.#enterRecovery(t)
        } else {
          this.#st.rxIgnored++
        }
        return
      case 'recovery': {
        const rec = this.#rec
        if (
          rec &&
          ringIdEquals(t.ringId, rec.ringId) &&
          rec.ringId.rep === this.#me &&
          t.membIndex === n &&
          !rec.firstTokenSent
        ) {
          this.#sendFirstToken()
        } else {
          this.#st.rxIgnored++
        }
        return
      }
    }
  }

  /** COMMIT entry: fill my entry, adopt the new ring id, forward (reference §3.3). */
  #enterCommit(t: MembCommitToken): void {
    const idx = t.membIndex
    if (t.members[idx]?.nodeid !== this.#me) return
    const op = this.#op
    const members: CommitMember[] = t.members.map((e, i) =>
      i === idx
        ? {
            nodeid: e.nodeid,
            ringId: op.ringId,
            aru: wire32(op.aru),
            highDelivered: wire32(op.highDelivered),
            receivedFlg: op.aru === op.highSeq ? 1 : 0,
          }
        : e,
    )
    // Entries from my old ring with a lower aru than the best one have not received everything.
    let best = -1
    for (let i = 0; i <= idx; i++) {
      const e = members[i] as CommitMember
      if (ringIdEquals(e.ringId, op.ringId) && e.aru > best) best = e.aru
    }
    for (let i = 0; i <= idx; i++) {
      const e = members[i] as CommitMember
      if (ringIdEquals(e.ringId, op.ringId) && e.aru < best) members[i] = { ...e, receivedFlg: 0 }
    }
    this.#state = 'commit'
    this.#st.commitEntered++
    this.#joinTimeout.stop()
    this.#consensusTimeout.stop()
    this.#commitRing = t.ringId
    this.#commitMembers = members.map((e) => e.nodeid as NodeId)
    this.#myRingSeq = t.ringId.seq
    if (t.ringId.seq > this.#highestRingSeqSeen) this.#highestRingSeqSeen = t.ringId.seq
    this.#store.store(t.ringId.seq)
    this.#myTrc = 0
    this.#myPbl = 0
    const next = members[(idx + 1) % members.length] as CommitMember
    this.#forwardCommit(
      { ...t, nodeid: this.#me, members, membIndex: idx + 1 },
      next.nodeid as NodeId,
    )
    this.#log.info('entering COMMIT', { ring: formatRingId(t.ringId) })
  }

  #forwardCommit(t: MembCommitToken, to: NodeId): void {
    const bytes = encodeMembCommitToken({ ...t, tokenSeq: wire32(t.tokenSeq + 1) })
    this.#st.commitTokenTx++
    this.#tokenCopy = { bytes, to }
    this.#sendTo(to, bytes)
    this.#tokenRetransmit.reset()
    this.#tokenLoss.reset()
  }

  // ---------------------------------------------------------------- membership: RECOVERY

  #enterRecovery(t: MembCommitToken): void {
    const op = this.#op
    const members = t.members.map((e) => e.nodeid as NodeId)
    const trans = t.members
      .filter((e) => ringIdEquals(e.ringId, op.ringId) && op.members.includes(e.nodeid as NodeId))
      .map((e) => e.nodeid as NodeId)
    const transEntries = t.members.filter((e) => trans.includes(e.nodeid as NodeId))
    let highRingDelivered = op.highDelivered
    let low = op.aru
    for (const e of transEntries) {
      const aru = unwrap32(e.aru, op.aru)
      const hd = unwrap32(e.highDelivered, op.highDelivered)
      if (aru < low) low = aru
      if (hd > highRingDelivered) highRingDelivered = hd
    }
    const resend: Uint8Array[] = []
    if (transEntries.some((e) => e.receivedFlg === 0)) {
      // Re-send every old message above the lowest transitional aru that I hold.
      for (let s = low + 1; s <= op.highSeq; s++) {
        const m = op.queue.get(s)
        if (m) resend.push(m.datagram)
      }
    }
    this.#rec = {
      ringId: t.ringId,
      members,
      trans,
      deliverSet: trans,
      highRingDelivered,
      stream: {
        ringId: t.ringId,
        members,
        queue: new Map(),
        aru: 0,
        highSeq: 0,
        highDelivered: 0,
        released: 0,
      },
      resend,
      setRetransFlg: false,
      retransFlgCount: 0,
      installSeq: -1,
      installRotations: 0,
      receivedFlg: !transEntries.some((e) => e.receivedFlg === 0),
      firstTokenSent: false,
    }
    this.#state = 'recovery'
    this.#st.recoveryEntered++
    this.#lastTokenSeq = -1
    this.#lastTokenSeqValue = -1
    this.#seqUnchanged = 0
    this.#aruForwardedPrev = -1
    this.#prevTokenAru = -1
    this.#aruStuckCount = 0
    this.#missCounts.clear()
    this.#log.info('entering RECOVERY', {
      ring: formatRingId(t.ringId),
      trans: trans.join(','),
      resend: resend.length,
    })
    // Forward the commit token the second time (unchanged but for the hop fields).
    const next = members[(members.indexOf(this.#me) + 1) % members.length] as NodeId
    this.#forwardCommit({ ...t, nodeid: this.#me }, next)
  }

  #sendFirstToken(): void {
    const rec = this.#rec
    if (!rec) return
    rec.firstTokenSent = true
    if (rec.resend.length > 0) rec.setRetransFlg = true
    const token: OrfToken = {
      type: 'orf-token',
      nodeid: this.#me,
      seq: 0,
      tokenSeq: 0,
      aru: 0xffff_ffff,
      aruAddr: this.#me,
      ringId: rec.ringId,
      backlog: 0,
      fcc: 0,
      retransFlg: rec.resend.length > 0 ? 1 : 0,
      rtr: [],
    }
    this.#forwardToken(token, this.#successor(rec.members))
  }

  /** Recovery failed: forget the new ring's messages, keep the old ring (paper §4.5). */
  #abortRecovery(): void {
    const rec = this.#rec
    this.#rec = undefined
    if (!rec) return
    this.#log.info('recovery aborted', { ring: formatRingId(rec.ringId) })
  }

  // ---------------------------------------------------------------- normal operation: mcast

  #onMcast(m: Mcast, datagram: Uint8Array): void {
    const op = this.#op
    const rec = this.#rec
    if (ringIdEquals(m.ringId, op.ringId)) {
      // From COMMIT entry on, the old ring's stream is frozen: what I hold then is what my commit
      // entry and my re-sends describe. A late copy arriving now could make me deliver a message a
      // fellow survivor never gets (sim seed 0x845); it reaches us as a re-send if anyone needs it.
      if (m.encapsulated === 1 || this.#state === 'commit' || this.#state === 'recovery') {
        this.#st.rxIgnored++
        return
      }
      this.#storeOld(m, datagram)
      if (this.#state === 'operational') {
        if (unwrap32(m.seq, this.#seqAtForward) > this.#seqAtForward) this.#tokenRetransmit.stop()
        this.#deliver()
      }
      return
    }
    if (
      rec &&
      ringIdEquals(m.ringId, rec.ringId) &&
      (this.#state === 'recovery' || this.#state === 'commit')
    ) {
      this.#storeRecovery(m, datagram)
      return
    }
    // Another ring: foreign unless it is stale news from a member of my ring.
    if (this.#isMember(m.systemFrom) && m.ringId.seq <= this.#myRingSeq) {
      this.#st.rxIgnored++
      return
    }
    if (this.#state === 'operational' || this.#state === 'gather')
      this.#foreign(m.systemFrom, 'mcast')
    else this.#st.rxIgnored++
  }

  /** Stores an mcast of the installed ring. */
  #storeOld(m: Mcast, datagram: Uint8Array): void {
    this.#storeInto(this.#op, m, datagram)
  }

  #storeInto(stream: RingStream, m: Mcast, datagram: Uint8Array): Stored | undefined {
    const seq = unwrap32(m.seq, stream.aru)
    if (seq <= stream.aru || stream.queue.has(seq)) return undefined
    if (seq > stream.aru + SORT_QUEUE_SEQS) {
      countDrop(this.#st, 'ERR_SRP_OUTSIDE_WINDOW')
      return undefined
    }
    const copy = datagram.slice()
    const stored: Stored = {
      seq,
      sender: m.nodeid,
      guarantee: m.guarantee === 1 ? 'safe' : 'agreed',
      packet: copy.subarray(copy.length - m.payload.length),
      littleEndian: detectByteOrder(datagram),
      datagram: copy,
    }
    stream.queue.set(seq, stored)
    if (seq > stream.highSeq) stream.highSeq = seq
    while (stream.queue.has(stream.aru + 1)) stream.aru++
    this.#missCounts.delete(seq)
    return stored
  }

  /** Stores an mcast of the ring being formed; re-sent old messages also fill my old ring. */
  #storeRecovery(m: Mcast, datagram: Uint8Array): void {
    const rec = this.#rec
    if (!rec) return
    const stored = this.#storeInto(rec.stream, m, datagram)
    if (!stored || m.encapsulated !== 1) return
    let inner: Mcast
    try {
      inner = decodeEncapsulated(m)
    } catch (e) {
      if (!isTotemError(e)) throw e
      countDrop(this.#st, e.code)
      return
    }
    if (ringIdEquals(inner.ringId, this.#op.ringId)) this.#storeOld(inner, m.payload)
  }

  // ---------------------------------------------------------------- normal operation: token

  #onTokenHoldCancel(m: TokenHoldCancel): void {
    if (!ringIdEquals(m.ringId, this.#op.ringId)) return
    this.#seqUnchanged = 0
    if (this.#tokenHeld) this.#releaseHeldToken()
  }

  /** I have something to send: make sure the token is not sitting idle somewhere. */
  #wantToken(): void {
    if (this.#tokenHeld) {
      this.#releaseHeldToken()
      return
    }
    if (this.#cfg.tokenHold && this.#seqUnchanged >= this.#cfg.seqnoUnchangedConst) {
      this.#st.tokenHoldCancelTx++
      this.#sendAll(encodeTokenHoldCancel({ nodeid: this.#me, ringId: this.#op.ringId }))
      this.#seqUnchanged = 0
    }
  }

  #releaseHeldToken(): void {
    const t = this.#tokenHeld
    this.#tokenHeld = undefined
    this.#holdTimeout.stop()
    if (t && this.#state === 'operational') this.#forwardToken(t, this.#successor(this.#op.members))
  }

  #onOrfToken(t: OrfToken): void {
    const inRecovery = this.#state === 'recovery'
    const ring = inRecovery ? this.#rec?.ringId : this.#op.ringId
    if (
      (this.#state !== 'operational' && !inRecovery) ||
      ring === undefined ||
      !ringIdEquals(t.ringId, ring)
    ) {
      this.#st.rxIgnored++
      return
    }
    const tokenSeq = unwrap32(t.tokenSeq, Math.max(this.#lastTokenSeq, 0))
    if (tokenSeq <= this.#lastTokenSeq) {
      this.#st.rxIgnored++
      return
    }
    this.#lastTokenSeq = tokenSeq
    this.#tokenRetransmit.stop()
    const stream = inRecovery ? (this.#rec as Recovery).stream : this.#op
    const members = inRecovery ? (this.#rec as Recovery).members : this.#op.members

    // Internal (unwrapped) token fields.
    const seq = unwrap32(t.seq, stream.highSeq)
    let aru = unwrap32(t.aru, stream.aru)
    let aruAddr = t.aruAddr
    let fcc = t.fcc
    let backlog = t.backlog
    let rtr: RtrItem[] = t.rtr.slice()
    let tokenSeqOut = seq

    // Idle detection: merge detect and token hold (reference §4.5).
    if (seq === this.#lastTokenSeqValue) {
      this.#seqUnchanged++
      // The merge timer is jittered (up to one more period): with fixed timers, a lone node's
      // merge-detect can hit a forming ring at the same phase of its recovery every time, and the
      // two never meet (found by the simulator: seed 0x300069, profile partitions).
      if (!inRecovery) {
        this.#mergeTimeout.start(
          this.#cfg.mergeTimeoutMs + this.#deps.runtime.random.int(this.#cfg.mergeTimeoutMs + 1),
        )
      }
    } else {
      this.#seqUnchanged = 0
      this.#mergeTimeout.stop()
    }
    this.#lastTokenSeqValue = seq

    // Transmit allowance (paper §8.2 with corosync's token arithmetic).
    const cbl = inRecovery ? (this.#rec as Recovery).resend.length : this.#sender.backlog
    let allowed = Math.max(0, Math.min(this.#cfg.maxMessages, this.#cfg.windowSize - fcc))
    const denom = backlog + cbl - this.#myPbl
    if (denom > 0 && cbl > 0) {
      const share = Math.max(1, Math.floor((this.#cfg.windowSize * cbl) / denom))
      if (share < allowed) allowed = share
    }
    if (seq + allowed > stream.highDelivered + SORT_QUEUE_SEQS - this.#cfg.windowSize) {
      allowed = Math.max(0, stream.highDelivered + SORT_QUEUE_SEQS - this.#cfg.windowSize - seq)
    }
    let sent = 0

    // Serve retransmission requests for my ring.
    const keep: RtrItem[] = []
    for (const item of rtr) {
      if (ringIdEquals(item.ringId, stream.ringId) && sent < allowed) {
        const s = unwrap32(item.seq, stream.aru)
        const m = stream.queue.get(s)
        if (m) {
          this.#st.mcastRetx++
          this.#sendAll(m.datagram)
          sent++
          continue
        }
      }
      keep.push(item)
    }
    rtr = keep

    // Send new messages: re-sends in RECOVERY, application messages when OPERATIONAL.
    let next = seq
    if (inRecovery) {
      const rec = this.#rec as Recovery
      while (sent < allowed && rec.resend.length > 0) {
        const inner = rec.resend.shift() as Uint8Array
        next++
        const bytes = encodeMcast({
          encapsulated: 1,
          nodeid: this.#me,
          systemFrom: this.#me,
          seq: wire32(next),
          thisSeqno: this.#thisSeqno++ | 0,
          ringId: rec.ringId,
          payload: inner,
        })
        this.#st.recoveryResent++
        this.#storeOwn(rec.stream, next, 'agreed', bytes)
        this.#sendAll(bytes)
        sent++
      }
    } else {
      for (const p of this.#sender.take(allowed - sent, stream.aru >= seq)) {
        next++
        const bytes = encodeMcast({
          nodeid: this.#me,
          systemFrom: this.#me,
          seq: wire32(next),
          thisSeqno: this.#thisSeqno++ | 0,
          ringId: stream.ringId,
          guarantee: p.guarantee === 'safe' ? 1 : 0,
          payload: p.bytes,
        })
        this.#storeOwn(stream, next, p.guarantee, bytes)
        this.#st.mcastTx++
        this.#sendAll(bytes)
        sent++
      }
    }
    tokenSeqOut = next

    // Ask for what I miss (after missCountConst visits, at most 30 entries).
    for (let s = stream.aru + 1; s <= tokenSeqOut && rtr.length < 30; s++) {
      if (stream.queue.has(s)) continue
      const c = (this.#missCounts.get(s) ?? 0) + 1
      this.#missCounts.set(s, c)
      if (c >= this.#cfg.missCountConst && !rtr.some((r) => unwrap32(r.seq, stream.aru) === s)) {
        rtr.push({ ringId: stream.ringId, seq: wire32(s) })
      }
    }

    // Flow control accounting.
    fcc = Math.max(0, fcc + sent - this.#myTrc)
    backlog = Math.max(0, backlog + cbl - this.#myPbl)
    this.#myTrc = sent
    // My contribution to the token's backlog is the backlog I counted before sending (corosync:
    // my_pbl = my_cbl). Recording what was left after sending made the token's backlog grow by
    // what I sent at every visit, and the fair share shrink towards one packet per visit.
    this.#myPbl = cbl

    // aru / aru_addr (reference §4.2). A node still in RECOVERY vouches for nothing past the
    // install point: messages of the new ring must not become safe before every member installed
    // it (paper §4: safe implies every member of the configuration installed it).
    const myAru =
      inRecovery && (this.#rec as Recovery).installSeq >= 0
        ? Math.min(stream.aru, (this.#rec as Recovery).installSeq)
        : stream.aru
    if (myAru < aru || aruAddr === this.#me || aruAddr === 0) {
      aru = myAru
      aruAddr = aru === tokenSeqOut ? 0 : this.#me
    }
    if (aru > tokenSeqOut) aru = tokenSeqOut

    // Failed to receive (paper §4.6, our choice #3): the laggard in aru_addr is excluded.
    if (aru === this.#prevTokenAru && aruAddr !== 0 && aru !== tokenSeqOut) this.#aruStuckCount++
    else this.#aruStuckCount = 0
    this.#prevTokenAru = aru
    if (!inRecovery && this.#aruStuckCount > this.#cfg.failToRecvConst && aruAddr !== this.#me) {
      this.#log.warn('member failed to receive; excluding it', { node: aruAddr })
      this.#fail.add(aruAddr)
      this.#aruStuckCount = 0
      this.#shiftToGather('failed to receive')
      return
    }

    let retransFlg = t.retransFlg
    if (inRecovery) {
      const rec = this.#rec as Recovery
      if (rec.resend.length > 0 && retransFlg === 0) {
        retransFlg = 1
        rec.setRetransFlg = true
      } else if (retransFlg === 1 && rec.setRetransFlg && rec.resend.length === 0) {
        retransFlg = 0
        rec.setRetransFlg = false
      }
      if (retransFlg === 0) rec.retransFlgCount++
      else rec.retransFlgCount = 0
      if (rec.retransFlgCount === 2) rec.installSeq = tokenSeqOut
      if (rec.retransFlgCount >= 2 && !rec.receivedFlg && rec.installSeq <= stream.aru) {
        rec.receivedFlg = true
        rec.deliverSet = rec.trans
      }
      if (rec.retransFlgCount >= 3 && rec.installSeq <= aru) rec.installRotations++
      else rec.installRotations = 0
    }

    // Safe point: the aru this token carried on my two last forwards.
    const safe = Math.min(this.#aruForwardedPrev, aru)
    this.#aruForwardedPrev = aru
    if (!inRecovery && safe > this.#safePoint) this.#safePoint = safe

    const out: OrfToken = {
      type: 'orf-token',
      nodeid: this.#me,
      seq: wire32(tokenSeqOut),
      tokenSeq: wire32(tokenSeq + 1),
      aru: wire32(aru),
      aruAddr,
      ringId: stream.ringId,
      backlog: wire32(backlog),
      fcc: wire32(fcc),
      retransFlg,
      rtr,
    }
    this.#seqAtForward = tokenSeqOut

    if (inRecovery && (this.#rec as Recovery).installRotations >= 2) {
      this.#enterOperational()
    }

    if (this.#state === 'operational') {
      // Release messages every member holds (they will never be asked for again).
      this.#release()
      const idle = this.#seqUnchanged > this.#cfg.seqnoUnchangedConst && this.#sender.backlog === 0
      const mayHold = this.#cfg.tokenHold || this.#op.members.length === 1
      // Only a quiescent ring is held: a member still missing messages (aru below seq) needs
      // rotations to ask for them (missCountConst visits), which a held token would space out
      // by whole hold periods.
      const quiescent = rtr.length === 0 && aru === tokenSeqOut
      if (mayHold && idle && quiescent && this.#op.ringId.rep === this.#me) {
        this.#tokenHeld = out
        this.#tokenCopy = undefined
        this.#holdTimeout.reset()
        this.#tokenLoss.reset()
        this.#deliver()
        return
      }
    }
    this.#forwardToken(out, this.#successor(members))
    if (this.#state === 'operational') this.#deliver()
  }

  /** Stores a message I just sequenced (no decode: I built it). */
  #storeOwn(stream: RingStream, seq: number, guarantee: Guarantee, datagram: Uint8Array): void {
    stream.queue.set(seq, {
      seq,
      sender: this.#me,
      guarantee,
      packet: datagram.subarray(MCAST_HEADER_BYTES),
      littleEndian: true,
      datagram,
    })
    if (seq > stream.highSeq) stream.highSeq = seq
    while (stream.queue.has(stream.aru + 1)) stream.aru++
  }

  #forwardToken(t: OrfToken, to: NodeId): void {
    const bytes = encodeOrfToken(t)
    this.#st.orfTokenTx++
    this.#tokenCopy = { bytes, to }
    this.#sendTo(to, bytes)
    this.#tokenRetransmit.reset()
    this.#tokenLoss.reset()
  }

  #onTokenRetransmit(): void {
    const c = this.#tokenCopy
    if (c === undefined || this.#state === 'gather') return
    this.#sendTo(c.to, c.bytes)
    this.#tokenRetransmit.reset()
  }

  #onTokenLoss(): void {
    switch (this.#state) {
      case 'operational':
        this.#st.operationalTokenLost++
        this.#shiftToGather('token lost in OPERATIONAL')
        return
      case 'commit':
        this.#st.commitTokenLost++
        this.#shiftToGather('token lost in COMMIT')
        return
      case 'recovery':
        this.#st.recoveryTokenLost++
        this.#shiftToGather('token lost in RECOVERY')
        return
      case 'gather':
        this.#st.gatherTokenLost++
        this.#consensusCheck('token lost in GATHER')
        return
    }
  }

  #onMergeTimeout(): void {
    if (this.#state !== 'operational' || this.#op.ringId.rep !== this.#me) return
    this.#st.memMergeTx++
    this.#sendAll(
      encodeMembMergeDetect({ nodeid: this.#me, systemFrom: this.#me, ringId: this.#op.ringId }),
    )
  }

  // ---------------------------------------------------------------- delivery

  /** Delivers one stored packet through the assembler. */
  #deliverPacket(m: Stored, ring: RingId, guarantee: Guarantee): void {
    this.#deliveryRing = ring
    this.#deliveryGuarantee = guarantee
    try {
      this.#assembler.push(m.sender, decodePgPacket(m.packet, m.littleEndian), m.littleEndian)
    } catch (e) {
      if (!isTotemError(e)) throw e
      countDrop(this.#st, e.code)
    }
  }

  /** OPERATIONAL: deliver in seq order while messages are there and (for safe ones) safe. */
  #deliver(): void {
    const op = this.#op
    for (;;) {
      const m = op.queue.get(op.highDelivered + 1)
      if (m === undefined) return
      if (m.guarantee === 'safe' && m.seq > this.#safePoint && !this.#faults.deliverSafeEarly)
        return
      op.highDelivered = m.seq
      this.#deliverPacket(m, op.ringId, m.guarantee)
    }
  }

  /** Frees messages that every member holds and that I delivered. */
  #release(): void {
    const op = this.#op
    const upTo = Math.min(this.#safePoint, op.highDelivered)
    for (let s = op.released + 1; s <= upTo; s++) op.queue.delete(s)
    if (upTo > op.released) op.released = upTo
  }

  /** OPERATIONAL entry: configuration delivery in EVS order (reference §3.5, paper §5). */
  #enterOperational(): void {
    const rec = this.#rec as Recovery
    const op = this.#op
    // 1–2. Old-ring messages in order up to the first gap, stopping at a safe message nobody
    // delivered (its safety cannot be established for the whole old configuration any more).
    for (;;) {
      const m = op.queue.get(op.highDelivered + 1)
      if (m === undefined) break
      if (m.guarantee === 'safe' && m.seq > rec.highRingDelivered && !this.#faults.deliverSafeEarly)
        break
      op.highDelivered = m.seq
      this.#deliverPacket(m, op.ringId, m.guarantee)
    }
    // 3. The transitional configuration.
    const left = op.members.filter((n) => !rec.trans.includes(n))
    if (!this.#faults.skipTransitional) {
      this.#confchg({
        kind: 'transitional',
        ringId: rec.ringId,
        members: rec.trans,
        left,
        joined: [],
      })
    }
    // 4. The rest of the old ring, skipping gaps, from the deliver set only; delivered in the
    // transitional configuration, where every member holds them.
    // Before the first gap nothing is missing, so every message is delivered (a safe one that a
    // member of the old configuration already delivered must reach every survivor); behind a gap,
    // only messages of the deliver set (their missing predecessor may be one they depend on).
    const deliverSet = new Set<number>(rec.deliverSet)
    let gap = false
    for (let s = op.highDelivered + 1; s <= op.highSeq; s++) {
      const m = op.queue.get(s)
      if (m === undefined) {
        gap = true
        continue
      }
      if (gap && !deliverSet.has(m.sender) && !this.#faults.ignoreDeliverSet) continue
      op.highDelivered = s
      this.#deliverPacket(m, rec.ringId, m.guarantee)
    }
    // Fragments of messages cut by the membership change are dropped: senders re-send them whole.
    this.#assembler.clear()
    // 5. The regular configuration.
    const joined = rec.members.filter((n) => !rec.trans.includes(n))
    // What the layer above queues from here on (its sync) goes out; older messages stay held.
    if (this.#cfg.holdSendsDuringRingChange) this.#sender.stopHoldingNew()
    this.#confchg({ kind: 'regular', ringId: rec.ringId, members: rec.members, left: [], joined })
    // 6. The new ring becomes the installed one; re-sent old messages are not delivered again.
    const stream = rec.stream
    stream.highDelivered = rec.installSeq
    for (const s of [...stream.queue.keys()]) if (s <= rec.installSeq) stream.queue.delete(s)
    stream.released = rec.installSeq
    this.#op = stream
    this.#proc = new Set(rec.members)
    this.#fail = new Set()
    this.#rec = undefined
    this.#commitRing = undefined
    this.#state = 'operational'
    this.#safePoint = rec.installSeq
    this.#aruForwardedPrev = -1
    this.#deps.transport.setMembers(rec.members)
    this.#st.operationalEntered++
    this.#st.lastFormationMs = this.#deps.runtime.clock.nowMs() - this.#gatherSince
    this.#log.info('entering OPERATIONAL', {
      ring: formatRingId(rec.ringId),
      members: rec.members.join(','),
      formationMs: this.#st.lastFormationMs,
    })
  }
}

/**
 * Creates the single-ring protocol instance of one node.
 *
 * @example
 * ```ts
 * const srp = createSrp(resolveSrpOptions({}, nodelist.length), {
 *   nodeId: nodeId(1), runtime, transport,
 *   listener: { onDeliver: (d) => console.log(d.sender, d.payload), onConfigurationChange: console.log },
 * })
 * await srp.start()
 * srp.send(new TextEncoder().encode('hello'), 'agreed')
 * ```
 */
export function createSrp(config: SrpConfig, deps: SrpDeps): Srp {
  return new SrpCore(config, deps)
}
