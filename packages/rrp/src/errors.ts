import { TotemError } from '@totem-ts/common'

/**
 * The stable error codes of `@totem-ts/rrp`. Only `ERR_RRP_BAD_OPTION` is thrown (by
 * `resolveRrpOptions`, with `details.option`); the others are keys of `rxDropped`: a received
 * datagram that is not an RRP frame, or comes from a sender the filter has no room for.
 */
export const RrpErrorCode = {
  /** An option is out of range or breaks a cross-field rule (`details.option`, `details.value`). */
  BadOption: 'ERR_RRP_BAD_OPTION',
  /** A received datagram is shorter than the RRP header, or has a wrong magic/version/kind. */
  BadFrame: 'ERR_RRP_BAD_FRAME',
  /** A received datagram names sender 0, or a heartbeat body does not fit. */
  BadField: 'ERR_RRP_BAD_FIELD',
  /** More distinct senders than `NODES_MAX` were seen: the new one is dropped, not tracked. */
  TooManySenders: 'ERR_RRP_TOO_MANY_SENDERS',
} as const
/** One of {@link RrpErrorCode}. */
export type RrpErrorCode = (typeof RrpErrorCode)[keyof typeof RrpErrorCode]

/** The error `@totem-ts/rrp` throws (bad options) and counts (bad frames). */
export class RrpError extends TotemError<RrpErrorCode> {}
