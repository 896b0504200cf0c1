import { type ErrorDetails, isTotemError, TotemError } from '@totem-ts/common'

/**
 * Stable codes of {@link CryptoError}. The first four are receive-path drops: they are counted in
 * `rxDropped` of the wrapper's stats and never thrown out of the receive path. The others are
 * thrown at the API edge (key files, keyring).
 */
export const CryptoErrorCode = {
  /**
   * The datagram failed authentication: forged, tampered with (any bit), truncated, or sealed
   * with other key material under a known key id.
   */
  Auth: 'ERR_CRYPTO_AUTH',
  /** An authentic datagram seen before, older than the replay window, or from a retired epoch. */
  Replay: 'ERR_CRYPTO_REPLAY',
  /** The datagram names a key id this node does not hold (other key, or a key past its grace). */
  KeyId: 'ERR_CRYPTO_KEY_ID',
  /**
   * Not a sealed datagram: too short, unknown magic or version, non-zero reserved bits, or a
   * plaintext totem datagram where crypto is expected (a crypto mismatch between nodes).
   */
  Format: 'ERR_CRYPTO_FORMAT',
  /** Key material outside 32…4096 bytes. */
  KeySize: 'ERR_CRYPTO_KEY_SIZE',
  /** `writeKeyFile` refused to replace an existing file (pass `force`). */
  KeyExists: 'ERR_CRYPTO_KEY_EXISTS',
  /** A key file could not be read or written (`details.errno` holds the system code). */
  KeyIo: 'ERR_CRYPTO_KEY_IO',
  /**
   * A key file is readable or writable by group or others. Returned as a warning by
   * `readKeyFile`, thrown when `strictMode` is set.
   */
  KeyMode: 'ERR_CRYPTO_KEY_MODE',
} as const
/** One of {@link CryptoErrorCode}. */
export type CryptoErrorCode = (typeof CryptoErrorCode)[keyof typeof CryptoErrorCode]

/** Codes under which the receive path counts dropped datagrams. */
export type CryptoDropCode =
  | 'ERR_CRYPTO_AUTH'
  | 'ERR_CRYPTO_REPLAY'
  | 'ERR_CRYPTO_KEY_ID'
  | 'ERR_CRYPTO_FORMAT'

/**
 * The error type of @totem-ts/crypto. Messages and details never contain key bytes or plaintext:
 * only lengths, offsets, key ids, node ids and system error codes.
 */
export class CryptoError extends TotemError<CryptoErrorCode> {}

/** Throws a {@link CryptoError}. */
export function cryptoError(code: CryptoErrorCode, message: string, details?: ErrorDetails): never {
  throw new CryptoError(code, message, details ? { details } : undefined)
}

/** True when `e` is a {@link CryptoError} (by brand and code prefix, across package copies). */
export function isCryptoError(e: unknown): e is CryptoError {
  return isTotemError(e) && e.code.startsWith('ERR_CRYPTO_')
}
