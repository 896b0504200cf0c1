import { type ErrorDetails, isTotemError, TotemError } from '@totem-ts/common'

/**
 * Stable codes of {@link WireError}. Decoders throw nothing else: every length, count and offset
 * is checked before use.
 */
export const WireErrorCode = {
  /** The input ends before a field or a counted list that it announces. */
  Truncated: 'ERR_WIRE_TRUNCATED',
  /** The input, or a message it carries, is larger than a declared limit. */
  TooLong: 'ERR_WIRE_TOO_LONG',
  /** A count (rtr entries, proc/failed list, members, groups) exceeds its limit or is negative. */
  TooMany: 'ERR_WIRE_TOO_MANY',
  /** The magic is neither `0xC070` nor its byte swap (corosync 2.x magics included). */
  BadMagic: 'ERR_WIRE_BAD_MAGIC',
  /** The header's version is not 3. */
  BadVersion: 'ERR_WIRE_BAD_VERSION',
  /** Unknown message type, service id or function. */
  BadType: 'ERR_WIRE_BAD_TYPE',
  /** Lengths or fields that disagree (size fields, trailing bytes, index beyond a list). */
  Inconsistent: 'ERR_WIRE_INCONSISTENT',
  /** A fragment that does not continue the chain in progress (totempg reassembly). */
  BadFragment: 'ERR_WIRE_BAD_FRAGMENT',
} as const
/** One of {@link WireErrorCode}. */
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode]

/** The only error a decoder throws. Catch it at the receive boundary and count it by `code`. */
export class WireError extends TotemError<WireErrorCode> {}

/** Throws a {@link WireError}. */
export function wireError(code: WireErrorCode, message: string, details?: ErrorDetails): never {
  throw new WireError(code, message, details ? { details } : undefined)
}

/** True when `e` is a {@link WireError} (by brand and code prefix, across package copies). */
export function isWireError(e: unknown): e is WireError {
  return isTotemError(e) && e.code.startsWith('ERR_WIRE_')
}
