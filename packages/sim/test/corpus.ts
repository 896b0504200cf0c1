/**
 * The CI seed corpus (STYLE.md §10): seeds × profile families, shared by the corpus test files
 * so vitest can run them on parallel threads. `TOTEM_SIM_CORPUS` sets the total number of runs.
 */
import { expect } from 'vitest'
import {
  addRun,
  digest,
  emptySummary,
  type RunOptions,
  runSeed,
  type Summary,
} from '../src/index.ts'

/** Total runs of the corpus across all families. */
export const CORPUS_RUNS: number = Number(process.env['TOTEM_SIM_CORPUS'] ?? 1000)

/** The families and their share of the corpus. */
export const FAMILIES: readonly { preset: string; share: number }[] = [
  { preset: 'swarm', share: 0.5 },
  { preset: 'lossy', share: 0.1 },
  { preset: 'partitions', share: 0.15 },
  { preset: 'crashes', share: 0.15 },
  { preset: 'clogging', share: 0.1 },
]

/** Seeds of a family: a fixed, family-specific base so families do not share seeds. */
export function corpusSeeds(preset: string, count?: number): number[] {
  const f = FAMILIES.find((x) => x.preset === preset)
  if (f === undefined) throw new Error(`no family ${preset}`)
  const n = count ?? Math.max(1, Math.round(CORPUS_RUNS * f.share))
  const base = 0x10_0000 * (FAMILIES.indexOf(f) + 1)
  return Array.from({ length: n }, (_, i) => base + i)
}

/** Splits `xs` into chunks of `n`. */
export function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n))
  return out
}

/** Runs seeds and fails the test with every failing seed's property and replay command. */
export async function runCorpusChunk(
  seeds: readonly number[],
  options: Omit<RunOptions, 'seed'>,
  summary: Summary = emptySummary(),
): Promise<Summary> {
  const failures: string[] = []
  for (const seed of seeds) {
    const r = await runSeed({ ...options, seed })
    addRun(summary, digest(r, undefined))
    if (!r.ok)
      failures.push(`${r.replay}  # ${r.violations[0]?.property}: ${r.violations[0]?.message}`)
  }
  expect(failures).toEqual([])
  return summary
}
