import { describe, expect, it } from 'vitest'
import {
  emptySummary,
  loadRegressions,
  parseNodeRange,
  parseSeed,
  profileFeatures,
  profileForSeed,
  runSeed,
} from '../src/index.ts'
import { CORPUS_RUNS, chunks, corpusSeeds, runCorpusChunk } from './corpus.ts'

// The swarm half of the CI corpus (nodes 2-9, every fault drawn per seed) and the replay of
// every seed in regressions.json. The other families run in corpus-families.sim.test.ts.
describe(`seed corpus: swarm (${corpusSeeds('swarm').length} of ${CORPUS_RUNS} runs)`, () => {
  const seeds = corpusSeeds('swarm')

  it.runIf(seeds.length >= 100)('draws a corpus that exercises every fault family', () => {
    const seen = new Map<string, number>()
    for (const s of seeds)
      for (const f of profileFeatures(profileForSeed(s))) seen.set(f, (seen.get(f) ?? 0) + 1)
    for (const f of [
      'loss',
      'dup',
      'reorder',
      'partition:isolate',
      'partition:split',
      'partition:asymmetric',
      'crash',
      'stop',
      'keep-down',
      'clog',
      'token-hold',
      'fragment',
    ])
      expect(seen.get(f) ?? 0, f).toBeGreaterThanOrEqual(Math.min(3, seeds.length / 20))
  })

  const summary = emptySummary()
  for (const [i, chunk] of chunks(seeds, 20).entries()) {
    it(`swarm chunk ${i}: seeds 0x${chunk[0]?.toString(16)}… pass EVS and converge`, {
      timeout: 300_000,
    }, async () => {
      await runCorpusChunk(chunk, {}, summary)
    })
  }
})

describe('regressions.json', () => {
  const entries = loadRegressions()
  it('is well formed', () => {
    for (const e of entries) {
      expect(() => parseSeed(e.seed)).not.toThrow()
      expect(() => parseNodeRange(e.nodes)).not.toThrow()
    }
  })
  for (const e of entries) {
    it(`seed ${e.seed} --nodes ${e.nodes}${e.preset !== undefined ? ` --profile ${e.preset}` : ''} (${e.property}) passes`, {
      timeout: 300_000,
    }, async () => {
      const r = await runSeed({
        seed: parseSeed(e.seed),
        nodes: parseNodeRange(e.nodes),
        ...(e.preset !== undefined ? { preset: e.preset } : {}),
      })
      expect(r.violations.map((v) => `${v.property}: ${v.message}`)).toEqual([])
      expect(r.converged).toBe(true)
    })
  }
})
