import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkTrace, checkTraceText, formatTraceEvent, type TraceEvent } from '../src/index.ts'
import { modelRun, propertiesOf } from './helpers.ts'

const runs = fc.record({
  seed: fc.integer({ min: 0, max: 0x7fff_ffff }),
  nodes: fc.integer({ min: 1, max: 8 }),
  steps: fc.integer({ min: 0, max: 150 }),
  faultRate: fc.double({ min: 0, max: 0.4, noNaN: true }),
})

describe('model runs (a correct EVS run, randomly interleaved)', () => {
  it('pass every check', () => {
    fc.assert(
      fc.property(runs, (o) => {
        const r = checkTrace(modelRun(o))
        expect(r.violations).toEqual([])
      }),
      { numRuns: 300 },
    )
  })

  it('swapping two adjacent deliveries shared with another node breaks agreed order', () => {
    let mutated = 0
    fc.assert(
      fc.property(runs, fc.nat(), (o, pick) => {
        const events = modelRun({ ...o, nodes: Math.max(o.nodes, 2) })
        // Candidate pairs: two lines of the same node, both deliveries, adjacent in that node's order.
        const lastOf = new Map<number, number>()
        const pairs: [number, number][] = []
        events.forEach((e, i) => {
          if (e.ev === 'heal') return
          const prev = lastOf.get(e.node)
          lastOf.set(e.node, i)
          if (prev === undefined || e.ev !== 'deliver' || events[prev]!.ev !== 'deliver') return
          pairs.push([prev, i])
        })
        const delivered = new Map<string, Set<number>>()
        for (const e of events) {
          if (e.ev !== 'deliver') continue
          let s = delivered.get(e.id)
          if (s === undefined) {
            s = new Set()
            delivered.set(e.id, s)
          }
          s.add(e.node)
        }
        // Keep pairs whose two messages some other node also delivers.
        const shared = pairs.filter(([i, j]) => {
          const a = events[i] as Extract<TraceEvent, { ev: 'deliver' }>
          const b = events[j] as Extract<TraceEvent, { ev: 'deliver' }>
          const both = [...delivered.get(a.id)!].filter(
            (n) => n !== a.node && delivered.get(b.id)!.has(n),
          )
          return both.length > 0
        })
        if (shared.length === 0) return
        const [i, j] = shared[pick % shared.length]!
        const swapped = [...events]
        swapped[i] = events[j]!
        swapped[j] = events[i]!
        mutated++
        const props = propertiesOf(checkTrace(swapped, { maxViolations: 1000 }))
        expect(props).toContain('agreed-order')
        // Only FIFO may come along (when both messages have the same sender).
        expect(props.filter((p) => p !== 'agreed-order' && p !== 'fifo')).toEqual([])
      }),
      { numRuns: 200 },
    )
    expect(mutated).toBeGreaterThan(50)
  })

  it('dropping the last delivery of a live node after heal breaks liveness', () => {
    const events = modelRun({ seed: 7, nodes: 5, steps: 200 })
    let k = events.length - 1
    while (events[k]!.ev !== 'deliver') k--
    const dropped = events.filter((_, i) => i !== k)
    expect(propertiesOf(checkTrace(dropped))).toContain('liveness')
  })

  it('checks 64 nodes and about 10^5 events in well under the CI budget', () => {
    const events = modelRun({ seed: 42, nodes: 64, steps: 3_000, faultRate: 0.003 })
    expect(events.length).toBeGreaterThan(100_000)
    const text = events.map(formatTraceEvent).join('\n')
    const r = checkTraceText(text)
    expect(r.violations).toEqual([])
    expect(r.stats.events).toBe(events.length)
  })
})
