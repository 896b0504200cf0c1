import {
  type Broadcast,
  type BroadcastListener,
  type ConfigurationChange,
  type Delivery,
  formatRingId,
  GROUP_NAME_BYTES_MAX,
  type Guarantee,
  isTotemError,
  type Logger,
  MESSAGE_BYTES_MAX,
  type NodeId,
  type RingId,
  type Runtime,
  type Timer,
  TotemError,
} from '@totem-ts/common'
import {
  CmapReason,
  type CpgMessage,
  decodeAppMessage,
  encodeAppMessage,
  encodeVotequorumNodeinfo,
  ServiceId,
  type ServiceMessage,
  CpgReason as WireReason,
} from '@totem-ts/wire'
import { CpgErrorCode, cpgError } from './errors.ts'
import type {
  CpgEvent,
  CpgGroupInfo,
  CpgMember,
  CpgMemberChange,
  CpgReason,
  CpgTotemConfchgEvent,
} from './types.ts'

/** corosync's service id of CPG (reference §6). */
export const CPG_SERVICE_ID = 2

/** Limits of one {@link CpgService}. Every queue is bounded by one of these. */
export interface CpgLimits {
  /** Groups one process (handle) may be in. @defaultValue 64 */
  readonly groupsPerProcess: number
  /** Processes (handles) attached at once. @defaultValue 1024 */
  readonly processes: number
  /** Bytes one process may have queued for sending before it is told to try again. @defaultValue 4 MiB */
  readonly queuedBytesPerProcess: number
  /** Bytes queued for sending by all processes together. @defaultValue 64 MiB */
  readonly queuedBytesTotal: number
  /** Cluster-wide (node, pid, group) entries kept. @defaultValue 65 536 */
  readonly entries: number
}

/** Default {@link CpgLimits}. */
export const CPG_LIMITS_DEFAULT: CpgLimits = {
  groupsPerProcess: 64,
  processes: 1024,
  queuedBytesPerProcess: 4 * 1024 * 1024,
  queuedBytesTotal: 64 * 1024 * 1024,
  entries: 65_536,
}

/** Counters of a {@link CpgService}. */
export interface CpgServiceStats {
  processes: number
  joins: number
  leaves: number
  mcastsSent: number
  mcastBytesSent: number
  mcastsDelivered: number
  /** Local deliveries (one message to three local members counts three). */
  localDeliveries: number
  confchgs: number
  syncs: number
  syncsAborted: number
  /** Messages received during a re-synchronisation and applied after it. */
  syncBuffered: number
  tryAgain: number
  /** Times `send` found the ring's window full. */
  ringFull: number
  /** Deliveries that were not CPG or sync messages (e.g. a burn-in load), ignored. */
  foreignMessages: number
  /** Undecodable CPG messages, by error code. */
  rxDropped: Record<string, number>
  /** Last completed re-synchronisation, ms from the regular configuration to activation. */
  lastSyncMs: number
}

/** Receives a process's events, synchronously, in order. */
export interface CpgProcessSink {
  onEvent(ev: CpgEvent): void
  /** The process's send queue went below the low-water mark after a try-again. */
  onWritable(): void
}

/** One local process (client handle) attached to the service. */
export interface CpgProcess {
  /** Local handle id, unique in this service (carried as `source.conn` of its multicasts). */
  readonly id: number
  readonly pid: number
  /** Joins `group`; the confchg listing this process as joined confirms it. */
  join(group: string): void
  leave(group: string): void
  /** Throws `ERR_CPG_TRY_AGAIN` when too much is queued. */
  mcast(group: string, payload: Uint8Array, guarantee: Guarantee): void
  /** False after a try-again until `onWritable`. */
  readonly writable: boolean
  /** Bytes queued and not yet accepted by the ring. */
  readonly queuedBytes: number
  /** Groups this process joined or is joining. */
  readonly groups: readonly string[]
  /** Members of `group` as this node sees them now. */
  membership(group: string): CpgMember[]
  /** Calls `done` once every multicast this process sent so far has been delivered here. */
  flush(done: () => void): void
  /** Leaves every group (`leave` on finalize, `procdown` for a vanished client) and detaches. */
  detach(how: 'finalize' | 'died'): void
}

/** The CPG service: put it between a `Broadcast` (srp or multiring) and local processes. */
export interface CpgService extends BroadcastListener {
  readonly nodeId: NodeId
  /** Connects the ring; call once, before the ring starts delivering. */
  bind(broadcast: Broadcast): void
  attach(pid: number, sink: CpgProcessSink): CpgProcess
  /** Every group and its members, cluster-wide, sorted by name. */
  groups(): CpgGroupInfo[]
  /** True between a ring change and the end of the groups' re-synchronisation. */
  readonly syncing: boolean
  readonly ringId: string
  stats(): Readonly<CpgServiceStats>
  /** Cancels timers; processes stay attached but nothing more is sent. */
  stop(): void
}

/** What {@link createCpgService} needs. */
export interface CpgServiceOptions {
  readonly nodeId: NodeId
  readonly runtime: Runtime
  readonly limits?: Partial<CpgLimits>
  /**
   * Services this node runs a sync round for (corosync's SERVICE_BUILD list).
   * @defaultValue [2] (cpg only)
   */
  readonly syncServices?: readonly number[]
  /** Little-endian on the wire, as every corosync on x86/ARM. @defaultValue true */
  readonly littleEndian?: boolean
  /**
   * corosync 3 compatibility (a ring shared with corosync nodes, `totem { interop: corosync3 }`):
   * group state changes exactly where corosync's CPG changes it, so local processes see the same
   * sequence as corosync's clients. (1) CPG messages delivered while the groups re-synchronise
   * are applied at once instead of after it; (2) the processes of nodes that left stay listed
   * until the CPG sync round ends (the transitional confchg still shows the survivors); (3) a
   * multicast from a node with no process in its group is dropped and counted
   * (`rxDropped.ERR_CPG_UNKNOWN_SENDER`), as corosync drops it; (4) the regular confchg at the end
   * of a re-synchronisation goes only to groups whose members changed; (5) the regular
   * `totemConfchg` comes at that point too, not with the ring's regular configuration; (6) at the
   * end of every re-synchronisation it calls the ring's `syncCompleted` (corosync's trans ack), so a
   * ring that held messages back across the change sends them now.
   * @defaultValue false
   */
  readonly corosyncCompat?: boolean
  /**
   * With `corosyncCompat`: what this node announces in the sync rounds of corosync services it
   * does not implement, so that corosync counts it. In the cmap round it sends the cmap
   * config-version message with the key absent; in the votequorum round (when the corosync nodes
   * run votequorum) a NODEINFO with these votes and expected votes and no flags (it never claims
   * to be quorate, so corosync keeps its own expected votes and wait-for-all state).
   * @defaultValue undefined: only barriers in those rounds (corosync then counts 0 votes for it)
   */
  readonly corosyncServices?: { readonly votes: number; readonly expectedVotes: number }
}

const REASON_TO_WIRE: Record<CpgReason, number> = {
  join: WireReason.Join,
  leave: WireReason.Leave,
  nodedown: WireReason.NodeDown,
  nodeup: WireReason.NodeUp,
  procdown: WireReason.ProcDown,
}
const REASON_FROM_WIRE = new Map<number, CpgReason>(
  Object.entries(REASON_TO_WIRE).map(([k, v]) => [v, k as CpgReason]),
)

const utf8 = new TextEncoder()
const utf8d = new TextDecoder('utf-8', { fatal: false })

/**
 * Checks a group name and returns its wire form: the UTF-8 bytes as a latin-1 string (one char per
 * byte, how @totem-ts/wire carries corosync's byte names).
 */
export function groupWireName(group: string): string {
  if (typeof group !== 'string') cpgError(CpgErrorCode.InvalidParam, 'group name must be a string')
  const bytes = utf8.encode(group)
  if (bytes.length === 0 || bytes.length > GROUP_NAME_BYTES_MAX) {
    cpgError(
      CpgErrorCode.NameTooLong,
      `group name must be 1–${GROUP_NAME_BYTES_MAX} bytes of UTF-8 (got ${bytes.length})`,
      { bytes: bytes.length, max: GROUP_NAME_BYTES_MAX },
    )
  }
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return s
}

/** The inverse of {@link groupWireName}. */
export function groupDisplayName(wire: string): string {
  const b = new Uint8Array(wire.length)
  for (let i = 0; i < wire.length; i++) b[i] = wire.charCodeAt(i) & 0xff
  return utf8d.decode(b)
}

const memberKey = (nodeId: number, pid: number): string => `${nodeId}:${pid}`
const byMember = (a: CpgMember, b: CpgMember): number => a.nodeId - b.nodeId || a.pid - b.pid

type LocalState = 'joining' | 'joined' | 'leaving'

interface Proc {
  readonly id: number
  readonly pid: number
  readonly sink: CpgProcessSink
  readonly groups: Map<string, LocalState>
  queued: number
  blocked: boolean
  sent: number
  delivered: number
  flushes: { target: number; done: () => void }[]
  attached: boolean
}

interface OutMsg {
  readonly bytes: Uint8Array
  readonly guarantee: Guarantee
  readonly proc: Proc | undefined
}

interface SyncRun {
  readonly ring: RingId
  readonly ringText: string
  readonly members: readonly NodeId[]
  readonly startedAt: number
  readonly builds: Set<number>
  services: number[]
  round: number
  readonly barriers: Set<number>
  readonly joinlists: Map<number, { pid: number; group: string }[]>
  activated: boolean
  /** Messages delivered before activation: applied after it, in order. */
  readonly buffered: { sender: NodeId; guarantee: Guarantee; message: CpgMessage }[]
}

/**
 * Creates the CPG service (seed 000, reference §8): group membership with members identified by
 * (node id, pid), join, leave, multicast, and re-synchronisation of every group after each ring
 * change, with corosync's exec messages on the wire. Deterministic: time and timers come from
 * `runtime`, so the simulator can drive it.
 *
 * Ordering rules (every member of a configuration sees the same sequence):
 * - a process receives a group's messages from the delivery of its own PROCJOIN until the delivery
 *   of its PROCLEAVE;
 * - a ring change gives every group with local members a `transitional` confchg (members on the
 *   surviving nodes; `nodedown` for the rest), then the old ring's last messages, then — once
 *   every member's JOINLIST and sync barrier are delivered — a `regular` confchg;
 * - messages delivered on the new ring before that point are applied right after it, so every
 *   node applies them to the same group view;
 * - local processes' sends wait while the groups re-synchronise (nothing is refused for it).
 */
export function createCpgService(options: CpgServiceOptions): CpgService {
  return new Service(options)
}

class Service implements CpgService {
  readonly nodeId: NodeId
  readonly #rt: Runtime
  readonly #log: Logger
  readonly #limits: CpgLimits
  readonly #le: boolean
  readonly #compat: boolean
  readonly #announce: { readonly votes: number; readonly expectedVotes: number } | undefined
  readonly #syncServices: number[]
  #broadcast: Broadcast | undefined
  /** group → member key → member. */
  readonly #groups = new Map<string, Map<string, CpgMember>>()
  #entries = 0
  readonly #procs = new Map<number, Proc>()
  /** group → local processes that receive its messages (joined or leaving). */
  readonly #local = new Map<string, Set<Proc>>()
  #nextProcId = 1
  readonly #syncOut: OutMsg[] = []
  #out: OutMsg[] = []
  #outHead = 0
  #queuedTotal = 0
  #hold = true
  #sync: SyncRun | undefined
  #ringText = '0.0'
  #retry: Timer | undefined
  #stopped = false
  readonly #st: CpgServiceStats = {
    processes: 0,
    joins: 0,
    leaves: 0,
    mcastsSent: 0,
    mcastBytesSent: 0,
    mcastsDelivered: 0,
    localDeliveries: 0,
    confchgs: 0,
    syncs: 0,
    syncsAborted: 0,
    syncBuffered: 0,
    tryAgain: 0,
    ringFull: 0,
    foreignMessages: 0,
    rxDropped: {},
    lastSyncMs: 0,
  }

  constructor(o: CpgServiceOptions) {
    this.nodeId = o.nodeId
    this.#rt = o.runtime
    this.#log = o.runtime.logger.child('CPG')
    this.#limits = { ...CPG_LIMITS_DEFAULT, ...o.limits }
    this.#le = o.littleEndian ?? true
    this.#compat = o.corosyncCompat ?? false
    this.#announce = this.#compat ? o.corosyncServices : undefined
    if (this.#announce !== undefined) {
      const { votes, expectedVotes } = this.#announce
      if (!Number.isInteger(votes) || votes < 0 || votes > 0xffff_ffff)
        throw new TotemError('ERR_INVALID_ARGUMENT', 'corosyncServices.votes must be a u32')
      if (!Number.isInteger(expectedVotes) || expectedVotes < 1 || expectedVotes > 0xffff_ffff)
        throw new TotemError('ERR_INVALID_ARGUMENT', 'corosyncServices.expectedVotes must be ≥ 1')
    }
    this.#syncServices = [...new Set(o.syncServices ?? [CPG_SERVICE_ID])].sort((a, b) => a - b)
    if (!this.#syncServices.includes(CPG_SERVICE_ID))
      throw new TotemError('ERR_INVALID_ARGUMENT', 'syncServices must include cpg (2)')
  }

  bind(broadcast: Broadcast): void {
    if (this.#broadcast !== undefined)
      throw new TotemError('ERR_INVALID_STATE', 'the CPG service is already bound to a ring')
    this.#broadcast = broadcast
  }

  get syncing(): boolean {
    return this.#hold
  }

  get ringId(): string {
    return this.#ringText
  }

  stats(): Readonly<CpgServiceStats> {
    return { ...this.#st, processes: this.#procs.size, rxDropped: { ...this.#st.rxDropped } }
  }

  stop(): void {
    this.#stopped = true
    this.#retry?.cancel()
    this.#retry = undefined
  }

  groups(): CpgGroupInfo[] {
    return [...this.#groups.entries()]
      .filter(([, m]) => m.size > 0)
      .map(([g, m]) => ({ group: groupDisplayName(g), members: [...m.values()].sort(byMember) }))
      .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0))
  }

  // ------------------------------------------------------------------ local processes

  attach(pid: number, sink: CpgProcessSink): CpgProcess {
    if (!Number.isInteger(pid) || pid < 0 || pid > 0xffffffff)
      cpgError(CpgErrorCode.InvalidParam, 'pid must be an unsigned 32-bit integer', { pid })
    if (this.#procs.size >= this.#limits.processes)
      cpgError(CpgErrorCode.NoResources, `at most ${this.#limits.processes} handles per node`, {
        max: this.#limits.processes,
      })
    const p: Proc = {
      id: this.#nextProcId++,
      pid,
      sink,
      groups: new Map(),
      queued: 0,
      blocked: false,
      sent: 0,
      delivered: 0,
      flushes: [],
      attached: true,
    }
    if (this.#nextProcId > 0xffffffff) this.#nextProcId = 1
    this.#procs.set(p.id, p)
    this.#st.processes = this.#procs.size
    return {
      id: p.id,
      pid,
      join: (g) => this.#join(p, g),
      leave: (g) => this.#leave(p, g),
      mcast: (g, payload, guarantee) => this.#mcast(p, g, payload, guarantee),
      get writable() {
        return !p.blocked
      },
      get queuedBytes() {
        return p.queued
      },
      get groups() {
        return [...p.groups.keys()].map(groupDisplayName)
      },
      membership: (g) => {
        const wire = groupWireName(g)
        return [...(this.#groups.get(wire)?.values() ?? [])].sort(byMember)
      },
      flush: (done) => {
        if (p.delivered >= p.sent) done()
        else p.flushes.push({ target: p.sent, done })
      },
      detach: (how) => this.#detach(p, how),
    }
  }

  #alive(p: Proc): void {
    if (!p.attached) cpgError(CpgErrorCode.BadHandle, 'the handle was finalized')
    if (this.#stopped) cpgError(CpgErrorCode.BadHandle, 'the CPG service is stopped')
  }

  #join(p: Proc, group: string): void {
    this.#alive(p)
    const g = groupWireName(group)
    if (p.groups.has(g)) cpgError(CpgErrorCode.Exist, `already joined to ${group}`)
    for (const q of this.#procs.values())
      if (q !== p && q.pid === p.pid && q.groups.has(g))
        cpgError(CpgErrorCode.Exist, `pid ${p.pid} is already in ${group} (through another handle)`)
    if (p.groups.size >= this.#limits.groupsPerProcess)
      cpgError(
        CpgErrorCode.NoResources,
        `at most ${this.#limits.groupsPerProcess} groups per handle`,
        { max: this.#limits.groupsPerProcess },
      )
    p.groups.set(g, 'joining')
    this.#st.joins++
    this.#enqueue(
      { kind: 'cpg-procjoin', group: g, pid: p.pid, reason: WireReason.Join },
      'agreed',
      p,
      true,
    )
  }

  #leave(p: Proc, group: string): void {
    this.#alive(p)
    const g = groupWireName(group)
    const state = p.groups.get(g)
    if (state === undefined || state === 'leaving')
      cpgError(CpgErrorCode.NotExist, `not joined to ${group}`)
    p.groups.set(g, 'leaving')
    this.#st.leaves++
    this.#enqueue(
      { kind: 'cpg-procleave', group: g, pid: p.pid, reason: WireReason.Leave },
      'agreed',
      p,
      true,
    )
  }

  #mcast(p: Proc, group: string, payload: Uint8Array, guarantee: Guarantee): void {
    this.#alive(p)
    if (!(payload instanceof Uint8Array))
      cpgError(CpgErrorCode.InvalidParam, 'payload must be a Uint8Array')
    if (guarantee !== 'agreed' && guarantee !== 'safe')
      cpgError(CpgErrorCode.InvalidParam, "guarantee must be 'agreed' or 'safe'")
    if (payload.length > MESSAGE_BYTES_MAX)
      cpgError(CpgErrorCode.TooBig, `message of ${payload.length} bytes is over 1 MiB`, {
        bytes: payload.length,
        max: MESSAGE_BYTES_MAX,
      })
    const g = groupWireName(group)
    const state = p.groups.get(g)
    if (state === undefined || state === 'leaving')
      cpgError(CpgErrorCode.NotExist, `not joined to ${group}`)
    if (
      (p.queued > 0 && p.queued + payload.length > this.#limits.queuedBytesPerProcess) ||
      (this.#queuedTotal > 0 && this.#queuedTotal + payload.length > this.#limits.queuedBytesTotal)
    ) {
      p.blocked = true
      this.#st.tryAgain++
      cpgError(CpgErrorCode.TryAgain, 'send queue full: wait for writable', {
        queued: p.queued,
      })
    }
    p.sent++
    this.#st.mcastsSent++
    this.#st.mcastBytesSent += payload.length
    this.#enqueue(
      {
        kind: 'cpg-mcast',
        group: g,
        pid: p.pid,
        sourceNodeid: this.nodeId,
        sourceConn: BigInt(p.id),
        data: payload,
      },
      guarantee,
      p,
      false,
    )
  }

  #detach(p: Proc, how: 'finalize' | 'died'): void {
    if (!p.attached) return
    const reason = how === 'finalize' ? WireReason.Leave : WireReason.ProcDown
    for (const [g, state] of p.groups) {
      if (state === 'leaving') continue
      p.groups.set(g, 'leaving')
      this.#enqueue({ kind: 'cpg-procleave', group: g, pid: p.pid, reason }, 'agreed', p, true)
    }
    p.attached = false
    this.#procs.delete(p.id)
    for (const set of this.#local.values()) set.delete(p)
    this.#st.processes = this.#procs.size
    for (const f of p.flushes) f.done()
    p.flushes = []
  }

  // ------------------------------------------------------------------ sending

  #enqueue(
    m: ServiceMessage,
    guarantee: Guarantee,
    proc: Proc | undefined,
    control: boolean,
  ): void {
    const bytes = encodeAppMessage(m, this.#le)
    const size = control ? 0 : bytes.length
    if (proc !== undefined) proc.queued += size
    this.#queuedTotal += size
    this.#out.push({ bytes, guarantee, proc: control ? undefined : proc })
    this.#pump()
  }

  #enqueueSync(m: ServiceMessage): void {
    this.#syncOut.push({
      bytes: encodeAppMessage(m, this.#le),
      guarantee: 'agreed',
      proc: undefined,
    })
    this.#pump()
  }

  #pump(): void {
    const b = this.#broadcast
    if (b === undefined || this.#stopped) return
    while (this.#syncOut.length > 0) {
      const m = this.#syncOut[0] as OutMsg
      if (b.send(m.bytes, m.guarantee) === 'full') {
        this.#full()
        return
      }
      this.#syncOut.shift()
    }
    if (this.#hold) return
    while (this.#outHead < this.#out.length) {
      const m = this.#out[this.#outHead] as OutMsg
      if (b.send(m.bytes, m.guarantee) === 'full') {
        this.#full()
        return
      }
      this.#out[this.#outHead++] = undefined as unknown as OutMsg
      const p = m.proc
      if (p !== undefined) {
        p.queued -= m.bytes.length
        this.#queuedTotal -= m.bytes.length
        if (p.blocked && p.queued <= this.#limits.queuedBytesPerProcess / 2) {
          p.blocked = false
          if (p.attached) p.sink.onWritable()
        }
      }
    }
    if (this.#outHead > 0) {
      this.#out = []
      this.#outHead = 0
    }
  }

  #full(): void {
    this.#st.ringFull++
    if (this.#retry !== undefined) return
    this.#retry = this.#rt.timers.after(1, () => {
      this.#retry = undefined
      this.#pump()
    })
  }

  // ------------------------------------------------------------------ ring events

  onConfigurationChange(c: ConfigurationChange): void {
    const ringText = formatRingId(c.ringId)
    if (c.kind === 'transitional') {
      this.#hold = true
      if (this.#sync !== undefined) this.#abortSync()
      this.#ringText = ringText
      this.#totemConfchg({
        type: 'totemConfchg',
        kind: 'transitional',
        ringId: ringText,
        members: [...c.members],
      })
      const alive = new Set<number>(c.members)
      const left = new Map<string, CpgMemberChange[]>()
      for (const [g, members] of this.#groups) {
        for (const [k, m] of members) {
          if (alive.has(m.nodeId)) continue
          // corosync keeps them until its CPG sync round ends (#activate removes them then).
          if (this.#compat) continue
          members.delete(k)
          this.#entries--
          let l = left.get(g)
          if (l === undefined) {
            l = []
            left.set(g, l)
          }
          l.push({ nodeId: m.nodeId, pid: m.pid, reason: 'nodedown' })
        }
      }
      for (const g of this.#local.keys())
        this.#groupConfchg(g, 'transitional', left.get(g) ?? [], [], undefined, alive)
      return
    }
    this.#ringText = ringText
    this.#hold = true
    if (this.#sync !== undefined) this.#abortSync()
    // corosync's CPG tells its clients about the new ring when its sync round ends (#activate).
    if (!this.#compat)
      this.#totemConfchg({
        type: 'totemConfchg',
        kind: 'regular',
        ringId: ringText,
        members: [...c.members],
      })
    this.#st.syncs++
    this.#sync = {
      ring: c.ringId,
      ringText,
      members: c.members,
      startedAt: this.#rt.clock.nowMs(),
      builds: new Set(),
      services: [...this.#syncServices],
      round: -1,
      barriers: new Set(),
      joinlists: new Map(),
      activated: false,
      buffered: [],
    }
    // A new ring forgets what was still waiting to go out on the old one's sync.
    this.#syncOut.length = 0
    this.#enqueueSync({
      kind: 'sync-service-build',
      ringId: c.ringId,
      services: this.#syncServices,
    })
  }

  onDeliver(d: Delivery): void {
    let decoded: ReturnType<typeof decodeAppMessage>
    try {
      decoded = decodeAppMessage(d.payload, this.#le)
    } catch (e) {
      if (!isTotemError(e)) throw e
      this.#drop(e.code)
      return
    }
    const m = decoded.message
    if (m === undefined) {
      this.#st.foreignMessages++
      return
    }
    switch (m.kind) {
      case 'sync-service-build':
      case 'sync-barrier':
      case 'sync-memb-determine':
        this.#onSync(d.sender, m)
        return
      case 'cpg-procjoin':
      case 'cpg-procleave':
      case 'cpg-mcast':
      case 'cpg-joinlist':
      case 'cpg-downlist':
      case 'cpg-downlist-old':
      case 'cpg-partial-mcast':
        break
      default:
        this.#st.foreignMessages++
        return
    }
    if (m.kind === 'cpg-joinlist') {
      const s = this.#sync
      if (s !== undefined && !s.activated && s.members.includes(d.sender)) {
        let list = s.joinlists.get(d.sender)
        if (list === undefined) {
          list = []
          s.joinlists.set(d.sender, list)
        }
        for (const e of m.entries) list.push({ pid: e.pid, group: e.group })
      }
      return
    }
    if (m.kind === 'cpg-downlist' || m.kind === 'cpg-downlist-old') return
    if (m.kind === 'cpg-partial-mcast') {
      // libcpg's split of > 1 MiB-ish IPC messages; totem-ts clients never send it.
      this.#drop('ERR_CPG_UNSUPPORTED_PARTIAL')
      return
    }
    const s = this.#sync
    if (s !== undefined && !s.activated && !this.#compat) {
      // Applied after the groups are re-synchronised (see createCpgService). The payload view
      // dies with this callback: keep a copy.
      this.#st.syncBuffered++
      const kept: CpgMessage = m.kind === 'cpg-mcast' ? { ...m, data: m.data.slice() } : m
      s.buffered.push({ sender: d.sender, guarantee: d.guarantee, message: kept })
      return
    }
    this.#apply(d.sender, d.guarantee, m)
  }

  #drop(code: string): void {
    this.#st.rxDropped[code] = (this.#st.rxDropped[code] ?? 0) + 1
  }

  #apply(sender: NodeId, guarantee: Guarantee, m: CpgMessage): void {
    switch (m.kind) {
      case 'cpg-procjoin':
        this.#applyJoin(sender, m.group, m.pid)
        return
      case 'cpg-procleave':
        this.#applyLeave(sender, m.group, m.pid, REASON_FROM_WIRE.get(m.reason) ?? 'leave')
        return
      case 'cpg-mcast':
        this.#applyMcast(sender, guarantee, m.group, m.pid, m.sourceConn, m.data)
        return
      default:
        return
    }
  }

  #applyJoin(sender: NodeId, g: string, pid: number): void {
    let members = this.#groups.get(g)
    const key = memberKey(sender, pid)
    if (members?.has(key)) return
    if (this.#entries >= this.#limits.entries) {
      this.#drop('ERR_CPG_ENTRIES_LIMIT')
      return
    }
    if (members === undefined) {
      members = new Map()
      this.#groups.set(g, members)
    }
    members.set(key, { nodeId: sender, pid })
    this.#entries++
    if (sender === this.nodeId) {
      for (const p of this.#procs.values()) {
        if (p.pid === pid && p.groups.get(g) === 'joining') {
          p.groups.set(g, 'joined')
          let set = this.#local.get(g)
          if (set === undefined) {
            set = new Set()
            this.#local.set(g, set)
          }
          set.add(p)
          break
        }
      }
    }
    this.#groupConfchg(g, 'regular', [], [{ nodeId: sender, pid, reason: 'join' }])
  }

  #applyLeave(sender: NodeId, g: string, pid: number, reason: CpgReason): void {
    const members = this.#groups.get(g)
    const key = memberKey(sender, pid)
    if (members === undefined || !members.has(key)) return
    members.delete(key)
    this.#entries--
    const change: CpgMemberChange = { nodeId: sender, pid, reason }
    // The leaver (if local and still attached) hears its own leave, then stops receiving.
    const set = this.#local.get(g)
    let leaver: Proc | undefined
    if (sender === this.nodeId) {
      for (const p of this.#procs.values())
        if (p.pid === pid && p.groups.get(g) === 'leaving') leaver = p
    }
    this.#groupConfchg(g, 'regular', [change], [], leaver)
    if (leaver !== undefined) {
      leaver.groups.delete(g)
      set?.delete(leaver)
    }
    if (set !== undefined && set.size === 0) this.#local.delete(g)
    if (members.size === 0) this.#groups.delete(g)
  }

  #applyMcast(
    sender: NodeId,
    guarantee: Guarantee,
    g: string,
    pid: number,
    conn: bigint,
    data: Uint8Array,
  ): void {
    if (this.#compat && !this.#knows(sender, g)) {
      this.#drop('ERR_CPG_UNKNOWN_SENDER')
      return
    }
    this.#st.mcastsDelivered++
    if (sender === this.nodeId) {
      const p = this.#procs.get(Number(conn))
      if (p !== undefined) {
        p.delivered++
        while (p.flushes.length > 0 && (p.flushes[0] as { target: number }).target <= p.delivered)
          (p.flushes.shift() as { done: () => void }).done()
      }
    }
    const set = this.#local.get(g)
    if (set === undefined) return
    const ev: CpgEvent = {
      type: 'deliver',
      group: groupDisplayName(g),
      nodeId: sender,
      pid,
      guarantee,
      ringId: this.#ringText,
      payload: data,
    }
    for (const p of set) {
      this.#st.localDeliveries++
      p.sink.onEvent(ev)
    }
  }

  /** True when node `sender` has a process in group `g` (corosync's "known node" check). */
  #knows(sender: NodeId, g: string): boolean {
    const members = this.#groups.get(g)
    if (members === undefined) return false
    for (const m of members.values()) if (m.nodeId === sender) return true
    return false
  }

  #totemConfchg(ev: CpgTotemConfchgEvent): void {
    for (const p of [...this.#procs.values()]) p.sink.onEvent(ev)
  }

  #groupConfchg(
    g: string,
    kind: 'transitional' | 'regular',
    left: CpgMemberChange[],
    joined: CpgMemberChange[],
    extra?: Proc,
    onlyNodes?: ReadonlySet<number>,
  ): void {
    const set = this.#local.get(g)
    if ((set === undefined || set.size === 0) && extra === undefined) return
    this.#st.confchgs++
    const ev: CpgEvent = {
      type: 'confchg',
      group: groupDisplayName(g),
      kind,
      ringId: this.#ringText,
      members: [...(this.#groups.get(g)?.values() ?? [])]
        .filter((m) => onlyNodes === undefined || onlyNodes.has(m.nodeId))
        .sort(byMember),
      left: left.sort(byMember),
      joined: joined.sort(byMember),
    }
    if (set !== undefined) for (const p of [...set]) p.sink.onEvent(ev)
    if (extra !== undefined && !set?.has(extra)) extra.sink.onEvent(ev)
  }

  // ------------------------------------------------------------------ sync (reference §7)

  #onSync(sender: NodeId, m: ServiceMessage): void {
    const s = this.#sync
    if (s === undefined || m.kind === 'sync-memb-determine') return
    if (!('ringId' in m) || m.ringId.rep !== s.ring.rep || m.ringId.seq !== s.ring.seq) return
    if (!s.members.includes(sender)) return
    if (m.kind === 'sync-service-build') {
      if (s.round >= 0) return
      s.builds.add(sender)
      for (const id of m.services) if (!s.services.includes(id)) s.services.push(id)
      if (s.builds.size === s.members.length) {
        s.services.sort((a, b) => a - b)
        s.round = 0
        this.#startRound(s)
      }
      return
    }
    if (s.round < 0) return
    s.barriers.add(sender)
    if (s.barriers.size < s.members.length) return
    s.barriers.clear()
    if (s.services[s.round] === CPG_SERVICE_ID) this.#activate(s)
    s.round++
    if (this.#sync !== s) return
    if (s.round < s.services.length) this.#startRound(s)
    else this.#completeSync(s)
  }

  #startRound(s: SyncRun): void {
    const service = s.services[s.round]
    const a = this.#announce
    if (a !== undefined && service === ServiceId.Cmap) {
      this.#enqueueSync({
        kind: 'cmap-mcast',
        reason: CmapReason.Sync,
        items: [{ key: 'totem.config_version', valueType: 0, value: new Uint8Array(0) }],
      })
    }
    if (a !== undefined && service === ServiceId.Votequorum) {
      this.#enqueueSync({
        kind: 'service-raw',
        service: ServiceId.Votequorum,
        fn: 0,
        bytes: encodeVotequorumNodeinfo(
          { nodeId: this.nodeId, votes: a.votes, expectedVotes: a.expectedVotes, flags: 0 },
          this.#le,
        ),
      })
    }
    if (service === CPG_SERVICE_ID) {
      // My entries: every process of mine whose join is delivered and whose leave is not.
      const entries: { pid: number; group: string }[] = []
      for (const [g, members] of this.#groups)
        for (const m of members.values())
          if (m.nodeId === this.nodeId) entries.push({ pid: m.pid, group: g })
      // A JOINLIST is one message of at most 1 MiB; split long lists.
      const per = 4096
      for (let i = 0; i < entries.length; i += per)
        this.#enqueueSync({ kind: 'cpg-joinlist', error: 0, entries: entries.slice(i, i + per) })
    }
    this.#enqueueSync({ kind: 'sync-barrier', ringId: s.ring })
  }

  #activate(s: SyncRun): void {
    s.activated = true
    const left = new Map<string, CpgMemberChange[]>()
    const joined = new Map<string, CpgMemberChange[]>()
    const push = (map: Map<string, CpgMemberChange[]>, g: string, c: CpgMemberChange): void => {
      let l = map.get(g)
      if (l === undefined) {
        l = []
        map.set(g, l)
      }
      l.push(c)
    }
    const announced = new Set<string>()
    for (const [node, list] of s.joinlists) {
      if (node === this.nodeId) continue
      for (const e of list) {
        const key = memberKey(node, e.pid)
        announced.add(`${e.group}\u0000${key}`)
        let members = this.#groups.get(e.group)
        if (members?.has(key)) continue
        if (this.#entries >= this.#limits.entries) {
          this.#drop('ERR_CPG_ENTRIES_LIMIT')
          continue
        }
        if (members === undefined) {
          members = new Map()
          this.#groups.set(e.group, members)
        }
        members.set(key, { nodeId: node, pid: e.pid })
        this.#entries++
        push(joined, e.group, { nodeId: node, pid: e.pid, reason: 'nodeup' })
      }
    }
    const inRing = new Set<number>(s.members)
    for (const [g, members] of this.#groups) {
      for (const [key, m] of members) {
        if (m.nodeId === this.nodeId) continue
        if (inRing.has(m.nodeId) && announced.has(`${g}\u0000${key}`)) continue
        members.delete(key)
        this.#entries--
        push(left, g, {
          nodeId: m.nodeId,
          pid: m.pid,
          reason: inRing.has(m.nodeId) ? 'procdown' : 'nodedown',
        })
      }
      if (members.size === 0) this.#groups.delete(g)
    }
    for (const g of this.#local.keys()) {
      const l = left.get(g) ?? []
      const j = joined.get(g) ?? []
      // corosync's CPG tells a group's clients only about groups that changed.
      if (this.#compat && l.length === 0 && j.length === 0) continue
      this.#groupConfchg(g, 'regular', l, j)
    }
    if (this.#compat)
      this.#totemConfchg({
        type: 'totemConfchg',
        kind: 'regular',
        ringId: s.ringText,
        members: [...s.members],
      })
    this.#st.lastSyncMs = Math.round(this.#rt.clock.nowMs() - s.startedAt)
    const buffered = s.buffered.splice(0)
    for (const b of buffered) this.#apply(b.sender, b.guarantee, b.message)
  }

  #completeSync(s: SyncRun): void {
    this.#sync = undefined
    this.#hold = false
    // corosync's "trans ack": the ring may now send what it held back across the change.
    if (this.#compat) this.#broadcast?.syncCompleted?.()
    if (this.#log.isEnabled('debug'))
      this.#log.debug(`groups re-synchronised on ring ${s.ringText}`, {
        ms: this.#rt.clock.nowMs() - s.startedAt,
        groups: this.#groups.size,
      })
    this.#pump()
  }

  #abortSync(): void {
    const s = this.#sync as SyncRun
    this.#sync = undefined
    this.#st.syncsAborted++
    // Every survivor of that ring delivered the same messages of it (EVS): apply them now, in
    // order, before the next ring's transitional configuration.
    const buffered = s.buffered.splice(0)
    for (const b of buffered) this.#apply(b.sender, b.guarantee, b.message)
  }
}

/** Thrown errors of the service are TotemErrors with CPG codes; this narrows them. */
export function isCpgError(e: unknown): e is TotemError<CpgErrorCode> {
  return isTotemError(e) && e.code.startsWith('ERR_CPG_')
}
