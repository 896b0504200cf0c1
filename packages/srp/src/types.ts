import type {
  Broadcast,
  BroadcastListener,
  NodeId,
  RingId,
  Runtime,
  Transport,
} from '@totem-ts/common'

/** Stable storage for the ring sequence number (corosync's `ringid_<nodeid>` file). */
export interface RingIdStore {
  /** The last stored ring seq, or 0n when none was stored. */
  load(): bigint
  /** Stores a ring seq; called before the ring is used (COMMIT entry and start). */
  store(seq: bigint): void
}

/** An in-memory {@link RingIdStore} (tests, the simulator, embedded use without restarts). */
export function createMemoryRingIdStore(initial = 0n): RingIdStore & { readonly seq: bigint } {
  let seq = initial
  return {
    load: () => seq,
    store: (s: bigint) => {
      seq = s
    },
    get seq() {
      return seq
    },
  }
}

/**
 * Deliberate protocol bugs, for proving that the simulator and the EVS checker catch them. Never
 * set outside tests.
 */
export interface SrpTestFaults {
  /** Deliver safe messages as soon as they are contiguous, without waiting for the token's aru. */
  readonly deliverSafeEarly?: boolean
  /** Do not deliver the transitional configuration. */
  readonly skipTransitional?: boolean
  /** Deliver old-ring messages past a gap, ignoring the deliver-set filter. */
  readonly ignoreDeliverSet?: boolean
}

/** What {@link createSrp} needs from its surroundings. */
export interface SrpDeps {
  /** This node's id. */
  readonly nodeId: NodeId
  readonly runtime: Runtime
  /** Datagrams to and from the other nodes ('all' = every node of the nodelist). */
  readonly transport: Transport
  /** Receives deliveries and configuration changes, synchronously, in EVS order. */
  readonly listener: BroadcastListener
  /** Ring-seq persistence. @defaultValue an in-memory store */
  readonly store?: RingIdStore
  /** Test-only protocol bugs. */
  readonly testFaults?: SrpTestFaults
}

/** Membership states (reference §3.1). */
export type SrpState = 'gather' | 'commit' | 'recovery' | 'operational'

/** Counters, after corosync's `totemsrp_stats_t`. Deterministic; cost nothing to keep. */
export interface SrpStats {
  orfTokenTx: number
  orfTokenRx: number
  memJoinTx: number
  memJoinRx: number
  memMergeTx: number
  memMergeRx: number
  commitTokenTx: number
  commitTokenRx: number
  tokenHoldCancelTx: number
  tokenHoldCancelRx: number
  mcastTx: number
  mcastRetx: number
  mcastRx: number
  operationalEntered: number
  operationalTokenLost: number
  gatherEntered: number
  gatherTokenLost: number
  commitEntered: number
  commitTokenLost: number
  recoveryEntered: number
  recoveryTokenLost: number
  consensusTimeouts: number
  /** Datagrams dropped because they did not decode, by error code. */
  rxDropped: Record<string, number>
  /** Datagrams ignored by the protocol (wrong ring, duplicate, stale). */
  rxIgnored: number
  /** Application messages delivered / configuration changes delivered. */
  messagesDelivered: number
  configurationChanges: number
  /** Messages re-sent during recovery (encapsulated). */
  recoveryResent: number
  /** Virtual or real ms the last membership change took (GATHER entry to OPERATIONAL). */
  lastFormationMs: number
}

/** The single-ring protocol instance of one node. */
export interface Srp extends Broadcast {
  /** Starts the transport and the protocol: delivers the singleton configuration, enters GATHER. */
  start(): Promise<void>
  /** Sends a leave (orderly shutdown), stops timers and the transport. */
  stop(): Promise<void>
  readonly state: SrpState
  /** The current (last installed) ring id. */
  readonly ringId: RingId
  stats(): Readonly<SrpStats>
}
