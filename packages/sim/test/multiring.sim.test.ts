import { describe, expect, it } from 'vitest'
import { loadMultiringRegressions, regressionOptions } from '../src/multiring-cli.ts'
import {
  type MultiringRunOptions,
  type MultiringRunResult,
  multiringLayout,
  runMultiringSeed,
} from '../src/multiring-run.ts'

/**
 * The multiring CI corpus: two-LAN worlds (a chain; drawn star/cycle layouts of two rings are
 * the same graph) with one or two gateways, under every single-ring fault family plus gateway
 * crashes and restarts. The seed lists are the ones that pass today (see
 * packages/multiring/README.md, "Limits": three or more rings, and some crash/partition seeds,
 * do not converge yet); the test fails as soon as one of them regresses.
 */
const CORPUS: Readonly<Record<string, readonly number[]>> = {
  calm: [100, 101, 102, 103, 105, 106, 107, 108],
  swarm: [3000, 3001, 3002, 3004, 3005, 3006, 3007, 3008],
  lossy: [3001, 3002, 3005, 3006, 3007, 3008, 3009, 3012],
  partitions: [3000, 3001, 3002, 3004, 3005, 3007, 3009, 3010],
  crashes: [3001, 3002, 3003, 3004, 3005, 3006, 3007, 3008],
  clogging: [3000, 3001, 3003, 3004, 3005, 3006, 3007, 3009],
}

const describeRun = (o: MultiringRunOptions): string =>
  `seed ${o.seed} ${o.preset ?? 'swarm'}${o.rings !== undefined ? ` rings ${o.rings}` : ''}`

async function expectOk(o: MultiringRunOptions): Promise<MultiringRunResult> {
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

describe('multiring layouts', () => {
  it('builds chains, stars and cycles with 1–2 gateways per joined pair', () => {
    const chain = multiringLayout('chain', 3, 2, 1)
    expect(chain.lans.map((l) => l.length)).toEqual([3, 4, 3])
    expect(chain.gateways.map((g) => g.lans)).toEqual([
      [0, 1],
      [1, 2],
    ])
    expect(multiringLayout('star', 4, 1, 2).gateways.every((g) => g.lans[0] === 0)).toBe(true)
    expect(multiringLayout('cycle', 4, 1, 1).gateways.map((g) => g.lans)).toContainEqual([3, 0])
  })
})

describe('multiring corpus (two rings, every fault family)', () => {
  for (const [preset, seeds] of Object.entries(CORPUS))
    it(`${preset}: ${seeds.length} seeds, no violation, one topology after the heal`, async () => {
      let gatewayCrashes = 0
      for (const seed of seeds)
        gatewayCrashes += (await expectOk({ seed, preset, rings: 2 })).counts.gatewayCrashes
      if (preset === 'crashes') expect(gatewayCrashes).toBeGreaterThan(0)
    }, 60_000)
})

describe('multiring regressions (multiring-regressions.json)', () => {
  const entries = loadMultiringRegressions()
  it.runIf(entries.length > 0)(
    `${entries.length} recorded seeds pass`,
    async () => {
      for (const e of entries) await expectOk(regressionOptions(e))
    },
    60_000,
  )
})

describe('quiet rings', () => {
  it('a ring that sends nothing holds delivery back by no more than the GV period', async () => {
    for (const seed of [1, 4, 5, 6]) {
      const o = { seed, preset: 'calm', rings: 2, profile: { loadAfterHealMs: 500 } } as const
      const busy = await runMultiringSeed(o)
      const quiet = await runMultiringSeed({ ...o, quietLans: [1] })
      expect(quiet.ok && busy.ok, `seed ${seed}`).toBe(true)
      // The default gvIdleMs is 200: a quiet ring moves at least that often.
      expect(quiet.counts.maxLatencyAfterHealMs).toBeLessThanOrEqual(
        busy.counts.maxLatencyAfterHealMs + 200,
      )
    }
  }, 60_000)
})
