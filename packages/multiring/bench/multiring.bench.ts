/**
 * Cross-ring delivery against one ring, measured in the same run and reported as ratios
 * (STYLE.md §11). Both worlds run real srp and multiring on in-memory networks in virtual time
 * (0.1 ms one-way latency): one LAN of five nodes, and two LANs of two nodes joined by one
 * gateway (the same five processors). Latency is virtual (send to delivery at every node);
 * throughput is wall-clock (messages delivered everywhere per second of CPU).
 */
import { afterAll, bench, describe } from 'vitest'
import { MemWorld } from '../test/mem-world.ts'

interface Figures {
  latencyMeanMs: number
  latencyP99Ms: number
  msgsPerSec: number
}
const results = new Map<string, Figures>()

async function world(lans: number[][]): Promise<MemWorld> {
  const w = new MemWorld(lans)
  await w.start()
  if (!w.settle()) throw new Error('topology did not form')
  w.run(w.now + 500)
  return w
}

const single = await world([[1, 2, 3, 4, 5]])
const double = await world([
  [1, 2, 5],
  [3, 4, 5],
])
let round = 0

function burst(name: string, w: MemWorld): void {
  const nodes = [1, 2, 3, 4, 5]
  const start = w.delivered.length
  const t0 = process.hrtime.bigint()
  const texts: string[] = []
  round++
  for (let i = 0; i < 40; i++) {
    const n = nodes[i % nodes.length] as number
    const text = `${round}/${n}/${i}`
    if (w.send(n, text, 'agreed') === 'queued') texts.push(text)
  }
  w.run(w.now + 200)
  const ns = Number(process.hrtime.bigint() - t0)
  const got = w.delivered.slice(start)
  const lat = got.map((d) => d.atMs - (w.sentAt.get(d.text) ?? d.atMs)).sort((a, b) => a - b)
  const everywhere = got.length / nodes.length
  const prev = results.get(name)
  const f: Figures = {
    latencyMeanMs: lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length),
    latencyP99Ms: lat[Math.floor(lat.length * 0.99)] ?? 0,
    msgsPerSec: (everywhere * 1e9) / ns,
  }
  results.set(
    name,
    prev === undefined
      ? f
      : {
          latencyMeanMs: (prev.latencyMeanMs + f.latencyMeanMs) / 2,
          latencyP99Ms: Math.max(prev.latencyP99Ms, f.latencyP99Ms),
          msgsPerSec: (prev.msgsPerSec + f.msgsPerSec) / 2,
        },
  )
}

describe('multiring: 40 agreed messages from five senders', () => {
  bench('one ring of five (baseline)', () => burst('one ring', single), { time: 1000 })
  bench('two rings joined by a gateway', () => burst('two rings', double), { time: 1000 })
})

afterAll(() => {
  const base = results.get('one ring')
  const two = results.get('two rings')
  if (base === undefined || two === undefined) return
  const line = (k: string, f: Figures): string =>
    `  ${k.padEnd(10)} latency mean ${f.latencyMeanMs.toFixed(2)} ms (virtual), p99 ${f.latencyP99Ms.toFixed(2)} ms, ${f.msgsPerSec.toFixed(0)} msgs/s delivered everywhere (wall)`
  console.log(
    [
      'multiring vs. one ring (same run, in-memory networks)',
      line('one ring', base),
      line('two rings', two),
      `  ratios: latency ${(two.latencyMeanMs / base.latencyMeanMs).toFixed(2)}× one ring, throughput ${(two.msgsPerSec / base.msgsPerSec).toFixed(2)}× one ring`,
    ].join('\n'),
  )
})
