import type { TransportStats } from '@totem-ts/common'
import type { RrpMode } from './options.ts'

/**
 * What `totem-cfgtool -s` prints for a network: `ok` (in use, no problem), `suspect` (in use, but
 * problem counts at half the threshold or more, or faulty here and not yet out of use), `faulty`
 * (out of use: this node or a live member judges it faulty), `recovering` (out of use, but every
 * node that judged it faulty sees clean probes right now: a standby that carries copies of every
 * datagram while fewer than two networks are in use).
 */
export type RrpNetworkState = 'ok' | 'suspect' | 'recovering' | 'faulty'

/** Counters and state of one network. */
export interface RrpNetworkStats {
  readonly ringNo: number
  state: RrpNetworkState
  /** Agreed: carries data (no live member reports it faulty). */
  inUse: boolean
  /** Agreed standby: out of use but probing clean everywhere (see `recovering`). */
  standby: boolean
  /** This node's own verdict. */
  localFaulty: boolean
  /** Live members whose heartbeats report this network faulty, ascending. */
  reportedFaultyBy: number[]
  /** Largest problem count over the members (the leaky bucket; faulty at the threshold). */
  problemCount: number
  /** Consecutive clean recovery checks so far, and how many the next recovery needs. */
  cleanChecks: number
  recoveryChecksRequired: number
  /** Virtual/monotonic ms of the last change of `localFaulty` or `inUse`. */
  lastChangeMs: number
  /** Frames sent (data copies and heartbeats are counted apart). */
  datagramsTx: number
  heartbeatsTx: number
  probesTx: number
  /** Frames that decoded, data passed up from this network, heartbeats that were probes. */
  framesRx: number
  datagramsRx: number
  probesRx: number
  /** Copies that lost the race to another network (active mode). */
  duplicatesDropped: number
  /** Datagrams missing from the per-network sequence (net of late arrivals). */
  lost: number
  /** Expiry periods in which a member was heard elsewhere but not here. */
  silences: number
  /** Times this node marked it faulty, and took it back by itself. */
  faultyCount: number
  recoveredCount: number
  /** Times the agreed state changed. */
  outOfUseEntered: number
  inUseEntered: number
  /** Received datagrams dropped on this network, by code. */
  rxDropped: Record<string, number>
  /** The network's own transport (udp, crypto…) counters. */
  transport?: TransportStats
}

/** `stats()` of the redundant ring: the `TransportStats` of what srp sees, plus RRP's own. */
export interface RrpStats extends TransportStats {
  readonly mode: RrpMode
  /** Copies dropped by the duplicate filter. */
  duplicatesDropped: number
  heartbeatsTx: number
  heartbeatsRx: number
  /** No network is in use: every datagram goes on every network. */
  allFaulty: boolean
  allFaultyEntered: number
  /** Re-enable generation (`totem-cfgtool -r` bumps it cluster-wide) and re-enables seen. */
  reenableGen: number
  reenables: number
  networks: RrpNetworkStats[]
}

/** A fault, a recovery, or a change of the networks in use (`ringNo` −1: all of them). */
export interface RrpEvent {
  readonly type:
    | 'faulty'
    | 'recovered'
    | 'in-use'
    | 'out-of-use'
    | 'reenabled'
    | 'all-faulty'
    | 'not-all-faulty'
  readonly ringNo: number
  readonly atMs: number
  readonly reason?: string
}

export function createNetworkStats(ringNo: number): RrpNetworkStats {
  return {
    ringNo,
    state: 'ok',
    inUse: true,
    standby: false,
    localFaulty: false,
    reportedFaultyBy: [],
    problemCount: 0,
    cleanChecks: 0,
    recoveryChecksRequired: 0,
    lastChangeMs: 0,
    datagramsTx: 0,
    heartbeatsTx: 0,
    probesTx: 0,
    framesRx: 0,
    datagramsRx: 0,
    probesRx: 0,
    duplicatesDropped: 0,
    lost: 0,
    silences: 0,
    faultyCount: 0,
    recoveredCount: 0,
    outOfUseEntered: 0,
    inUseEntered: 0,
    rxDropped: {},
  }
}
