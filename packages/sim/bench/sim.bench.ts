/**
 * Simulator speed (issue 4, acceptance 5): simulated token rotations per wall second on a calm
 * ring, against a baseline that drives the same number of queue events with no protocol (STYLE.md
 * §11: report the ratio). Token rotations are counted from srp's `orfTokenRx`.
 */
import type { NodeId } from '@totem-ts/common'
import { createSrp, resolveSrpOptions, type Srp } from '@totem-ts/srp'
import { bench, describe } from 'vitest'
import { createEventQueue, createSimWorld, type SimProtocolFactory } from '../src/index.ts'

const VIRTUAL_MS = 2000

async function ring(nodes: number): Promise<{ rotations: number; events: number }> {
  const srps: Srp[] = []
  const factory: SimProtocolFactory = (ctx) => {
    const s = createSrp(
      resolveSrpOptions({ tokenTimeoutMs: 300, tokenCoefficientMs: 0 }, ctx.nodelistSize),
      {
        nodeId: ctx.nodeId,
        runtime: ctx.runtime,
        transport: ctx.transport,
        listener: ctx.listener,
        store: ctx.store,
      },
    )
    srps.push(s)
    return s
  }
  const w = createSimWorld({ seed: 1, nodes, protocol: factory, link: { delayBaseMs: 0.1 } })
  for (const n of w.nodes) w.start(n as NodeId)
  await w.runUntil(VIRTUAL_MS)
  const rx = srps.reduce((a, s) => a + s.stats().orfTokenRx, 0)
  return { rotations: rx / nodes, events: w.queue.processed }
}

for (const nodes of [3, 9]) {
  let events = 0
  describe(`${nodes} nodes, ${VIRTUAL_MS} ms virtual, idle ring`, () => {
    bench(
      'srp under SimWorld',
      async () => {
        const t0 = performance.now()
        const r = await ring(nodes)
        if (events === 0) {
          const s = (performance.now() - t0) / 1000
          process.stdout.write(
            `${nodes} nodes: ${r.rotations.toFixed(0)} token rotations, ${r.events} events in ${VIRTUAL_MS} ms virtual; ${(r.rotations / s).toFixed(0)} rotations per wall second\n`,
          )
        }
        events = r.events
      },
      { iterations: 5, warmupIterations: 1 },
    )
    bench(
      'baseline: the same number of queue events, no protocol',
      () => {
        const q = createEventQueue()
        let left = events > 0 ? events : 20_000
        const tick = (): void => {
          if (--left > 0) q.after(0.1, tick)
        }
        for (let i = 0; i < nodes; i++) q.after(0, tick)
        while (q.step()) {}
      },
      { iterations: 5, warmupIterations: 1 },
    )
  })
}
