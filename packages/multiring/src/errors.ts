import { TotemError } from '@totem-ts/common'

/** Stable error and drop codes of the multiple-ring protocol. */
export const MultiringErrorCode = {
  /** A multiring message that does not decode (truncated, bad kind, counts over the limits). */
  BadMessage: 'ERR_MULTIRING_BAD_MESSAGE',
  /** (drop count) A message whose key is below what this processor already delivered. */
  Late: 'ERR_MULTIRING_LATE',
  /** (drop count) A sender's message that came before its predecessor (sent again in order). */
  OutOfOrder: 'ERR_MULTIRING_OUT_OF_ORDER',
  /**
   * (drop count) A message below the CC of our new ring, brought onto it by a member that was not
   * on our previous ring (a new path: its ring was not in our topology then; reference §4 rule 7).
   */
  NewPath: 'ERR_MULTIRING_NEW_PATH',
  /** (drop count) A bounded buffer (pending buffer, forward queue) was full. */
  BufferFull: 'ERR_MULTIRING_BUFFER_FULL',
} as const
/** One of {@link MultiringErrorCode}. */
export type MultiringErrorCode = (typeof MultiringErrorCode)[keyof typeof MultiringErrorCode]

/** A multiring message that does not decode; `details.reason` says why. */
export class MultiringWireError extends TotemError<'ERR_MULTIRING_BAD_MESSAGE'> {}

/** Throws {@link MultiringWireError} with `details.reason`. */
export function badMessage(reason: string, details: Record<string, number | string> = {}): never {
  throw new MultiringWireError('ERR_MULTIRING_BAD_MESSAGE', `bad multiring message: ${reason}`, {
    details: { reason, ...details },
  })
}
