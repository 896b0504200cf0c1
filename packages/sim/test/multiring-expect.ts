import { expect } from 'vitest'
import {
  type MultiringRunOptions,
  type MultiringRunResult,
  runMultiringSeed,
} from '../src/multiring-run.ts'

/** What the multiring simulator tests check of every run (the corpus and the recorded seeds). */

export const describeRun = (o: MultiringRunOptions): string =>
  `seed 0x${o.seed.toString(16)} ${o.preset ?? 'swarm'}${o.rings !== undefined ? ` rings ${o.rings}` : ''}${o.gatewaysPerPair !== undefined ? ` gateways ${o.gatewaysPerPair}` : ''}`

export async function expectOk(o: MultiringRunOptions): Promise<MultiringRunResult> {
  const r = await runMultiringSeed(o)
  const first = r.violations[0]
  expect(
    { ok: r.ok, converged: r.converged, first: first?.property, detail: first?.message },
    `${describeRun(o)}: ${r.replay}`,
  ).toEqual({ ok: true, converged: true, first: undefined, detail: undefined })
  expect(r.counts.delivered).toBeGreaterThan(0)
  expect(r.counts.forwards).toBeGreaterThan(0)
  return r
}
