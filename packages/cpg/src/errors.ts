import { TotemError } from '@totem-ts/common'

/**
 * Error codes of @totem-ts/cpg. The names follow corosync's `CS_ERR_*` results of libcpg so that a
 * corosync user recognises them (`CS_ERR_TRY_AGAIN` → `ERR_CPG_TRY_AGAIN`, …).
 */
export const CpgErrorCode = {
  /** Back-pressure: too much is queued for this handle (or the node is re-synchronising). */
  TryAgain: 'ERR_CPG_TRY_AGAIN',
  /** The handle was finalized, or its connection to the daemon is gone. */
  BadHandle: 'ERR_CPG_BAD_HANDLE',
  /** The handle is not joined to that group. */
  NotExist: 'ERR_CPG_NOT_EXIST',
  /** The handle (or another handle of the same pid) already joined that group. */
  Exist: 'ERR_CPG_EXIST',
  /** Group name empty or longer than 128 bytes (UTF-8). */
  NameTooLong: 'ERR_CPG_NAME_TOO_LONG',
  /** Message longer than 1 MiB. */
  TooBig: 'ERR_CPG_TOO_BIG',
  /** A limit was reached: groups per handle, handles per daemon. */
  NoResources: 'ERR_CPG_NO_RESOURCES',
  /** A bad argument (not a Uint8Array, unknown guarantee, bad pid). */
  InvalidParam: 'ERR_CPG_INVALID_PARAM',
  /** The daemon's socket cannot be reached, or it spoke garbage. */
  Library: 'ERR_CPG_LIBRARY',
  /** The peer broke the client protocol (bad frame, unknown type, oversized frame). */
  Protocol: 'ERR_CPG_PROTOCOL',
  /** The daemon closed this client because it did not read its deliveries fast enough. */
  SlowClient: 'ERR_CPG_SLOW_CLIENT',
} as const
/** One of {@link CpgErrorCode}. */
export type CpgErrorCode = (typeof CpgErrorCode)[keyof typeof CpgErrorCode]

/** Throws a {@link TotemError} with a CPG code. */
export function cpgError(
  code: CpgErrorCode,
  message: string,
  details?: Readonly<Record<string, string | number | boolean>>,
): never {
  throw new TotemError(code, message, details === undefined ? undefined : { details })
}

/** The known CPG codes, for checking codes that arrive over the socket. */
export const CPG_ERROR_CODES: ReadonlySet<string> = new Set(Object.values(CpgErrorCode))
