import { randomFillSync } from 'node:crypto'
import type { Logger, Runtime } from '@totem-ts/common'
import { noopLogger } from '@totem-ts/common'

/**
 * The production `Runtime`: a monotonic clock (`performance.now()`), `setTimeout` timers that do
 * not keep the process alive on their own, and crypto-grade randomness.
 */
export function createNodeRuntime(logger: Logger = noopLogger): Runtime {
  return {
    clock: { nowMs: () => performance.now() },
    timers: {
      after(delayMs: number, fire: () => void) {
        const t = setTimeout(fire, Math.max(0, delayMs))
        t.unref()
        return { cancel: () => clearTimeout(t) }
      },
    },
    random: {
      float() {
        const b = new Uint32Array(2)
        randomFillSync(b)
        return ((b[0] as number) * 2 ** 21 + ((b[1] as number) >>> 11)) / 2 ** 53
      },
      int(maxExclusive: number) {
        return Math.floor(this.float() * maxExclusive)
      },
      fill(out: Uint8Array) {
        randomFillSync(out)
      },
    },
    logger,
  }
}
