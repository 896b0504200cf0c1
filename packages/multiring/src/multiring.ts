/**
 * The multiple-ring protocol of one processor (Agarwal, Moser, Melliar-Smith, Budhia, ACM TOCS
 * 16(2) 1998; reference/totem-multiring.md). It sits on one single-ring `Broadcast` per attached
 * LAN and offers one `Broadcast` across all rings of the topology: every message carries a Lamport
 * timestamp and its source ring, a processor keeps one receive list per ring and delivers the
 * lowest key only when no ring that could still send something lower is empty; gateways forward
 * and send guarantee vectors; ring changes are timestamped configuration-change messages delivered
 * in key order everywhere. A synchronous, deterministic state machine: time and timers come from
 * the `Runtime`.
 */
import {
  type Broadcast,
  type BroadcastListener,
  type ConfigurationChange,
  compareRingId,
  type Delivery,
  type Guarantee,
  invalidArgument,
  isTotemError,
  type NodeId,
  type RingId,
  type Runtime,
  ringIdEquals,
  type Timer,
  TotemError,
} from '@totem-ts/common'
import { MultiringErrorCode } from './errors.ts'
import { compareKey, type MessageKey, Rank, ringKey } from './key.ts'
import type { MultiringConfig } from './options.ts'
import { createMultiringStats, type MultiringStats } from './stats.ts'
import {
  type AckMessage,
  type CcMessage,
  decodeMrMessage,
  ENDED_MAX,
  encodeMrMessage,
  type GvMessage,
  type MrMessage,
  NO_PRED,
  type NtMessage,
  type RegularMessage,
  RING_NONCES_MAX,
  RINGS_MAX,
  type RingNonce,
  type RingTs,
  type StartMessage,
  type TcMessage,
  type ViewRing,
} from './wire.ts'

/** A single-ring protocol instance as multiring uses it (srp's `Srp` fits). */
export interface RingBroadcast extends Broadcast {
  /**
   * `ordered`: a message that takes a stamp on its source ring (an own regular message, a GV).
   * srp originates it only while it holds every message of the ring below the token's seq (see
   * `#stamp`); a ring without the option sends it as any other.
   */
  send(
    payload: Uint8Array,
    guarantee: Guarantee,
    opts?: { readonly ordered?: boolean },
  ): 'queued' | 'full'
  start(): Promise<void>
  stop(): Promise<void>
}

/** One LAN this processor is attached to. */
export interface AttachedRing {
  /** LAN number, the same at every processor of the system (0 … 65535). */
  readonly lan: number
  /** Builds this LAN's single-ring protocol, delivering to the listener multiring hands it. */
  readonly create: (listener: BroadcastListener) => RingBroadcast
}

/** What the observer hears: the multiring extension of the EVS trace (docs/EVS-TRACE-MULTIRING.md). */
export interface MultiringObserver {
  /** A message entered a receive list (or, for a GV, was merged) via `lan`. */
  onReceive?(key: MessageKey, lan: number, kind: 'reg' | 'gv' | 'cc'): void
  /** A gateway put a message from ring `fromLan` onto `toLan`. */
  onForward?(key: MessageKey, fromLan: number, toLan: number): void
  /** Called right before `listener.onDeliver` with the delivered message's key. */
  onDeliverKey?(key: MessageKey): void
  /** A configuration change (CC) was delivered: the topology after it (before the conf events). */
  onTopology?(key: MessageKey, topology: RingId, rings: readonly ViewRing[]): void
}

/** What {@link createMultiring} needs. */
export interface MultiringDeps {
  readonly nodeId: NodeId
  readonly runtime: Runtime
  /** Receives deliveries and topology configurations, synchronously, in key order. */
  readonly listener: BroadcastListener
  /** The LANs this processor is on: one for an ordinary processor, two or more for a gateway. */
  readonly rings: readonly AttachedRing[]
  readonly observer?: MultiringObserver
}

/** The multiring protocol of one processor: a `Broadcast` across every ring of its topology. */
export interface Multiring extends Broadcast {
  /** Starts every attached ring's protocol. */
  start(): Promise<void>
  /** Stops every attached ring's protocol (orderly leave). */
  stop(): Promise<void>
  /** True for a processor on two or more LANs. */
  readonly isGateway: boolean
  /** The topology id of the current configuration (the EVS trace's `ring`). */
  readonly topologyId: RingId | undefined
  /** The rings of the current topology. */
  readonly topology: readonly ViewRing[]
  /** This processor's Lamport clock. */
  readonly clock: number
  stats(): Readonly<MultiringStats>
}

interface Held {
  readonly key: MessageKey
  readonly reg: RegularMessage | undefined
  readonly cc: CcMessage | undefined
  /** The LAN a regular message came by. */
  readonly lan?: number
}

interface RingEntry {
  readonly id: RingId
  readonly k: string
  readonly lan: number
  readonly members: readonly NodeId[]
  readonly list: Held[]
  /** Every message of this ring with a timestamp up to here has been received. */
  maxTs: number
  /** A successor CC was received: nothing beyond `endTs` will come. */
  ended: boolean
  endTs: number
  /**
   * Its end came only from mates that joined us after its CC, still pending (taken at once
   * behind a CC of ours given up by agreement): they bring nothing below their join key, the
   * CC's TC neither, so the end does not say that TC is on its way (#ccReady).
   */
  endLate?: boolean
  /** The key of the lowest successor CC received that ended it (#leftOutBelowTrans). */
  endBy?: MessageKey
  /** Unreachable: never blocks delivery again. */
  closed: boolean
  /** Guarantee-array row: per source ring, the timestamp every member of this ring holds. */
  readonly row: Map<string, number>
  /**
   * The incarnation nonce of each gateway member, from the CC (for a ring a TC or NT brought: of
   * the gateways of the CC that brought it that are on it).
   */
  readonly gwNonces: ReadonlyMap<number, number>
  /** For a ring a TC brought: the CC that brought it (it blocks from there until it moves). */
  floor?: MessageKey
  /**
   * For a ring established here: its LAN's `since` from then on, kept with the ring (the LAN
   * moves on with its next start round while this ring's CC, and its rows, may still be in use).
   */
  since?: ReadonlyMap<number, MessageKey>
  /** Our previous ring on its LAN, whose tail went to others only: nothing beyond this comes. */
  cut?: number
  /** The last GV received on this ring, and by which LAN (kept with its messages, #keepHeld). */
  lastGv?: { readonly m: GvMessage; readonly lan: number }
  /**
   * A ring of ours whose CC was given up: it delivers nothing (nor does it anywhere: its far
   * processors give the CC up too), and own messages stamped on it are sent again.
   */
  givenUp?: boolean
  /**
   * Members of the CC that did not come from the same previous ring (and last timestamp) as
   * every other gateway of the CC: they drop what those gateways forward below the CC (rule 7),
   * though srp delivers it to them, so a GV on this ring proves nothing about them below the
   * key given here (the CC's). A member that came with the gateways from a ring it had joined
   * anew keeps that ring's key (#anewKeys): the gateways vouch for it only from there on.
   */
  anew?: ReadonlyMap<number, MessageKey>
}

interface OwnMessage {
  readonly seq: number
  readonly payload: Uint8Array
  readonly guarantee: Guarantee
  /** The LAN it was first sent on and its seq there; kept when it is sent again. */
  lan: number | undefined
  lanSeq: number
  /**
   * The stamps (`ring key@ts`) it was already sent again for, latest last: a copy of such a
   * stamp that comes back later (by another path, or forwarded back to us) is of an attempt
   * already replaced, and must not send it again (#requeueOwn).
   */
  resentFor?: string[]
}

interface LanState {
  readonly lan: number
  srp: RingBroadcast
  srpRing: RingId | undefined
  /**
   * The srp seq of this incarnation's first srp ring on this LAN (its start-up ring of one).
   * srp stores its ring seq before a ring is used and starts above it, so a ring of this LAN
   * that lists us with a lower srp seq holds a former incarnation of us (#asSelf).
   */
  firstSrpSeq: bigint | undefined
  /** The multiring ring being formed or in use (srp ring id, restart epoch and LAN). */
  mrRing: RingId | undefined
  epoch: number
  srpMembers: readonly NodeId[]
  /**
   * Per member of the established ring, the CC key of the ring from which on it has been on this
   * LAN's ring with this processor without a break: what it puts on the ring below that key came
   * by a path that was not ours then (reference §4 rule 7), and our guarantee rows do not count
   * it for messages below that key. A member whose start names another previous ring than ours
   * (it left and came back before we saw it go, or restarted) joins anew.
   */
  since: Map<number, MessageKey>
  /**
   * What members new to us put on the ring at or above their `since` key, held until that key
   * (our ring's CC) is delivered: older messages of the same source rings may still be on their
   * way by the old paths (reference §4 rule 7, "buffered if above"). Each keeps the key it waits
   * for and the ring it came on: the LAN's next start round gives its sender a new key (or its
   * next incarnation one), and judged by that it was held for ever behind a CC that waited for
   * it, or dropped as a new path (0x18c04).
   */
  held: {
    m: RegularMessage | GvMessage | CcMessage | TcMessage
    from: NodeId
    until: MessageKey
    ring: RingId
    old: boolean
  }[]
  /**
   * The stamped regular messages and GVs in `held`, by what they are held as (their key, the
   * key they wait for, the ring they came on, old or not), for the array and length it was
   * built for; rebuilt when `held` was replaced or grew elsewhere.
   */
  heldIdx: { for: unknown; len: number; keys: Set<string> }
  /** The incarnation nonce of each member's last start here (a restarted member sends no NT). */
  readonly nonces: Map<number, number>
  phase: 'none' | 'forming' | 'established'
  /** The clock this processor's start of the current round carried (while forming). */
  formClock: number
  readonly starts: Map<number, StartMessage>
  /** Per member of the established ring: its nonce and the seq its next message must carry. */
  readonly expect: Map<number, { nonce: number; next: number }>
  /** The next LAN seq for an own message first sent on this LAN. */
  nextLanSeq: number
  /** What arrived while the ring forms (in srp order): handled once it is established. */
  /**
   * Ring messages delivered by srp while the round forms; `old` when srp delivered them in an
   * earlier configuration (its transitional one, or before an abandoned round): they prove
   * nothing about what this ring's members hold.
   */
  pre: { m: RegularMessage | GvMessage | CcMessage | TcMessage; from: NodeId; old: boolean }[]
  est: RingId | undefined
  ringClock: number
  pred: RingTs | undefined
  /**
   * What srp delivered here, since `pred` was set, while start rounds formed, that is put on the
   * LAN to be judged (forwards, CCs, TCs): a hash of their keys in srp order, 0 for nothing. A
   * start names it (`abandoned`) for what the rounds abandoned since delivered.
   */
  abandoned: number
  /**
   * Every value `abandoned` took since `pred` was set, in order (0 first): a mate's hash among
   * those up to our start's names a prefix of what srp delivered to us (srp's order is one), so
   * it holds nothing we lack.
   */
  readonly abandonedChain: number[]
  readonly myGv: Map<string, number>
  pendingSafe: [string, number][]
  srpTransitional: boolean
  /**
   * The members of srp's last transitional configuration on this LAN (those of the old srp ring
   * that move to the next one with us), until the regular configuration that follows it.
   */
  srpTrans: readonly NodeId[] | undefined
  readonly ctrl: { bytes: Uint8Array; g: Guarantee; ordered?: boolean }[]
  readonly fwd: { bytes: Uint8Array; g: Guarantee }[]
  readonly seen: Map<string, MessageKey>
  /** Own messages submitted to this srp and not stamped yet, by seq. */
  readonly inflight: Map<number, OwnMessage>
  gvDirty: boolean
  lastGvMs: number
  /**
   * Per member (as the incarnation its start named): what it told it decided at each CC (by
   * {@link decisionKey}), the topology rep it installed or 0 for a CC it gave up.
   */
  readonly acks: Map<number, Map<string, number>>
}

const PLACEHOLDER_RING: RingId = { rep: 0xffff_ffff, seq: 0xffff_ffff_ffff_ffffn }
const ENDED_REMEMBERED = 4096
const TOPO_SEQ_SLOTS = 0x1_0000_0000n
const EPOCHS = 1024n
const TOPOLOGY_MSGS_KEPT = 256
const DECISIONS_KEPT = 256
/** Per own message, the stamps it was sent again for that are remembered (#requeueOwn). */
const RESENT_STAMPS_KEPT = 16
/** The key of a CC in the ack maps. */
const decisionKey = (ts: number, ring: RingId): string => `${ts}:${ringKey(ring)}`

/** A TC with no rings that is not void: a gateway gave the CC up where it is. */
function emptyTc(m: TcMessage): boolean {
  return m.rings.length === 0 && m.void !== true
}

/**
 * The members of `cc` that do not share their previous ring (and last timestamp there) with
 * every other gateway of the CC (RingEntry.anew).
 */
function anewMembers(cc: CcMessage): Set<number> {
  const out = new Set<number>()
  cc.members.forEach((n, i) => {
    const p = cc.memberPreds[i]
    for (const g of cc.gateways) {
      if (g === n) continue
      const q = cc.memberPreds[cc.members.indexOf(g)]
      if (p === NO_PRED || q === NO_PRED || p !== q) {
        out.add(n)
        return
      }
    }
  })
  return out
}

/**
 * Is member `n` of our ring's CC listed on `r`, a ring of the CC's LAN older than the previous
 * ring its start names (than the CC's ring when it names none, its first ring as the
 * incarnation that sent it)? srp ring seqs rise for a processor, also across restarts, so it
 * left `r` before that ring, or `r` holds a former self: it is not on `r` any more. Judged from
 * the CC alone, the same at every member. (A ring of the LAN later than the one the start
 * names holds the processor back after a restart: the CC holds a former self's start, #survivors.)
 */
function leftBefore(cc: CcMessage, n: number, r: ViewRing): boolean {
  if (r.lan !== cc.lan) return false
  const i = cc.members.indexOf(n as NodeId)
  if (i < 0) return false
  const p = cc.memberPreds[i]
  const from = p === undefined || p === NO_PRED ? cc.ring : (cc.preds[p] as RingTs).ring
  const per = EPOCHS * LAN_SLOTS
  return r.ring.seq / per < from.seq / per
}

/**
 * RingEntry.anew of `cc`'s ring: each member that joined anew at `cc` (anewMembers), at the CC's
 * key; and each member that came with the gateways from a ring it had joined anew itself (as
 * `anewOf` tells, for rings whose CC we got), at the key it had there. The gateways' GV cap
 * vouches for a mate only from where it has been with them without a break, so a far ring's row
 * proves nothing below that key about it, on this ring either (0x18402: a LAN mate split off
 * alone, gave our CC up there, came back anew on the LAN's next ring, whose CC was given up, and
 * went on with the gateways to the ring after it; the far members counted it through that ring's
 * row for safe messages of the topology it never installed).
 */
function anewKeys(
  cc: CcMessage,
  key: MessageKey,
  anewOf: (ring: RingId) => ReadonlyMap<number, MessageKey> | undefined,
): Map<number, MessageKey> {
  const out = new Map<number, MessageKey>()
  for (const n of anewMembers(cc)) out.set(n, key)
  cc.members.forEach((n, i) => {
    if (out.has(n)) return
    const p = cc.memberPreds[i]
    const pred = p === undefined || p === NO_PRED ? undefined : cc.preds[p]
    const k = pred === undefined ? undefined : anewOf(pred.ring)?.get(n)
    if (k !== undefined) out.set(n, k)
  })
  return out
}

/** A message of a ring this processor does not order (yet), with the LAN it came on. */
interface PendingItem {
  m: RegularMessage | GvMessage
  lan: number
}

/**
 * Puts the stamped messages of each source ring among `items` in rising timestamp order, each
 * ring's in the places its messages held (everything else stays where it was). A batch handed
 * on at once (what rule 7 held, the pending buffer) holds copies from several paths, each rising
 * with gaps of its own; taken in arrival order, one path's copy raised the ring's max timestamp
 * over lower ones that only a later path in the batch held, and those were dropped as duplicates
 * (0x97001).
 */
function inRingOrder<T>(
  items: T[],
  stamp: (t: T) => { ring: string; ts: number } | undefined,
): T[] {
  const slots = new Map<string, number[]>()
  for (const [i, t] of items.entries()) {
    const s = stamp(t)
    if (s === undefined) continue
    const at = slots.get(s.ring)
    if (at === undefined) slots.set(s.ring, [i])
    else at.push(i)
  }
  const out = [...items]
  for (const at of slots.values()) {
    if (at.length < 2) continue
    const sorted = at
      .map((i) => items[i] as T)
      .sort((a, b) => (stamp(a)?.ts ?? 0) - (stamp(b)?.ts ?? 0))
    for (const [j, i] of at.entries()) out[i] = sorted[j] as T
  }
  return out
}

/** The lower of two keys, either possibly missing. */
function lowest(a: MessageKey | undefined, b: MessageKey | undefined): MessageKey | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return compareKey(b, a) < 0 ? b : a
}

/** Drops the oldest entries (in insertion order) of `m` beyond `max`: the bounded memories. */
function trimOldest(m: Map<string, unknown> | Set<string>, max: number): void {
  while (m.size > max) m.delete(m.keys().next().value as string)
}
const LAN_SLOTS = 65_536n

/**
 * The key rule 7 judges a message put on a LAN ring by: a TC's CC, a CC's or a stamped message's
 * own key; undefined for an unstamped message (its sender's ring stamps it: nothing to judge).
 */
const judgedKey = (
  m: RegularMessage | GvMessage | CcMessage | TcMessage,
): MessageKey | undefined =>
  m.kind === 'tc'
    ? { ts: m.ccTs, ring: m.ccRing, rank: Rank.Cc }
    : m.kind === 'cc' || m.stamped
      ? { ts: m.ts, ring: m.ring, rank: m.kind === 'cc' ? Rank.Cc : Rank.Regular }
      : undefined

/** What a stamped message waits in the pending buffer as (one copy per key). */
const pendingKey = (m: RegularMessage | GvMessage): string => `${m.kind}:${m.ts}@${ringKey(m.ring)}`

const drop = (stats: MultiringStats, code: string): void => {
  stats.rxDropped[code] = (stats.rxDropped[code] ?? 0) + 1
}

const intersect = (a: readonly NodeId[], b: readonly NodeId[]): NodeId[] => {
  const s = new Set<number>(b)
  return a.filter((n) => s.has(n))
}
const membersOf = (rings: Map<string, ViewRing>): NodeId[] =>
  [...new Set<number>([...rings.values()].flatMap((r) => [...r.members]))].sort(
    (a, b) => a - b,
  ) as NodeId[]

const minus = (a: readonly NodeId[], b: readonly NodeId[]): NodeId[] => {
  const s = new Set<number>(b)
  return a.filter((n) => !s.has(n))
}

class MultiringImpl implements Multiring {
  readonly #cfg: MultiringConfig
  readonly #me: NodeId
  readonly #rt: Runtime
  readonly #listener: BroadcastListener
  readonly #obs: MultiringObserver | undefined
  readonly #lans: LanState[] = []
  readonly #table = new Map<string, RingEntry>()
  readonly #ended = new Set<string>()
  /**
   * Remote rings whose CC was given up here (not ended): what comes of them waits in the pending
   * buffer, as for a ring we do not know, in case a later topology brings them back.
   */
  readonly #unjoined = new Set<string>()
  /** Rings named as a predecessor by a CC this processor delivered (newest last, bounded). */
  readonly #superseded = new Set<string>()
  /**
   * Predecessor rings named by CCs before their own CC was known: where they end, and the lowest
   * of those CCs.
   */
  readonly #laterEnds = new Map<string, { ts: number; by: MessageKey | undefined }>()
  /**
   * Incarnations of gateway members of rings, as NTs and TCs name them: a ring only an NT or TC
   * brings gets them, so a restarted gateway does not link it (#twoSelves).
   */
  readonly #ringNonces = new Map<string, Map<number, number>>()
  readonly #stats = createMultiringStats()
  readonly #nonce: number
  readonly #delivered = new Map<number, { next: number; extra: Set<number> }>()
  #topo = new Map<string, ViewRing>()
  #topoId: RingId | undefined
  #topoMembers: NodeId[] = []
  /** The key of the CC that installed our current topology (undefined: none, or alone). */
  #topoKey: MessageKey | undefined
  #lastDelivered: MessageKey | undefined
  /** The last CC delivery passed by giving it up (above #lastDelivered, or undefined). */
  #lastGivenUp: MessageKey | undefined
  #clock = 0
  #sendQueue: OwnMessage[] = []
  #nextSeq = 1
  #running = false
  #stopped = false
  #timer: Timer | undefined
  #retry: Timer | undefined
  #delivering = false
  /** NTs received, per CC ring, per sender; the own NT sent per CC ring (its rings). */
  readonly #nts = new Map<string, Map<number, NtMessage>>()
  readonly #ownNt = new Map<string, NtMessage>()
  /**
   * Per CC ring, the gateways whose NT is not waited for: they left the LAN's ring, or came back
   * as a new incarnation, before it arrived. Decided at that srp event, so every member that
   * saw the same srp order decides alike, whenever it gets to the CC.
   */
  readonly #ntGone = new Map<string, Set<number>>()
  /**
   * Per remote CC ring, for each of its gateways the rings on LANs we are not on where it has
   * been seen alive since that CC came (followed through successor rings that keep it): a TC
   * may still come from there even when the gateway is cut off from our LANs.
   */
  readonly #remoteGwRings = new Map<string, Map<number, Set<string>>>()
  /**
   * Per ring named as a predecessor by a CC we got (whatever became of that CC): the members of
   * those CCs. A mate of a ring of ours that is on none of them may still bring a sibling's CC
   * (#siblingMayCome).
   */
  readonly #successors = new Map<string, Set<number>>()
  /** Per ring whose CC we got: RingEntry.anew, kept after the ring ends (#anewKeys). */
  readonly #anewByRing = new Map<string, ReadonlyMap<number, MessageKey>>()
  /** Nodes that have been on a LAN ring of ours (srp membership). */
  readonly #lanPeers = new Set<number>()
  /**
   * Rings of ours whose CC we gave up (bounded): their members came with us through them, as
   * through a ring of the topology.
   */
  readonly #passed = new Set<string>()
  /** Per ring established here, its members' incarnation nonces. */
  readonly #ccNonces = new Map<string, Map<number, number>>()
  /** TCs received, per CC ring; CC rings whose TC this processor sent or forwarded. */
  readonly #tcs = new Map<string, TcMessage>()
  readonly #tcDone = new Set<string>()
  /**
   * Per CC ring, the gateways whose empty TC (no rings, not void: the CC given up where they
   * are) came; CC ring and sender of each such TC we forwarded.
   */
  readonly #emptyTcFrom = new Map<string, Set<number>>()
  readonly #emptyTcDone = new Set<string>()
  /** Messages of rings not (yet) in the table: a TC may bring their ring in. */
  #pending: PendingItem[] = []
  /** The keys `#pending` holds (one copy of each, see #keepPending). */
  readonly #pendingKeys = new Set<string>()
  /** Own messages not delivered yet, by seq. */
  readonly #own = new Map<number, OwnMessage>()
  #home: LanState | undefined
  /**
   * The transitional configuration of the next topology, entered early: a safe message that can
   * no longer be proven held by every member of the topology (some were cut off) is delivered
   * in it, as srp delivers an old ring's last messages (reference §6.7, simplified).
   */
  #trans: { key: MessageKey; topoId: RingId; rings: Map<string, ViewRing> } | undefined
  /** CCs below this key install nothing here (see #tailLost). */
  #skipBelow: MessageKey | undefined
  /** A configuration of our own whose transitional configuration was delivered (#tailLost). */
  #alone: { id: RingId; left: NodeId[] } | undefined
  /**
   * This processor's decisions at the CCs it passed, in key order: the rep of the topology it
   * installed, or 0 where it gave the CC up. A mate counts for a safe message only while its
   * acks match them (#agrees); the oldest that every mate acked are forgotten.
   */
  readonly #decisions: { key: MessageKey; rep: number }[] = []
  /**
   * Per CC of a ring of ours (by ring key): each member's proposal as srp delivered it (ours
   * too), the members that left the LAN's ring (or came back reborn) before theirs came, and the
   * proposal we sent.
   */
  readonly #proposals = new Map<string, Map<number, number>>()
  readonly #proposalGone = new Map<string, Set<number>>()
  /** What we proposed for each CC of ours (`rep`, 0: nothing), with the CC (for #proposeAgain). */
  readonly #proposed = new Map<string, { readonly rep: number; readonly cc: CcMessage }>()
  /** CCs given up here, by ring key: a member that came through one came from its predecessor. */
  readonly #givenUpCcs = new Map<string, CcMessage>()
  /** Remote CCs whose members gave them up by agreement (a void TC came). */
  readonly #voided = new Set<string>()

  constructor(cfg: MultiringConfig, deps: MultiringDeps) {
    this.#cfg = cfg
    this.#me = deps.nodeId
    this.#rt = deps.runtime
    this.#listener = deps.listener
    this.#obs = deps.observer
    if (deps.rings.length === 0) invalidArgument('a multiring processor needs at least one ring')
    const seenLans = new Set<number>()
    for (const r of deps.rings) {
      if (!Number.isInteger(r.lan) || r.lan < 0 || r.lan > 0xffff)
        invalidArgument('lan must be an integer in 0..65535', { lan: String(r.lan) })
      if (seenLans.has(r.lan)) invalidArgument('a LAN is attached twice', { lan: r.lan })
      seenLans.add(r.lan)
    }
    this.#nonce = this.#rt.random.int(0x1_0000_0000)
    for (const r of deps.rings) {
      const ls: LanState = {
        lan: r.lan,
        srp: undefined as unknown as RingBroadcast,
        srpRing: undefined,
        firstSrpSeq: undefined,
        mrRing: undefined,
        epoch: 0,
        srpMembers: [],
        since: new Map(),
        held: [],
        heldIdx: { for: undefined, len: 0, keys: new Set() },
        nonces: new Map(),
        phase: 'none',
        formClock: 0,
        starts: new Map(),
        expect: new Map(),
        nextLanSeq: 1,
        pre: [],
        est: undefined,
        ringClock: 0,
        pred: undefined,
        abandoned: 0,
        abandonedChain: [0],
        myGv: new Map(),
        pendingSafe: [],
        srpTransitional: false,
        srpTrans: undefined,
        ctrl: [],
        fwd: [],
        seen: new Map(),
        inflight: new Map(),
        gvDirty: false,
        lastGvMs: 0,
        acks: new Map(),
      }
      ls.srp = r.create({
        onDeliver: (d) => this.#onSrpDeliver(ls, d),
        onConfigurationChange: (c) => this.#onSrpConf(ls, c),
      })
      this.#lans.push(ls)
    }
  }

  get isGateway(): boolean {
    return this.#lans.length > 1
  }
  get topologyId(): RingId | undefined {
    return this.#topoId
  }
  get topology(): readonly ViewRing[] {
    return [...this.#topo.values()]
  }
  get members(): readonly NodeId[] {
    return this.#topoMembers
  }
  get clock(): number {
    return this.#clock
  }
  /** Internal state for debugging (not part of the API). */
  debugState(): Record<string, unknown> {
    return {
      clock: this.#clock,
      pending: this.#pending.length,
      lastDelivered: this.#lastDelivered,
      topo: [...this.#topo.keys()],
      sendQueue: this.#sendQueue.length,
      ownUndelivered: this.#own.size,
      table: [...this.#table.values()].map((e) => ({
        k: e.k,
        lan: e.lan,
        members: e.members,
        list: e.list.length,
        head: e.list[0]?.key,
        maxTs: e.maxTs,
        ended: e.ended,
        endTs: e.endTs,
        closed: e.closed,
        row: Object.fromEntries(e.row),
      })),
      lans: this.#lans.map((l) => ({
        lan: l.lan,
        phase: l.phase,
        est: l.est === undefined ? undefined : ringKey(l.est),
        srpRing: l.srpRing === undefined ? undefined : ringKey(l.srpRing),
        mrRing: l.mrRing === undefined ? undefined : ringKey(l.mrRing),
        starts: [...l.starts.keys()],
        members: l.srpMembers,
        fwd: l.fwd.length,
        ctrl: l.ctrl.length,
        inflight: l.inflight.size,
      })),
      stats: this.stats(),
      blocked: this.#whyBlocked(),
      nts: [...this.#nts].map(([k, v]) => [k, [...v.keys()]]),
      ntGone: [...this.#ntGone].map(([k, v]) => [k, [...v]]),
      ownNt: [...this.#ownNt.keys()],
      trans: this.#trans?.key,
    }
  }

  /** Why delivery stops where it does (no side effects; for debugState). */
  #whyBlocked(): string {
    const lowest = this.#lowest()
    if (lowest === undefined) return 'nothing held'
    const { e: best, placeholder } = lowest
    if (placeholder) return `empty list of ${best.k} (maxTs ${best.maxTs}, ended ${best.ended})`
    const head = best.list[0] as Held
    const at = `${head.key.ts}@${best.k}`
    for (const ls of this.#lans)
      if (ls.phase === 'forming' && head.key.ts > ls.formClock)
        return `${at}: LAN ${ls.lan} forming since clock ${ls.formClock}`
    if (head.reg !== undefined && head.reg.guarantee === 'safe' && !this.#safeOk(head)) {
      const covered = this.#covered(head)
      return `${at}: safe, not held by ${this.#topoMembers.filter((n) => !covered.has(n)).join(',')}`
    }
    if (head.cc !== undefined) {
      const cc = head.cc
      if (cc.members.includes(this.#me) && this.#lans.some((l) => l.lan === cc.lan)) {
        const got = this.#nts.get(best.k)
        const missing = cc.gateways.filter(
          (g) => got?.get(g) === undefined && !this.#ntGone.get(best.k)?.has(g),
        )
        return `${at}: own CC, NT missing from ${missing.join(',') || 'none'}`
      }
      return `${at}: remote CC (gateways ${cc.gateways.join(',')}), TC ${this.#tcs.has(best.k) ? 'in' : 'missing'}`
    }
    return `${at}: deliverable`
  }

  stats(): Readonly<MultiringStats> {
    return { ...this.#stats, rxDropped: { ...this.#stats.rxDropped } }
  }

  async start(): Promise<void> {
    if (this.#running || this.#stopped)
      throw new TotemError('ERR_INVALID_STATE', 'multiring already started')
    this.#running = true
    if (this.isGateway) this.#armGvTimer()
    for (const ls of this.#lans) await ls.srp.start()
  }

  async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    this.#stopped = true
    this.#timer?.cancel()
    this.#retry?.cancel()
    for (const ls of this.#lans) await ls.srp.stop()
  }

  send(payload: Uint8Array, guarantee: Guarantee): 'queued' | 'full' {
    if (!(payload instanceof Uint8Array)) invalidArgument('payload must be a Uint8Array')
    if (guarantee !== 'agreed' && guarantee !== 'safe')
      invalidArgument('guarantee must be agreed or safe', { value: String(guarantee) })
    if (this.#stopped) throw new TotemError('ERR_INVALID_STATE', 'multiring stopped')
    // Flow control: every own message not yet delivered here counts, wherever it waits.
    if (this.#own.size >= this.#cfg.sendWindow) {
      this.#stats.sendRefused++
      return 'full'
    }
    this.#stats.sent++
    const own: OwnMessage = {
      seq: this.#nextSeq++,
      payload: payload.slice(),
      guarantee,
      lan: undefined,
      lanSeq: 0,
    }
    this.#own.set(own.seq, own)
    this.#sendQueue.push(own)
    this.#pumpAll()
    return 'queued'
  }

  // ---------------------------------------------------------------- srp side

  #onSrpConf(ls: LanState, c: ConfigurationChange): void {
    if (this.#stopped) return
    ls.pendingSafe = []
    // Between srp's transitional and regular configurations, its safe deliveries are safe among
    // the survivors only: they prove nothing about the ring's other members.
    ls.srpTransitional = c.kind === 'transitional'
    if (c.kind === 'transitional') {
      ls.srpTrans = c.members.slice()
      return
    }
    // The previous srp ring of this LAN is over.
    if (ls.phase === 'established' && ls.est !== undefined) {
      ls.pred = { ring: ls.est, ts: ls.ringClock }
      ls.abandoned = 0
      ls.abandonedChain.length = 1
    } else if (ls.phase === 'forming') {
      this.#stats.ringsAbandoned++
      // Unstamped messages of the abandoned round are sent again by their senders; stamped ones
      // (forwarded) wait for the next round.
      const keep: LanState['pre'] = []
      for (const p of ls.pre)
        if ((p.m.kind === 'regular' || p.m.kind === 'gv') && !p.m.stamped) {
          if (p.m.kind === 'regular') this.#requeueOwn(p.m)
        } else keep.push({ ...p, old: true })
      ls.pre = keep
    }
    // A member new to this LAN's ring may lack anything the old members held: the vector
    // starts again.
    if (c.members.some((n) => !ls.srpMembers.includes(n))) ls.myGv.clear()
    ls.srpRing = c.ringId
    ls.firstSrpSeq ??= c.ringId.seq
    ls.srpMembers = c.members.slice()
    for (const n of c.members) this.#lanPeers.add(n)
    this.#markNtGone(ls)
    this.#proposeReady(ls)
    const trans = ls.srpTrans ?? c.members
    ls.srpTrans = undefined
    this.#proposeAgain(
      ls,
      c.members.filter((n) => n !== this.#me && !trans.includes(n)),
    )
    if (ls.phase === 'established' && ls.est !== undefined) this.#unstampIfLost(ls, ls.est)
    ls.epoch = 0
    this.#beginRound(ls)
    // A CC waiting for the NT of a gateway that just left the LAN waits no more.
    this.#runDelivery()
  }

  /** A new start round on this LAN (new srp ring, or a restart of the current one). */
  #beginRound(ls: LanState): void {
    const srp = ls.srpRing as RingId
    // A gateway is the representative of rings on several LANs with the same srp ring id: the
    // LAN number makes multiring ring ids unique (seq = (srp seq × 1024 + epoch) × 65536 + lan).
    ls.mrRing = {
      rep: srp.rep,
      seq: (srp.seq * EPOCHS + BigInt(ls.epoch)) * LAN_SLOTS + BigInt(ls.lan),
    }
    ls.starts.clear()
    ls.phase = 'forming'
    ls.formClock = this.#clock
    ls.est = undefined
    ls.ringClock = 0
    const start: StartMessage = {
      kind: 'start',
      sender: this.#me,
      forRing: ls.mrRing,
      lan: ls.lan,
      clock: this.#clock,
      pred: ls.pred,
      gateway: this.isGateway,
      nonce: this.#nonce,
      nextSeq: this.#lowestUnstamped(ls),
      ...(ls.pred !== undefined && ls.abandoned !== 0 ? { abandoned: ls.abandoned } : {}),
    }
    ls.ctrl.push({ bytes: encodeMrMessage(start), g: 'agreed' })
    this.#pump(ls)
  }

  /** The lowest LAN seq of an own message sent on this LAN and not stamped yet. */
  #lowestUnstamped(ls: LanState): number {
    let low = ls.nextLanSeq
    for (const o of this.#own.values()) if (o.lan === ls.lan && o.lanSeq < low) low = o.lanSeq
    return low
  }

  #isOwn(m: RegularMessage): boolean {
    return m.sender === this.#me && m.nonce === this.#nonce
  }

  #onSrpDeliver(ls: LanState, d: Delivery): void {
    if (this.#stopped) return
    let m: MrMessage
    try {
      m = decodeMrMessage(d.payload)
    } catch (e) {
      if (!isTotemError(e)) throw e
      drop(this.#stats, e.code)
      return
    }
    switch (m.kind) {
      case 'start':
        this.#onStart(ls, m)
        break
      case 'nt':
        this.#onNt(ls, m)
        break
      case 'ack':
        this.#onAck(ls, m)
        break
      case 'tc':
      case 'cc':
      case 'regular':
      case 'gv': {
        const c =
          m.kind === 'regular'
            ? { ...m, payload: m.payload.slice() }
            : m.kind === 'cc'
              ? copyCc(m)
              : m
        if (ls.phase === 'established') this.#onRingMessage(ls, c, d.sender)
        else {
          ls.pre.push({ m: c, from: d.sender, old: ls.srpTransitional })
          const k = judgedKey(c)
          if (k !== undefined) {
            ls.abandoned = foldKey(ls.abandoned, c.kind, k)
            ls.abandonedChain.push(ls.abandoned)
          }
        }
        break
      }
    }
    if (d.guarantee === 'safe') this.#foldSafe(ls)
    this.#pumpAll()
  }

  /** A message on an established ring of this LAN, put on it by `from`. */
  #onRingMessage(
    ls: LanState,
    m: RegularMessage | GvMessage | CcMessage | TcMessage,
    from: NodeId,
    old = false,
    judged = false,
  ): void {
    const key = judged ? undefined : judgedKey(m)
    // Taken ahead of the key its sender joined us at (a CC or TC behind a CC of ours given up by
    // agreement): what it ends came by a path that brings nothing below that key.
    let early: MessageKey | undefined
    if (key !== undefined) {
      // A void TC that rule 7 would drop (or hold) is taken as an empty one: it brings no
      // topology, only that the CC's members agreed to give it up, which holds whatever path it
      // came by; but its ring's successor CC may never come to us by that path, so the ring does
      // not block here (it is given up as any remote CC whose TC does not reach us). Dropped,
      // nothing beyond a gateway of the CC that joined its mates after the CC heard of it: the
      // mates with it since before the CC had failed, and processors that held the CC by older
      // paths waited for its TC for ever, each counting the others as gateway mates that could
      // still bring it (0x5f371 on the agreement branch). So is the empty TC that goes on from
      // there (#agreedEmpty: its sender is a member of the CC): it says the same. Judged by
      // rule 7 as any TC, it was dropped again wherever its forwarder had joined us later too:
      // gateways 10, 11 and 12, with 9 on LAN 1 only since after LAN 1's CC 232@3.1409286145,
      // took 9's void TC for it as empty and put that on LAN 2, where 11 and 12 had joined 13
      // and 14 anew; 13 and 14, which held 232 and its ring's end, waited for its TC for ever
      // (0x9c201). (Forwarded void instead, tried first, it blocked the ring at processors
      // behind the one that took it as empty, which could no longer bring its end: 0x90707.)
      if (m.kind === 'tc' && (m.void === true || this.#agreedEmpty(m))) {
        const until = ls.since.get(from)
        if (until !== undefined && (compareKey(key, until) < 0 || !this.#deliveredTo(until))) {
          const { void: _v, ...empty } = m
          this.#onTc(empty, ls.lan, true)
          return
        }
      }
      if (this.#newPath(ls, from, key)) return
      const until = ls.since.get(from)
      if (until !== undefined && !this.#deliveredTo(until)) early = until
      if (
        until !== undefined &&
        !this.#deliveredTo(until) &&
        !((m.kind === 'tc' || m.kind === 'cc') && this.#givenUpOurs(until))
      ) {
        // One copy is enough: each gateway of the LAN forwards the same stamped message, and
        // released, every copy after the first is a duplicate (0x75905: a member joined anew
        // behind a CC that waited three seconds held four copies of everything, filled the
        // buffer and dropped far messages the gateways' GVs showed it to hold).
        const dup = this.#heldKey(m, until, ls.est as RingId, old)
        if (dup !== undefined && this.#heldIndex(ls).has(dup)) {
          this.#stats.duplicates++
          return
        }
        if (ls.held.length >= this.#cfg.joinBufferMax) {
          drop(this.#stats, MultiringErrorCode.BufferFull)
          this.#lostForSpace(m, key, until)
          return
        }
        ls.held.push({ m, from, until, ring: ls.est as RingId, old })
        if (dup !== undefined) {
          ls.heldIdx.keys.add(dup)
          ls.heldIdx.len = ls.held.length
        }
        return
      }
      this.#takeHeldBelow(ls, m)
    }
    switch (m.kind) {
      case 'tc':
        this.#onTc(m, ls.lan)
        return
      case 'cc':
        if (!old) this.#noteSafe(ls, ringKey(m.ring), m.ts)
        this.#acceptCc(m, ls.lan, undefined, early)
        return
      default:
        if (m.stamped) {
          if (!old) this.#noteSafe(ls, ringKey(m.ring), m.ts)
          this.#receive(m, ls.lan)
        } else this.#stamp(ls, m)
    }
  }

  /**
   * Has delivery reached key `k` (a member's join key: its ring's CC)? A CC it passed by giving
   * it up counts: a mate that came with us through a ring of ours whose CC was given up by
   * agreement is with us from that CC's key on, and nothing will deliver that key (0x179c4: its
   * empty TC for a far CC above was held behind it for ever, and the far CC waited for it).
   */
  #deliveredTo(k: MessageKey): boolean {
    const last = this.#lastDelivered
    if (last !== undefined && compareKey(last, k) >= 0) return true
    const skipped = this.#lastGivenUp
    return skipped !== undefined && compareKey(skipped, k) >= 0
  }

  /** What a held stamped regular message or GV is held as (undefined for other kinds). */
  #heldKey(
    m: RegularMessage | GvMessage | CcMessage | TcMessage,
    until: MessageKey,
    ring: RingId,
    old: boolean,
  ): string | undefined {
    if ((m.kind !== 'regular' && m.kind !== 'gv') || !m.stamped) return undefined
    return `${m.kind}:${m.ts}@${ringKey(m.ring)}:${until.ts}@${ringKey(until.ring)}/${until.rank}:${ringKey(ring)}:${old}`
  }

  /** The index of `ls.held`'s stamped messages, rebuilt when `held` changed elsewhere. */
  #heldIndex(ls: LanState): Set<string> {
    const x = ls.heldIdx
    if (x.for !== ls.held || x.len !== ls.held.length) {
      x.keys.clear()
      for (const p of ls.held) {
        const k = this.#heldKey(p.m, p.until, p.ring, p.old)
        if (k !== undefined) x.keys.add(k)
      }
      x.for = ls.held
      x.len = ls.held.length
    }
    return x.keys
  }

  /**
   * Hands on what was held once the CC it waited for has been delivered, judged as it was when
   * it came (its sender may have joined us anew since); what came on an earlier ring of the LAN
   * proves nothing about what this ring's members hold.
   */
  #releaseHeld(pending: readonly PendingItem[] = []): void {
    const batch: ({ ls: LanState; p: LanState['held'][number] } | { q: PendingItem })[] = []
    for (const ls of this.#lans) {
      if (ls.held.length === 0) continue
      const go: LanState['held'] = []
      const keep: LanState['held'] = []
      for (const p of ls.held) (this.#deliveredTo(p.until) ? go : keep).push(p)
      if (go.length === 0) continue
      ls.held = keep
      for (const p of go) batch.push({ ls, p })
    }
    for (const q of pending) batch.push({ q })
    // Each source ring's copies in key order, across LANs, senders and the pending buffer: a
    // sender's copies rise, but the batch interleaves senders with different gaps (what
    // #takeHeldBelow took early, a copy held once per key), and a lower copy after a higher
    // one of its ring is a duplicate for ever. A ring's CC is its first key: a copy of its
    // messages put before it would wait in the pending buffer behind later ones taken after it.
    const ordered = inRingOrder(batch, (b) => {
      const m = 'q' in b ? b.q.m : b.p.m
      return m.kind === 'cc' || ((m.kind === 'regular' || m.kind === 'gv') && m.stamped)
        ? { ring: ringKey(m.ring), ts: m.ts }
        : undefined
    })
    for (const b of ordered) {
      if ('q' in b) {
        this.#receive(b.q.m, b.q.lan)
        continue
      }
      const { ls, p } = b
      // A CC or TC whose sender has joined us anew (or left) since came by a path that is
      // gone: no TC of that CC can come by it. Unless the CC ends a ring we still reach (open,
      // not ended): every mate that reaches that ring gets its successor's CC and installs it,
      // and we have no other copy (later ones, by paths newer than the CC, are dropped by rule
      // 7), so dropped, that ring blocked us for ever; its TC can come by any path with us
      // since before it, or the CC is given up as any remote CC is (0x5f371).
      const now = ls.since.get(p.from)
      const anew = now === undefined || compareKey(now, p.until) !== 0
      if ((p.m.kind === 'cc' || p.m.kind === 'tc') && anew && !this.#endsOpenRing(p.m)) {
        drop(this.#stats, MultiringErrorCode.NewPath)
        continue
      }
      const old = p.old || ls.est === undefined || !ringIdEquals(p.ring, ls.est)
      this.#onRingMessage(ls, p.m, p.from, old, true)
    }
  }

  /**
   * A stamped message of a source ring that a mate not held puts on the ring above messages of
   * that ring held from a new mate, which the ring's receive list has not reached: the old path
   * has nothing of the ring below it left to bring (a gateway forwards a ring's messages rising,
   * each once onto a LAN), and once taken it makes them duplicates for ever. They are taken
   * first, lowest first. Left held, they were dropped at release and never delivered here, while
   * the mates that took the new mate's copies at once delivered them (0x7160d: a new gateway
   * forwarded a far ring's messages onto our LAN, its gateway mate took them at once and
   * forwarded only what came before and after them by its other LAN; a member still behind the
   * CC the new gateway joined us at held them, took the other gateway's later copy, lost them).
   * What the list has reached stays held as before (a copy for after release).
   */
  #takeHeldBelow(ls: LanState, m: RegularMessage | GvMessage | CcMessage | TcMessage): void {
    if ((m.kind !== 'regular' && m.kind !== 'gv') || !m.stamped || ls.held.length === 0) return
    // A ring we do not know: both wait, and go together in key order when a CC brings it.
    const e = this.#table.get(ringKey(m.ring))
    if (e === undefined || m.ts <= e.maxTs) return
    const from = e.maxTs
    const below = (p: LanState['held'][number]): boolean =>
      (p.m.kind === 'regular' || p.m.kind === 'gv') &&
      p.m.stamped &&
      p.m.ts > from &&
      p.m.ts < m.ts &&
      ringIdEquals(p.m.ring, m.ring)
    if (!ls.held.some(below)) return
    const take = ls.held.filter(below)
    take.sort((a, b) => (a.m as GvMessage).ts - (b.m as GvMessage).ts)
    ls.held = ls.held.filter((p) => !below(p))
    for (const p of take) {
      const old = p.old || ls.est === undefined || !ringIdEquals(p.ring, ls.est)
      this.#onRingMessage(ls, p.m, p.from, old, true)
    }
  }

  /**
   * Is `k` (a mate's join key) the CC of a ring of ours given up by agreement (we proposed 0,
   * or another member did, or one left before its proposal)? Then no member installs it, and
   * delivery passes it without a topology. A TC that a mate with us since then puts on the ring
   * is not held behind it (rule 7 holds ordered messages: a TC raises no max timestamp and makes
   * nothing a duplicate), and what is held is taken when we give the CC up: the early
   * transitional configuration's look-ahead passes the given-up CC and must see the TCs of the
   * remote CCs above it. Held, they waited for delivery to reach the given-up CC, and delivery,
   * stuck on a safe message below it, waited for the transitional configuration (0x7310b).
   * Nor is a CC such a mate forwards once it is settled as given up: a CC is its ring's first
   * message and only ends its predecessors, whose older messages are still taken up to their
   * end, and the look-ahead must see the far rings it ends (0x8a603: held, it left a far ring
   * open below our LAN's next CC, and the look-ahead waited for a lower CC to come). A CC held
   * before stays held and is judged at release: taken at the give-up, a CC held for seconds
   * went on, without its TC, to a mate that then waited for that TC for ever (0x5001).
   */
  #givenUpOurs(k: MessageKey): boolean {
    const rk = ringKey(k.ring)
    if (this.#proposed.get(rk)?.rep === 0) return true
    const cc = this.#table.get(rk)?.list[0]?.cc
    return cc !== undefined && cc.ts === k.ts && this.#ownCcAbandoned(cc, rk)
  }

  /** Is `cc`, of our ring `k`, settled as given up by its members' agreement? */
  #ownCcAbandoned(cc: CcMessage, k: string): boolean {
    return cc.members.includes(this.#me) && this.#agreement(cc, k, true) === 'abandon'
  }

  /**
   * Is ring `e` one of ours whose CC is given up by its members' agreement: passed so (the
   * ring blocks until its successor's CC ends it), or still ahead of delivery and already
   * settled so (a member proposed 0 or another set, or left before its proposal came), as the
   * early transitional configuration's look-ahead finds it before delivery reaches it?
   */
  #givenUpByAgreement(e: RingEntry): boolean {
    if (e.givenUp === true) return true
    const cc = e.list[0]?.cc
    return cc !== undefined && ringKey(cc.ring) === e.k && this.#ownCcAbandoned(cc, e.k)
  }

  /**
   * Is `e`, a ring we are not on, one whose CC its members gave up by agreement: passed so (it
   * blocks until its successor's CC ends it), or still ahead of delivery with its void TC in?
   */
  #farGivenUpByAgreement(e: RingEntry): boolean {
    if (e.givenUp === true) return true
    const cc = e.list[0]?.cc
    return cc !== undefined && ringKey(cc.ring) === e.k && this.#voided.has(e.k)
  }

  /** Takes the TCs held from mates with us since our CC `cc`, given up by agreement. */
  #takeHeldTcs(cc: CcMessage): void {
    for (const ls of this.#lans) {
      const at = (p: LanState['held'][number]): boolean => {
        if (p.m.kind !== 'tc' || p.until.ts !== cc.ts || !ringIdEquals(p.until.ring, cc.ring))
          return false
        // One that joined us anew (or left) since stays held, and is dropped at release.
        const now = ls.since.get(p.from)
        return now !== undefined && compareKey(now, p.until) === 0
      }
      if (!ls.held.some(at)) continue
      const take = ls.held.filter(at)
      ls.held = ls.held.filter((p) => !at(p))
      for (const p of take) this.#onTc(p.m as TcMessage, ls.lan)
    }
  }

  /** Does CC `m` end a ring of our table that we still reach (neither closed nor ended)? */
  #endsOpenRing(m: CcMessage | TcMessage): boolean {
    if (m.kind !== 'cc') return false
    return m.preds.some((p) => {
      const e = this.#table.get(ringKey(p.ring))
      return e !== undefined && !e.closed && !e.ended
    })
  }

  /**
   * Reference §4 rule 7: a message below the CC of our current ring on this LAN, put on it by a
   * member that was not on our previous ring there, came by a new path: its source was not in
   * our topology at that time (the other side of a merge), so it is not ours to deliver.
   */
  #newPath(ls: LanState, from: NodeId, key: MessageKey): boolean {
    const since = ls.since.get(from)
    if (since === undefined || compareKey(key, since) >= 0) return false
    drop(this.#stats, MultiringErrorCode.NewPath)
    return true
  }

  #noteSafe(ls: LanState, k: string, ts: number): void {
    ls.pendingSafe.push([k, ts])
  }

  /** An srp safe delivery: every member of this srp ring holds everything delivered so far. */
  #foldSafe(ls: LanState): void {
    if (ls.srpTransitional) {
      ls.pendingSafe = []
      return
    }
    for (const [k, ts] of ls.pendingSafe) if ((ls.myGv.get(k) ?? -1) < ts) ls.myGv.set(k, ts)
    ls.pendingSafe = []
    const e = ls.est === undefined ? undefined : this.#table.get(ringKey(ls.est))
    if (e !== undefined) {
      for (const [k, ts] of ls.myGv) if ((e.row.get(k) ?? -1) < ts) e.row.set(k, ts)
      this.#runDelivery()
    }
  }

  #onStart(ls: LanState, m: StartMessage): void {
    if (
      ls.phase !== 'forming' ||
      ls.srpRing === undefined ||
      ls.mrRing === undefined ||
      !ringIdEquals(m.forRing, ls.mrRing) ||
      m.lan !== ls.lan ||
      !ls.srpMembers.includes(m.sender)
    )
      return
    if (m.clock > this.#clock) this.#clock = m.clock
    ls.starts.set(m.sender, m)
    const before = ls.nonces.get(m.sender)
    ls.nonces.set(m.sender, m.nonce)
    // A member back as a new incarnation: rings only its old self linked us to are cut off.
    if (before !== undefined && before !== m.nonce) {
      this.#closeUnreachable()
      this.#runDelivery()
    }
    this.#markNtGone(ls)
    this.#proposeReady(ls)
    if (ls.starts.size === ls.srpMembers.length) this.#establish(ls)
  }

  /**
   * Gateways of this LAN's pending CCs (ours) that are no longer on the LAN's ring, or are back
   * as a new incarnation, and whose NT has not come: not waited for, from this point on.
   */
  #markNtGone(ls: LanState): void {
    for (const e of this.#table.values()) {
      const cc = e.list[0]?.cc
      if (cc === undefined || cc.lan !== ls.lan || !cc.members.includes(this.#me)) continue
      const nonces = this.#ccNonces.get(e.k)
      // Who of `who` has left the LAN's ring, or came back reborn, without `has` coming from it.
      const mark = (
        who: readonly NodeId[],
        has: Map<number, unknown> | undefined,
        into: Map<string, Set<number>>,
      ): void => {
        for (const n of who) {
          if (n === this.#me || has?.has(n)) continue
          const left = !ls.srpMembers.includes(n)
          const reborn = nonces !== undefined && ls.nonces.get(n) !== nonces.get(n)
          if (!left && !reborn) continue
          let gone = into.get(e.k)
          if (gone === undefined) {
            gone = new Set()
            into.set(e.k, gone)
            this.#trimTopologyMsgs()
          }
          gone.add(n)
        }
      }
      // Likewise members whose proposal has not come: the CC is given up (they may have
      // installed it, or not, on their side).
      mark(cc.members, this.#proposals.get(e.k), this.#proposalGone)
      mark(cc.gateways, this.#nts.get(e.k), this.#ntGone)
    }
  }

  /** Every member's start is in: the ring gets its timestamp and its configuration change. */
  #establish(ls: LanState): void {
    const ring = ls.mrRing as RingId
    const starts = ls.srpMembers.map((n) => ls.starts.get(n) as StartMessage)
    let ts = 0
    // One entry per previous ring and last timestamp there: members that name one ring with
    // different last timestamps did not end it together (srp delivered its tail to some of them
    // in configurations whose start rounds were abandoned), so they do not come from it together.
    const predKey = (p: RingTs): string => `${ringKey(p.ring)}@${p.ts}`
    const preds = new Map<string, RingTs>()
    for (const s of starts) {
      if (s.clock > ts) ts = s.clock
      if (s.pred !== undefined) preds.set(predKey(s.pred), s.pred)
    }
    ts += 1
    if (ts > this.#clock) this.#clock = ts
    const gws = starts.filter((s) => s.gateway).sort((a, b) => a.sender - b.sender)
    const predList = [...preds.values()].sort(
      (a, b) => compareRingId(a.ring, b.ring) || a.ts - b.ts,
    )
    const predIndex = new Map(predList.map((p, i) => [predKey(p), i]))
    const cc: CcMessage = {
      kind: 'cc',
      ts,
      ring,
      sender: 0,
      lan: ls.lan,
      members: ls.srpMembers.slice(),
      preds: predList,
      gateways: gws.map((s) => s.sender),
      gatewayNonces: gws.map((s) => s.nonce),
      memberPreds: starts.map((st) =>
        st.pred === undefined ? NO_PRED : (predIndex.get(predKey(st.pred)) as number),
      ),
    }
    const ccKey: MessageKey = { ts, ring, rank: Rank.Cc }
    // A member is with us without a break only if it comes from our previous ring here, with
    // the same last timestamp there: one whose start names another ring (it left and came back
    // before we saw it go), or that ended the ring elsewhere than we did, joins anew.
    const myStart = ls.starts.get(this.#me)
    const minePred = myStart?.pred
    const mine = minePred?.ring
    const myAbandoned = myStart?.abandoned ?? 0
    const ours = ls.abandonedChain.slice(0, ls.abandonedChain.lastIndexOf(myAbandoned) + 1)
    const since = new Map<number, MessageKey>()
    for (const st of starts) {
      if (st.sender === this.#me) continue
      // And what srp delivered to it in rounds abandoned since is what it delivered to us.
      const same =
        minePred !== undefined &&
        st.pred !== undefined &&
        ringIdEquals(st.pred.ring, minePred.ring) &&
        st.pred.ts === minePred.ts &&
        (st.abandoned ?? 0) === myAbandoned
      since.set(st.sender, (same ? ls.since.get(st.sender) : undefined) ?? ccKey)
    }
    // Mates that hold more of our previous ring than we do: its tail never comes to us. So do
    // mates that ended it where we did but got, in srp configurations without us whose rounds
    // were abandoned, forwards, CCs or TCs we did not get (their hash is none of ours: not a
    // prefix of what srp delivered to us): their senders put each on the LAN once, and nothing
    // brings it to us now.
    const lost =
      minePred !== undefined &&
      starts.some(
        (st) =>
          st.pred !== undefined &&
          ringIdEquals(st.pred.ring, minePred.ring) &&
          (st.pred.ts > minePred.ts ||
            (st.pred.ts === minePred.ts && !ours.includes(st.abandoned ?? 0))),
      )
    if (lost) this.#tailLost(minePred, ccKey)
    const before = ls.since
    ls.since = since
    this.#ccNonces.set(ringKey(ring), new Map(starts.map((st) => [st.sender, st.nonce])))
    this.#trimTopologyMsgs()
    ls.phase = 'established'
    ls.est = ring
    ls.ringClock = ts
    ls.expect.clear()
    for (const st of starts) ls.expect.set(st.sender, { nonce: st.nonce, next: st.nextSeq })
    this.#stats.ringsEstablished++
    this.#resendNts(ls, starts, mine)
    this.#acceptCc(cc, ls.lan, since)
    this.#proposeReady(ls)
    const pre = ls.pre
    ls.pre = []
    for (const p of pre) {
      // Rule 7 for what srp delivered while the ring formed, put on the LAN by a processor not
      // on the ring now established that was not with us on our previous ring here either (it
      // was on an srp configuration whose start round was abandoned, and left): it was never
      // with us on this LAN, and is judged as a member that joins anew at this CC would be.
      const key = this.#strayKey(p.m, p.from, since, before)
      if (key !== undefined) {
        if (compareKey(key, ccKey) < 0) drop(this.#stats, MultiringErrorCode.NewPath)
        else if (ls.held.length >= this.#cfg.joinBufferMax) {
          drop(this.#stats, MultiringErrorCode.BufferFull)
          this.#lostForSpace(p.m, key, ccKey)
        } else ls.held.push({ m: p.m, from: p.from, until: ccKey, ring, old: p.old })
        continue
      }
      this.#onRingMessage(ls, p.m, p.from, p.old)
    }
  }

  /**
   * The key of a message srp delivered while the ring formed that a processor neither on the
   * ring now established nor on our previous ring here (at or above the key it was with us
   * from) put on the LAN: it came from a component we were never part of. Found with a
   * restarted gateway that took a CC naming its former self, forwarded by a gateway it never
   * shared an established ring with, for its own, and waited for ever for that CC's NTs
   * (0x50919).
   */
  #strayKey(
    m: RegularMessage | GvMessage | CcMessage | TcMessage,
    from: NodeId,
    now: ReadonlyMap<number, MessageKey>,
    before: ReadonlyMap<number, MessageKey>,
  ): MessageKey | undefined {
    if (from === this.#me || now.has(from)) return undefined
    const key = judgedKey(m)
    if (key === undefined) return undefined
    const was = before.get(from)
    return was === undefined || compareKey(key, was) < 0 ? key : undefined
  }

  /**
   * A mate back from another ring may still wait for our NT for the CC of the ring it was last
   * on with us: we sent it after it had left (on a ring without it), so it never got it, and
   * without it the CC cannot install at its end the topology it installed at ours. Sent again,
   * the same NT, on the new ring.
   */
  #resendNts(ls: LanState, starts: readonly StartMessage[], mine: RingId | undefined): void {
    if (!this.isGateway) return
    const again = new Set<string>()
    for (const st of starts) {
      if (st.sender === this.#me || st.pred === undefined) continue
      if (mine !== undefined && ringIdEquals(st.pred.ring, mine)) continue
      const pk = ringKey(st.pred.ring)
      if (again.has(pk)) continue
      // (A start's previous ring is a ring of this LAN.)
      const own = this.#ownNt.get(pk)
      if (own === undefined) continue
      again.add(pk)
      ls.fwd.push({ bytes: encodeMrMessage(own), g: 'agreed' })
      this.#stats.ntTx++
    }
  }

  #stamp(ls: LanState, m: RegularMessage | GvMessage): void {
    if (m.kind === 'regular') {
      // Per-sender FIFO on the source ring, decided alike at every member (same starts, same
      // srp order): a copy of a message already stamped is dropped, and so is one that comes
      // before its predecessor (which was lost with an abandoned start round and is being sent
      // again): its sender sends it again after the predecessor.
      const ex = ls.expect.get(m.sender)
      if (ex !== undefined && ex.nonce === m.nonce) {
        if (m.lanSeq < ex.next) {
          this.#stats.duplicates++
          if (this.#isOwn(m)) ls.inflight.delete(m.seq)
          return
        }
        if (m.lanSeq > ex.next) {
          drop(this.#stats, MultiringErrorCode.OutOfOrder)
          if (this.#isOwn(m)) this.#requeueOwn(m)
          return
        }
        ex.next++
      }
    }
    const ts = Math.max(ls.ringClock + 1, m.ts)
    ls.ringClock = ts
    const ring = ls.est as RingId
    if (m.kind === 'regular' && m.sender === this.#me && m.nonce === this.#nonce) {
      ls.inflight.delete(m.seq)
      const o = this.#own.get(m.seq)
      if (o !== undefined && o.lan === ls.lan) o.lan = undefined
    }
    this.#noteSafe(ls, ringKey(ring), ts)
    this.#receive({ ...m, stamped: true, ts, ring }, ls.lan)
  }

  // ---------------------------------------------------------------- receive

  #receive(m: RegularMessage | GvMessage, lan: number): void {
    if (m.ts > this.#clock) this.#clock = m.ts
    const k = ringKey(m.ring)
    const e = this.#table.get(k)
    if (e === undefined) {
      if (m.kind === 'regular' && m.sender === this.#me && m.nonce === this.#nonce) {
        this.#requeueOwn(m)
        return
      }
      if (this.#ended.has(k) && !this.#unjoined.has(k)) {
        drop(this.#stats, MultiringErrorCode.Late)
        return
      }
      // A ring of the other side of a merge in progress: its TC may bring it in.
      this.#keepPending(m, lan)
      return
    }
    if (e.givenUp === true) {
      // Nothing it stamped is delivered; what comes still moves its placeholder (and goes on
      // to the processors beyond, whose copy of the ring blocks the same way).
      if (m.kind === 'regular' && this.#isOwn(m)) this.#requeueOwn(m)
      if (m.ts > e.maxTs) {
        e.maxTs = m.ts
        this.#forward(m, { ts: m.ts, ring: m.ring, rank: Rank.Regular }, lan)
        this.#runDelivery()
      } else this.#stats.duplicates++
      return
    }
    if (m.ts <= e.maxTs) {
      this.#stats.duplicates++
      return
    }
    e.maxTs = m.ts
    const key: MessageKey = { ts: m.ts, ring: m.ring, rank: Rank.Regular }
    if (this.#lastDelivered !== undefined && compareKey(key, this.#lastDelivered) <= 0) {
      drop(this.#stats, MultiringErrorCode.Late)
      if (m.kind === 'regular' && m.sender === this.#me && m.nonce === this.#nonce)
        this.#requeueOwn(m)
      this.#runDelivery()
      return
    }
    this.#stats.received++
    this.#obs?.onReceive?.(key, lan, m.kind === 'regular' ? 'reg' : 'gv')
    this.#forward(m, key, lan)
    if (m.kind === 'gv') {
      e.lastGv = { m, lan }
      for (const g of m.entries) {
        const gk = ringKey(g.ring)
        if ((e.row.get(gk) ?? -1) < g.ts) e.row.set(gk, g.ts)
      }
    } else {
      e.list.push({ key, reg: m, cc: undefined, lan })
    }
    this.#runDelivery()
  }

  /**
   * What a ring we leave (a remote CC given up, a far ring the topology leaves out) holds waits
   * in the pending buffer for a topology that brings it back: its messages, and its last GV when
   * nothing it holds is newer. A GV only moves the ring's max timestamp, and each gateway
   * forwards it once onto a LAN: dropped with the entry, a ring brought back below it and ended
   * by its successor's CC at it blocked for ever (0x6419c: a GV was the ring's last stamp).
   */
  #keepHeld(e: RingEntry): void {
    for (const h of e.list.splice(0))
      if (h.reg !== undefined && h.lan !== undefined) this.#keepPending(h.reg, h.lan)
    if (e.lastGv !== undefined && e.lastGv.m.ts === e.maxTs)
      this.#keepPending(e.lastGv.m, e.lastGv.lan)
  }

  /**
   * One copy of each message waits: every gateway of a LAN forwards the same stamped message,
   * and when the pending buffer is handed on only the first copy of a key is taken (the others
   * are at or below the ring's max timestamp by then, duplicates). Kept, the copies filled the
   * buffer: node 8, coming to LAN 3's ring behind its CC 467, held about three copies of
   * every message of the three far rings whose CCs it had given up (16,384 entries, 6,541 keys),
   * dropped the oldest, and so, as for any loss (#lostForSpace), gave up CC 467 alone after its
   * proposal for it had gone out; its mates installed it, nothing started LAN 3's round again,
   * and it, and every processor waiting on it for safe messages, stopped (0x96700).
   */
  #keepPending(m: RegularMessage | GvMessage, lan: number): void {
    const k = pendingKey(m)
    if (this.#pendingKeys.has(k)) {
      this.#stats.duplicates++
      return
    }
    if (this.#pending.length >= this.#cfg.joinBufferMax) {
      drop(this.#stats, MultiringErrorCode.BufferFull)
      const lost = this.#pending.shift()?.m
      if (lost !== undefined) {
        this.#pendingKeys.delete(pendingKey(lost))
        this.#lostForSpace(lost, judgedKey(lost))
      }
    }
    this.#pending.push({ m, lan })
    this.#pendingKeys.add(k)
  }

  #acceptCc(
    cc: CcMessage,
    lan: number,
    since?: ReadonlyMap<number, MessageKey>,
    early?: MessageKey,
  ): void {
    if (cc.ts > this.#clock) this.#clock = cc.ts
    for (const p of cc.preds) {
      const pk = ringKey(p.ring)
      const s = this.#successors.get(pk) ?? new Set<number>()
      for (const n of cc.members) s.add(n)
      this.#successors.delete(pk)
      this.#successors.set(pk, s)
    }
    trimOldest(this.#successors, ENDED_REMEMBERED)
    const k = ringKey(cc.ring)
    if (this.#table.has(k) || this.#ended.has(k) || this.#topo.has(k)) {
      // Our ring's CC may have come round through another LAN before we established it.
      const known = this.#table.get(k)
      if (since !== undefined && known !== undefined) known.since = since
      // A copy by a path that can bring what lies below: the end it brings is a full one.
      if (early === undefined) this.#endPreds(cc, undefined, true)
      this.#stats.duplicates++
      return
    }
    const key: MessageKey = { ts: cc.ts, ring: cc.ring, rank: Rank.Cc }
    if (this.#lastDelivered !== undefined && compareKey(key, this.#lastDelivered) <= 0) {
      drop(this.#stats, MultiringErrorCode.Late)
      return
    }
    const entry: RingEntry = {
      id: cc.ring,
      k,
      lan: cc.lan,
      members: cc.members,
      list: [{ key, reg: undefined, cc }],
      maxTs: cc.ts,
      ended: false,
      endTs: 0,
      closed: false,
      row: new Map(),
      gwNonces: new Map(cc.gateways.map((g, x) => [g, cc.gatewayNonces[x] as number])),
      ...(since === undefined ? {} : { since }),
      anew: anewKeys(cc, key, (r) => this.#anewByRing.get(ringKey(r))),
    }
    if (entry.anew !== undefined && entry.anew.size > 0) {
      this.#anewByRing.set(k, entry.anew)
      trimOldest(this.#anewByRing, ENDED_REMEMBERED)
    }
    // Nothing is claimed for the new ring's members about older messages: some may come from
    // another component and never have had them (their gateways' GVs say what they hold; a safe
    // message they cannot be shown to hold goes in the transitional configuration of this CC).
    // The new ring has nothing below its CC.
    // (Below the CC, not the CC itself: whether the other rings' members hold the CC is for
    // their GVs to say, #covered.)
    for (const other of this.#table.values())
      if ((other.row.get(k) ?? -1) < cc.ts - 1) other.row.set(k, cc.ts - 1)
    entry.row.set(k, cc.ts)
    this.#table.set(k, entry)
    if (!cc.members.includes(this.#me)) {
      const far = new Map<number, Set<string>>()
      for (const g of cc.gateways) {
        const rs = new Set<string>()
        for (const o of this.#table.values())
          if (this.#isFar(o) && !o.closed && !o.ended && o.members.includes(g)) rs.add(o.k)
        far.set(g, rs)
      }
      this.#remoteGwRings.set(k, far)
      this.#trimTopologyMsgs()
    }
    // A gateway still on a successor of a ring it was seen on is still alive there.
    if (this.#isFar(entry))
      for (const far of this.#remoteGwRings.values())
        for (const [g, rs] of far)
          if (cc.members.includes(g as NodeId) && cc.preds.some((p) => rs.has(ringKey(p.ring))))
            rs.add(k)
    this.#applyLaterEnd(entry)
    this.#endPreds(cc, early)
    this.#closeUnreachable()
    this.#stats.received++
    this.#obs?.onReceive?.(key, lan, 'cc')
    this.#forward(cc, key, lan)
    this.#runDelivery()
  }

  /**
   * The incarnation nonce of `g` in this LAN's current round (from its start), if known yet: a
   * member whose start has not come may be a new incarnation.
   */
  #currentNonce(ls: LanState, g: number): number | undefined {
    if (!ls.srpMembers.includes(g as NodeId)) return undefined
    return ls.phase === 'established' ? ls.expect.get(g)?.nonce : ls.starts.get(g as NodeId)?.nonce
  }

  /**
   * Can a CC below `k` still reach this processor? Only through a remote ring still open below
   * `k` and a gateway mate on one of our LAN rings that may still put keys below `k` on it (one
   * that has been with us since before `k`; what a mate puts on the ring below the key it
   * joined us at is dropped).
   */
  #mayStillCome(k: MessageKey, givenUp: ReadonlySet<string> = new Set()): boolean {
    const open = [...this.#table.values()].some(
      (e) =>
        !e.closed &&
        !e.ended &&
        !givenUp.has(e.k) &&
        e.maxTs < k.ts &&
        !e.members.includes(this.#me),
    )
    return open && this.#gatewayMateBelow(k)
  }

  /**
   * Can the CC of a sibling of our ring (another successor of one of its predecessors, formed
   * on the same LAN by members that did not come with us) still reach us, possibly below our
   * CC `k`? Through a gateway that was on that predecessor with us, is not on our ring, and is
   * our mate on another LAN since before `k`: it forwards its new ring's CC there. Until that
   * CC came (any CC naming the predecessor with it as a member), or the gateway left that
   * other LAN's ring or is there as another incarnation (0x3f4, 0x61a82), or it is on this
   * LAN's ring with us again from that very predecessor (its start names it: it formed no ring
   * in between). Our NT sent before, without the sibling's
   * ring, and delivery past its CC, left that ring out of the topology at us and at every
   * processor our TC reaches, while its own members delivered it (0x7320d: gateways 5 and 6
   * each formed a ring of one on LAN 0; 5 entered the transitional configuration of its CC
   * 1538 before 6's CC 1537 came over LAN 1, and 6 alone delivered what it stamped after 1538).
   */
  #siblingMayCome(cc: CcMessage, k: MessageKey): boolean {
    const ls = this.#lans.find((l) => l.lan === cc.lan)
    if (ls === undefined || this.#lans.length < 2) return false
    for (const p of cc.preds) {
      const pk = ringKey(p.ring)
      const pe = this.#table.get(pk)
      const members = pe?.members ?? this.#topo.get(pk)?.members
      if (members === undefined || !members.includes(this.#me)) continue
      const known = this.#successors.get(pk)
      for (const g of members) {
        if (g === this.#me || cc.members.includes(g) || known?.has(g)) continue
        const st = ls.srpMembers.includes(g) ? ls.starts.get(g) : undefined
        if (st?.pred !== undefined && ringKey(st.pred.ring) === pk) continue
        // A new incarnation of it was never on that predecessor: it forms no sibling of it.
        const was = pe?.gwNonces.get(g)
        const mate = this.#lans.some((l) => {
          if (l === ls || l.phase !== 'established' || !l.srpMembers.includes(g)) return false
          const now = l.expect.get(g)?.nonce
          if (was !== undefined && now !== undefined && now !== was) return false
          const since = l.since.get(g)
          return since !== undefined && compareKey(since, k) < 0
        })
        if (mate) return true
      }
    }
    return false
  }

  /**
   * Can a gateway mate of ours still put keys below `k` on one of our LAN rings? Only one that has
   * been with us since before `k` (what a mate puts on the ring below the key it joined us at is
   * dropped, rule 7); a LAN whose ring is still forming may yet bring one.
   */
  #gatewayMateBelow(k: MessageKey): boolean {
    return this.#lans.some(
      (l) =>
        l.phase !== 'established' ||
        [...l.since].some(
          ([g, since]) =>
            l.starts.get(g as NodeId)?.gateway === true &&
            compareKey(since, k) < 0 &&
            !this.#besideUs(g, l, k),
        ),
    )
  }

  /**
   * Is gateway mate `g` of LAN `l` only beside us: on the established ring of each of our other
   * LANs too, with us there since before `k`, and on no ring we know of a LAN we are not on?
   * What it could bring below `k` it gets on those rings, where we get it too: a mate it has
   * had there since before `k` has been ours since then as well. With us there only since `k`
   * or later, it still is when it came to that ring alone (#cameAlone): it has no mate there
   * since before the ring's CC, and gets nothing below it there at all (0x9c200: gateways 13
   * and 14, on LANs 0 and 1, each waited for ever for the other to bring a far CC's TC, 14
   * back on LAN 1 from a ring of its own).
   */
  #besideUs(g: number, l: LanState, k: MessageKey): boolean {
    if (this.#lans.length < 2) return false
    for (const o of this.#lans) {
      if (o === l) continue
      const since = o.since.get(g)
      if (o.phase !== 'established' || since === undefined) return false
      if (compareKey(since, k) >= 0 && !this.#cameAlone(o, g)) return false
    }
    for (const e of this.#table.values())
      if (e.members.includes(g as NodeId) && this.#isFar(e)) return false
    return true
  }

  /**
   * Did mate `g` come to LAN `o`'s established ring alone: no other member's start (ours too)
   * names the previous ring, last timestamp and abandoned hash its start names? Then every mate
   * there is with it only since the ring's CC, and what they put on the ring below that key it
   * drops (rule 7), a TC too: it can bring us nothing older from that LAN.
   */
  #cameAlone(o: LanState, g: number): boolean {
    const st = o.starts.get(g as NodeId)
    if (st === undefined) return false
    const p = st.pred
    if (p === undefined) return true
    for (const [n, other] of o.starts) {
      if (n === g || other.pred === undefined) continue
      if (n !== this.#me && !o.since.has(n)) continue
      if (
        ringIdEquals(other.pred.ring, p.ring) &&
        other.pred.ts === p.ts &&
        (other.abandoned ?? 0) === (st.abandoned ?? 0)
      )
        return false
    }
    return true
  }

  /**
   * Does ring `r` list this processor as itself? A ring of one of our LANs formed before this
   * incarnation's first srp ring there (a lower srp seq: srp ring seqs rise for a processor,
   * also across restarts) lists a former self, which crashed: it is not ours, and we are no
   * link of it.
   */
  #asSelf(r: ViewRing | RingEntry): boolean {
    if (!r.members.includes(this.#me)) return false
    const ls = this.#lans.find((l) => l.lan === r.lan)
    if (ls === undefined) return true
    const first = ls.firstSrpSeq
    const ring = 'id' in r ? r.id : r.ring
    return first !== undefined && ring.seq / (EPOCHS * LAN_SLOTS) >= first
  }

  /** Is a ring of LAN `lan` with this processor in it part of the topology? */
  #hasRingOn(lan: number): boolean {
    for (const r of this.#topo.values())
      if (r.lan === lan && r.members.includes(this.#me)) return true
    return false
  }

  /**
   * Is gateway member `n` of ring `e` an incarnation that is no more? (It is on a LAN ring of
   * ours now with another nonce than the CC gave it: it restarted, so it links nothing there.)
   */
  #gone(e: RingEntry, n: number): boolean {
    const was = e.gwNonces.get(n)
    if (was === undefined) return false
    for (const l of this.#lans) {
      const now = this.#currentNonce(l, n)
      if (now !== undefined && now !== was) return true
    }
    return false
  }

  /**
   * Is gateway `n` on rings `e` and `o` as two incarnations (their CCs, or the CCs that brought
   * them, name it with different nonces)? A restarted gateway links nothing its former self
   * linked, also where we never shared a LAN with either.
   */
  #twoSelves(e: RingEntry, o: RingEntry, n: number): boolean {
    const a = e.gwNonces.get(n)
    const b = o.gwNonces.get(n)
    return a !== undefined && b !== undefined && a !== b
  }

  /** A ring on a LAN this processor is not on. */
  #isFar(e: RingEntry): boolean {
    return !this.#lans.some((l) => l.lan === e.lan)
  }

  #endPreds(cc: CcMessage, early?: MessageKey, onlyLate = false): void {
    const by: MessageKey = { ts: cc.ts, ring: cc.ring, rank: Rank.Cc }
    for (const p of cc.preds) {
      const k = ringKey(p.ring)
      const pe = this.#table.get(k)
      if (onlyLate) {
        if (pe !== undefined) delete pe.endLate
        continue
      }
      if (pe === undefined) {
        // Its own CC may still come (by another path, or in a TC): it ends there.
        this.#laterEnd(k, p.ts, by)
        continue
      }
      // Ended only by a mate that joined us after the ring's pending CC (see RingEntry.endLate).
      const h = pe.list[0]
      const late =
        early !== undefined &&
        h?.cc !== undefined &&
        ringKey(h.cc.ring) === k &&
        compareKey(h.key, early) < 0
      if (late && (!pe.ended || pe.endLate === true)) pe.endLate = true
      else delete pe.endLate
      pe.ended = true
      const end = pe.cut !== undefined && pe.cut < p.ts ? pe.cut : p.ts
      if (pe.endTs < end) pe.endTs = end
      pe.endBy = lowest(pe.endBy, by) ?? by
    }
  }

  /**
   * A mate of our new ring ended our previous ring `pred` later than we did: srp delivered its
   * tail to them in configurations whose start rounds were abandoned (no CC marks them), and
   * nothing brings it to us now. We cannot move with them to a topology they installed after
   * delivering what we never will: until the new ring's CC we are a configuration of our own
   * (transitional then regular, just us), the CCs below it install nothing here, and the ring
   * ends for us where we ended it.
   */
  #tailLost(pred: RingTs, ccKey: MessageKey): void {
    const pe = this.#table.get(ringKey(pred.ring))
    if (pe !== undefined) {
      pe.cut = pred.ts
      if (pe.ended && pe.endTs > pred.ts) pe.endTs = pred.ts
    }
    this.#stats.tailsLost++
    this.#endAlone(ccKey, [ringKey(pred.ring), String(pred.ts)])
  }

  /**
   * We dropped `m` (held by rule 7 until the CC `until`, or pending) for lack of space. srp
   * delivered it here, so our mates and the gateways' GVs count us as holding it, and nothing
   * brings it again (a gateway puts a message on a LAN once). We leave as for a lost tail: the
   * CCs below its key install nothing here (our decision ack 0 at each: no mate counts us, and
   * no GV claims anything, above the first of them until we install a topology above it), and
   * what we deliver until then goes in a configuration of our own. A CC of our ring we have not
   * proposed for yet gets 0, so its members give it up alike and the LAN starts its round again
   * (0x75905: nodes 5 and 6, joining LAN 1's ring anew behind a CC that waited three seconds,
   * held every forward of four gateways, dropped LAN 0's messages 4568-4700 at joinBufferMax,
   * and node 1 counted them through LAN 1's row and delivered its safe messages among them).
   * A GV is no loss: nothing delivers it.
   */
  #lostForSpace(
    m: RegularMessage | GvMessage | CcMessage | TcMessage,
    key: MessageKey | undefined,
    until?: MessageKey,
  ): void {
    if (key === undefined || m.kind === 'gv') return
    this.#stats.lostForSpace++
    if (until !== undefined) {
      const k = ringKey(until.ring)
      const cc = this.#table.get(k)?.list[0]?.cc
      const ls = this.#lans.find((l) => l.lan === cc?.lan)
      if (
        cc !== undefined &&
        ls !== undefined &&
        ringKey(cc.ring) === k &&
        cc.ts === until.ts &&
        cc.members.includes(this.#me)
      )
        this.#propose(ls, cc, k, 0)
    }
    this.#endAlone(key, ['space', ringKey(key.ring), String(key.ts)])
  }

  /**
   * Until the key `below` we are a configuration of our own (transitional now, regular when the
   * next CC installs a topology), and the CCs below it install nothing here (#tailLost,
   * #lostForSpace).
   */
  #endAlone(below: MessageKey, why: string[]): void {
    if (this.#skipBelow === undefined || compareKey(this.#skipBelow, below) < 0)
      this.#skipBelow = below
    const alone = this.#topoMembers.length === 1 && this.#topoMembers[0] === this.#me
    // Once a transitional configuration was entered, its regular one comes next.
    if (this.#topoId === undefined || alone || this.#trans !== undefined) return
    // What we deliver until then goes in the transitional configuration (the others delivered
    // it, as safe too, in the configuration we leave); its regular one, just us, is installed
    // when the next CC is (#install).
    const left = this.#topoMembers.filter((n) => n !== this.#me)
    const id: RingId = {
      rep: topologyRep([`alone ${this.#me}`, ...why]),
      seq: this.#topoId.seq + 1n,
    }
    this.#alone = { id, left }
    this.#topoMembers = [this.#me]
    this.#topoKey = undefined
    this.#tellAlone('transitional', this.#alone)
  }

  /** Our configuration of our own (#tailLost), its transitional or its regular half. */
  #tellAlone(kind: 'transitional' | 'regular', a: { id: RingId; left: NodeId[] }): void {
    this.#listener.onConfigurationChange({
      kind,
      ringId: a.id,
      members: [this.#me],
      left: a.left,
      joined: [],
    })
  }

  /** Ring `k`, not in the table, ends at `ts` if it comes (back), by the CC `by`. */
  #laterEnd(k: string, ts: number, by: MessageKey | undefined): void {
    const l = this.#laterEnds.get(k)
    this.#laterEnds.set(k, { ts: l === undefined || l.ts < ts ? ts : l.ts, by: lowest(l?.by, by) })
    trimOldest(this.#laterEnds, ENDED_REMEMBERED)
  }

  /** A ring entry was created: a successor CC already held may have ended it. */
  #applyLaterEnd(e: RingEntry): void {
    const l = this.#laterEnds.get(e.k)
    if (l === undefined) return
    this.#laterEnds.delete(e.k)
    e.ended = true
    if (e.endTs < l.ts) e.endTs = l.ts
    const by = lowest(e.endBy, l.by)
    if (by !== undefined) e.endBy = by
  }

  /**
   * Our current ring on its LAN, ended by a successor's CC we are not on, while srp has not moved
   * us off it (the LAN is still established on it: no srp configuration since it was). It still
   * links us to the mates srp keeps with us there (not those on that successor's ring,
   * #leftWith): what they forward reaches us on it, in srp's order, as before. Taken as ended,
   * gateway 16 (LANs 0 and 2) cut LAN 1's and LAN 3's rings off the moment gateway 15's CC 654
   * of a LAN 0 ring of its own, which named LAN 0's ring 1.1409286144, came over LAN 2, with
   * 16's srp ring on LAN 0 unchanged and gateways 13, 14, 17 and 18 on it; its NT for LAN 2's
   * CC 600 left LAN 1's ring 4.1140850689 out at 598 (#leftOutBelowTrans), while nodes 1, 2, 3,
   * 13, 14, 17 and 18 still reached it, got its message 599 before CC 600 and delivered it in
   * 600's early transitional configuration, which 7, 9, 15 and 16 passed without it (0xa2805:
   * virtual synchrony).
   */
  #stillOn(e: RingEntry): boolean {
    if (!e.ended || !e.members.includes(this.#me)) return false
    const l = this.#lans.find((x) => x.lan === e.lan)
    return l?.phase === 'established' && l.est !== undefined && ringKey(l.est) === e.k
  }

  /**
   * Did member `n` of our ring `e`, which we are still on (#stillOn, judged by the caller once
   * per ring), leave it for the successor's ring that ended it? It links nothing through `e` any
   * more.
   */
  #leftWith(e: RingEntry, n: number): boolean {
    if (n === this.#me) return false
    if (e.endBy === undefined) return true
    const o = this.#table.get(ringKey(e.endBy.ring))
    return o === undefined || o.members.includes(n as NodeId)
  }

  /** Rings no longer connected to this processor through gateways never block again (§6.3). */
  #closeUnreachable(): void {
    const reached = this.#reached()
    // A ring whose CC is still pending blocks with its CC; whether that CC is given up is
    // decided when it is the lowest key (see #ccReady).
    for (const e of this.#table.values())
      if (!e.closed && !e.ended && !reached.has(e.k) && e.list[0]?.cc === undefined) e.closed = true
  }

  /**
   * Keys of the open rings connected to this processor's current rings through members (`asOpen`:
   * a ring ended only by mates that joined us after its CC counts as open, RingEntry.endLate).
   */
  #reached(withEnded = false, without?: ReadonlySet<number>, asOpen?: string): Set<string> {
    // Our rings still on after a successor's CC ended them, judged once per call (#stillOn).
    const stillOn = new Set<string>()
    const live = [...this.#table.values()].filter((e) => {
      if (e.closed) return false
      if (this.#stillOn(e)) stillOn.add(e.k)
      return withEnded || !e.ended || (e.k === asOpen && e.endLate === true) || stillOn.has(e.k)
    })
    const reached = new Set<string>()
    // A ring of ours whose CC is not delivered yet links us only through mates that have been
    // with us since before that CC: what one that joins us there sends below the CC is dropped
    // (rule 7), so the rings only it links us to can no longer send us anything lower. Reached
    // through another ring's member, the ring links as any other.
    const partial = new Set<string>()
    const stack: RingEntry[] = []
    // Start from this processor's current rings only: an ended ring (its successor's CC is in)
    // still lists members that left with the change, such as a crashed gateway, and must not
    // keep the rings on the far side of that gateway reachable.
    for (const e of live)
      if (this.#asSelf(e)) {
        ;(this.#joinedBelow(e) === undefined ? reached : partial).add(e.k)
        stack.push(e)
      }
    // A partial ring entered through a member of another ring links onward only through the
    // mates that member has been with since before the CC (those whose start named the same
    // previous ring: its own rule 7), not through mates that joined all of us there.
    const via = new Map<string, Set<number>>()
    // So does a ring of a far member whose CC is not delivered here yet (session 15, helper-100):
    // entered through one of its members, it links onward only through the members that came to
    // it with that one (the same previous ring), and to a ring that has sent us everything below
    // the CC. One that joined it anew there has what it puts on the ring below the CC dropped by
    // them (their rule 7) and what it puts above held until they deliver the CC (or give it up),
    // so nothing of the rings only it links reaches us below the CC by that way. Linked through
    // every member, a ring that only such members still linked to us stayed open here for ever
    // below the CC: the far LAN's new ring brought it no older message, and its own members, on
    // the far side of the merge, sent it none by an old path (0x9e801). Above the CC the member
    // still links it (cut off there too, a ring lost messages that the far ring's members handed
    // on once its CC was given up, 0x8a603).
    const farPending = (o: RingEntry): boolean =>
      !o.members.includes(this.#me) && o.list[0]?.cc !== undefined
    while (stack.length > 0) {
      const e = stack.pop() as RingEntry
      const ok = reached.has(e.k) ? undefined : farPending(e) ? () => false : this.#joinedBelow(e)
      const above = farPending(e) ? (e.list[0]?.key.ts as number) : undefined
      const also = via.get(e.k)
      for (const o of live) {
        if (o === e || reached.has(o.k)) continue
        const links = e.members.filter(
          (n) =>
            o.members.includes(n) &&
            // Ourselves: not a way into a ring of ours that links only through some mates.
            !(n === this.#me && partial.has(o.k)) &&
            // Nor through a former self of ours (#asSelf).
            !(n === this.#me && !(this.#asSelf(e) && this.#asSelf(o))) &&
            !this.#gone(e, n) &&
            !this.#gone(o, n) &&
            !(stillOn.has(e.k) && this.#leftWith(e, n)) &&
            !(stillOn.has(o.k) && this.#leftWith(o, n)) &&
            !this.#twoSelves(e, o, n) &&
            without?.has(n) !== true &&
            (ok === undefined ||
              ok(n) ||
              also?.has(n) === true ||
              (above !== undefined && o.maxTs >= above)),
        )
        if (links.length === 0) continue
        if (partial.has(o.k) || farPending(o)) {
          const cc = o.list[0]?.cc as CcMessage
          let v = via.get(o.k)
          if (v === undefined) {
            v = new Set()
            via.set(o.k, v)
          }
          const before = v.size
          for (const n of links) {
            v.add(n)
            const p = cc.memberPreds[cc.members.indexOf(n as NodeId)]
            if (p !== undefined && p !== NO_PRED)
              cc.members.forEach((m, i) => {
                if (cc.memberPreds[i] === p) v.add(m)
              })
          }
          if (v.size > before) stack.push(o)
          continue
        }
        reached.add(o.k)
        stack.push(o)
      }
    }
    for (const k of partial) reached.add(k)
    for (const k of via.keys()) reached.add(k)
    return reached
  }

  /**
   * For a ring of ours whose CC is not delivered yet: which mates have been with us since before
   * that CC (undefined for any other ring).
   */
  #joinedBelow(e: RingEntry): ((n: number) => boolean) | undefined {
    const head = e.list[0]
    if (head?.cc === undefined || !e.members.includes(this.#me)) return undefined
    // Its LAN's current mates (an older ring of ours whose CC is still pending counts them too:
    // a mate not with us since before that CC, or gone, brings nothing below it any more).
    const ls = this.#lans.find((l) => l.lan === e.lan)
    if (ls === undefined) return undefined
    // Below the lowest CC of our rings on this LAN still pending, not only below this ring's
    // own: a mate that joined us at a CC we have not delivered yet brings nothing below that CC
    // (dropped) and nothing above it before we deliver it (held), so while that CC waits, the
    // rings only it links us to can send us nothing (0x4bafd: a mate that joined at an older
    // ring's pending CC kept a far ring reachable, whose end it held, for ever).
    let low = head.key
    for (const o of this.#table.values()) {
      const h = o.list[0]
      if (o.lan === e.lan && h?.cc !== undefined && o.members.includes(this.#me))
        if (compareKey(h.key, low) < 0) low = h.key
    }
    return (n) => {
      const since = ls.since.get(n)
      return since !== undefined && compareKey(since, low) < 0
    }
  }

  // ---------------------------------------------------------------- forwarding

  #forward(m: RegularMessage | GvMessage | CcMessage, key: MessageKey, fromLan: number): void {
    if (this.#lans.length < 2) return
    for (const ls of this.#lans) {
      if (ls.lan === fromLan) continue
      if (ls.est !== undefined && ringIdEquals(ls.est, m.ring) && m.kind !== 'cc') continue
      if (
        m.kind === 'cc' &&
        m.lan === ls.lan &&
        ls.est !== undefined &&
        ringIdEquals(ls.est, m.ring)
      )
        continue
      const sk = ringKey(m.ring)
      const prev = ls.seen.get(sk)
      if (prev !== undefined && compareKey(key, prev) <= 0) continue
      ls.seen.set(sk, key)
      if (ls.fwd.length >= this.#cfg.forwardQueueMax) {
        drop(this.#stats, MultiringErrorCode.BufferFull)
        continue
      }
      const out = m.kind === 'cc' ? { ...m, sender: this.#me } : m
      ls.fwd.push({
        bytes: encodeMrMessage(out),
        g: m.kind === 'regular' ? m.guarantee : m.kind === 'gv' ? 'safe' : 'agreed',
      })
      ls.gvDirty = true
      this.#stats.forwarded++
      this.#obs?.onForward?.(key, fromLan, ls.lan)
    }
  }

  // ---------------------------------------------------------------- sending

  #pumpAll(): void {
    for (const ls of this.#lans) this.#pump(ls)
    this.#pumpOwn()
  }

  /** Control messages first, then forwarded ones (only on an established ring). */
  #pump(ls: LanState): void {
    if (!this.#running) return
    while (ls.ctrl.length > 0) {
      const c = ls.ctrl[0] as { bytes: Uint8Array; g: Guarantee; ordered?: boolean }
      if (ls.srp.send(c.bytes, c.g, { ordered: c.ordered === true }) === 'full') {
        this.#armRetry()
        return
      }
      this.#stats.srpTx++
      ls.ctrl.shift()
    }
    if (ls.phase !== 'established') return
    while (ls.fwd.length > 0) {
      const f = ls.fwd[0] as { bytes: Uint8Array; g: Guarantee }
      if (ls.srp.send(f.bytes, f.g) === 'full') {
        this.#armRetry()
        return
      }
      this.#stats.srpTx++
      ls.fwd.shift()
    }
  }

  #usable(ls: LanState): boolean {
    return ls.phase === 'established' && ls.est !== undefined && this.#topo.has(ringKey(ls.est))
  }

  /**
   * The LAN own messages are originated on. A gateway keeps one while it can and moves only once
   * everything it sent there is stamped, so its messages stay in FIFO (and Lamport) order.
   */
  /**
   * Does a ring of ours on `lan` whose CC is not decided yet hold an own message? Its stamp is not
   * final (given up, the ring delivers nothing and the message goes out again): we stay on that
   * LAN meanwhile, or a later message sent elsewhere would overtake it.
   */
  #ownUndecided(lan: number): boolean {
    for (const e of this.#table.values()) {
      if (e.lan !== lan || e.list[0]?.cc === undefined || ringKey(e.list[0].cc.ring) !== e.k)
        continue
      if (e.list.some((h) => h.reg !== undefined && this.#isOwn(h.reg))) return true
    }
    return false
  }

  #originLan(): LanState | undefined {
    // A message that has a LAN seq keeps it and its LAN until it is stamped: that LAN's start
    // rounds declared it as this sender's next seq there, so its members expect it (sent
    // elsewhere, it would leave a gap that stalls every later message of ours on that LAN).
    const head = this.#sendQueue[0]
    if (head?.lan !== undefined) {
      const ls = this.#lans.find((l) => l.lan === head.lan)
      if (ls !== undefined) return this.#usable(ls) ? ls : undefined
    }
    const home = this.#home
    if (home !== undefined && this.#usable(home)) return home
    if (home !== undefined && (home.inflight.size > 0 || this.#ownUndecided(home.lan)))
      return undefined
    for (const ls of this.#lans)
      if (this.#usable(ls)) {
        this.#home = ls
        return ls
      }
    return undefined
  }

  #pumpOwn(): void {
    if (!this.#running) return
    while (this.#sendQueue.length > 0) {
      const ls = this.#originLan()
      if (ls === undefined || ls.ctrl.length > 0) return
      const own = this.#sendQueue[0] as OwnMessage
      if (own.lan !== ls.lan) {
        own.lan = ls.lan
        own.lanSeq = ls.nextLanSeq++
      }
      const proposed = this.#clock + 1
      const bytes = encodeMrMessage({
        kind: 'regular',
        guarantee: own.guarantee,
        stamped: false,
        ts: proposed,
        ring: { rep: 0, seq: 0n },
        sender: this.#me,
        nonce: this.#nonce,
        seq: own.seq,
        lanSeq: own.lanSeq,
        payload: own.payload,
      })
      if (ls.srp.send(bytes, own.guarantee, { ordered: true }) === 'full') {
        this.#armRetry()
        return
      }
      this.#clock = proposed
      this.#stats.srpTx++
      this.#sendQueue.shift()
      ls.inflight.set(own.seq, own)
    }
  }

  #requeueOwn(m: RegularMessage): void {
    if (m.sender !== this.#me || m.nonce !== this.#nonce) return
    const known = this.#own.get(m.seq)
    // Once per stamp: a stamp given up sends the message again, and that attempt gets its own
    // LAN seq and, once stamped, its own key. Another copy of the old stamp (a duplicate on a
    // ring given up, a copy of a ring we no longer know) says nothing about the new attempt:
    // sent again for it, the message took a second key while the first was still to be
    // delivered, and processors that got only one of the copies ordered it apart (0x8f604:
    // gateway 5's message, stamped 1473 on LAN 0's ring 5.1140850688 whose CC was given up,
    // went out again and took 1994 on the next ring; gateway 7 forwarded the copy of 1473 back
    // onto LAN 1, 5 sent the message a third time, and it took 2701 on that ring too).
    if (m.stamped && known !== undefined) {
      const sk = `${ringKey(m.ring)}@${m.ts}`
      known.resentFor ??= []
      const done = known.resentFor
      if (done.includes(sk)) return
      done.push(sk)
      if (done.length > RESENT_STAMPS_KEPT) done.shift()
    }
    for (const ls of this.#lans) ls.inflight.delete(m.seq)
    this.#requeue(
      known ?? {
        seq: m.seq,
        payload: m.payload.slice(),
        guarantee: m.guarantee,
        lan: undefined,
        lanSeq: 0,
      },
    )
  }

  #requeue(own: OwnMessage): void {
    if (this.#isDelivered(this.#me, this.#nonce, own.seq)) return
    if (this.#sendQueue.some((o) => o.seq === own.seq)) return
    this.#stats.resent++
    let i = 0
    while (i < this.#sendQueue.length && (this.#sendQueue[i] as OwnMessage).seq < own.seq) i++
    this.#sendQueue.splice(i, 0, own)
  }

  #armRetry(): void {
    if (this.#retry !== undefined || !this.#running) return
    this.#retry = this.#rt.timers.after(this.#cfg.retryMs, () => {
      this.#retry = undefined
      this.#pumpAll()
    })
  }

  #armGvTimer(): void {
    this.#timer = this.#rt.timers.after(this.#cfg.gvIntervalMs, () => {
      if (!this.#running) return
      const now = this.#rt.clock.nowMs()
      for (const ls of this.#lans) {
        if (ls.phase !== 'established' || ls.est === undefined) continue
        if (!ls.gvDirty && now - ls.lastGvMs < this.#cfg.gvIdleMs) continue
        this.#sendGv(ls, now)
      }
      this.#pumpAll()
      this.#armGvTimer()
    })
  }

  /** A guarantee vector on one attached ring (G3: it doubles as the Null message). */
  #sendGv(ls: LanState, now: number): void {
    // Rings still ordered here first, then recently ended ones (a processor that is behind may
    // still need their column to deliver their last safe messages).
    const entries: RingTs[] = []
    const add = (k: string): void => {
      const ts = ls.myGv.get(k)
      if (ts !== undefined && entries.length < RINGS_MAX)
        entries.push({ ring: parseRingKey(k), ts })
    }
    for (const e of this.#table.values()) add(e.k)
    const ended = [...this.#ended]
    for (let i = ended.length - 1; i >= 0 && entries.length < RINGS_MAX; i--)
      if (!this.#table.has(ended[i] as string)) add(ended[i] as string)
    // Forget vector entries of rings nobody can need any more.
    if (ls.myGv.size > 4 * RINGS_MAX)
      for (const k of [...ls.myGv.keys()])
        if (!this.#table.has(k) && !this.#ended.has(k)) ls.myGv.delete(k)
    // What the vector claims for this LAN's members holds only as far as each decided the CCs
    // we passed as we did: processors elsewhere count them by it.
    const cap = this.#agreedBelow(ls)
    const capped =
      cap === undefined ? entries : entries.map((x) => (x.ts > cap ? { ring: x.ring, ts: cap } : x))
    const proposed = ++this.#clock
    ls.ctrl.push({
      bytes: encodeMrMessage({
        kind: 'gv',
        stamped: false,
        ts: proposed,
        ring: { rep: 0, seq: 0n },
        sender: this.#me,
        entries: capped,
      }),
      g: 'safe',
      ordered: true,
    })
    ls.gvDirty = false
    ls.lastGvMs = now
    this.#stats.gvTx++
  }

  // ---------------------------------------------------------------- delivery

  /** Where an empty ring that still blocks holds delivery. */
  #placeholder(e: RingEntry): MessageKey {
    if (e.floor !== undefined && e.maxTs <= e.floor.ts) return e.floor
    return { ts: e.maxTs, ring: PLACEHOLDER_RING, rank: Rank.Cc }
  }

  /**
   * Does empty ring `e` still hold delivery at its placeholder? Until it closes, or it ends and
   * its messages up to the end are in. A ring whose CC was given up by its members' agreement
   * (`givenUp`) delivers nothing anywhere and blocks only until its successor's CC ends it: that
   * CC is then held in its own ring's list and keeps delivery below it by itself, so the ring's
   * last messages, which nobody delivers, are not waited for (session 16, helper-106). A path
   * that gave the CC up on its own (cut off) drops them as late and never forwards them: nodes
   * 1, 2 and 3 (LAN 0) got LAN 2's ring 7.1476395010 up to 269 from gateway 13, which then cut
   * it off, passed its CC 48 by the void TC, and waited for ever at 269 for the ring's end 308
   * that LAN 2's next CC 412 named, while everyone else waited for them on a safe message
   * (0xa2602: self-delivery).
   */
  #blocking(e: RingEntry): boolean {
    if (e.closed) return false
    if (!e.ended) return true
    return e.maxTs < e.endTs && e.givenUp !== true
  }

  /**
   * A safe message is deliverable once every processor of the topology is known to hold it: a
   * ring's guarantee row covering the message covers all that ring's members (TOCS §4.1.3.2,
   * taken per member so a ring that has ended, or whose members moved on, does not block).
   */
  #safeOk(h: Held): boolean {
    const covered = this.#covered(h)
    // Members no row covers (crashed, stopped, partitioned away): the message waits, or goes in
    // the transitional configuration of the topology change that removes them (#enterTransitional).
    for (const n of this.#topoMembers) if (n !== this.#me && !covered.has(n)) return false
    return true
  }

  /** The processors some guarantee row shows to hold `h`. */
  #covered(h: Held): Set<number> {
    const k = ringKey(h.key.ring)
    const covered = new Set<number>()
    for (const e of this.#table.values()) {
      if (e.closed) continue
      if ((e.row.get(k) ?? -1) < h.key.ts) continue
      // On a ring of ours, a mate that joined us after the message may lack it (it was not
      // there when the message went round), also once the LAN has moved on to a new round; and
      // one that did not decide the CCs we passed as we did would not deliver it (a member of
      // the ring is counted only by those that installed the same topology).
      const ls = e.since === undefined ? undefined : this.#lans.find((l) => l.lan === e.lan)
      // A far ring's row counts its members in our topology only once it shows them holding
      // the CC that installed it (session 13, helper-86): holding a message is not delivering it
      // in our configuration, and a member that never got that CC never installs it. A GV sent
      // before its sender had the CC claims the message all the same (no decision caps it yet),
      // and a member that left the gateways' srp ring before the CC came round was counted for
      // safe messages of a topology it never installed (0x88505).
      const t = this.#topoKey
      if (
        ls === undefined &&
        t !== undefined &&
        e.k !== ringKey(t.ring) &&
        (e.row.get(ringKey(t.ring)) ?? -1) < t.ts
      )
        continue
      for (const n of e.members) {
        const j = e.since?.get(n)
        if (j !== undefined && compareKey(h.key, j) < 0) continue
        // A far ring's GVs (a gateway's srp safe deliveries) prove nothing below its CC about
        // a member that joined it anew: it dropped the gateway's older forwards by rule 7. Nor
        // when it is on the message's source ring and got the message there (session 12,
        // helper-74): holding it is not delivering it in our configuration. The gateways' GV cap
        // vouches for a mate's decisions only from where it is with them, the CC here; below it
        // the member came from another component, where it may have given up the CC that
        // installed our topology (0x75609: a LAN mate split off alone, gave our CC up there,
        // came back anew, and the far members counted it through the row of the LAN's new ring
        // for safe messages of the ring it had left).
        const anewAt = e.since === undefined ? e.anew?.get(n) : undefined
        if (anewAt !== undefined && compareKey(h.key, anewAt) < 0) continue
        if (ls !== undefined && n !== this.#me && !this.#agrees(ls, n, j, e.k)) continue
        // A LAN mate counts only if it decided the CCs as we did, whatever row covers it: a far
        // ring it joined since shows it holds the message, not that it delivers it in our
        // configuration (0x5a573: a gateway that alone installed a remote CC, counted through
        // the row of the far ring it joined next).
        if (ls === undefined && n !== this.#me && !this.#mateAgrees(n)) continue
        covered.add(n)
      }
    }
    return covered
  }

  /**
   * The lowest key any ring holds or may still send: a held message, or the placeholder of an
   * empty ring that still blocks.
   */
  #lowest(): { e: RingEntry; key: MessageKey; placeholder: boolean } | undefined {
    let best: { e: RingEntry; key: MessageKey; placeholder: boolean } | undefined
    for (const e of this.#table.values()) {
      const head = e.list[0]
      const c =
        head !== undefined
          ? { e, key: head.key, placeholder: false }
          : this.#blocking(e) && !this.#leftOutBelowTrans(e)
            ? { e, key: this.#placeholder(e), placeholder: true }
            : undefined
      if (c !== undefined && (best === undefined || compareKey(c.key, best.key) < 0)) best = c
    }
    return best
  }

  /**
   * In a transitional configuration entered early, a far ring that the coming topology leaves
   * out (not ended below its CC, nor given up by agreement) no longer blocks below that CC: the
   * CC's gateways listed in their NTs every ring they still reached and had not seen superseded,
   * so they had cut it off (reference §6.3), and its installers deliver of it, below the CC,
   * only what they held then; nothing of it can reach us by another path than theirs. What we
   * hold of it is still delivered in key order; what comes later is late. Waiting for its next
   * message (its end came, from processors beyond that gateway, far above the CC) stalled the
   * far LANs behind a gateway that left the hub LAN, and everyone else behind them on safe
   * messages (0x80500).
   *
   * "Ended below its CC" is by a successor's CC at or below that CC (helper-98's diagnosis,
   * session 16): then the gateways saw the ring superseded, or the ring is one of that CC's own
   * predecessors, and its installers deliver it up to its end. A successor's
   * CC above it may name an end below it all the same (the last timestamp a member stamped), but
   * says nothing of what the installers held: they had cut the ring off. Judged by the end's
   * timestamp, gateway 7 and node 2, which learnt LAN 1's ring 5.603979777 (its only gateway
   * stopped) with the end 149 that LAN 1's next CC 193 named before they could cut it off, waited
   * in LAN 0's CC 153's transitional configuration for 147–149, which only the ring's ordinary
   * member held, while nodes 1 and 3, which had cut it off before 193 came, installed 153 and
   * waited for 2 and 7 on their safe messages (0x9c009). Strictly below (helper-98's first
   * form), a predecessor of that CC itself stopped blocking: at node 3 and gateway 6, LAN 1's
   * ring 5.335544321, ended by LAN 1's CC 85 at 83, let 85's early transitional configuration
   * pass its message 72, which 1, 2 and 5 delivered there (0x5002: virtual synchrony).
   */
  #leftOutBelowTrans(e: RingEntry): boolean {
    const t = this.#trans
    if (t === undefined || t.rings.has(e.k) || e.givenUp === true) return false
    if (e.members.includes(this.#me)) return false
    if (e.ended && e.endTs < t.key.ts && (e.endBy === undefined || compareKey(e.endBy, t.key) <= 0))
      return false
    return compareKey(this.#placeholder(e), t.key) < 0
  }

  /** The delivery loop (TOCS Fig. 5, reference §5.3–5.4). */
  #runDelivery(): void {
    if (this.#delivering) return
    this.#delivering = true
    try {
      for (;;) {
        if (this.#stopped) return
        const lowest = this.#lowest()
        if (lowest === undefined || lowest.placeholder) return
        const best = lowest.e
        const head = best.list[0] as Held
        // A ring being formed on one of our LANs gets a CC above every start's clock: nothing
        // above our own start's clock is delivered before it (else the CC would come too late
        // for us while its other members deliver it, and us in it).
        for (const ls of this.#lans)
          if (ls.phase === 'forming' && head.key.ts > ls.formClock) return
        if (
          head.reg !== undefined &&
          head.reg.guarantee === 'safe' &&
          !this.#safeOk(head) &&
          !this.#enterTransitional(head.key)
        )
          return
        let rings: Map<string, ViewRing> | undefined
        if (head.cc !== undefined) {
          const t = this.#trans
          const skip = this.#skipBelow
          if (skip !== undefined && compareKey(head.key, skip) >= 0) this.#skipBelow = undefined
          // In a transitional configuration entered early, CCs before its own were judged to
          // install nothing (see #enterTransitional): they are given up; so are those below a
          // ring of ours whose mates ended our previous ring later than we did (#tailLost).
          const skipped = skip !== undefined && compareKey(head.key, skip) < 0
          const r = skipped
            ? 'abandon'
            : t === undefined
              ? this.#ccReady(best, head.cc)
              : compareKey(t.key, head.key) === 0
                ? t.rings
                : 'abandon'
          if (r === 'wait') return
          if (r === 'abandon') {
            best.list.shift()
            // A ring of ours stays open: its messages still come, and its successor's CC ends it.
            // A remote ring whose CC is given up never joins our topology: what it sent after the
            // CC is not delivered here either (what a processor holds of it then depends on its
            // path: a mate that held the CC from a gateway new to it and dropped it when that
            // gateway left has none of it, 0x2713d), and what comes later is late.
            // Nor is it kept from a topology that brings it later (ordered from that CC on, like
            // a ring we did not know): what it holds waits in the pending buffer, and so do later
            // copies. Each gateway forwards a message once onto a LAN, so copies dropped here
            // would not come again by that path, and a copy from another gateway sent later
            // (above them) would make them duplicates for ever (0x18903 on the agreement branch).
            if (!head.cc.members.includes(this.#me) && this.#voided.has(best.k)) {
              // Given up by its members' agreement: nobody delivers what it stamped, but it
              // blocks until its successor's CC ends it (a far LAN's next ring's CC comes
              // later, and the processors beyond would otherwise order past it and drop it).
              best.givenUp = true
              best.list.length = 0
              // Unless it is cut off from us already: then nothing can bring its end here any
              // more, and it closes as any ring cut off (reference §6.3). #closeUnreachable
              // skips a ring while its CC is pending, and a ring whose CC is given up by
              // agreement is not closed on that account, so nothing else closes it: a LAN-1
              // node waited for ever on a LAN-0 ring whose successor's CC only a crashed
              // gateway had forwarded (0x74205).
              if (!this.#reached().has(best.k)) best.closed = true
            } else if (!head.cc.members.includes(this.#me)) {
              // Given up here with no TC in hand (its ring is cut off from us): the processors
              // behind us count us as a gateway mate that can still bring the TC, so we say we
              // cannot, with an empty TC, as when no gateway mate or CC gateway is left (0x8c601:
              // gateway 5 released a far CC held behind its LAN's given-up CC with that LAN's
              // ring still forming, gave it up silently, and node 2 waited for its TC for ever).
              const tc = this.#tcs.get(best.k)
              if (!skipped && t === undefined && (tc === undefined || this.#emptyFromOthers(tc)))
                this.#noTc(best.k, head.cc)
              best.closed = true
              this.#keepHeld(best)
              this.#unjoined.delete(best.k)
              this.#unjoined.add(best.k)
              trimOldest(this.#unjoined, TOPOLOGY_MSGS_KEPT)
            } else {
              this.#remember(best.k, this.#passed)
              // No member installs it, and its far processors give it up too (our empty TC):
              // nobody delivers what it stamped. Our own messages among that go out again.
              // Unless the members agreed and only we give it up: then they install it and
              // deliver what it stamped, and so do we, in our own configuration.
              if (this.#agreement(head.cc, best.k) !== 'agreed') {
                best.givenUp = true
                for (const h of best.list.splice(0))
                  if (h.reg !== undefined && this.#isOwn(h.reg)) this.#requeueOwn(h.reg)
              }
              // Its ring was established all the same: its predecessors are over, and our NTs
              // say so (listed, a ring nothing ends here blocked mates that never got this CC).
              this.#supersede(head.cc)
              // Given up without our proposal (an earlier transitional configuration, a lost
              // tail): the other members must not wait for it.
              const ls = this.#lans.find((l) => l.lan === head.cc?.lan)
              if (ls !== undefined) this.#propose(ls, head.cc, best.k, 0)
              // Settled as given up (our proposal is 0, or another member's is): its far
              // processors hear it from us, as from #giveUpOwn, by a void TC. Given up here (a
              // lost tail, an early transitional configuration) we sent none, and when we were
              // the CC's only gateway, the processors behind us, which count us as a gateway
              // mate that can still bring its TC, waited for it for ever (0x5001: gateway 11's
              // LAN-0 rings of its own, CCs 176 and 327, given up below LAN 1's CC 335, whose
              // other members ended LAN 1's ring later than 11; gateway 10 waited on 327 and
              // held back its NT for LAN 0's CC 337, which nodes 1, 2, 3 and 11 waited for).
              if (
                this.#proposed.get(best.k)?.rep === 0 ||
                this.#agreement(head.cc, best.k, true) === 'abandon'
              )
                this.#noTc(best.k, head.cc, true)
            }
            this.#givenUpCcs.set(best.k, head.cc)
            // Its predecessors are over all the same (its ring exists, installed or not): our
            // NTs name them, or mates that never got this CC keep them open for ever.
            this.#supersede(head.cc)
            this.#trimTopologyMsgs()
            this.#decide(head.key, 0)
            this.#stats.ccsAbandoned++
            // What was held from mates with us since this CC is theirs to hand on now.
            this.#lastGivenUp = head.key
            this.#releaseHeld()
            this.#prune()
            continue
          }
          rings = r
        }
        best.list.shift()
        this.#lastDelivered = head.key
        this.#lastGivenUp = undefined
        if (head.cc !== undefined && rings !== undefined) this.#deliverCc(head.cc, head.key, rings)
        else if (head.reg !== undefined) this.#deliverRegular(head.reg, head.key)
        this.#prune()
      }
    } finally {
      this.#delivering = false
    }
  }

  /**
   * A CC is the lowest key: is the topology after it known? On the CC's own ring (reference
   * §6.4) every gateway member sends an NT with what it reaches on its other side, and the
   * topology is the new ring plus all of them; a gateway then sends it as a TC on its other
   * LANs. Elsewhere the TC is awaited; a CC whose ring became unreachable before its TC came is
   * given up.
   */
  #ccReady(e: RingEntry, cc: CcMessage): Map<string, ViewRing> | 'wait' | 'abandon' {
    const k = e.k
    const ls = this.#lans.find((l) => l.lan === cc.lan)
    if (ls !== undefined && cc.members.includes(this.#me)) {
      // Another member gave the CC up, or left without a proposal, or two proposed different
      // topologies: no member installs one, whatever we would propose.
      if (this.#agreement(cc, k, true) === 'abandon') return this.#giveUpOwn(ls, cc, k)
      const preds = new Set(cc.preds.map((p) => ringKey(p.ring)))
      if (cc.gateways.includes(this.#me) && !this.#ownNt.has(k)) {
        // A sibling of our ring may still bring a CC below ours: our NT must see it.
        if (this.#siblingMayCome(cc, e.list[0]?.key as MessageKey)) return 'wait'
        // A LAN of ours with no ring in our topology yet (its first start round is still on):
        // our NT would say nothing of it, and the ring's members would then order past the CC
        // that ring will get before it reaches them. Wait for it to be established.
        for (const l of this.#lans)
          if (l.lan !== cc.lan && l.phase === 'forming' && !this.#hasRingOn(l.lan)) return 'wait'
        // Nor while a ring of ours on another LAN, whose CC we gave up by agreement, waits for
        // its successor's CC: it is in no topology and its predecessors are superseded, so our NT
        // says nothing of that LAN either, and the members behind this CC that know the given-up
        // ring from nothing else (those joining us anew here) would order past the successor's
        // CC before it reached them, and drop it as late. Established, that CC is forwarded
        // here ahead of our NT (0x72107: a given-up CC decided at srp's transitional
        // configuration, before the LAN's next round began). Also before delivery reaches that
        // CC, once it is settled as given up: the early transitional configuration's look-ahead
        // passes it and comes to this CC first (0x7520b: gateway 6's NT for LAN 0's CC 80 went
        // out while its LAN 1 ring's CC 17, given up, waited below; the successor's CC 88 came
        // after node 2 had delivered past it, was dropped as late, and node 2 stayed in the
        // topology the others left).
        for (const o of this.#table.values())
          if (
            this.#givenUpByAgreement(o) &&
            !o.ended &&
            o.lan !== cc.lan &&
            o.members.includes(this.#me) &&
            this.#lans.some((l) => l.lan === o.lan)
          )
            return 'wait'
        // Nor while a far ring whose CC its members gave up by agreement still blocks here
        // (session 15, helper-97): it too is in no topology, and blocks until its successor's
        // CC ends it (#runDelivery), here and at every processor that got its void TC, but not
        // at the members joining us anew at this CC, which know it from nothing else: they
        // ordered past its successor's CC before it reached them and dropped it as late, while
        // the others installed it first (0x97201: nodes 2 and 3, joining LAN 0's ring anew at
        // CC 125, delivered LAN 0's messages 842-928 in topology 125, among them safe message
        // 870; everyone else waited on LAN 2's ring 7.1140850690, whose CC 59 was given up by
        // agreement, until LAN 2's next CC 841 ended it, and delivered them in topology 841).
        // Once that CC came (its ring ends here), it is forwarded ahead of our NT.
        for (const o of this.#table.values())
          if (
            !o.closed &&
            !o.ended &&
            o.lan !== cc.lan &&
            !o.members.includes(this.#me) &&
            this.#farGivenUpByAgreement(o)
          )
            return 'wait'
        // A ring of our topology that we cut off, or no longer reach through gateways as the
        // incarnations that linked it (§6.3; ended rings count, they are in the topology until
        // their successor's CC), is not one we reach: listed, it would come back at mates that
        // cannot tell it is cut off (0x17f36, 0x18b56).
        const reach = this.#reached(true)
        const rings = [...this.#topo.values()].filter((r) => {
          const rk = ringKey(r.ring)
          return rk !== k && !preds.has(rk) && reach.has(rk)
        })
        const ended = [...this.#superseded].slice(-ENDED_MAX).map(parseRingKey)
        const nt: NtMessage = {
          kind: 'nt',
          sender: this.#me,
          ccTs: cc.ts,
          ccRing: cc.ring,
          rings,
          ended,
          ...this.#noncesOf(rings),
        }
        this.#ownNt.set(k, nt)
        this.#trimTopologyMsgs()
        // Behind what we forwarded on this LAN so far (a CC among it comes before our NT).
        ls.fwd.push({ bytes: encodeMrMessage(nt), g: 'agreed' })
        this.#stats.ntTx++
        this.#pump(ls)
      }
      const got = this.#nts.get(k)
      const all = new Map<string, ViewRing>()
      all.set(k, { ring: cc.ring, lan: cc.lan, members: cc.members })
      const gone = new Set<string>()
      // The rings each counted gateway's NT lists: a gateway lists every ring it is on as the
      // incarnation the CC names (its own rings always reach it).
      const listed = new Map<number, Set<string>>()
      for (const g of cc.gateways) {
        // A gateway that left this LAN's ring (or came back as a new incarnation) without
        // sending its NT is not waited for; decided at that srp event, so an NT of it that comes
        // later (sent again on a later ring) does not count.
        if (g !== this.#me && this.#ntGone.get(k)?.has(g)) continue
        // Our own NT counts at once while the CC's ring is still the LAN's ring (srp delivers it
        // to every member that stays, and those that leave see us go); sent on a later ring,
        // only once srp delivered it there: taken at once, we installed a topology with it
        // that the others never could when the LAN's next ring did not form before we failed.
        // Ours too only as srp delivered it: the members agree on the set of NTs counted (their
        // proposals), and each counts what srp delivered it.
        const nt = got?.get(g)
        if (nt === undefined) return 'wait'
        for (const e of nt.ended) gone.add(ringKey(e))
        listed.set(g, new Set(nt.rings.map((r) => ringKey(r.ring))))
        for (const r of nt.rings) {
          const rk = ringKey(r.ring)
          if (rk !== k && !preds.has(rk) && !all.has(rk)) all.set(rk, r)
        }
      }
      // A ring one side still lists but another knows was superseded (its successor is in the
      // union, or was itself replaced) is not part of the topology.
      for (const rk of gone) if (rk !== k) all.delete(rk)
      // A ring another NT lists with a gateway of this CC in it that the gateway's own NT does
      // not list holds a former incarnation of it (or one it left): it is not on that ring as
      // the incarnation the CC names, and links nothing there. Left in, the ring's entry at a
      // processor that did not know it took the CC's nonce for it, and the restarted gateway
      // (itself too: the ring listed it) kept a dead ring of its former self reachable (0x1fcff).
      // Likewise a member of the CC listed on a ring of the CC's LAN older than the previous
      // ring its start names (than the CC's ring when it names none): srp ring seqs rise for a
      // processor, also across restarts, so it left that ring, or the ring holds a former self
      // (leftBefore). Only the member itself could tell a former self (#asSelf), and the
      // topology must be the same at every member: node 5, restarted, came alone from a ring
      // of its own to LAN 1's ring 5.2348810241 with gateway 8, whose NT listed LAN 1's old
      // ring 4.1409286145 with 5's former self in it; 8 reached that ring through 5 and
      // installed CC 1453 with it, 5 did not (0xa2000: key identity).
      for (const [rk, r] of all) {
        if (rk === k) continue
        const not = r.members.filter(
          (n) => (listed.has(n) && !listed.get(n)?.has(rk)) || leftBefore(cc, n, r),
        )
        if (not.length > 0)
          all.set(rk, { ...r, members: r.members.filter((n) => !not.includes(n)) })
      }
      const reached = this.#reachable(all)
      this.#maybePropose(ls, cc, k)
      const agreed = this.#agreement(cc, k)
      if (agreed === 'wait') return 'wait'
      if (agreed === 'abandon') return this.#giveUpOwn(ls, cc, k)
      // The members agreed: the topology goes out as a TC whatever we decide here (the others
      // install it, and so do the processors behind us).
      const rings = [...reached.values()]
      this.#sendTcOnce(
        k,
        {
          kind: 'tc',
          sender: this.#me,
          ccTs: cc.ts,
          ccRing: cc.ring,
          rings,
          ...this.#noncesOf(rings),
        },
        cc.lan,
      )
      // If that topology holds a ring we cut off, we alone give the CC up (the others count us
      // by our decision ack only).
      return this.#unlessCut(reached, cc)
    }
    const tc = this.#weakTc(k) ? undefined : this.#tcs.get(k)
    if (tc?.void === true) {
      // Its members gave it up by agreement: its ring delivers nothing, and blocks until its
      // successor's CC ends it (#runDelivery).
      this.#voided.add(k)
      trimOldest(this.#voided, TOPOLOGY_MSGS_KEPT)
      return 'abandon'
    }
    if (tc !== undefined) {
      const all = new Map<string, ViewRing>()
      for (const r of tc.rings) all.set(ringKey(r.ring), r)
      const rings = this.#reachable(all)
      // A topology without this processor: the CC came from a component we are not part of
      // at that point (it reached us over a path that joined later).
      return rings.size === 0 ? 'abandon' : this.#unlessCut(rings, cc)
    }
    // No TC can come when none of the ring's gateways is still around as the incarnation that
    // formed the ring (the CC names their nonces): each has been on a LAN ring of ours, is on
    // none now (or came back with another nonce, or is with us there only since the CC or
    // later), and is on no ring of a far LAN where it was seen since the CC came (a TC could
    // come from there through another gateway).
    const seen = new Map<number, number>(
      cc.gateways.map((g, i) => [g, cc.gatewayNonces[i] as number]),
    )
    const far = this.#remoteGwRings.get(k)
    const key = e.list[0]?.key as MessageKey
    // Only a gateway mate that has been with us since before the CC can still bring its TC. A
    // gateway that has none says so on its LANs with a TC that brings no ring (a TC whose
    // topology does not reach a processor gives the CC up there): the ordinary members behind
    // it cannot see its LAN rings, and would wait for the TC for ever.
    if (!this.#gatewayMateBelow(key)) return this.#noTc(k, cc)
    const gone = (g: number): boolean =>
      this.#lanPeers.has(g) &&
      !this.#lans.some((l) => {
        if (!l.srpMembers.includes(g as NodeId)) return false
        const was = seen.get(g)
        const now = this.#currentNonce(l, g)
        if (was !== undefined && now !== undefined && now !== was) return false
        // With us on this LAN's ring only since the CC or later: what it puts on the ring
        // below the key it joined us at is dropped (rule 7), its TC too.
        const since = l.phase === 'established' ? l.since.get(g) : undefined
        return since === undefined || compareKey(since, key) < 0
      }) &&
      ![...(far?.get(g) ?? [])].some((rk) => {
        const o = this.#table.get(rk)
        // Not where the ring's CC names it with another nonce than this CC: a successor ring
        // it restarted into holds a later incarnation, which never had this CC and sends no TC
        // for it (0x164a7).
        return o !== undefined && !o.closed && !o.ended && !this.#twoSelves(e, o, g)
      })
    // Likewise when none of its gateways is around any more: the ordinary members behind us
    // never shared a LAN with them, cannot see them go, and would wait for the TC for ever.
    if (cc.gateways.length > 0 && cc.gateways.every(gone)) return this.#noTc(k, cc)
    // A ring whose successor's CC is in is not cut off: its TC is on its way. Not when that CC
    // came only from mates that joined us after this one (taken at once behind a CC of ours
    // given up by agreement, RingEntry.endLate): rule 7 drops what they put on the ring below
    // their join key, this CC's TC too, so the ring is judged as if its end had not come (as
    // when their CC was held). Node 1 (hub LAN 0) waited for ever for the TC of LAN 1's CC
    // 289@2.1476395009, whose gateways were restarted 5 (with it since LAN 0's CC 307, given up
    // by agreement) and 6 (stopped after installing it, back reborn); 5's copy of LAN 1's next
    // CC 343 ended the ring, and the early transitional configuration's look-ahead, which had
    // passed 289 as given up, stopped there for good, while everyone else waited for 1 on safe
    // messages (0x9e602).
    if (e.ended && e.endLate !== true) return 'wait'
    return this.#reached(false, undefined, k).has(k) ? 'wait' : 'abandon'
  }

  /**
   * Is the TC we hold for the remote CC of ring `k` only empty ones from gateways that gave the
   * CC up where they are (its ring cut off from them, none of its gateways left, no gateway
   * mate of theirs that could bring its TC), while we still reach the ring without them? Such a
   * TC tells the processors behind its sender, whose way to the ring it was, to give the CC up;
   * one that reaches the ring by another way waits for the TC from there, or gives the CC up
   * by its own judgement. Taken as the TC (the first wins), it let gateways 7 and 8, on LAN 2
   * with the CC's gateways, give up LAN 3's CC 1105 on gateway 5's empty TC (5, on LAN 1 with
   * them, had it cut off: it came from the component 5 was not in yet), which came over LAN 1
   * before the CC's TC came over LAN 2; their NTs for LAN 1's next CC 1364 then left LAN 3's
   * ring out, gateways 9 and 10 installed a topology without their own LAN 3 ring, and node 9
   * never delivered its own messages (0x90707).
   */
  #weakTc(k: string): boolean {
    const tc = this.#tcs.get(k)
    const from = this.#emptyTcFrom.get(k)
    if (tc === undefined || !this.#emptyFromOthers(tc) || from === undefined) return false
    return this.#reached(false, from).has(k)
  }

  /** Is `tc` an empty TC that another gateway sent (it gave the CC up where it is)? */
  #emptyFromOthers(tc: TcMessage): boolean {
    return (
      emptyTc(tc) &&
      tc.sender !== this.#me &&
      this.#emptyTcFrom.get(ringKey(tc.ccRing))?.has(tc.sender) === true
    )
  }

  /**
   * The remote CC of ring `k` is given up here, as no TC can come: a gateway says so on all its
   * LANs with a TC that brings no ring (a TC whose topology does not reach a processor gives
   * the CC up there).
   */
  #noTc(k: string, cc: CcMessage, agreed = false): 'abandon' {
    if (this.isGateway && !this.#tcDone.has(k)) {
      const none: TcMessage = {
        kind: 'tc',
        sender: this.#me,
        ccTs: cc.ts,
        ccRing: cc.ring,
        rings: [],
        ...(agreed ? { void: true } : {}),
      }
      this.#tcs.set(k, none)
      this.#sendTcOnce(k, none, -1)
    }
    return 'abandon'
  }

  /**
   * A CC whose topology holds a ring we cut off (unreachable, not ended) while it could still
   * send below the CC, and that the CC does not link back to us through mates still on our LANs'
   * rings, is given up here: those that still reach that ring may deliver its messages below the
   * CC, which we skipped, so their configuration is not ours ([R] §6.3 deletes such a ring by a
   * TC at its last timestamp, before the CC). A ring the CC does link back (its only path was a
   * mate that joined anew) is ordered again from the CC on (#deliverCc). Found with an ordinary
   * member partitioned from its LAN's gateway after the CC's NTs were in: it delivered the CC
   * without the far ring's last messages, its mates with them (0x183f5).
   */
  #unlessCut(rings: Map<string, ViewRing>, cc: CcMessage): Map<string, ViewRing> | 'abandon' {
    const cut = [...rings.keys()].filter((rk) => {
      const e = this.#table.get(rk)
      return e?.closed === true && !e.ended && e.maxTs < cc.ts
    })
    if (cut.length === 0) return rings
    const live = (r: ViewRing, n: number): boolean => {
      const l = this.#lans.find((x) => x.lan === r.lan)
      return l === undefined || n === this.#me || l.srpMembers.includes(n as NodeId)
    }
    const linked = this.#reachable(rings, live)
    return cut.every((rk) => linked.has(rk)) ? rings : 'abandon'
  }

  /**
   * A safe message below `k` is stuck: if the next CC's topology is known, its transitional
   * configuration starts now and everything up to that CC is delivered in it.
   */
  #enterTransitional(k: MessageKey): boolean {
    if (this.#trans !== undefined) return compareKey(k, this.#trans.key) < 0
    const ccs: { e: RingEntry; cc: CcMessage; key: MessageKey }[] = []
    for (const e of this.#table.values()) {
      const h = e.list[0]
      if (h?.cc !== undefined && compareKey(h.key, k) > 0) ccs.push({ e, cc: h.cc, key: h.key })
    }
    ccs.sort((a, b) => compareKey(a.key, b.key))
    // The next CC that will install a topology (those to be given up install none).
    let next: (typeof ccs)[number] | undefined
    let r: Map<string, ViewRing> | undefined
    const dropped = new Set<string>()
    for (const c of ccs) {
      // A ring forming on one of our LANs gets a CC above its start clock, possibly below this
      // one: it comes first (and our NT for this one must see it).
      for (const ls of this.#lans)
        if (ls.phase === 'forming' && c.key.ts > ls.formClock) return false
      // The choice is the same at every processor, and our NT for it right, only once no CC
      // below it can still come: a remote ring still open below its key may yet be ended by a
      // new ring whose CC is lower, as long as a gateway on our rings can still bring it.
      // (A remote ring whose CC below is given up here closes then: it sends nothing more.
      // Not one its members gave up by agreement, while we reach it: it blocks until its
      // successor's CC ends it, as in #runDelivery, and that CC may come below this one.)
      if (this.#mayStillCome(c.key, dropped)) return false
      if (this.#skipBelow !== undefined && compareKey(c.key, this.#skipBelow) < 0) continue
      const x = this.#ccReady(c.e, c.cc)
      if (x === 'wait') return false
      if (x === 'abandon') {
        // Passed as closed, a remote ring whose void TC just came let the look-ahead reach our
        // ring's CC above its successor's CC, which had not come yet: our NT went out naming the
        // given-up ring's predecessor as superseded and nothing of its LAN, so the CC installed
        // a topology without that LAN, while the processors that delivered the successor's CC
        // first kept it (0x92305: gateway 8 got LAN 0's void TC for CC 775 just ahead of LAN
        // 0's next CC 1031, and its NT for LAN 2's CC 1047 left LAN 0 out).
        const voided = !c.cc.members.includes(this.#me) && this.#voided.has(c.e.k)
        if (!voided || !this.#reached().has(c.e.k)) dropped.add(c.e.k)
        this.#supersede(c.cc)
        continue
      }
      next = c
      r = x
      break
    }
    if (next === undefined || r === undefined) return false
    const { sorted, topoId } = topologyOf(next.cc, r)
    this.#trans = { key: next.key, topoId, rings: r }
    if (this.#topoId !== undefined) {
      const members = membersOf(sorted)
      const trans = this.#survivors(this.#topoMembers, members, next.cc, this.#topo)
      this.#stats.transitionalEarly++
      this.#listener.onConfigurationChange({
        kind: 'transitional',
        ringId: topoId,
        members: trans,
        left: minus(this.#topoMembers, trans),
        joined: [],
      })
    }
    return true
  }

  // ------------------------------------------------------------ decisions (acks)

  /**
   * Our ring's CC installs nothing (decided as soon as it is known, possibly before delivery
   * reaches it: an NT we send for a later CC must already name the rings it ended).
   */
  #giveUpOwn(ls: LanState, cc: CcMessage, k: string): 'abandon' {
    this.#propose(ls, cc, k, 0)
    this.#supersede(cc)
    this.#takeHeldTcs(cc)
    return this.#noTc(k, cc, true)
  }

  /**
   * The ring `ring` of this LAN is over (its srp ring changed) and its CC can no longer be
   * agreed (a member left before its proposal came): see #unstampOwn.
   */
  #unstampIfLost(ls: LanState, ring: RingId): void {
    const k = ringKey(ring)
    const cc = this.#table.get(k)?.list[0]?.cc
    if (cc === undefined || ringKey(cc.ring) !== k) return
    if (this.#agreement(cc, k, true) === 'abandon') this.#unstampOwn(ls, ring)
  }

  /**
   * The CC of our ring `ring` on this LAN will be given up everywhere (decided at this point of
   * srp's order alike): what it stamped is delivered nowhere. Our own messages it stamped go out
   * again on the LAN's next ring with their LAN seq (the next start names the lowest), so they
   * keep their order before the ones we sent after them.
   */
  #unstampOwn(ls: LanState, ring: RingId): void {
    const e = this.#table.get(ringKey(ring))
    if (e === undefined) return
    const keep: Held[] = []
    for (const h of e.list) {
      if (h.reg === undefined || !this.#isOwn(h.reg)) {
        keep.push(h)
        continue
      }
      const o = this.#own.get(h.reg.seq)
      if (o !== undefined && o.lan === undefined) o.lan = ls.lan
      this.#requeueOwn(h.reg)
    }
    e.list.splice(0, e.list.length, ...keep)
  }

  /**
   * What we propose for our ring's CC: the set of NTs counted (each gateway's NT as srp
   * delivered it, or that it left or came back reborn before it came), once it is complete;
   * members that agree on it compute one topology. Independent of how far delivery has got,
   * so an ordinary member proposes as soon as the last NT is in.
   */
  #ntSet(cc: CcMessage, k: string): number | undefined {
    const got = this.#nts.get(k)
    const gone = this.#ntGone.get(k)
    let h = 0x811c_9dc5
    const mix = (x: number): void => {
      h = Math.imul(h ^ (x >>> 0), 0x0100_0193)
    }
    for (const g of cc.gateways) {
      mix(g)
      if (g !== this.#me && gone?.has(g)) {
        mix(0xffff_ffff)
        continue
      }
      const nt = got?.get(g)
      if (nt === undefined) return undefined
      for (const b of encodeMrMessage(nt)) mix(b)
    }
    return h >>> 0 || 1
  }

  /** Proposes for our ring's CC of ring `k` once its NT set is complete. */
  #maybePropose(ls: LanState, cc: CcMessage, k: string): void {
    if (this.#proposed.has(k)) return
    const h = this.#ntSet(cc, k)
    if (h !== undefined) this.#propose(ls, cc, k, h)
  }

  /** Proposes for every CC of ours on this LAN still pending whose NT set is complete. */
  #proposeReady(ls: LanState): void {
    for (const e of this.#table.values()) {
      const cc = e.list[0]?.cc
      if (cc === undefined || cc.lan !== ls.lan || !cc.members.includes(this.#me)) continue
      if (ringKey(cc.ring) === e.k) this.#maybePropose(ls, cc, e.k)
    }
  }

  /** Tells the members of our ring's CC, once, what we would install there (0: nothing). */
  #propose(ls: LanState, cc: CcMessage, k: string, rep: number): void {
    if (this.#proposed.has(k)) return
    this.#proposed.set(k, { rep, cc })
    this.#trimTopologyMsgs()
    this.#sendProposal(ls, cc, rep)
    if (rep === 0) this.#takeHeldTcs(cc)
  }

  #sendProposal(ls: LanState, cc: CcMessage, rep: number): void {
    ls.ctrl.push({
      bytes: encodeMrMessage({
        kind: 'ack',
        sender: this.#me,
        nonce: this.#nonce,
        ccTs: cc.ts,
        ccRing: cc.ring,
        rep,
        proposed: true,
      }),
      g: 'agreed',
    })
    this.#stats.acksTx++
    this.#pump(ls)
  }

  /**
   * Members of srp's new ring on this LAN that did not come to it with us (`back`: not in the
   * transitional configuration) went through an srp ring without us, even those in both regular
   * configurations: what we sent while they were away, our proposals among it, never reached
   * them, and one that waits for our proposal for a CC we share waits for ever (it never saw us
   * go, so it does not count us gone). Each CC of this LAN with one of them among its members
   * that we proposed for gets our proposal again, as what we settle it at: 0 when it will be
   * given up here whatever comes (another member proposed 0 or another set, or left us before
   * its proposal came), else the set we proposed. A mate that already has our proposal keeps
   * the first; one that counted us gone ignores it.
   */
  #proposeAgain(ls: LanState, back: readonly NodeId[]): void {
    if (back.length === 0) return
    for (const [k, { rep: mine, cc }] of this.#proposed) {
      if (cc.lan !== ls.lan || !cc.members.some((n) => back.includes(n))) continue
      const rep = mine !== 0 && this.#agreement(cc, k, true) === 'abandon' ? 0 : mine
      this.#sendProposal(ls, cc, rep)
    }
  }

  /**
   * Did every member of our ring's CC propose what we did? 'abandon' when one proposed another
   * topology (or none), or left the LAN's ring or came back reborn before its proposal came:
   * it may have installed, or not, on its side, so no member installs one here.
   */
  #agreement(cc: CcMessage, k: string, othersOnly = false): 'agreed' | 'wait' | 'abandon' {
    let mine = othersOnly ? undefined : this.#proposed.get(k)?.rep
    if (!othersOnly && (mine === undefined || mine === 0)) return 'abandon'
    const props = this.#proposals.get(k)
    const gone = this.#proposalGone.get(k)
    let wait = false
    for (const n of cc.members) {
      if (n === this.#me) continue
      // Gone before its proposal came: one that comes later (sent on a ring without us) does
      // not count, as for NTs.
      if (gone?.has(n)) return 'abandon'
      const p = props?.get(n)
      if (p === undefined) wait = true
      else if (p === 0 || (mine !== undefined && p !== mine)) return 'abandon'
      else mine = p
    }
    return wait ? 'wait' : 'agreed'
  }

  /**
   * A member's proposal for a CC of this LAN, in srp order. When the last one for the LAN's
   * current ring is in and they differ, every member sees it at the same point: the ring's CC is
   * given up everywhere, and the LAN starts a new round on the same srp ring (its next epoch).
   */
  #onProposal(ls: LanState, m: AckMessage): void {
    const k = ringKey(m.ccRing)
    // Only the incarnation the ring's CC names proposes for it (a reborn member never had it).
    const was = this.#ccNonces.get(k)?.get(m.sender)
    if (was !== undefined && was !== m.nonce) return
    let props = this.#proposals.get(k)
    if (props === undefined) {
      props = new Map()
      this.#proposals.set(k, props)
      this.#trimTopologyMsgs()
    }
    if (props.has(m.sender)) return
    props.set(m.sender, m.rep)
    this.#stats.acksRx++
    if (ls.phase === 'established' && ls.est !== undefined && ringKey(ls.est) === k) {
      const members = ls.srpMembers
      if (members.every((n) => props.has(n))) {
        const first = props.get(members[0] as number)
        const split = first === 0 || members.some((n) => props.get(n) !== first)
        if (split && ls.epoch + 1 < Number(EPOCHS)) {
          this.#stats.roundsRestarted++
          this.#unstampOwn(ls, ls.est)
          ls.pred = { ring: ls.est, ts: ls.ringClock }
          ls.abandoned = 0
          ls.abandonedChain.length = 1
          ls.epoch++
          this.#beginRound(ls)
        }
      }
    }
    this.#runDelivery()
  }

  /**
   * Records what this processor decided at the CC with key `key` (the rep of the topology it
   * installed, 0 if it gave the CC up) and tells its mates on every LAN it has a ring on.
   */
  #decide(key: MessageKey, rep: number): void {
    this.#decisions.push({ key, rep })
    const ack = encodeMrMessage({
      kind: 'ack',
      sender: this.#me,
      nonce: this.#nonce,
      ccTs: key.ts,
      ccRing: key.ring,
      rep,
      proposed: false,
    })
    for (const ls of this.#lans) {
      if (ls.srpRing === undefined) continue
      ls.ctrl.push({ bytes: ack, g: 'agreed' })
      this.#stats.acksTx++
    }
    this.#forgetDecisions()
  }

  #onAck(ls: LanState, m: AckMessage): void {
    if (!ls.srpMembers.includes(m.sender)) return
    // An ack of a former incarnation says nothing of the present one.
    const nonce = ls.nonces.get(m.sender)
    if (nonce !== undefined && nonce !== m.nonce) return
    if (m.proposed) {
      this.#onProposal(ls, m)
      return
    }
    if (m.sender === this.#me) return
    let acks = ls.acks.get(m.sender)
    if (acks === undefined || nonce === undefined) {
      acks = new Map()
      ls.acks.set(m.sender, acks)
    }
    acks.set(decisionKey(m.ccTs, m.ccRing), m.rep)
    trimOldest(acks, DECISIONS_KEPT)
    this.#stats.acksRx++
    for (const l of this.#lans) l.gvDirty = true
    this.#runDelivery()
  }

  /**
   * Did LAN mate `n` decide the CCs we passed (those from where it is with us on) as we did:
   * the last topology we installed, and every CC we gave up since? Only then does it deliver
   * what we deliver from here on (our decisions are all below any message still to deliver).
   */
  #agrees(ls: LanState, n: number, since: MessageKey | undefined, ring: string): boolean {
    // The incarnation that was on the ring is gone (the node came back as another): it crashed,
    // and owes nothing (safe delivery binds the members that do not crash).
    const was = this.#ccNonces.get(ring)?.get(n)
    const now = ls.nonces.get(n)
    if (was !== undefined && now !== undefined && was !== now) return true
    const acks = ls.acks.get(n)
    for (let i = this.#decisions.length - 1; i >= 0; i--) {
      const d = this.#decisions[i] as { key: MessageKey; rep: number }
      if (since !== undefined && compareKey(d.key, since) < 0) break
      const a = acks?.get(decisionKey(d.key.ts, d.key.ring))
      if (a !== d.rep) return false
      if (d.rep !== 0) return true
    }
    return true
  }

  /** A processor on one of our LANs' rings decided the CCs as we did (#agrees), on each. */
  #mateAgrees(n: number): boolean {
    for (const l of this.#lans) {
      if (l.phase !== 'established' || l.est === undefined || !l.srpMembers.includes(n as NodeId))
        continue
      if (!l.since.has(n)) continue
      if (!this.#agrees(l, n, l.since.get(n), ringKey(l.est))) return false
    }
    return true
  }

  /**
   * The highest timestamp a guarantee vector sent on this LAN may claim: below the first CC we
   * passed that a member of our ring here has not decided as we did (undefined: no limit).
   */
  #agreedBelow(ls: LanState): number | undefined {
    let cap: number | undefined
    // Nor above a CC we have not decided yet: nobody knows yet what its members will decide.
    for (const e of this.#table.values()) {
      const h = e.list[0]
      if (h?.cc !== undefined && (cap === undefined || h.key.ts - 1 < cap)) cap = h.key.ts - 1
    }
    for (const [n, since] of ls.since) {
      if (!ls.srpMembers.includes(n as NodeId)) continue
      const acks = ls.acks.get(n)
      for (const d of this.#decisions) {
        if (compareKey(d.key, since) < 0) continue
        if (acks?.get(decisionKey(d.key.ts, d.key.ring)) !== d.rep) {
          if (cap === undefined || d.key.ts - 1 < cap) cap = d.key.ts - 1
          break
        }
      }
    }
    return cap
  }

  /**
   * Forgets the decisions before the last topology installed: #agrees never looks past it
   * (every message still to deliver is above it); at most DECISIONS_KEPT remain.
   */
  #forgetDecisions(): void {
    let last = 0
    for (let i = this.#decisions.length - 1; i >= 0; i--)
      if ((this.#decisions[i] as { rep: number }).rep !== 0) {
        last = i
        break
      }
    const drop = Math.max(last, this.#decisions.length - DECISIONS_KEPT)
    if (drop > 0) this.#decisions.splice(0, drop)
  }

  #onNt(ls: LanState, m: NtMessage): void {
    if (!ls.srpMembers.includes(m.sender)) return
    const k = ringKey(m.ccRing)
    let per = this.#nts.get(k)
    if (per === undefined) {
      per = new Map()
      this.#nts.set(k, per)
      this.#trimTopologyMsgs()
    }
    if (!per.has(m.sender)) per.set(m.sender, m)
    this.#noteNonces(m.gwNonces)
    this.#proposeReady(ls)
    this.#runDelivery()
  }

  /** Incarnations an NT or TC names for gateway members of rings (#ringNonces). */
  #noteNonces(list: readonly RingNonce[] | undefined): void {
    for (const x of list ?? []) {
      const rk = ringKey(x.ring)
      let m = this.#ringNonces.get(rk)
      if (m === undefined) {
        m = new Map()
        this.#ringNonces.set(rk, m)
        trimOldest(this.#ringNonces, ENDED_REMEMBERED)
      }
      if (!m.has(x.node)) m.set(x.node, x.nonce)
    }
  }

  /** The incarnations we know of the gateway members of `rings`, for an NT or TC. */
  #noncesOf(rings: readonly ViewRing[]): { gwNonces?: RingNonce[] } {
    const out: RingNonce[] = []
    for (const r of rings) {
      const rk = ringKey(r.ring)
      const known = new Map(this.#table.get(rk)?.gwNonces ?? [])
      for (const [n, x] of this.#ringNonces.get(rk) ?? []) if (!known.has(n)) known.set(n, x)
      for (const [n, x] of known)
        if (r.members.includes(n as NodeId)) out.push({ ring: r.ring, node: n as NodeId, nonce: x })
    }
    return out.length > 0 ? { gwNonces: out.slice(0, RING_NONCES_MAX) } : {}
  }

  /**
   * Is `m` the empty TC that a void TC became where rule 7 would have dropped it (taken as a
   * plain empty TC, and forwarded so)? Its sender is a member of the CC, which we hold: a
   * gateway that gives up a CC of its own sends a void TC, and the empty TC of a gateway that
   * gave a remote CC up where it is comes from a processor that is not a member of it.
   */
  #agreedEmpty(m: TcMessage): boolean {
    if (!emptyTc(m)) return false
    const cc = this.#table.get(ringKey(m.ccRing))?.list[0]?.cc
    return (
      cc !== undefined &&
      cc.ts === m.ccTs &&
      ringIdEquals(cc.ring, m.ccRing) &&
      cc.members.includes(m.sender)
    )
  }

  #onTc(m: TcMessage, lan: number, agreedHere = false): void {
    const k = ringKey(m.ccRing)
    this.#noteNonces(m.gwNonces)
    const agreed = agreedHere || this.#agreedEmpty(m)
    if (emptyTc(m) && !agreed) {
      let from = this.#emptyTcFrom.get(k)
      if (from === undefined) {
        from = new Set()
        this.#emptyTcFrom.set(k, from)
        this.#trimTopologyMsgs()
      }
      from.add(m.sender)
    }
    // The first TC wins, but an empty one only until a TC of the CC's members comes (or their
    // agreement to give it up, as an empty TC one of them sent): its sender gave the CC up
    // where it is, which says nothing to a processor that reaches the ring without it
    // (#weakTc).
    const had = this.#tcs.get(k)
    if (had === undefined || (this.#emptyFromOthers(had) && (!emptyTc(m) || agreed))) {
      this.#tcs.set(k, m)
      this.#trimTopologyMsgs()
    }
    // Forwarded network-wide, once (the gateways of the CC's ring send their own); a TC of the
    // CC's members also after an empty one.
    this.#sendTcOnce(k, m, lan)
    this.#runDelivery()
  }

  /** A gateway sends (or forwards) the TC of the CC of ring `k` once, on its LANs but `exceptLan`. */
  #sendTcOnce(k: string, tc: TcMessage, exceptLan: number): void {
    if (!this.isGateway || this.#tcDone.has(k)) return
    if (emptyTc(tc) && tc.sender !== this.#me) {
      const once = `${k}/${tc.sender}`
      if (this.#emptyTcDone.has(once)) return
      this.#emptyTcDone.add(once)
      trimOldest(this.#emptyTcDone, TOPOLOGY_MSGS_KEPT)
      this.#sendTc(tc, exceptLan)
      return
    }
    this.#tcDone.add(k)
    this.#trimTopologyMsgs()
    this.#sendTc(tc, exceptLan)
  }

  /** A TC onto every attached LAN but `exceptLan`. */
  #sendTc(tc: TcMessage, exceptLan: number): void {
    const bytes = encodeMrMessage(tc)
    for (const o of this.#lans) {
      if (o.lan === exceptLan) continue
      o.ctrl.push({ bytes, g: 'agreed' })
      this.#stats.tcTx++
    }
  }

  #trimTopologyMsgs(): void {
    for (const m of [
      this.#nts,
      this.#ownNt,
      this.#tcs,
      this.#emptyTcFrom,
      this.#ccNonces,
      this.#ntGone,
      this.#remoteGwRings,
      this.#proposals,
      this.#proposalGone,
      this.#proposed,
      this.#givenUpCcs,
    ])
      trimOldest(m, TOPOLOGY_MSGS_KEPT)
    trimOldest(this.#tcDone, TOPOLOGY_MSGS_KEPT)
  }

  #prune(): void {
    for (const e of [...this.#table.values()]) {
      if (e.list.length > 0 || this.#blocking(e) || this.#topo.has(e.k)) continue
      this.#table.delete(e.k)
      // A ring cut off from us that a later topology brings back still ends where its
      // successor's CC said (kept in the table, it would not be reopened at all).
      if (e.closed && e.ended) this.#laterEnd(e.k, e.endTs, e.endBy)
      this.#remember(e.k)
    }
  }

  #remember(k: string, set: Set<string> = this.#ended): void {
    set.add(k)
    trimOldest(set, ENDED_REMEMBERED)
  }

  #isDelivered(sender: number, nonce: number, seq: number): boolean {
    const d = this.#delivered.get(sender * 0x1_0000_0000 + nonce)
    return d !== undefined && (seq < d.next || d.extra.has(seq))
  }

  #markDelivered(sender: number, nonce: number, seq: number): void {
    if (sender === this.#me && nonce === this.#nonce) this.#own.delete(seq)
    const id = sender * 0x1_0000_0000 + nonce
    let d = this.#delivered.get(id)
    if (d === undefined) {
      d = { next: 1, extra: new Set() }
      this.#delivered.set(id, d)
    }
    d.extra.add(seq)
    while (d.extra.has(d.next)) d.extra.delete(d.next++)
  }

  #deliverRegular(m: RegularMessage, key: MessageKey): void {
    if (this.#isDelivered(m.sender, m.nonce, m.seq)) {
      this.#stats.duplicateDeliveries++
      return
    }
    this.#markDelivered(m.sender, m.nonce, m.seq)
    if (this.#topoId === undefined) return
    this.#stats.delivered++
    this.#obs?.onDeliverKey?.(key)
    this.#listener.onDeliver({
      sender: m.sender,
      ringId: this.#alone?.id ?? this.#trans?.topoId ?? this.#topoId,
      guarantee: m.guarantee,
      payload: m.payload,
    })
  }

  /** Connected part of a topology, seen from this processor (rings joined by gateway members). */
  #reachable(
    rings: Map<string, ViewRing>,
    links: (r: ViewRing, n: number) => boolean = () => true,
  ): Map<string, ViewRing> {
    const all = [...rings.values()]
    const reached = new Map<string, ViewRing>()
    const stack: ViewRing[] = []
    // Only from rings that list us as ourselves (#asSelf), and never through a former self.
    const self = (r: ViewRing, n: number): boolean => n !== this.#me || this.#asSelf(r)
    for (const r of all)
      if (this.#asSelf(r)) {
        reached.set(ringKey(r.ring), r)
        stack.push(r)
      }
    while (stack.length > 0) {
      const r = stack.pop() as ViewRing
      for (const o of all) {
        const ok = ringKey(o.ring)
        if (reached.has(ok)) continue
        if (
          r.members.some(
            (n) => links(r, n) && o.members.includes(n) && links(o, n) && self(r, n) && self(o, n),
          )
        ) {
          reached.set(ok, o)
          stack.push(o)
        }
      }
    }
    return reached
  }

  #deliverCc(cc: CcMessage, key: MessageKey, reached: Map<string, ViewRing>): void {
    const { sorted, topoId } = topologyOf(cc, reached)
    this.#supersede(cc)
    // Rings this processor did not know (the other side of a merge) are ordered from the CC on: the ring set too: processors that deliver the same CC from different views
    // (components that have not merged yet) report different configurations.
    // messages of a ring ordered after the CC's ring may carry the CC's timestamp and still sort
    // after it, so those are expected from one lower.
    const added: RingEntry[] = []
    for (const [rk, r] of sorted) {
      const known = this.#table.get(rk)
      if (known !== undefined) {
        // A ring that was cut off from us (its only path went through a mate that left and came
        // back) and that this topology brings back: ordered again from the CC on, like a ring
        // we did not know (what it sent meanwhile came by a path that was not ours).
        if (known.closed && !known.ended) {
          known.closed = false
          const from = compareRingId(r.ring, cc.ring) > 0 ? cc.ts - 1 : cc.ts
          if (known.maxTs < from) known.maxTs = from
          known.floor = key
          this.#stats.ringsReopened++
          added.push(known)
        }
        continue
      }
      this.#ended.delete(rk)
      this.#unjoined.delete(rk)
      const after = compareRingId(r.ring, cc.ring) > 0
      const entry: RingEntry = {
        id: r.ring,
        k: rk,
        lan: r.lan,
        members: r.members,
        list: [],
        maxTs: after ? cc.ts - 1 : cc.ts,
        ended: false,
        endTs: 0,
        closed: false,
        row: new Map(),
        // A gateway of the CC's ring that is on this ring links it to us as the incarnation the
        // CC names: back with another nonce, it links it no more (#gone).
        gwNonces: new Map([
          // Those of its other gateway members that an NT or TC named (a processor that knows
          // the ring only from them cannot otherwise tell a restarted gateway from the one that
          // linked it, and kept it reachable through the new incarnation for ever).
          ...[...(this.#ringNonces.get(rk) ?? [])].filter(([n]) => r.members.includes(n as NodeId)),
          ...cc.gateways.flatMap((g, x) =>
            r.members.includes(g) ? [[g, cc.gatewayNonces[x] as number] as const] : [],
          ),
        ]),
        floor: key,
      }
      for (const o of sorted.keys()) entry.row.set(o, cc.ts - 1)
      this.#table.set(rk, entry)
      this.#applyLaterEnd(entry)
      added.push(entry)
    }
    for (const e of this.#table.values())
      for (const a of added) if ((e.row.get(a.k) ?? -1) < cc.ts - 1) e.row.set(a.k, cc.ts - 1)
    this.#install(sorted, topoId, key, cc)
    this.#decide(key, topoId.rep)
    // A ring the topology brings (back) that we cannot reach is cut off at once: the topology was
    // decided from NTs whose senders may not know that the gateway linking it restarted, or that
    // our only path to it joined us anew (else our next NT would list it, 0x18b56).
    this.#closeUnreachable()
    // What rule 7 held and, when the topology brings rings, the pending buffer go together, each
    // source ring's copies in key order: the pending buffer may hold an old path's copies that
    // the held ones skip (0x97001).
    const pending = added.length > 0 ? this.#pending : []
    if (pending.length > 0) {
      this.#pending = []
      this.#pendingKeys.clear()
    }
    this.#releaseHeld(pending)
    this.#pumpAll()
  }

  /** The predecessors of `cc` are superseded (newest last). */
  #supersede(cc: CcMessage): void {
    for (const p of cc.preds) {
      const pk = ringKey(p.ring)
      this.#superseded.delete(pk)
      this.#superseded.add(pk)
      trimOldest(this.#superseded, ENDED_REMEMBERED)
    }
  }

  /** Installs a topology and tells the listener: transitional (survivors), then regular. */
  #install(rings: Map<string, ViewRing>, topoId: RingId, key: MessageKey, cc: CcMessage): void {
    if (this.#alone !== undefined) {
      this.#topoId = this.#alone.id
      this.#tellAlone('regular', this.#alone)
      this.#alone = undefined
    }
    const old = this.#topoMembers
    const members = membersOf(rings)
    const early = this.#trans !== undefined && compareKey(this.#trans.key, key) === 0
    this.#trans = undefined
    const oldRings = this.#topo
    this.#topo = rings
    // Rings that left the topology without a successor (unreachable) never block again; rings
    // whose CC is still pending (head of their list) are not in a topology yet.
    // A far ring the topology leaves out delivers nothing more here, ended or not: the members
    // agreed on a topology without it, and one that never knew it (a restarted mate) or cut it
    // off holds its later messages only in the pending buffer. Delivered here in the new
    // topology, they were safe at us and never delivered by that mate (0x6419e: a gateway whose
    // LAN ring's CC was given up by agreement, so its NT no longer reached the far ring, had
    // the far ring's successor CC already, and went on delivering it up to that end). Like a
    // remote ring whose CC is given up, what it holds waits in the pending buffer, and so do
    // later copies, for a topology that brings it back.
    for (const [k, e] of this.#table) {
      // (A ring whose CC its members gave up by agreement blocks until its successor's CC.)
      if (rings.has(k) || e.list[0]?.cc !== undefined || e.givenUp === true) continue
      if (!e.members.includes(this.#me)) {
        this.#keepHeld(e)
        this.#table.delete(k)
        if (e.ended) this.#laterEnd(k, e.endTs, e.endBy)
        this.#remember(k)
        this.#unjoined.delete(k)
        this.#unjoined.add(k)
        trimOldest(this.#unjoined, TOPOLOGY_MSGS_KEPT)
      } else if (!e.ended && !e.closed) e.closed = true
    }
    const hadTopo = this.#topoId !== undefined
    const trans = this.#survivors(old, members, cc, oldRings)
    this.#topoId = topoId
    this.#topoMembers = members
    this.#topoKey = key
    this.#stats.topologyChanges++
    if (hadTopo && !early) {
      this.#listener.onConfigurationChange({
        kind: 'transitional',
        ringId: topoId,
        members: trans,
        left: minus(old, trans),
        joined: [],
      })
    }
    this.#obs?.onTopology?.(key, topoId, [...rings.values()])
    this.#listener.onConfigurationChange({
      kind: 'regular',
      ringId: topoId,
      members,
      left: hadTopo ? minus(old, members) : [],
      joined: hadTopo ? minus(members, trans) : members,
    })
  }

  /**
   * The members of the topology a CC installs that come with us from `old` (its transitional
   * configuration): those of both that we still reach in the old topology without a member of
   * the CC's LAN whose start named another previous ring there, or none (it left, or restarted,
   * and came back before we saw it go): such a member is not one of them, and the rings only it
   * linked us to were cut off from us meanwhile (their members went on without us).
   */
  #survivors(
    old: readonly NodeId[],
    members: readonly NodeId[],
    cc: CcMessage,
    oldRings: Map<string, ViewRing>,
  ): NodeId[] {
    const onLan = new Set<number>()
    for (const r of oldRings.values()) if (r.lan === cc.lan) for (const n of r.members) onLan.add(n)
    // A member that is on a later ring of the CC's LAN in the old topology, one the CC does not
    // end, is past the round whose start the CC holds (srp ring seqs rise for a processor, also
    // across restarts): that start was a former self's, sent before it failed, and the
    // processor came back and is with us since (its new ring came in with a restarted clock, so
    // before this CC). It counts itself, so every processor must; judged by that start it was
    // left out everywhere else (0x18903, same view). On an earlier ring, it is the old topology
    // that holds a former self, and the start is what counts.
    const ends = new Set([ringKey(cc.ring), ...cc.preds.map((p) => ringKey(p.ring))])
    const moved = (n: number): boolean =>
      [...oldRings].some(
        ([rk, r]) =>
          r.lan === cc.lan &&
          !ends.has(rk) &&
          r.ring.seq > cc.ring.seq &&
          r.members.includes(n as NodeId),
      )
    const came = (n: number): boolean => {
      const i = cc.members.indexOf(n as NodeId)
      if (i < 0 || n === this.#me || !onLan.has(n) || moved(n)) return true
      const p = cc.memberPreds[i] as number
      if (p === NO_PRED) return false
      const pred = cc.preds[p] as RingTs
      // It ended that ring before others of the CC did: it lacks what they delivered there.
      if (cc.preds.some((q) => ringIdEquals(q.ring, pred.ring) && q.ts > pred.ts)) return false
      let pk = ringKey(pred.ring)
      // A ring whose CC was given up (everywhere: its members agreed on nothing, and its far
      // processors follow the empty TC) delivered nothing: its members came from where they
      // came to it. Judged alike at every processor that holds the CC.
      // So does one whose CC is still pending below this one (an early transitional
      // configuration gives those up).
      for (let hops = 0; hops < 16 && !oldRings.has(pk); hops++) {
        const g = this.#givenUpCcs.get(pk) ?? this.#table.get(pk)?.list[0]?.cc
        const j = g?.members.indexOf(n as NodeId) ?? -1
        if (g === undefined || j < 0) break
        const q = g.memberPreds[j] as number
        if (q === NO_PRED) return false
        pk = ringKey((g.preds[q] as RingTs).ring)
      }
      // A ring of ours whose CC was given up, or is about to be (a transitional configuration
      // entered early gives up the CCs below its own), is passed through as one of the topology.
      const own = this.#table.get(pk)?.list[0]?.cc?.members.includes(this.#me) === true
      return oldRings.has(pk) || this.#passed.has(pk) || own
    }
    const links = (r: ViewRing, n: number): boolean => r.lan !== cc.lan || came(n)
    // The rings of ours given up on the way from the old topology (those `came` follows) link
    // the members that came through them, as a ring of the old topology would: two LAN mates
    // whose only link in the old topology was a gateway that restarted came together through
    // such a ring, and each left the other out (0x80205, same view).
    const graph = new Map(oldRings)
    const todo = cc.preds.map((p) => ringKey(p.ring))
    for (let hops = 0; hops < 64 && todo.length > 0; hops++) {
      const pk = todo.pop() as string
      if (graph.has(pk)) continue
      const g = this.#givenUpCcs.get(pk) ?? this.#table.get(pk)?.list[0]?.cc
      if (g === undefined) continue
      graph.set(pk, { ring: g.ring, lan: g.lan, members: intersect(g.members, cc.members) })
      for (const q of g.preds) todo.push(ringKey(q.ring))
    }
    const kept = new Set<number>()
    for (const r of this.#reachable(graph, links).values())
      for (const n of r.members) if (links(r, n)) kept.add(n)
    return intersect(old, members).filter((n) => kept.has(n) && came(n))
  }
}

/** The sorted rings and the id of the topology a CC installs. */
const topologyOf = (
  cc: CcMessage,
  reached: Map<string, ViewRing>,
): { sorted: Map<string, ViewRing>; topoId: RingId } => {
  const sorted = new Map([...reached.entries()].sort((a, b) => compareRingId(a[1].ring, b[1].ring)))
  // The id names the ring set too: processors that deliver the same CC from different views
  // (components that have not merged yet) report different configurations. Several CCs may
  // carry one timestamp (rings of different LANs, or two halves of one): the low 32 bits order
  // them as their keys do (srp ring seq, LAN, rep; each cut to 8, 8 and 16 bits), the same at
  // every processor.
  const srpSeq = cc.ring.seq / (EPOCHS * LAN_SLOTS)
  const topoId: RingId = {
    rep: topologyRep([...sorted.keys()]),
    seq:
      BigInt(cc.ts) * TOPO_SEQ_SLOTS +
      (srpSeq % 256n) * 0x100_0000n +
      ((cc.ring.seq % LAN_SLOTS) % 256n) * 0x1_0000n +
      BigInt(cc.ring.rep % 0x1_0000),
  }
  return { sorted, topoId }
}

/** FNV-1a of `h` (0: nothing yet) and a judged message's kind and key (never 0). */
const foldKey = (h: number, kind: string, k: MessageKey): number => {
  let x = h === 0 ? 0x811c_9dc5 : h
  const s = `${kind}:${k.ts}@${ringKey(k.ring)}/${k.rank}`
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 0x0100_0193)
  return x >>> 0 || 1
}

/** FNV-1a over the ring keys of a topology (never 0). */
const topologyRep = (keys: readonly string[]): number => {
  let h = 0x811c_9dc5
  for (const k of keys) {
    for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x0100_0193)
    h = Math.imul(h ^ 0x2c, 0x0100_0193)
  }
  return h >>> 0 || 1
}

const parseRingKey = (k: string): RingId => {
  const dot = k.indexOf('.')
  return { rep: Number(k.slice(0, dot)), seq: BigInt(k.slice(dot + 1)) }
}

const copyCc = (m: CcMessage): CcMessage => ({
  ...m,
  members: m.members.slice(),
  preds: m.preds.slice(),
})

/**
 * Creates the multiple-ring protocol of one processor over its attached rings.
 *
 * @example
 * ```ts
 * const mr = createMultiring(resolveMultiringOptions(), {
 *   nodeId: nodeId(7), runtime, listener,
 *   rings: [
 *     { lan: 0, create: (l) => createSrp(srpConfig0, { nodeId: nodeId(7), runtime, transport: lan0, listener: l }) },
 *     { lan: 1, create: (l) => createSrp(srpConfig1, { nodeId: nodeId(7), runtime, transport: lan1, listener: l }) },
 *   ],
 * })
 * await mr.start()
 * mr.send(new TextEncoder().encode('across LANs'), 'safe')
 * ```
 */
export function createMultiring(config: MultiringConfig, deps: MultiringDeps): Multiring {
  return new MultiringImpl(config, deps)
}
