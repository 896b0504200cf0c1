/**
 * Three totemd daemons on 127.0.0.1/.2/.3 (issue 5 §5): one ring, traffic (--burn-in), kill -9 →
 * transitional then regular configuration, restart → one ring of three, orderly stop → re-formed
 * without a token loss; the traces pass the EVS checker.
 */
import { type ConfEvent, checkTrace } from '@totem-ts/evs-checker'
import { afterAll, describe, expect, it } from 'vitest'
import { Cluster, sleep, waitFor } from './harness.ts'

const clusters: Cluster[] = []
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.destroy()))
})

const confs = (c: Cluster, node: number, after: number): ConfEvent[] =>
  c.traces().filter((e): e is ConfEvent => e.ev === 'conf' && e.node === node && e.t >= after)

describe('three daemons on loopback', () => {
  it('form a ring, survive kill -9, take the node back, and re-form at once on an orderly stop', async () => {
    const c = await new Cluster({ token: 500 }).init()
    clusters.push(c)
    for (const id of [1, 2, 3]) c.start(id, ['--burn-in', '20'])
    for (const id of [1, 2, 3]) await c.ready(id)
    const ring1 = await c.ring([1, 2, 3])
    // Traffic flows: every node delivers what the others send.
    const delivered = async (id: number): Promise<number> =>
      ((await c.result(id, 'stats')).srp as { messagesDelivered: number }).messagesDelivered
    const before = await delivered(1)
    await waitFor(async () => (await delivered(1)) > before + 30, 'deliveries on node 1')

    // kill -9 node 3: nodes 1 and 2 deliver a transitional, then a regular configuration.
    const crashAt = Date.now()
    await c.crash(3)
    await c.ring([1, 2], 10_000)
    for (const id of [1, 2]) {
      const after = await waitFor(() => {
        const cs = confs(c, id, crashAt)
        const reg = cs.findIndex((e) => e.kind === 'reg' && e.members.join() === '1,2')
        return reg > 0 ? cs.slice(0, reg + 1) : undefined
      }, `node ${id}'s trace to show the new configuration`)
      const reg = after[after.length - 1] as ConfEvent
      const trans = after[after.length - 2] as ConfEvent
      expect(trans.kind).toBe('trans')
      expect(trans.ring).toBe(reg.ring)
      expect(trans.members).toEqual([1, 2])
      expect(reg.ring).not.toBe(ring1)
    }

    // Restart node 3: one ring of three again.
    c.start(3, ['--burn-in', '20'])
    await c.ready(3)
    await c.ring([1, 2, 3])

    // Orderly stop of node 2: the others re-form without losing the token.
    const lost = async (id: number): Promise<number> =>
      ((await c.result(id, 'stats')).srp as { operationalTokenLost: number }).operationalTokenLost
    const lost1 = await lost(1)
    const lost3 = await lost(3)
    expect(await c.stop(2)).toBe(0)
    await c.ring([1, 3], 10_000)
    expect(await lost(1)).toBe(lost1)
    expect(await lost(3)).toBe(lost3)

    await sleep(300)
    expect(await c.stop(1)).toBe(0)
    expect(await c.stop(3)).toBe(0)
    const trace = c.traces()
    expect(
      trace
        .filter((e) => e.ev === 'stop')
        .map((e) => (e as { node: number }).node)
        .sort(),
    ).toEqual([1, 2, 3])
    const r = checkTrace(trace)
    expect(r.violations).toEqual([])
    expect(r.ok).toBe(true)
    expect(r.stats.sends).toBeGreaterThan(50)
  }, 120_000)
})
