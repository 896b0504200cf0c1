import type { Logger, Timer, Timers } from '@totem-ts/common'

/** Names of the protocol's timeouts (STYLE §5), used in logs, stats and tests. */
export type TimeoutName = 'tokenLoss' | 'tokenRetransmit' | 'join' | 'consensus' | 'merge' | 'hold'

/** A restartable one-shot timeout with a name. */
export class NamedTimeout {
  readonly name: TimeoutName
  readonly #timers: Timers
  readonly #fire: () => void
  readonly #log: Logger
  #timer: Timer | undefined
  #delayMs: number

  constructor(name: TimeoutName, timers: Timers, delayMs: number, fire: () => void, log: Logger) {
    this.name = name
    this.#timers = timers
    this.#delayMs = delayMs
    this.#fire = fire
    this.#log = log
  }

  get running(): boolean {
    return this.#timer !== undefined
  }

  /** Starts the timeout unless it is already running. */
  start(delayMs: number = this.#delayMs): void {
    if (this.#timer === undefined) this.#arm(delayMs)
  }

  /** (Re)starts the timeout from now. */
  reset(delayMs: number = this.#delayMs): void {
    this.stop()
    this.#arm(delayMs)
  }

  stop(): void {
    this.#timer?.cancel()
    this.#timer = undefined
  }

  #arm(delayMs: number): void {
    this.#delayMs = delayMs
    this.#timer = this.#timers.after(delayMs, () => {
      this.#timer = undefined
      if (this.#log.isEnabled('trace')) this.#log.trace('timeout', { timeout: this.name })
      this.#fire()
    })
  }
}
