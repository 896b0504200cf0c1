/** Deterministic runtime pieces for tests: a manual clock and a seeded Random (splitmix32). */
import { type Clock, createMemoryLogger, type MemoryLogger, type Random } from '@totem-ts/common'

export interface ManualClock extends Clock {
  advance(ms: number): void
}

export function manualClock(startMs = 0): ManualClock {
  let now = startMs
  return {
    nowMs: () => now,
    advance(ms: number) {
      now += ms
    },
  }
}

export function seededRandom(seed: number): Random {
  let s = seed >>> 0
  const next = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
  return {
    float: () => next() / 2 ** 32,
    int: (max: number) => Math.floor((next() / 2 ** 32) * max),
    fill(out: Uint8Array) {
      for (let i = 0; i < out.length; i++) out[i] = next() & 0xff
    },
  }
}

export interface TestRuntime {
  readonly clock: ManualClock
  readonly random: Random
  readonly logger: MemoryLogger
}

export function testRuntime(seed: number): TestRuntime {
  return { clock: manualClock(), random: seededRandom(seed), logger: createMemoryLogger('trace') }
}

/** Key bytes 0, 1, 2, … offset by `salt`. */
export function testKey(salt: number, length = 256): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i + salt) & 0xff)
}
