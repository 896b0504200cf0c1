import { describe, expect, it } from 'vitest'
import { chunks, corpusSeeds, FAMILIES, runCorpusChunk } from './corpus.ts'

// The profile families of the CI corpus: each pins one fault family on (lossy, partitions,
// crashes, clogging) so the corpus hits each often; the rest of the profile is drawn per seed.
for (const { preset } of FAMILIES.filter((f) => f.preset !== 'swarm')) {
  describe(`seed corpus: ${preset}`, () => {
    for (const [i, chunk] of chunks(corpusSeeds(preset), 20).entries()) {
      it(`${preset} chunk ${i}: seeds 0x${chunk[0]?.toString(16)}… pass EVS and converge`, {
        timeout: 300_000,
      }, async () => {
        const summary = await runCorpusChunk(chunk, { preset })
        // runCorpusChunk fails on any violation; every seed of the chunk was run.
        expect(summary.runs).toBe(chunk.length)
      })
    }
  })
}
