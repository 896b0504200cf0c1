/**
 * Issue 7 acceptance 3: srp over rrp, throughput with one network against two networks in active
 * and in passive mode, in the same run (STYLE: a baseline in the same run; vitest prints each
 * case's ratio to the fastest). Three nodes on simulated memory networks (0.1 ms latency, no
 * loss): every iteration forms the ring, then each node sends MESSAGES agreed messages of 200 bytes
 * and the ring runs until all of them are delivered everywhere. What is measured is the CPU cost of
 * the stack per delivered message (wall clock), which is what limits srp on loopback; the
 * simulator's virtual time takes the network's speed out of it.
 */
import { bench, describe } from 'vitest'
import { createSimWorld, rrpProtocol, type SimProtocolFactory, srpProtocol } from '../src/index.ts'

const MESSAGES = 400
const NODES = 3
const SRP = { tokenTimeoutMs: 1000, tokenCoefficientMs: 0 }

async function run(protocol: SimProtocolFactory, rings: number): Promise<void> {
  const w = createSimWorld({ seed: 7, nodes: NODES, rings, protocol, link: { delayBaseMs: 0.1 } })
  for (const n of w.nodes) w.start(n)
  await w.runUntil(3000, () => w.converged())
  const payload = new Uint8Array(200)
  let t = w.queue.nowMs
  for (let i = 0; i < MESSAGES; i++) {
    for (const n of w.nodes) {
      new DataView(payload.buffer).setUint32(0, i * NODES + n)
      while (w.send(n, payload, 'agreed') === 'full') {
        t += 5
        await w.runUntil(t)
      }
    }
  }
  const want = w.counts.deliveries + 0
  await w.runUntil(w.queue.nowMs + 60_000, () => w.converged())
  if (!w.converged() || w.counts.deliveries < want)
    throw new Error(`not all delivered (rings ${rings})`)
}

describe(`srp over rrp: ${NODES} nodes × ${MESSAGES} messages of 200 B`, () => {
  bench('1 network (plain srp, the baseline)', () => run(srpProtocol(SRP), 1), { iterations: 5 })
  bench('2 networks, rrp active', () => run(rrpProtocol('active', SRP), 2), { iterations: 5 })
  bench('2 networks, rrp passive', () => run(rrpProtocol('passive', SRP), 2), { iterations: 5 })
})
