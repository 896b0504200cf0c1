import { describe, it } from 'vitest'
import { loadMultiringRegressions, regressionOptions } from '../src/multiring-cli.ts'
import { expectOk } from './multiring-expect.ts'

// Every seed whose bug was fixed, from any class (packages/sim/multiring-regressions.json). A file
// of its own so that it runs beside the corpus (multiring.sim.test.ts) on a second worker.
describe('multiring regressions (multiring-regressions.json)', () => {
  // One test a seed, so a report names the seed and a loaded machine stretches no single
  // timeout: the slowest seeds take about 15 s of one core, the rest is headroom.
  for (const e of loadMultiringRegressions())
    it(`${e.seed} (${e.preset}${e.rings === undefined ? '' : `, ${e.rings} rings`}${
      e.gatewaysPerPair === undefined ? '' : `, ${e.gatewaysPerPair} gateways`
    }; ${e.property}) passes`, async () => {
      await expectOk(regressionOptions(e))
    }, 180_000)
})
