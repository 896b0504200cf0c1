import { type ErrorDetails, TotemError } from '@totem-ts/common'

/** Stable codes of {@link EvsTraceError}. */
export const EvsErrorCode = {
  /**
   * A trace line is not a valid EVS trace event (EVS-TRACE.md): not JSON, not an object, an
   * unknown `ev`, a missing, extra or ill-typed field, or a line longer than {@link TRACE_LINE_CHARS_MAX}.
   * `details.line` is the 1-based line number, `details.reason` says what is wrong and
   * `details.field` (when present) names the field.
   */
  BadTrace: 'ERR_EVS_BAD_TRACE',
} as const
/** One of {@link EvsErrorCode}. */
export type EvsErrorCode = (typeof EvsErrorCode)[keyof typeof EvsErrorCode]

/** The only error {@link parseTrace} throws. */
export class EvsTraceError extends TotemError<EvsErrorCode> {}

/** Longest trace line accepted, in UTF-16 code units (a 384-member `conf` line is about 4,500). */
export const TRACE_LINE_CHARS_MAX = 65_536

/** Throws an {@link EvsTraceError} with code `ERR_EVS_BAD_TRACE`. */
export function badTrace(message: string, details: ErrorDetails): never {
  throw new EvsTraceError(EvsErrorCode.BadTrace, message, { details })
}
