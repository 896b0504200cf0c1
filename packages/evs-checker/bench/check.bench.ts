/**
 * Parse and check cost on a simulator-sized and a large trace, against a bare `JSON.parse` of every
 * line as the baseline (STYLE.md §11: report ratios, not absolute numbers).
 */
import { bench, describe } from 'vitest'
import { checkTrace, formatTraceEvent, parseTrace } from '../src/index.ts'
import { modelRun } from '../test/helpers.ts'

for (const [name, o] of [
  ['16 nodes, ~8k events', { seed: 43, nodes: 16, steps: 800, faultRate: 0.05 }],
  ['64 nodes, ~190k events', { seed: 42, nodes: 64, steps: 3_000, faultRate: 0.003 }],
] as const) {
  const events = modelRun(o)
  const text = events.map(formatTraceEvent).join('\n')
  const lines = text.split('\n')
  describe(name, () => {
    bench('baseline: JSON.parse of every line', () => {
      for (const l of lines) JSON.parse(l)
    })
    bench('parseTrace', () => {
      parseTrace(text)
    })
    bench('checkTrace (all nine properties)', () => {
      checkTrace(events)
    })
  })
}
