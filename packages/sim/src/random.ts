/**
 * The simulator's seeded randomness: xoroshiro128+ from pure-rand, one generator per world, split
 * deterministically into one stream per consumer (network, faults, load, each node's runtime), so
 * that drawing more numbers in one place never shifts another's sequence.
 */
import type { Random } from '@totem-ts/common'
import { invalidArgument } from '@totem-ts/common'
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64'
import { uniformInt } from 'pure-rand/distribution/uniformInt'
import { xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus'
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator'

/** Largest seed: seeds are non-negative safe integers (up to 2⁵³ − 1). */
export const SEED_MAX: number = Number.MAX_SAFE_INTEGER

/** A seeded {@link Random} with the helpers the simulator draws its faults with. */
export interface SimRandom extends Random {
  /** True with probability `p` (0 … 1). */
  chance(p: number): boolean
  /** Uniform integer in [min, max] (both included). */
  intBetween(min: number, max: number): number
  /** Uniform float in [min, max). */
  floatBetween(min: number, max: number): number
  /** One element of `xs` (non-empty), uniformly. */
  pick<T>(xs: readonly T[]): T
  /** A fisher-yates shuffled copy of `xs`. */
  shuffle<T>(xs: readonly T[]): T[]
  /**
   * A new, independent stream derived from this one. Deterministic: the n-th split of a
   * generator in a given state is always the same stream.
   */
  split(): SimRandom
}

/** murmur3's 32-bit finalizer: spreads nearby seeds over the whole state space. */
function fmix32(h: number): number {
  let x = h | 0
  x ^= x >>> 16
  x = Math.imul(x, 0x85eb_ca6b)
  x ^= x >>> 13
  x = Math.imul(x, 0xc2b2_ae35)
  x ^= x >>> 16
  return x | 0
}

function stateFrom(words: readonly number[]): number[] {
  const s = words.map((w, i) => fmix32((w ^ Math.imul(i + 1, 0x9e37_79b9)) | 0))
  // xoroshiro's all-zero state is a fixed point; never produce it.
  if (!s.some((w) => w !== 0)) s[0] = 1
  return s
}

class SeededRandom implements SimRandom {
  readonly #g: JumpableRandomGenerator

  constructor(g: JumpableRandomGenerator) {
    this.#g = g
  }

  float(): number {
    return uniformFloat64(this.#g)
  }

  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1 || maxExclusive > 0x1_0000_0000)
      invalidArgument('maxExclusive must be an integer in 1..2^32', { value: maxExclusive })
    return uniformInt(this.#g, 0, maxExclusive - 1)
  }

  fill(out: Uint8Array): void {
    for (let i = 0; i < out.length; i += 4) {
      const w = this.#g.next()
      for (let k = 0; k < 4 && i + k < out.length; k++) out[i + k] = (w >>> (8 * k)) & 0xff
    }
  }

  chance(p: number): boolean {
    if (p <= 0) return false
    if (p >= 1) return true
    return this.float() < p
  }

  intBetween(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min)
      invalidArgument('intBetween needs integers min <= max', { min, max })
    return uniformInt(this.#g, min, max)
  }

  floatBetween(min: number, max: number): number {
    return min + (max - min) * this.float()
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) invalidArgument('pick from an empty list')
    return xs[this.int(xs.length)] as T
  }

  shuffle<T>(xs: readonly T[]): T[] {
    const out = xs.slice()
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = out[i] as T
      out[i] = out[j] as T
      out[j] = t
    }
    return out
  }

  split(): SimRandom {
    const g = this.#g
    return new SeededRandom(
      xoroshiro128plusFromState(stateFrom([g.next(), g.next(), g.next(), g.next()])),
    )
  }
}

/**
 * A seeded generator (xoroshiro128+, pure-rand). Any non-negative safe integer is a seed; nearby
 * seeds give unrelated streams.
 *
 * @throws `ERR_INVALID_ARGUMENT` when `seed` is not an integer in 0 … {@link SEED_MAX}.
 */
export function createSimRandom(seed: number): SimRandom {
  if (!Number.isSafeInteger(seed) || seed < 0)
    invalidArgument('seed must be an integer in 0..2^53-1', { seed: String(seed) })
  const lo = seed >>> 0
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0
  const g = xoroshiro128plusFromState(stateFrom([lo, hi, lo ^ 0x5bd1_e995, hi ^ 0x1b87_3593]))
  // Warm up: xoroshiro's first outputs still echo the state.
  for (let i = 0; i < 16; i++) g.next()
  return new SeededRandom(g)
}
