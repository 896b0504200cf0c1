import { isTotemError } from '@totem-ts/common'
import { LockErrorCode } from './errors.ts'

/** True for the decoder's `ERR_LOCK_MALFORMED` (from any copy of this package). */
export function isLockErrorLike(e: unknown): boolean {
  return isTotemError(e) && e.code === LockErrorCode.Malformed
}
