import type { SrpTestFaults } from '@totem-ts/srp'
import { describe, expect, it } from 'vitest'
import { type RunOptions, runSeed } from '../src/index.ts'
import { corpusSeeds } from './corpus.ts'

// Acceptance point 4 of issue 4: a deliberately broken srp is caught by the simulator within the
// CI corpus. For each test-only bug, the corpus seeds run in order with the bug on until one
// fails with a property that the bug breaks, and the same seed passes with the bug off, so it
// is the bug that was caught and not something else.
//
// `ignoreDeliverSet` is not here: delivering an old-ring message behind a gap from a sender
// outside the deliver set breaks causal order only, and none of the nine EVS-TRACE.md
// properties sees causality (FIFO allows gaps); no corpus seed can fail on it until the checker
// grows a causal-order property (MISSION §1.5).
const BUGS: readonly {
  fault: keyof SrpTestFaults
  properties: readonly string[]
  preset: string
}[] = [
  // Early safe delivery shows only when a member then leaves before it gets the message.
  { fault: 'deliverSafeEarly', properties: ['safe-delivery'], preset: 'partitions' },
  {
    fault: 'skipTransitional',
    properties: ['configuration-order', 'virtual-synchrony', 'same-view'],
    preset: 'crashes',
  },
]

const SEARCH_MAX = 40

describe('the simulator catches each deliberate srp bug within the corpus', () => {
  for (const bug of BUGS) {
    it(`${bug.fault} (${bug.preset} corpus)`, { timeout: 600_000 }, async () => {
      // The first seeds of the family: part of the default corpus whatever TOTEM_SIM_CORPUS says.
      const seeds = corpusSeeds(bug.preset, SEARCH_MAX)
      let caught: { seed: number; property: string; opts: RunOptions } | undefined
      const tried: string[] = []
      for (const seed of seeds) {
        const opts: RunOptions = { seed, preset: bug.preset, testFaults: { [bug.fault]: true } }
        const r = await runSeed(opts)
        const hit = r.violations.find((v) => bug.properties.includes(v.property))
        if (hit === undefined) {
          tried.push(`${seed.toString(16)}:${r.violations[0]?.property ?? 'ok'}`)
          continue
        }
        const clean = await runSeed({ seed, preset: bug.preset })
        if (!clean.ok) {
          tried.push(`${seed.toString(16)}:clean-run-fails`)
          continue
        }
        caught = { seed, property: hit.property, opts }
        expect(r.replay).toContain(`--srp-fault ${bug.fault}`)
        break
      }
      expect(caught, `not caught in ${tried.join(' ')}`).toBeDefined()
    })
  }
})
