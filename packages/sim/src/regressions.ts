/**
 * `packages/sim/regressions.json`: seeds that once failed. Every test run replays them (the
 * corpus test), and `totem-sim` appends each new failing seed. A JSON array of
 * {@link Regression}, de-duplicated on (seed, nodes, preset).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { invalidArgument } from '@totem-ts/common'
import { formatSeed } from './run.ts'

/** One recorded failing seed. */
export interface Regression {
  /** The seed, `0x` hex. */
  readonly seed: string
  /** The `--nodes` it ran with: a count or a range such as `"2-9"`. */
  readonly nodes: string
  /** The first violated property when it was recorded. */
  readonly property: string
  /** What was seen (the violation message), and later what fixed it. */
  readonly note: string
  /** The profile preset, when not `swarm`. */
  readonly preset?: string
}

/** Where the package's regression file lives (next to `package.json`). */
export const REGRESSIONS_PATH: string = fileURLToPath(
  new URL('../regressions.json', import.meta.url),
)

/** Parses a seed written as decimal or `0x` hex. */
export function parseSeed(s: string): number {
  const t = s.trim().toLowerCase()
  const v = /^0x[0-9a-f]+$/.test(t)
    ? Number.parseInt(t.slice(2), 16)
    : /^\d+$/.test(t)
      ? Number(t)
      : Number.NaN
  if (!Number.isSafeInteger(v) || v < 0)
    invalidArgument('a seed is a non-negative integer, decimal or 0x hex', { value: s })
  return v
}

/** Reads the regression file; a missing file is an empty list. */
export function loadRegressions(path: string = REGRESSIONS_PATH): Regression[] {
  if (!existsSync(path)) return []
  const v: unknown = JSON.parse(readFileSync(path, 'utf8'))
  if (!Array.isArray(v)) invalidArgument('regressions.json must hold a JSON array', { path })
  return v.map((x: unknown, i) => {
    const o = x as Record<string, unknown>
    if (
      typeof o !== 'object' ||
      o === null ||
      typeof o['seed'] !== 'string' ||
      typeof o['nodes'] !== 'string' ||
      typeof o['property'] !== 'string' ||
      typeof o['note'] !== 'string'
    )
      invalidArgument('bad regressions.json entry', { path, index: i })
    parseSeed(o['seed'])
    return o as unknown as Regression
  })
}

const key = (r: Regression): string => `${parseSeed(r.seed)}/${r.nodes}/${r.preset ?? 'swarm'}`

/**
 * Adds entries not already present (same seed, nodes and preset); returns how many were added.
 */
export function addRegressions(
  entries: readonly Regression[],
  path: string = REGRESSIONS_PATH,
): number {
  const all = loadRegressions(path)
  const have = new Set(all.map(key))
  let added = 0
  for (const e of entries) {
    const k = key(e)
    if (have.has(k)) continue
    have.add(k)
    all.push({ ...e, seed: formatSeed(parseSeed(e.seed)) })
    added++
  }
  if (added > 0) writeFileSync(path, `${JSON.stringify(all, null, 2)}\n`)
  return added
}
