import { RrpError, RrpErrorCode } from './errors.ts'

/** How datagrams use the networks. */
export const RrpMode = {
  /** Every datagram on every network in use; the receiver passes the first copy up. */
  Active: 'active',
  /** Each datagram on one network in use, round robin (tokens and mcasts on separate cursors). */
  Passive: 'passive',
} as const
/** One of {@link RrpMode}. */
export type RrpMode = (typeof RrpMode)[keyof typeof RrpMode]

/** Most networks one `createRrp` joins (corosync 3's `INTERFACE_MAX`, `ring0_addr`…`ring7_addr`). */
export const RRP_NETWORKS_MAX = 8

/**
 * Options of `createRrp`. All fields but `mode` are optional; the timers and thresholds keep
 * corosync 2.x's names and defaults (`totem.rrp_*`), the rest is totem-ts's own.
 */
export interface RrpOptions {
  /** `totem.rrp_mode` (2.x) / `totem.link_mode` (3.x). @defaultValue 'passive' */
  readonly mode?: RrpMode
  /**
   * The ring's token retransmit timeout (srp `tokenRetransmitTimeoutMs`): the defaults of the
   * timers below derive from it, as corosync's do. @defaultValue 238 (token 1000 / 4.2)
   */
  readonly tokenRetransmitTimeoutMs?: number
  /**
   * `rrp_problem_count_threshold`: problem counts of one (peer, network) at which this node marks
   * the network faulty. @defaultValue 10 (range 2 … 1000)
   */
  readonly problemCountThreshold?: number
  /**
   * `rrp_problem_count_mcast_threshold`: lost datagrams (sequence gaps) that weigh one
   * `problemCountThreshold`: each lost datagram adds threshold / mcastThreshold counts.
   * @defaultValue 10 × problemCountThreshold (range 2 … 100 000)
   */
  readonly problemCountMcastThreshold?: number
  /**
   * `rrp_problem_count_timeout`: the leak of the problem counts, one count per this many ms (as
   * corosync's decrementer, but in both modes and continuous). Must be at least twice
   * `tokenExpiredTimeoutMs`, or a dead network would never add up.
   * @defaultValue max(2000, 4 × tokenExpiredTimeoutMs) (range 30 … 3 600 000)
   */
  readonly problemCountTimeoutMs?: number
  /**
   * `rrp_token_expired_timeout`: a member heard on another network but silent on this one for
   * this long adds one problem count. @defaultValue tokenRetransmitTimeoutMs (range 30 … 3 600 000)
   */
  readonly tokenExpiredTimeoutMs?: number
  /**
   * `rrp_autorecovery_check_timeout`: period of the recovery checks of a faulty network.
   * @defaultValue 1000 (range 30 … 3 600 000)
   */
  readonly autorecoveryCheckTimeoutMs?: number
  /**
   * Period of the heartbeats every node sends on every network (also the faulty ones, where they
   * are padded to the MTU and serve as probes). Must be below `tokenExpiredTimeoutMs`.
   * @defaultValue max(10, tokenExpiredTimeoutMs / 3)
   */
  readonly heartbeatIntervalMs?: number
  /**
   * Loss fraction a network may have for ever without becoming faulty: each datagram received in
   * sequence drains lossFraction / (1 − lossFraction) of a lost datagram's weight.
   * @defaultValue 0.01 (range 0 … 0.5)
   */
  readonly lossFractionMax?: number
  /**
   * Consecutive clean recovery checks (every member heard, nothing lost, counts below half the
   * threshold) before a faulty network is taken back. Doubled each time the network fails again
   * within `flapWindowMs` of its recovery (up to 64×), reset after a calm `flapWindowMs`.
   * @defaultValue 3 (range 1 … 1000)
   */
  readonly recoveryChecks?: number
  /** See `recoveryChecks`. @defaultValue 30 × autorecoveryCheckTimeoutMs */
  readonly flapWindowMs?: number
  /** Duplicate filter: datagram sequence numbers remembered per sender. @defaultValue 4096 (64 … 65 536, a multiple of 32) */
  readonly duplicateWindow?: number
}

/** Resolved {@link RrpOptions}: every field set and checked. */
export interface RrpConfig {
  readonly mode: RrpMode
  readonly tokenRetransmitTimeoutMs: number
  readonly problemCountThreshold: number
  readonly problemCountMcastThreshold: number
  readonly problemCountTimeoutMs: number
  readonly tokenExpiredTimeoutMs: number
  readonly autorecoveryCheckTimeoutMs: number
  readonly heartbeatIntervalMs: number
  readonly lossFractionMax: number
  readonly recoveryChecks: number
  readonly flapWindowMs: number
  readonly duplicateWindow: number
}

/** corosync's `MINIMUM_TIMEOUT` (3 jiffies at HZ 100). */
export const RRP_TIMEOUT_MIN_MS = 30
const TIMEOUT_MAX_MS = 3_600_000

function bad(option: string, value: unknown, message: string): never {
  throw new RrpError(RrpErrorCode.BadOption, `${option}: ${message}`, {
    details: { option, value: String(value) },
  })
}

function num(
  o: RrpOptions,
  option: keyof RrpOptions,
  def: number,
  min: number,
  max: number,
  integer = true,
): number {
  const v = o[option] ?? def
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)))
    bad(option, v, integer ? 'expected an integer' : 'expected a number')
  if (v < min || v > max) bad(option, v, `expected ${min} … ${max}`)
  return v
}

/**
 * Fills in defaults (corosync 2.x's, derived from the token retransmit timeout like corosync's)
 * and checks ranges and cross-field rules. Throws `ERR_RRP_BAD_OPTION` with `details.option`.
 *
 * @example
 * ```ts
 * const c = resolveRrpOptions({ mode: 'active', tokenRetransmitTimeoutMs: 714 })
 * c.tokenExpiredTimeoutMs // 714
 * c.problemCountTimeoutMs // 2856 (4 × 714)
 * ```
 */
export function resolveRrpOptions(o: RrpOptions = {}): RrpConfig {
  const mode = o.mode ?? 'passive'
  if (mode !== 'active' && mode !== 'passive') bad('mode', mode, "expected 'active' or 'passive'")
  const tokenRetransmitTimeoutMs = num(o, 'tokenRetransmitTimeoutMs', 238, 1, TIMEOUT_MAX_MS, false)
  const problemCountThreshold = num(o, 'problemCountThreshold', 10, 2, 1000)
  const problemCountMcastThreshold = num(
    o,
    'problemCountMcastThreshold',
    10 * problemCountThreshold,
    2,
    100_000,
  )
  const tokenExpiredTimeoutMs = num(
    o,
    'tokenExpiredTimeoutMs',
    Math.max(RRP_TIMEOUT_MIN_MS, Math.round(tokenRetransmitTimeoutMs)),
    RRP_TIMEOUT_MIN_MS,
    TIMEOUT_MAX_MS,
  )
  const problemCountTimeoutMs = num(
    o,
    'problemCountTimeoutMs',
    Math.max(2000, 4 * tokenExpiredTimeoutMs),
    RRP_TIMEOUT_MIN_MS,
    TIMEOUT_MAX_MS,
  )
  if (problemCountTimeoutMs < 2 * tokenExpiredTimeoutMs)
    bad(
      'problemCountTimeoutMs',
      problemCountTimeoutMs,
      `must be at least 2 × tokenExpiredTimeoutMs (${2 * tokenExpiredTimeoutMs}): the leak would outrun a dead network`,
    )
  const autorecoveryCheckTimeoutMs = num(
    o,
    'autorecoveryCheckTimeoutMs',
    1000,
    RRP_TIMEOUT_MIN_MS,
    TIMEOUT_MAX_MS,
  )
  const heartbeatIntervalMs = num(
    o,
    'heartbeatIntervalMs',
    Math.max(10, Math.floor(tokenExpiredTimeoutMs / 3)),
    1,
    TIMEOUT_MAX_MS,
  )
  if (heartbeatIntervalMs >= tokenExpiredTimeoutMs)
    bad(
      'heartbeatIntervalMs',
      heartbeatIntervalMs,
      `must be below tokenExpiredTimeoutMs (${tokenExpiredTimeoutMs}): a healthy idle network would look silent`,
    )
  if (heartbeatIntervalMs > autorecoveryCheckTimeoutMs)
    bad(
      'heartbeatIntervalMs',
      heartbeatIntervalMs,
      `must not exceed autorecoveryCheckTimeoutMs (${autorecoveryCheckTimeoutMs}): a check period needs a probe`,
    )
  const lossFractionMax = num(o, 'lossFractionMax', 0.01, 0, 0.5, false)
  const recoveryChecks = num(o, 'recoveryChecks', 3, 1, 1000)
  const flapWindowMs = num(
    o,
    'flapWindowMs',
    30 * autorecoveryCheckTimeoutMs,
    0,
    10 * TIMEOUT_MAX_MS,
  )
  const duplicateWindow = num(o, 'duplicateWindow', 4096, 64, 65_536)
  if (duplicateWindow % 32 !== 0)
    bad('duplicateWindow', duplicateWindow, 'expected a multiple of 32')
  return Object.freeze({
    mode,
    tokenRetransmitTimeoutMs,
    problemCountThreshold,
    problemCountMcastThreshold,
    problemCountTimeoutMs,
    tokenExpiredTimeoutMs,
    autorecoveryCheckTimeoutMs,
    heartbeatIntervalMs,
    lossFractionMax,
    recoveryChecks,
    flapWindowMs,
    duplicateWindow,
  })
}
