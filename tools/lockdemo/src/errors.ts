import { TotemError } from '@totem-ts/common'

/** Error codes of @totem-ts/lockdemo (stable; see the README's table). */
export const LockErrorCode = {
  /** A lock name that is empty, not a string, or longer than {@link LOCK_NAME_BYTES_MAX} bytes. */
  InvalidName: 'ERR_LOCK_INVALID_NAME',
  /** A bad argument or option (details name it). */
  InvalidArgument: 'ERR_INVALID_ARGUMENT',
  /** This process already holds or waits for that lock. */
  Already: 'ERR_LOCK_ALREADY',
  /** `unlock` of a lock this process neither holds nor waits for. */
  NotHeld: 'ERR_LOCK_NOT_HELD',
  /** The replicated table is at its limit of locks or waiters; the request was refused everywhere. */
  TableFull: 'ERR_LOCK_TABLE_FULL',
  /** A partition merge gave the other side's table precedence: this replica's locks are gone. */
  Revoked: 'ERR_LOCK_REVOKED',
  /** The request was cancelled (`unlock` of a waiting request, or its AbortSignal). */
  Aborted: 'ERR_LOCK_ABORTED',
  /** The service was closed (or its CPG handle went away). */
  Closed: 'ERR_LOCK_CLOSED',
  /** A lock-service message that does not decode (counted and dropped by every replica alike). */
  Malformed: 'ERR_LOCK_MALFORMED',
} as const
/** One of {@link LockErrorCode}. */
export type LockErrorCode = (typeof LockErrorCode)[keyof typeof LockErrorCode]

/** The error type of this package: a {@link TotemError} with a {@link LockErrorCode}. */
export class LockError extends TotemError<LockErrorCode> {}

/** Throws a {@link LockError}. */
export function lockError(
  code: LockErrorCode,
  message: string,
  details?: Readonly<Record<string, string | number | boolean>>,
): never {
  throw new LockError(code, message, details === undefined ? undefined : { details })
}
