/**
 * The simulator's one event queue: a binary min-heap ordered by `(timeMs, seq)`, where `seq` is
 * the order of scheduling, so events due at the same virtual time run in the order they were
 * created (STYLE.md §5). Cancelling marks an entry; the heap drops it when it reaches the top.
 */

/** Something that can make scheduled events void at once (a node incarnation that crashed). */
export interface EventOwner {
  /** False once the owner is gone: its pending events never run. */
  readonly alive: boolean
}

/** A scheduled event. */
export interface ScheduledEvent {
  /** Virtual time it is due, in ms. */
  readonly timeMs: number
  /** Creation order; breaks ties between events due at the same time. */
  readonly seq: number
  /** True once cancelled (or when its owner is gone). */
  readonly cancelled: boolean
  cancel(): void
}

class Entry implements ScheduledEvent {
  readonly timeMs: number
  readonly seq: number
  readonly fire: () => void
  readonly owner: EventOwner | undefined
  #cancelled = false

  constructor(timeMs: number, seq: number, fire: () => void, owner: EventOwner | undefined) {
    this.timeMs = timeMs
    this.seq = seq
    this.fire = fire
    this.owner = owner
  }

  get cancelled(): boolean {
    return this.#cancelled || (this.owner !== undefined && !this.owner.alive)
  }

  cancel(): void {
    this.#cancelled = true
  }
}

const before = (a: Entry, b: Entry): boolean =>
  a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq)

/** A virtual clock and the events waiting on it. */
export interface EventQueue {
  /** Current virtual time, ms. Starts at 0 and never goes back. */
  readonly nowMs: number
  /** Events run so far (cancelled ones not counted). */
  readonly processed: number
  /** Entries in the heap, cancelled ones included until they surface. */
  readonly size: number
  /**
   * Schedules `fire` at `nowMs + delayMs` (a negative or NaN delay counts as 0). With an `owner`,
   * the event is void once the owner is no longer alive.
   */
  after(delayMs: number, fire: () => void, owner?: EventOwner): ScheduledEvent
  /** Time of the next live event, or `undefined` when there is none. */
  peekTimeMs(): number | undefined
  /** Runs the next live event (advancing the clock to it); false when none is left. */
  step(): boolean
  /**
   * Runs every event due at or before `untilMs`, then sets the clock to `untilMs`. Stops early
   * (leaving the clock at the last event) when `stop()` returns true after an event.
   * @returns true when it stopped early.
   */
  runUntil(untilMs: number, stop?: () => boolean): boolean
}

class Heap implements EventQueue {
  #now = 0
  #seq = 0
  #processed = 0
  readonly #q: Entry[] = []

  get nowMs(): number {
    return this.#now
  }

  get processed(): number {
    return this.#processed
  }

  get size(): number {
    return this.#q.length
  }

  after(delayMs: number, fire: () => void, owner?: EventOwner): ScheduledEvent {
    const d = Number.isNaN(delayMs) ? 0 : Math.max(delayMs, 0)
    const e = new Entry(this.#now + d, this.#seq++, fire, owner)
    const q = this.#q
    q.push(e)
    let i = q.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      const p = q[parent] as Entry
      if (!before(e, p)) break
      q[i] = p
      i = parent
    }
    q[i] = e
    return e
  }

  #pop(): Entry | undefined {
    const q = this.#q
    const top = q[0]
    const last = q.pop()
    if (q.length > 0 && last !== undefined) {
      let i = 0
      const n = q.length
      for (;;) {
        const l = 2 * i + 1
        if (l >= n) break
        const r = l + 1
        let m = l
        if (r < n && before(q[r] as Entry, q[l] as Entry)) m = r
        if (!before(q[m] as Entry, last)) break
        q[i] = q[m] as Entry
        i = m
      }
      q[i] = last
    }
    return top
  }

  #skipCancelled(): Entry | undefined {
    for (;;) {
      const top = this.#q[0]
      if (top === undefined || !top.cancelled) return top
      this.#pop()
    }
  }

  peekTimeMs(): number | undefined {
    return this.#skipCancelled()?.timeMs
  }

  step(): boolean {
    const top = this.#skipCancelled()
    if (top === undefined) return false
    this.#pop()
    this.#now = top.timeMs
    this.#processed++
    top.fire()
    return true
  }

  runUntil(untilMs: number, stop?: () => boolean): boolean {
    for (;;) {
      const top = this.#skipCancelled()
      if (top === undefined || top.timeMs > untilMs) break
      this.step()
      if (stop?.() === true) return true
    }
    if (untilMs > this.#now) this.#now = untilMs
    return false
  }
}

/** Creates an empty {@link EventQueue} at virtual time 0. */
export function createEventQueue(): EventQueue {
  return new Heap()
}
