import { invalidArgument, NETMTU_DEFAULT, NETMTU_MAX, NETMTU_MIN } from '@totem-ts/common'

/**
 * Tunables of the single-ring protocol. Every field is optional; defaults are corosync 3.1.7's
 * (reference §3.8), names follow `corosync.conf`'s `totem { … }` keys with units last.
 */
export interface SrpOptions {
  /**
   * Token loss timeout for a two-node nodelist (`totem.token`). The effective value grows by
   * {@link SrpOptions.tokenCoefficientMs} per node beyond two, as corosync's does.
   * @defaultValue 3000
   */
  readonly tokenTimeoutMs?: number
  /** `totem.token_coefficient`. @defaultValue 650 */
  readonly tokenCoefficientMs?: number
  /**
   * `totem.token_retransmits_before_loss_const`: token retransmissions before the token counts as
   * lost; sets the retransmit period to token / (n + 0.2) unless given.
   * @defaultValue 4
   */
  readonly tokenRetransmitsBeforeLoss?: number
  /** `totem.token_retransmit`. @defaultValue token / (retransmits + 0.2) */
  readonly tokenRetransmitTimeoutMs?: number
  /** `totem.hold`: how long the representative holds an idle token. @defaultValue retransmit × 0.8 − 10 */
  readonly holdTimeoutMs?: number
  /** `totem.join`: join resend interval in GATHER. @defaultValue 50 */
  readonly joinTimeoutMs?: number
  /** `totem.consensus`: GATHER deadline; must exceed the token timeout. @defaultValue 1.2 × token */
  readonly consensusTimeoutMs?: number
  /** `totem.merge`: merge-detect delay when the ring is idle. @defaultValue 200 */
  readonly mergeTimeoutMs?: number
  /** `totem.fail_recv_const`: rotations with a stuck aru before "failed to receive". @defaultValue 2500 */
  readonly failToRecvConst?: number
  /** `totem.seqno_unchanged_const`: idle rotations before the token is held. @defaultValue 30 */
  readonly seqnoUnchangedConst?: number
  /** `totem.miss_count_const`: token visits before a missing message is requested. @defaultValue 5 */
  readonly missCountConst?: number
  /** `totem.window_size`: messages all members may send in one rotation. @defaultValue 50 */
  readonly windowSize?: number
  /** `totem.max_messages`: messages one member may send per token visit. @defaultValue 17 */
  readonly maxMessages?: number
  /** `totem.netmtu`. @defaultValue 1500 */
  readonly netmtu?: number
  /**
   * Hold an idle token at the representative, as corosync does: after `seqnoUnchangedConst`
   * rotations without a new message the representative keeps the token and re-sends it every
   * hold period; a member that wants to send then broadcasts token-hold-cancel and the
   * representative forwards it at once. An idle ring costs almost no CPU (off, three idle
   * members pass the token thousands of times a second); the first message after an idle period
   * waits one more hop.
   * @defaultValue true
   */
  readonly tokenHold?: boolean
  /** Largest number of application messages waiting to be sent; `send` answers `'full'` beyond. @defaultValue 2974 */
  readonly sendQueueMax?: number
  /**
   * corosync compatibility: messages queued but not sent when the ring breaks, and those queued
   * until the next regular configuration is delivered, are held back until the layer above calls
   * `syncCompleted()` (corosync holds messages across a ring change until its sync completes).
   * Messages queued after the regular configuration (the sync protocol's own) go out at once, ahead
   * of the held ones: FIFO per sender then holds within each group, not across them.
   * @defaultValue false
   */
  readonly holdSendsDuringRingChange?: boolean
}

/** Resolved {@link SrpOptions}: every field set and checked. */
export interface SrpConfig {
  readonly tokenTimeoutMs: number
  readonly tokenRetransmitTimeoutMs: number
  readonly holdTimeoutMs: number
  readonly joinTimeoutMs: number
  readonly consensusTimeoutMs: number
  readonly mergeTimeoutMs: number
  readonly failToRecvConst: number
  readonly seqnoUnchangedConst: number
  readonly missCountConst: number
  readonly windowSize: number
  readonly maxMessages: number
  readonly netmtu: number
  readonly tokenHold: boolean
  readonly sendQueueMax: number
  readonly holdSendsDuringRingChange: boolean
}

function int(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) {
    invalidArgument(`${name} must be an integer in ${min}..${max}, got ${v}`, {
      option: name,
      value: String(v),
    })
  }
  return v
}

/**
 * Fills defaults (corosync 3.1.7's) and checks ranges and cross-field rules.
 * `nodelistSize` scales the token timeout as corosync does (`token + (n − 2) × coefficient`).
 *
 * @example
 * ```ts
 * const cfg = resolveSrpOptions({ tokenTimeoutMs: 1000 }, 3)
 * cfg.tokenTimeoutMs // 1650
 * ```
 */
export function resolveSrpOptions(o: SrpOptions = {}, nodelistSize = 2): Readonly<SrpConfig> {
  const base = int('tokenTimeoutMs', o.tokenTimeoutMs ?? 3000, 10, 3_600_000)
  const coefficient = int('tokenCoefficientMs', o.tokenCoefficientMs ?? 650, 0, 60_000)
  const n = int('nodelistSize', nodelistSize, 1, 384)
  const token = n > 2 ? base + (n - 2) * coefficient : base
  const retransmits = int('tokenRetransmitsBeforeLoss', o.tokenRetransmitsBeforeLoss ?? 4, 1, 1000)
  const retransmit = int(
    'tokenRetransmitTimeoutMs',
    o.tokenRetransmitTimeoutMs ?? Math.trunc(token / (retransmits + 0.2)),
    1,
    token,
  )
  const hold = int(
    'holdTimeoutMs',
    o.holdTimeoutMs ?? Math.max(1, Math.trunc(retransmit * 0.8 - 10)),
    1,
    token,
  )
  const join = int('joinTimeoutMs', o.joinTimeoutMs ?? 50, 1, 60_000)
  const consensus = int(
    'consensusTimeoutMs',
    o.consensusTimeoutMs ?? Math.trunc(1.2 * token),
    1,
    3_600_000,
  )
  if (consensus <= token) {
    invalidArgument('consensusTimeoutMs must be longer than the token timeout', {
      consensus,
      token,
    })
  }
  if (join >= consensus)
    invalidArgument('joinTimeoutMs must be shorter than consensusTimeoutMs', { join, consensus })
  const windowSize = int('windowSize', o.windowSize ?? 50, 1, 10_000)
  const maxMessages = int('maxMessages', o.maxMessages ?? 17, 1, 10_000)
  if (maxMessages > windowSize)
    invalidArgument('maxMessages must not exceed windowSize', { maxMessages, windowSize })
  const netmtu = int('netmtu', o.netmtu ?? NETMTU_DEFAULT, NETMTU_MIN, NETMTU_MAX)
  return Object.freeze({
    tokenTimeoutMs: token,
    tokenRetransmitTimeoutMs: retransmit,
    holdTimeoutMs: hold,
    joinTimeoutMs: join,
    consensusTimeoutMs: consensus,
    mergeTimeoutMs: int('mergeTimeoutMs', o.mergeTimeoutMs ?? 200, 1, 3_600_000),
    failToRecvConst: int('failToRecvConst', o.failToRecvConst ?? 2500, 1, 1_000_000),
    seqnoUnchangedConst: int('seqnoUnchangedConst', o.seqnoUnchangedConst ?? 30, 1, 1_000_000),
    missCountConst: int('missCountConst', o.missCountConst ?? 5, 1, 1000),
    windowSize,
    maxMessages,
    netmtu,
    tokenHold: o.tokenHold ?? true,
    holdSendsDuringRingChange: o.holdSendsDuringRingChange ?? false,
    sendQueueMax: int(
      'sendQueueMax',
      o.sendQueueMax ?? Math.trunc((4 * 1024 * 1024) / (netmtu - 90)),
      1,
      1_000_000,
    ),
  })
}
