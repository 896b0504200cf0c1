/**
 * The wire format of a sealed datagram (all integers big-endian):
 *
 * | offset | bytes | field |
 * |---|---|---|
 * | 0 | 2 | magic `0x54 0x43` (`"TC"`), never a totem magic (`0xC070` either way round) |
 * | 2 | 1 | format version, 1 |
 * | 3 | 1 | reserved, 0 |
 * | 4 | 4 | key id (fingerprint of the cluster key, see `keyIdOf`) |
 * | 8 | 4 | sender node id |
 * | 12 | 8 | sender epoch (random per boot) |
 * | 20 | 8 | counter (1, 2, … per sender and epoch; below 2⁵³) |
 * | 28 | 24 | XChaCha20 nonce (random) |
 * | 52 | n | ciphertext of the n-byte totem datagram |
 * | 52 + n | 16 | Poly1305 tag |
 *
 * Bytes 0…27 are the AEAD's associated data; the nonce is bound by the cipher itself.
 */

/** First two bytes of every sealed datagram. */
export const SEALED_MAGIC_0 = 0x54
export const SEALED_MAGIC_1 = 0x43
/** The format version written and accepted. */
export const SEALED_VERSION = 1
/** Bytes of associated data (magic … counter). */
export const AAD_BYTES = 28
/** XChaCha20 nonce bytes. */
export const NONCE_BYTES = 24
/** Header bytes before the ciphertext. */
export const SEALED_HEADER_BYTES: number = AAD_BYTES + NONCE_BYTES
/** Poly1305 tag bytes. */
export const TAG_BYTES = 16
/** What sealing adds to a datagram: header and tag (68 bytes). */
export const SEALED_OVERHEAD_BYTES: number = SEALED_HEADER_BYTES + TAG_BYTES

/** Offsets of the header fields. */
export const SealedOffset = {
  magic: 0,
  version: 2,
  reserved: 3,
  keyId: 4,
  sender: 8,
  epoch: 12,
  counter: 20,
  nonce: 28,
  ciphertext: 52,
} as const

/** Largest counter a sender uses before it starts a new epoch (`Number.MAX_SAFE_INTEGER`). */
export const COUNTER_MAX: number = Number.MAX_SAFE_INTEGER

/** True when `bytes` starts like a totem datagram in either byte order (magic `0xC070`). */
export function isTotemPlaintext(bytes: Uint8Array): boolean {
  if (bytes.length < 2) return false
  const a = bytes[0]
  const b = bytes[1]
  return (a === 0xc0 && b === 0x70) || (a === 0x70 && b === 0xc0)
}

/**
 * True when `bytes` starts like a sealed datagram (magic and version). A plaintext node can use
 * it to tell "a crypto-enabled peer" apart from garbage and name the crypto mismatch in its log.
 */
export function isSealedDatagram(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 3 &&
    bytes[0] === SEALED_MAGIC_0 &&
    bytes[1] === SEALED_MAGIC_1 &&
    bytes[2] === SEALED_VERSION
  )
}
