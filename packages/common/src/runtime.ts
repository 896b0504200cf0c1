import type { Logger } from './logger.ts'

/** Monotonic milliseconds. Real: `performance.now()`; simulator: virtual time. */
export interface Clock {
  nowMs(): number
}

/** A pending timer. */
export interface Timer {
  cancel(): void
}

/** One-shot timers. Timers due at the same time fire in creation order. */
export interface Timers {
  after(delayMs: number, fire: () => void): Timer
}

/** Randomness for a core: seeded in the simulator, crypto-grade in production. */
export interface Random {
  /** Uniform in [0, 1). */
  float(): number
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number
  /** Fills `out` with random bytes. */
  fill(out: Uint8Array): void
}

/**
 * Everything a protocol core may use from the outside world besides its `Transport`. Cores touch
 * no globals (STYLE.md §5): the daemon hands in a real runtime, the simulator a virtual one.
 */
export interface Runtime {
  readonly clock: Clock
  readonly timers: Timers
  readonly random: Random
  readonly logger: Logger
}
