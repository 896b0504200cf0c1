import type { Logger, Random, Runtime, Timer } from '@totem-ts/common'
import { invalidArgument, noopLogger } from '@totem-ts/common'
import type { EventOwner, EventQueue } from './event-queue.ts'

/** A node incarnation as the runtime sees it: alive until the harness crashes or stops it. */
export interface SimIncarnation extends EventOwner {
  alive: boolean
}

/** What {@link createSimRuntime} needs. */
export interface SimRuntimeOptions {
  /** The world's event queue: its clock is the runtime's clock, its events the timers. */
  readonly queue: EventQueue
  /** This runtime's random stream (split from the world's generator). */
  readonly random: Random
  /** Timers of a dead owner never fire. @defaultValue always alive */
  readonly owner?: EventOwner
  /** @defaultValue the no-op logger */
  readonly logger?: Logger
}

/**
 * A virtual {@link Runtime} for one node incarnation: `clock` reads the event queue's virtual
 * time, `timers.after` schedules on the queue (timers due at the same time fire in creation order;
 * `cancel()` works; timers of an incarnation that crashed never fire), `random` is a seeded stream.
 */
export function createSimRuntime(o: SimRuntimeOptions): Runtime {
  const { queue, owner } = o
  return {
    clock: { nowMs: () => queue.nowMs },
    timers: {
      after(delayMs: number, fire: () => void): Timer {
        if (!Number.isFinite(delayMs))
          invalidArgument('timer delay must be a finite number', { delayMs: String(delayMs) })
        const e = queue.after(delayMs, fire, owner)
        return { cancel: () => e.cancel() }
      },
    },
    random: o.random,
    logger: o.logger ?? noopLogger,
  }
}
