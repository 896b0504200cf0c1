/**
 * Run counts for property and fuzz tests: a small default keeps `pnpm test` fast; the
 * `TOTEM_FUZZ_RUNS` environment variable scales them up (`pnpm test:fuzz` sets 1 000 000).
 */

/** `TOTEM_FUZZ_RUNS` as a positive integer, or undefined when unset or not a number. */
export function fuzzRunsFromEnv(): number | undefined {
  const raw = process.env['TOTEM_FUZZ_RUNS']
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  return Number.isInteger(n) && n > 0 ? n : undefined
}

/** `base` runs, or `TOTEM_FUZZ_RUNS` × `scale` when that is set and larger. */
export function runs(base: number, scale = 1): number {
  const env = fuzzRunsFromEnv()
  return env === undefined ? base : Math.max(base, Math.ceil(env * scale))
}
