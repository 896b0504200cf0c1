import type { Random } from '@totem-ts/common'

/** `crypto.getRandomValues` fills at most this many bytes per call. */
const FILL_CHUNK_BYTES = 65_536

/**
 * A `Random` backed by the platform CSPRNG (`crypto.getRandomValues`), for production: nonces,
 * epochs and key files need unpredictable bytes. The simulator passes a seeded `Random` instead
 * (and gets reproducible, but not secret, bytes).
 */
export function createCryptoRandom(): Random {
  const c = globalThis.crypto
  const word = new Uint32Array(2)
  const fill = (out: Uint8Array): void => {
    for (let i = 0; i < out.length; i += FILL_CHUNK_BYTES)
      c.getRandomValues(out.subarray(i, Math.min(out.length, i + FILL_CHUNK_BYTES)))
  }
  const float = (): number => {
    c.getRandomValues(word)
    // 53 random bits: 21 from the first word, 32 from the second.
    return (((word[0] as number) >>> 11) * 2 ** 32 + (word[1] as number)) / 2 ** 53
  }
  return Object.freeze({
    fill,
    float,
    int(maxExclusive: number): number {
      return Math.floor(float() * maxExclusive)
    },
  })
}
