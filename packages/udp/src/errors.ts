import { TotemError } from '@totem-ts/common'

/**
 * The stable error codes of `@totem-ts/udp`. `ERR_UDP_BIND` is thrown (a rejected `start()`); the
 * others never are: they are keys of `rxDropped` (receive side) or `sendErrorsByCode` (send side)
 * in {@link UdpStats}, so a counter and a code always mean the same thing.
 */
export const UdpErrorCode = {
  /** `start()` could not bind the listening socket (`EADDRINUSE`, `EADDRNOTAVAIL`, `EACCES`…). */
  Bind: 'ERR_UDP_BIND',
  /** A datagram came from a source IP that is not in the nodelist (`block_unlisted_ips`). */
  UnlistedSource: 'ERR_UDP_UNLISTED_SOURCE',
  /** A received datagram was longer than `rxDatagramBytesMax`, or a sent one longer than `mtuBytes`. */
  Oversize: 'ERR_UDP_OVERSIZE',
  /** `send({ node })` named a node that is not in the nodelist. */
  UnknownNode: 'ERR_UDP_UNKNOWN_NODE',
  /** `send()` was called before `start()` resolved or after `stop()` was called. */
  NotRunning: 'ERR_UDP_NOT_RUNNING',
} as const
/** One of {@link UdpErrorCode}. */
export type UdpErrorCode = (typeof UdpErrorCode)[keyof typeof UdpErrorCode]

/** The error `@totem-ts/udp` throws; today only `ERR_UDP_BIND` (a rejected `start()`). */
export class UdpError extends TotemError<UdpErrorCode> {}
