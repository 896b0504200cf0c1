/**
 * Authenticated encryption of every totem datagram. {@link withCrypto} wraps any `Transport`
 * (STYLE §4, compose by wrapping): datagrams are sealed with XChaCha20-Poly1305 under a packet key
 * derived by HKDF-SHA256 from the cluster key file, with key id, sender node id, a per-boot epoch
 * and a counter as associated data; received datagrams are authenticated, checked against a
 * sliding replay window per sender, and only then delivered. Forged, tampered, truncated,
 * replayed, wrong-key and plaintext datagrams are dropped and counted by code, never thrown and
 * never delivered. The key changes at run time through {@link Keyring.rotate} with a grace period
 * for the old one. `crypto_cipher`/`crypto_hash` `none` (see {@link resolveCryptoOptions}) means
 * plaintext, corosync-compatible, and the wrapper is not used.
 *
 * @example
 * ```ts
 * import { createCryptoRandom, createKeyring, readKeyFile, resolveCryptoOptions, withCrypto } from '@totem-ts/crypto'
 *
 * const config = resolveCryptoOptions({ cipher: 'aes256', hash: 'sha256' })
 * if (config.enabled) {
 *   const { key, warnings } = readKeyFile('/etc/totem/authkey')
 *   for (const w of warnings) runtime.logger.warn(w.message, { code: w.code })
 *   const keyring = createKeyring(key, { clock: runtime.clock, graceMs: config.keyGraceMs })
 *   transport = withCrypto(transport, keyring, { ...config, nodeId, runtime, random: createCryptoRandom() })
 * }
 * ```
 *
 * @packageDocumentation
 */

export {
  type CryptoDropCode,
  CryptoError,
  CryptoErrorCode,
  isCryptoError,
} from './errors.ts'
export {
  isSealedDatagram,
  NONCE_BYTES,
  SEALED_HEADER_BYTES,
  SEALED_OVERHEAD_BYTES,
  SEALED_VERSION,
  SealedOffset,
  TAG_BYTES,
} from './format.ts'
export {
  DEFAULT_KEY_FILE,
  KEY_FILE_MODE,
  type KeyFile,
  type KeyFileWarning,
  type ReadKeyFileOptions,
  readKeyFile,
  type WriteKeyFileOptions,
  type WrittenKeyFile,
  writeKeyFile,
} from './key-file.ts'
export {
  createKeyring,
  formatKeyId,
  KEY_BYTES_DEFAULT,
  KEY_BYTES_MAX,
  KEY_BYTES_MIN,
  type Keyring,
  type KeyringOptions,
  type KeyringState,
  keyIdOf,
} from './keyring.ts'
export {
  COROSYNC_CIPHERS,
  COROSYNC_HASHES,
  CRYPTO_ALGORITHM,
  type CryptoConfig,
  type CryptoOptions,
  EPOCH_QUIET_MS_DEFAULT,
  KEY_GRACE_MS_DEFAULT,
  REPLAY_WINDOW_DEFAULT,
  resolveCryptoOptions,
} from './options.ts'
export { createCryptoRandom } from './random.ts'
export { createReplayWindow, type ReplayVerdict, type ReplayWindow } from './replay.ts'
export type { CryptoStats } from './stats.ts'
export { type CryptoTransport, type WithCryptoOptions, withCrypto } from './transport.ts'
