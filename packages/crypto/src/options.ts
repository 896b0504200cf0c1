import { invalidArgument, NODES_MAX } from '@totem-ts/common'

/** corosync's `totem.crypto_cipher` values (corosync 3.1). */
export const COROSYNC_CIPHERS: readonly string[] = ['none', 'aes256', 'aes192', 'aes128']
/** corosync's `totem.crypto_hash` values (corosync 3.1). */
export const COROSYNC_HASHES: readonly string[] = [
  'none',
  'md5',
  'sha1',
  'sha256',
  'sha384',
  'sha512',
]

/**
 * What runs when crypto is on, whatever corosync cipher and hash were configured: XChaCha20-Poly1305
 * with packet keys derived by HKDF-SHA256. It is not corosync's nss/openssl packet format, so a
 * totem-ts node with crypto on cannot talk to a corosync node with crypto on.
 */
export const CRYPTO_ALGORITHM = 'xchacha20poly1305+hkdf-sha256'

/** Default grace period of the previous key after a rotation. */
export const KEY_GRACE_MS_DEFAULT = 10_000
/** Longest grace period accepted (one hour). */
export const KEY_GRACE_MS_MAX = 3_600_000
/** Default replay window per sender, in datagrams (counters). */
export const REPLAY_WINDOW_DEFAULT = 1024
/** Smallest and largest replay windows accepted (powers of two in between). */
export const REPLAY_WINDOW_MIN = 32
export const REPLAY_WINDOW_MAX = 65_536
/** Default silence of a sender's current epoch before a new epoch (a restart) replaces it. */
export const EPOCH_QUIET_MS_DEFAULT = 1000
/** Retired epochs remembered per sender: datagrams from them are replays. */
export const RETIRED_EPOCHS_MAX = 8

/**
 * Crypto settings. `cipher` and `hash` take corosync.conf's `crypto_cipher` and `crypto_hash`
 * values; the rest tune the replay protection and key rotation.
 */
export interface CryptoOptions {
  /**
   * corosync's `crypto_cipher`: `none`, `aes256`, `aes192` or `aes128`. Anything but `none` turns
   * crypto on (with {@link CRYPTO_ALGORITHM}, not AES).
   * @defaultValue `'none'`
   */
  readonly cipher?: string
  /**
   * corosync's `crypto_hash`: `none`, `md5`, `sha1`, `sha256`, `sha384` or `sha512`. Anything but
   * `none` turns crypto on (authentication and encryption always go together here).
   * @defaultValue `'none'`
   */
  readonly hash?: string
  /**
   * How long the previous key is still accepted after `keyring.rotate()`, in ms (0…3 600 000).
   * @defaultValue 10000
   */
  readonly keyGraceMs?: number
  /**
   * Replay window per sender and epoch, in counters: a power of two in 32…65 536.
   * @defaultValue 1024
   */
  readonly replayWindow?: number
  /**
   * Most senders whose replay state is kept (1…`NODES_MAX`); beyond it the least recently
   * heard sender's state is evicted.
   * @defaultValue 384 (`NODES_MAX`)
   */
  readonly sendersMax?: number
  /**
   * A sender's current epoch must have been silent this long (ms) before a datagram with a new
   * epoch (the sender restarted) is accepted; 0 accepts a new epoch at once (0…60 000).
   * @defaultValue 1000
   */
  readonly epochQuietMs?: number
}

/** {@link CryptoOptions} checked and completed by {@link resolveCryptoOptions}. */
export interface CryptoConfig {
  /** False for `none`/`none`: plaintext, corosync-compatible; the wrapper is not used. */
  readonly enabled: boolean
  /** {@link CRYPTO_ALGORITHM} when enabled, `'none'` otherwise. */
  readonly algorithm: typeof CRYPTO_ALGORITHM | 'none'
  /** The configured corosync values, for logs and `--check` output. */
  readonly cipher: string
  readonly hash: string
  readonly keyGraceMs: number
  readonly replayWindow: number
  readonly sendersMax: number
  readonly epochQuietMs: number
}

function intIn(
  name: string,
  v: number | undefined,
  min: number,
  max: number,
  dflt: number,
): number {
  if (v === undefined) return dflt
  if (!Number.isInteger(v) || v < min || v > max)
    invalidArgument(`crypto ${name} must be an integer in ${min}..${max}`, {
      option: name,
      value: String(v),
    })
  return v
}

/**
 * Checks crypto options and fills defaults. `cipher`/`hash` map corosync's values: `none`/`none`
 * is plaintext (the wrapper is not used, corosync-compatible on the wire); any other value of
 * either turns on {@link CRYPTO_ALGORITHM}. Unknown values throw `ERR_INVALID_ARGUMENT` with
 * `details.option`.
 *
 * @example
 * ```ts
 * resolveCryptoOptions({ cipher: 'aes256', hash: 'sha256' }).enabled // true
 * resolveCryptoOptions({}).enabled // false: corosync's default is no crypto
 * ```
 */
export function resolveCryptoOptions(options: CryptoOptions = {}): Readonly<CryptoConfig> {
  const cipher = options.cipher ?? 'none'
  const hash = options.hash ?? 'none'
  if (!COROSYNC_CIPHERS.includes(cipher))
    invalidArgument(`crypto_cipher must be one of ${COROSYNC_CIPHERS.join(', ')}`, {
      option: 'cipher',
      value: cipher,
    })
  if (!COROSYNC_HASHES.includes(hash))
    invalidArgument(`crypto_hash must be one of ${COROSYNC_HASHES.join(', ')}`, {
      option: 'hash',
      value: hash,
    })
  const replayWindow = intIn(
    'replayWindow',
    options.replayWindow,
    REPLAY_WINDOW_MIN,
    REPLAY_WINDOW_MAX,
    REPLAY_WINDOW_DEFAULT,
  )
  if ((replayWindow & (replayWindow - 1)) !== 0)
    invalidArgument('crypto replayWindow must be a power of two', {
      option: 'replayWindow',
      value: replayWindow,
    })
  const enabled = cipher !== 'none' || hash !== 'none'
  return Object.freeze({
    enabled,
    algorithm: enabled ? CRYPTO_ALGORITHM : 'none',
    cipher,
    hash,
    keyGraceMs: intIn('keyGraceMs', options.keyGraceMs, 0, KEY_GRACE_MS_MAX, KEY_GRACE_MS_DEFAULT),
    replayWindow,
    sendersMax: intIn('sendersMax', options.sendersMax, 1, NODES_MAX, NODES_MAX),
    epochQuietMs: intIn('epochQuietMs', options.epochQuietMs, 0, 60_000, EPOCH_QUIET_MS_DEFAULT),
  })
}
