/**
 * Issue 5 acceptance 2: three totemd with --evs-trace and --burn-in behind @totem-ts/udp's lossy
 * proxy (loss, duplication, delay/reordering); one is killed and restarted; the faults stop (heal);
 * the merged traces (the nodes' files and the harness's crash/heal file) pass the EVS checker.
 */

import { checkTrace } from '@totem-ts/evs-checker'
import { createUdpFaultProxy, randomFaults, type UdpFaultProxy } from '@totem-ts/udp'
import { afterAll, describe, expect, it } from 'vitest'
import { Cluster, sleep } from './harness.ts'

const clusters: Cluster[] = []
const proxies: UdpFaultProxy[] = []
afterAll(async () => {
  await Promise.allSettled(proxies.map((p) => p.stop()))
  await Promise.all(clusters.map((c) => c.destroy()))
})

describe('EVS on real sockets with a lossy network', () => {
  it('three daemons, loss + duplication + reordering, a crash and a restart: the traces pass', async () => {
    const c = await new Cluster({ token: 500, proxied: true }).init()
    clusters.push(c)
    const seed = Math.floor(Math.random() * 0x7fffffff)
    const proxy = createUdpFaultProxy({
      port: c.port,
      nodes: c.nodes.map((n) => ({
        nodeId: n,
        address: `127.0.0.${n}`,
        proxyAddress: `127.0.1.${n}`,
      })),
      policy: randomFaults({ seed, lossRate: 0.04, dupRate: 0.04, delayRate: 0.05, delayMaxMs: 8 }),
    })
    proxies.push(proxy)
    await proxy.start()
    for (const id of [1, 2, 3]) c.start(id, ['--burn-in', '30'])
    for (const id of [1, 2, 3]) await c.ready(id)
    await c.ring([1, 2, 3], 20_000)
    await sleep(1500)
    await c.crash(2)
    await sleep(1500)
    c.start(2, ['--burn-in', '30'])
    await c.ready(2)
    await sleep(1500)
    proxy.setPolicy(() => 'pass')
    c.heal()
    await c.ring([1, 2, 3], 20_000)
    await sleep(1000)
    const s = proxy.stats()
    expect(s.dropped, `seed ${seed}`).toBeGreaterThan(0)
    expect(s.duplicated).toBeGreaterThan(0)
    expect(s.delayed).toBeGreaterThan(0)
    // Liveness after the heal is seen above (one ring of three). A live node's trace ends with its
    // last messages in flight, so the run ends with orderly stops, and the checker judges it whole.
    const codes = await Promise.all([1, 2, 3].map((id) => c.stop(id)))
    expect(codes).toEqual([0, 0, 0])
    const r = checkTrace(c.traces())
    expect(
      r.violations.map((v) => `${v.property}: ${v.message}`),
      `fault seed ${seed}`,
    ).toEqual([])
    expect(r.ok).toBe(true)
    expect(r.stats.crashes).toBe(1)
    expect(r.stats.heals).toBe(1)
    expect(r.stats.incarnations).toBe(4)
    expect(r.stats.deliveries).toBeGreaterThan(200)
    expect(r.stats.stops).toBe(3)
  }, 120_000)
})
