import { invalidArgument } from '@totem-ts/common'
import { RETIRED_EPOCHS_MAX } from './options.ts'

/** What a {@link ReplayWindow} says about a counter. */
export type ReplayVerdict = 'fresh' | 'duplicate' | 'too-old'

/**
 * A sliding anti-replay window over 64-bit-on-the-wire counters (RFC 6479's idea, one bit per
 * counter): counters above the highest seen are fresh; counters within `size` below it are fresh
 * once; anything older is too old. Memory: `size / 8` bytes.
 */
export interface ReplayWindow {
  /** Counters covered below the highest one. */
  readonly size: number
  /** Highest counter accepted so far (0: none). */
  readonly highest: number
  /** Judges `counter` without changing anything. */
  check(counter: number): ReplayVerdict
  /** Records `counter` as seen; call only after `check` said `'fresh'` and the datagram was authentic. */
  accept(counter: number): void
}

class Window implements ReplayWindow {
  readonly size: number
  readonly #bits: Uint32Array
  #top = 0

  constructor(size: number) {
    this.size = size
    this.#bits = new Uint32Array(size >>> 5)
  }

  get highest(): number {
    return this.#top
  }

  check(counter: number): ReplayVerdict {
    if (counter > this.#top) return 'fresh'
    if (counter <= 0 || this.#top - counter >= this.size) return 'too-old'
    const bit = counter % this.size
    return ((this.#bits[bit >>> 5] as number) & (1 << (bit & 31))) !== 0 ? 'duplicate' : 'fresh'
  }

  accept(counter: number): void {
    if (counter > this.#top) {
      const ahead = counter - this.#top
      if (ahead >= this.size) this.#bits.fill(0)
      else
        for (let c = this.#top + 1; c <= counter; c++) {
          const bit = c % this.size
          this.#bits[bit >>> 5] = (this.#bits[bit >>> 5] as number) & ~(1 << (bit & 31))
        }
      this.#top = counter
    }
    const bit = counter % this.size
    this.#bits[bit >>> 5] = (this.#bits[bit >>> 5] as number) | (1 << (bit & 31))
  }
}

/** Creates a {@link ReplayWindow} of `size` counters (a power of two, 32…65 536). */
export function createReplayWindow(size: number): ReplayWindow {
  if (!Number.isInteger(size) || size < 32 || size > 65_536 || (size & (size - 1)) !== 0)
    invalidArgument('replay window size must be a power of two in 32..65536', {
      value: String(size),
    })
  return new Window(size)
}

/** Why a replay guard turned an authentic datagram away, or `'accept'`. */
export type ReplayDecision = 'accept' | 'duplicate' | 'too-old' | 'retired-epoch' | 'epoch-busy'

interface SenderState {
  epochHi: number
  epochLo: number
  window: ReplayWindow
  lastAcceptMs: number
  /** Epochs this sender has left behind, newest last, as hi/lo pairs. */
  readonly retired: number[]
}

/** Counters of a {@link ReplayGuard}. */
export interface ReplayGuardCounters {
  /** A known sender started a new epoch (it restarted). */
  epochChanges: number
  /** Sender states dropped because `sendersMax` senders were tracked. */
  sendersEvicted: number
}

/**
 * Replay state of every sender, bounded to `sendersMax` senders × (window bits + a few retired
 * epochs). Epoch rules:
 * - a sender's first authentic datagram sets its current epoch;
 * - a new epoch replaces the current one (the sender restarted) only when the current epoch has
 *   been silent for `epochQuietMs`; until then it is dropped (`'epoch-busy'`), so replaying an
 *   old boot's datagrams cannot cut off a live sender;
 * - the replaced epoch is retired: its datagrams are replays from then on (the last
 *   {@link RETIRED_EPOCHS_MAX} retired epochs per sender are remembered).
 * Deterministic: the same calls give the same decisions.
 */
export class ReplayGuard {
  readonly #senders = new Map<number, SenderState>()
  readonly #window: number
  readonly #sendersMax: number
  readonly #quietMs: number
  readonly counters: ReplayGuardCounters = { epochChanges: 0, sendersEvicted: 0 }

  constructor(window: number, sendersMax: number, epochQuietMs: number) {
    this.#window = window
    this.#sendersMax = sendersMax
    this.#quietMs = epochQuietMs
  }

  /** Senders tracked now. */
  get senders(): number {
    return this.#senders.size
  }

  /** Judges an authentic datagram and, when it is accepted, records it. */
  admit(
    sender: number,
    epochHi: number,
    epochLo: number,
    counter: number,
    nowMs: number,
  ): ReplayDecision {
    const s = this.#senders.get(sender)
    if (s === undefined) {
      if (this.#senders.size >= this.#sendersMax) this.#evict()
      const window = createReplayWindow(this.#window)
      window.accept(counter)
      this.#senders.set(sender, { epochHi, epochLo, window, lastAcceptMs: nowMs, retired: [] })
      return 'accept'
    }
    if (s.epochHi === epochHi && s.epochLo === epochLo) {
      const v = s.window.check(counter)
      if (v !== 'fresh') return v
      s.window.accept(counter)
      s.lastAcceptMs = nowMs
      return 'accept'
    }
    for (let i = 0; i < s.retired.length; i += 2)
      if (s.retired[i] === epochHi && s.retired[i + 1] === epochLo) return 'retired-epoch'
    if (nowMs - s.lastAcceptMs < this.#quietMs) return 'epoch-busy'
    s.retired.push(s.epochHi, s.epochLo)
    if (s.retired.length > 2 * RETIRED_EPOCHS_MAX) s.retired.splice(0, 2)
    s.epochHi = epochHi
    s.epochLo = epochLo
    s.window = createReplayWindow(this.#window)
    s.window.accept(counter)
    s.lastAcceptMs = nowMs
    this.counters.epochChanges++
    return 'accept'
  }

  /** Drops the state of the sender heard from least recently (first tracked on a tie). */
  #evict(): void {
    let victim: number | undefined
    let oldest = Number.POSITIVE_INFINITY
    for (const [id, s] of this.#senders) {
      if (s.lastAcceptMs < oldest) {
        oldest = s.lastAcceptMs
        victim = id
      }
    }
    if (victim !== undefined) {
      this.#senders.delete(victim)
      this.counters.sendersEvicted++
    }
  }
}
