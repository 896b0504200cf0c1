import { describe, expect, it } from 'vitest'
import { createSimRandom, SEED_MAX } from '../src/index.ts'

const take = (seed: number, n: number): number[] => {
  const r = createSimRandom(seed)
  return Array.from({ length: n }, () => r.int(1_000_000))
}

describe('createSimRandom', () => {
  it('gives the same stream for the same seed and different streams for nearby seeds', () => {
    expect(take(42, 50)).toEqual(take(42, 50))
    expect(take(42, 50)).not.toEqual(take(43, 50))
    expect(take(0, 50)).not.toEqual(take(1, 50))
    // Seeds above 2^32 are distinct from their low 32 bits.
    expect(take(2 ** 32 + 5, 20)).not.toEqual(take(5, 20))
    expect(take(SEED_MAX, 20)).toEqual(take(SEED_MAX, 20))
  })

  it('rejects seeds that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(() => createSimRandom(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
    }
  })

  it('splits deterministically into streams that do not move each other', () => {
    const a = createSimRandom(7)
    const a1 = a.split()
    const a2 = a.split()
    const b = createSimRandom(7)
    const b1 = b.split()
    // Drawing from b1 first does not change what the second split yields.
    for (let i = 0; i < 100; i++) b1.float()
    const b2 = b.split()
    const seq = (r: ReturnType<typeof createSimRandom>): number[] =>
      Array.from({ length: 20 }, () => r.int(1000))
    expect(seq(a2)).toEqual(seq(b2))
    expect(seq(a1)).not.toEqual(seq(a2))
  })

  it('draws ints in range, roughly uniformly, and floats in [0, 1)', () => {
    const r = createSimRandom(1)
    const buckets = new Array<number>(10).fill(0)
    for (let i = 0; i < 20_000; i++) {
      const x = r.int(10)
      expect(Number.isInteger(x) && x >= 0 && x < 10).toBe(true)
      buckets[x] = (buckets[x] ?? 0) + 1
    }
    for (const b of buckets) expect(b).toBeGreaterThan(1700)
    for (let i = 0; i < 1000; i++) {
      const f = r.float()
      expect(f >= 0 && f < 1).toBe(true)
      const y = r.intBetween(3, 5)
      expect(y >= 3 && y <= 5).toBe(true)
    }
    let hits = 0
    for (let i = 0; i < 10_000; i++) if (r.chance(0.25)) hits++
    expect(hits).toBeGreaterThan(2200)
    expect(hits).toBeLessThan(2800)
    expect(r.chance(0)).toBe(false)
    expect(r.chance(1)).toBe(true)
    expect(() => r.int(0)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    expect(() => r.pick([])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })

  it('fills bytes deterministically, odd lengths included', () => {
    const a = new Uint8Array(13)
    const b = new Uint8Array(13)
    createSimRandom(9).fill(a)
    createSimRandom(9).fill(b)
    expect(a).toEqual(b)
    expect(a.some((x) => x !== 0)).toBe(true)
  })

  it('shuffles into a permutation', () => {
    const r = createSimRandom(3)
    const xs = [1, 2, 3, 4, 5, 6, 7, 8]
    const s = r.shuffle(xs)
    expect([...s].sort()).toEqual(xs)
    expect(xs).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })
})
