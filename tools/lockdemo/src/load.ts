import { isTotemError } from '@totem-ts/common'
import { LockError, LockErrorCode } from './errors.ts'
import type { LockService } from './service.ts'

/** Options of {@link startLoad}. */
export interface LoadOptions {
  /** Lock names to draw from (`<prefix>0` … `<prefix>N-1`). @defaultValue 1024 */
  readonly locks?: number
  /** Requests outstanding at once (waiting or held). @defaultValue 64 */
  readonly window?: number
  /** @defaultValue 'lock-' */
  readonly prefix?: string
}

/** A running load: `window` requests in flight; each grant is released at once and replaced. */
export interface Load {
  /** Locks granted to this process since the start. */
  readonly granted: number
  /** Requests that failed (revoked by a merge, table full) and were retried. */
  readonly failed: number
  /** Stops issuing requests and waits for the outstanding ones to finish. */
  stop(): Promise<void>
}

/** Checks the load options (`ERR_INVALID_ARGUMENT` with `details.option`). */
export function checkLoadOptions(o: LoadOptions): {
  locks: number
  window: number
  prefix: string
} {
  const locks = o.locks ?? 1024
  const window = o.window ?? 64
  const bad = (option: string, why: string): never => {
    throw new LockError(LockErrorCode.InvalidArgument, `${option}: ${why}`, { details: { option } })
  }
  if (!Number.isInteger(locks) || locks < 1 || locks > 10_000)
    bad('locks', 'an integer in 1..10000')
  if (!Number.isInteger(window) || window < 1 || window > 4096)
    bad('window', 'an integer in 1..4096')
  if (window > locks) bad('window', `at most the number of locks (${locks})`)
  return { locks, window, prefix: o.prefix ?? 'lock-' }
}

/**
 * Keeps `window` lock requests outstanding on `service`, each for a random name this process does
 * not already hold or wait for; every grant is counted and released at once.
 */
export function startLoad(service: LockService, options: LoadOptions = {}): Load {
  const { locks, window, prefix } = checkLoadOptions(options)
  const busy = new Uint8Array(locks)
  let granted = 0
  let failed = 0
  let stopped = false
  const pick = (): number => {
    let i = Math.floor(Math.random() * locks)
    while (busy[i] === 1) i = (i + 1) % locks
    busy[i] = 1
    return i
  }
  const slot = async (): Promise<void> => {
    while (!stopped) {
      const i = pick()
      const name = prefix + i
      try {
        await service.lock(name)
        granted++
        service.unlock(name)
      } catch (e) {
        if (!isTotemError(e)) throw e
        if (e.code === LockErrorCode.Closed) stopped = true
        else failed++
      }
      busy[i] = 0
    }
  }
  const slots = Array.from({ length: window }, () => slot())
  return {
    get granted() {
      return granted
    },
    get failed() {
      return failed
    },
    async stop() {
      stopped = true
      await Promise.all(slots)
    },
  }
}
