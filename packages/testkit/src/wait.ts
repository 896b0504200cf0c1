/** Polling for integration tests: wall-clock waits, used only where real processes run. */

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Give up after this long. @defaultValue 15000 */
  readonly ms?: number
  /** Poll this often. @defaultValue 50 */
  readonly everyMs?: number
}

/**
 * Polls `cond` until it returns something other than `undefined` or `false`, and resolves with
 * that. A throw from `cond` counts as "not yet" and is quoted in the timeout error, which names
 * `what`.
 *
 * @param ms - a number is {@link WaitOptions.ms}
 */
export async function waitFor<T>(
  cond: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  ms: number | WaitOptions = {},
): Promise<T> {
  const o = typeof ms === 'number' ? { ms } : ms
  const limit = o.ms ?? 15_000
  const end = Date.now() + limit
  let last: unknown
  for (;;) {
    try {
      const v = await cond()
      if (v !== undefined && v !== false) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > end)
      throw new Error(
        `timed out after ${limit} ms waiting for ${what}${last ? ` (${String(last)})` : ''}`,
      )
    await sleep(o.everyMs ?? 50)
  }
}
