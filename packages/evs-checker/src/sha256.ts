/**
 * SHA-256 (FIPS 180-4 §6.2), small and dependency-free, for EVS message ids. The checker must stay
 * deterministic and free of `node:*` imports (STYLE.md §5), so it cannot use `node:crypto`; the
 * tests cross-check this implementation against it and against the NIST known-answer vectors.
 */
import { assert } from '@totem-ts/common'

/** Round constants K₀…K₆₃: first 32 bits of the fractional parts of the cube roots of the first 64 primes (§4.2.2). */
const K: Uint32Array = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])

/** Initial hash value H⁽⁰⁾ (§5.3.3). */
const H0: Uint32Array = new Uint32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
])

const BLOCK_BYTES = 64

/** Incremental SHA-256 state: feed bytes with {@link Sha256.update}, then call {@link Sha256.digest} once. */
export interface Sha256 {
  /** Absorbs `data`; returns the same hasher for chaining. Throws after {@link Sha256.digest}. */
  update(data: Uint8Array): Sha256
  /** Pads, finishes and returns the 32-byte digest. The hasher cannot be used afterwards. */
  digest(): Uint8Array
}

/** Creates an incremental SHA-256 hasher. */
export function createSha256(): Sha256 {
  const h = new Uint32Array(H0)
  const w = new Uint32Array(64)
  const block = new Uint8Array(BLOCK_BYTES)
  const view = new DataView(block.buffer)
  let blockLen = 0
  let totalBytes = 0
  let done = false

  const compress = (src: DataView, offset: number): void => {
    for (let t = 0; t < 16; t++) w[t] = src.getUint32(offset + 4 * t, false)
    for (let t = 16; t < 64; t++) {
      const w15 = w[t - 15]!
      const w2 = w[t - 2]!
      const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3)
      const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10)
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0
    }
    let a = h[0]!
    let b = h[1]!
    let c = h[2]!
    let d = h[3]!
    let e = h[4]!
    let f = h[5]!
    let g = h[6]!
    let hh = h[7]!
    for (let t = 0; t < 64; t++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
      const ch = (e & f) ^ (~e & g)
      const t1 = (hh + S1 + ch + K[t]! + w[t]!) | 0
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
      const maj = (a & b) ^ (a & c) ^ (b & c)
      const t2 = (S0 + maj) | 0
      hh = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    h[0] = h[0]! + a
    h[1] = h[1]! + b
    h[2] = h[2]! + c
    h[3] = h[3]! + d
    h[4] = h[4]! + e
    h[5] = h[5]! + f
    h[6] = h[6]! + g
    h[7] = h[7]! + hh
  }

  const hasher: Sha256 = {
    update(data: Uint8Array): Sha256 {
      assert(!done, 'sha256: update after digest')
      let pos = 0
      totalBytes += data.length
      if (blockLen > 0) {
        const take = Math.min(BLOCK_BYTES - blockLen, data.length)
        block.set(data.subarray(0, take), blockLen)
        blockLen += take
        pos = take
        if (blockLen < BLOCK_BYTES) return hasher
        compress(view, 0)
        blockLen = 0
      }
      const dataView = new DataView(data.buffer, data.byteOffset, data.byteLength)
      for (; pos + BLOCK_BYTES <= data.length; pos += BLOCK_BYTES) compress(dataView, pos)
      if (pos < data.length) {
        block.set(data.subarray(pos), 0)
        blockLen = data.length - pos
      }
      return hasher
    },
    digest(): Uint8Array {
      assert(!done, 'sha256: digest called twice')
      done = true
      // Padding (§5.1.1): a 1 bit, zeros, then the message length in bits as a 64-bit big-endian.
      block[blockLen++] = 0x80
      if (blockLen > BLOCK_BYTES - 8) {
        block.fill(0, blockLen)
        compress(view, 0)
        blockLen = 0
      }
      block.fill(0, blockLen)
      const bits = totalBytes * 8
      view.setUint32(BLOCK_BYTES - 8, Math.floor(bits / 0x1_0000_0000), false)
      view.setUint32(BLOCK_BYTES - 4, bits >>> 0, false)
      compress(view, 0)
      const out = new Uint8Array(32)
      const outView = new DataView(out.buffer)
      for (let i = 0; i < 8; i++) outView.setUint32(4 * i, h[i]!, false)
      return out
    },
  }
  return hasher
}

/**
 * SHA-256 of `data` (FIPS 180-4), as 32 bytes.
 *
 * @example
 * ```ts
 * sha256(new TextEncoder().encode('abc')) // ba7816bf 8f01cfea …
 * ```
 */
export function sha256(data: Uint8Array): Uint8Array {
  return createSha256().update(data).digest()
}
