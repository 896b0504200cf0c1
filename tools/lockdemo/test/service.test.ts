import { describe, expect, it } from 'vitest'
import { createLockService, type LockService, type MembershipEvent } from '../src/index.ts'
import { Bus, type FakeHandle } from './bus.ts'

async function start(bus: Bus, h: FakeHandle): Promise<LockService> {
  const p = createLockService(h.asHandle(), bus.group)
  await bus.settle()
  return p
}

async function checkAll(bus: Bus, s: LockService): Promise<void> {
  const p = s.check()
  await bus.settle()
  const r = await p
  expect(r.digests.length).toBeGreaterThan(0)
  expect(r.equal).toBe(true)
}

describe('lock service on an agreed-order group', () => {
  it('grants on self-delivery: the first request in the order wins, the others queue in order', async () => {
    const bus = new Bus()
    const [a, b, c] = [bus.handle(1), bus.handle(2), bus.handle(3)]
    const sa = await start(bus, a)
    const sb = await start(bus, b)
    const sc = await start(bus, c)
    const order: string[] = []
    const before = bus.delivered
    void sc.lock('r1').then(() => order.push('c'))
    void sa.lock('r1').then(() => order.push('a'))
    void sb.lock('r1').then(() => order.push('b'))
    await bus.settle()
    // One message per request and nothing else: no request/response.
    expect(bus.delivered - before).toBe(3)
    expect(order).toEqual(['c'])
    expect(sa.table()).toEqual([
      {
        name: 'r1',
        holder: { nodeId: 3, pid: 100 },
        waiters: [
          { nodeId: 1, pid: 100 },
          { nodeId: 2, pid: 100 },
        ],
      },
    ])
    sc.unlock('r1')
    await bus.settle()
    expect(order).toEqual(['c', 'a'])
    sa.unlock('r1')
    await bus.settle()
    expect(order).toEqual(['c', 'a', 'b'])
    expect(sb.held()).toEqual(['r1'])
    expect(sa.digest()).toBe(sb.digest())
    await checkAll(bus, sa)
  })

  it('releases a dead node’s locks at the confchg and ignores its in-flight requests', async () => {
    const bus = new Bus()
    const [a, b, c] = [bus.handle(1), bus.handle(2), bus.handle(3)]
    const sa = await start(bus, a)
    const sb = await start(bus, b)
    const sc = await start(bus, c)
    await Promise.all([sc.lock('x'), sc.lock('y'), bus.settle()])
    const waitA = sa.lock('x')
    await bus.settle()
    const events: MembershipEvent[] = []
    sa.on('membership', (e) => events.push(e))
    // c asks for z, but dies before that request is ordered: it comes after the transitional
    // configuration that removed c, so every survivor ignores it.
    bus.paused = true
    void sc.lock('z').catch(() => {})
    await new Promise((r) => setImmediate(r))
    await new Promise((r) => setImmediate(r))
    expect(bus.queue.length).toBe(1)
    bus.paused = false
    bus.remove(c, 'nodedown', true)
    await waitA
    await bus.settle()
    const t = events.find((e) => e.kind === 'transitional')
    expect(t?.left).toEqual([{ nodeId: 3, pid: 100, reason: 'nodedown' }])
    expect(t?.released).toEqual([
      { name: 'x', from: { nodeId: 3, pid: 100 }, to: { nodeId: 1, pid: 100 } },
      { name: 'y', from: { nodeId: 3, pid: 100 }, to: undefined },
    ])
    expect(sa.table().map((l) => l.name)).toEqual(['x'])
    expect(sb.digest()).toBe(sa.digest())
    await checkAll(bus, sb)
  })

  for (const reason of ['leave', 'procdown'] as const) {
    it(`hands a ${reason} member’s lock to the next waiter`, async () => {
      const bus = new Bus()
      const [a, b] = [bus.handle(1), bus.handle(2)]
      const sa = await start(bus, a)
      const sb = await start(bus, b)
      await Promise.all([sa.lock('k'), bus.settle()])
      const got = sb.lock('k')
      await bus.settle()
      bus.remove(a, reason)
      await got
      expect(sb.held()).toEqual(['k'])
    })
  }

  it('transfers the table to a joiner, including requests ordered during the transfer', async () => {
    const bus = new Bus()
    const [a, b, c] = [bus.handle(1), bus.handle(2), bus.handle(3)]
    const sa = await start(bus, a)
    const sb = await start(bus, b)
    await Promise.all([sa.lock('l1'), sb.lock('l2'), bus.settle()])
    void sb.lock('l1')
    await bus.settle()
    const sent = sa.stats().snapshotsSent
    const joining = createLockService(c.asHandle(), bus.group)
    // Requests racing the state transfer.
    const more = [sa.lock('l3'), sb.lock('l4')]
    await bus.settle()
    const sc = await joining
    await Promise.all(more)
    expect(sc.stats().snapshotsInstalled).toBe(1)
    expect(sa.stats().snapshotsSent).toBe(sent + 1) // the lowest synced member sends it
    expect(sb.stats().snapshotsSent).toBe(0)
    expect(sc.table()).toEqual(sa.table())
    expect(sc.table().map((l) => l.name)).toEqual(['l1', 'l2', 'l3', 'l4'])
    await checkAll(bus, sc)
    // The joiner takes part at once.
    const p = sc.lock('l2')
    sb.unlock('l2')
    await bus.settle()
    await p
    expect(sc.held()).toEqual(['l2'])
    await checkAll(bus, sa)
  })

  it('asks again when the member sending the snapshot dies first', async () => {
    const bus = new Bus()
    const [a, b, c] = [bus.handle(1), bus.handle(2), bus.handle(3)]
    const sa = await start(bus, a)
    const sb = await start(bus, b)
    await Promise.all([sb.lock('kept'), sa.lock('gone'), bus.settle()])
    // c joins; a (the designated) dies before its snapshot is ordered.
    const sent = sa.stats().snapshotsSent
    bus.paused = true
    const joining = createLockService(c.asHandle(), bus.group)
    await new Promise((r) => setImmediate(r))
    bus.paused = false
    bus.step(bus.queue.length) // the STATUS round: a queues its snapshot
    expect(sa.stats().snapshotsSent).toBe(sent + 1)
    bus.queue = bus.queue.filter((m) => m.from !== a) // lost with a
    bus.remove(a, 'nodedown')
    await bus.settle()
    const sc = await joining
    expect(sb.stats().snapshotsSent).toBe(1)
    expect(sc.table().map((l) => [l.name, l.holder.nodeId])).toEqual([['kept', 2]])
    await checkAll(bus, sb)
  })

  it('starts from an empty table when every member with a table is gone', async () => {
    const bus = new Bus()
    const [a, c, d] = [bus.handle(1), bus.handle(3), bus.handle(4)]
    const sa = await start(bus, a)
    await Promise.all([sa.lock('old'), bus.settle()])
    bus.paused = true
    const j1 = createLockService(c.asHandle(), bus.group)
    const j2 = createLockService(d.asHandle(), bus.group)
    await new Promise((r) => setImmediate(r))
    bus.queue = [] // a's snapshots never make it
    bus.paused = false
    bus.remove(a, 'nodedown')
    await bus.settle()
    const [sc, sd] = await Promise.all([j1, j2])
    expect(sc.table()).toEqual([])
    expect(sd.table()).toEqual([])
    await Promise.all([sd.lock('new'), bus.settle()])
    await checkAll(bus, sc)
  })

  it('merges partitions: the side with the lowest member keeps its table, the other is revoked', async () => {
    const bus = new Bus()
    const [a, b, c] = [bus.handle(1), bus.handle(2), bus.handle(3)]
    const sa = await start(bus, a)
    const sb = await start(bus, b)
    const sc = await start(bus, c)
    bus.partition([[a, b], [c]])
    await bus.settle()
    // Split brain: both sides grant 'r' (and c also 'only-c').
    await Promise.all([sb.lock('r'), sc.lock('r'), sc.lock('only-c'), bus.settle()])
    const revoked: string[][] = []
    sc.on('revoked', (n) => revoked.push([...n]))
    const waitingOnC = sc.lock('w')
    const waitingOnA = sa.lock('r')
    bus.paused = true
    await new Promise((r) => setImmediate(r))
    bus.queue = bus.queue.filter((m) => m.from !== c) // c's 'w' is still in its queue at the merge
    bus.paused = false
    bus.merge()
    await expect(waitingOnC).rejects.toMatchObject({ code: 'ERR_LOCK_REVOKED' })
    await bus.settle()
    expect(revoked).toEqual([['r', 'only-c']])
    expect(sc.synced).toBe(true)
    expect(sc.held()).toEqual([])
    expect(sc.table()).toEqual(sa.table())
    expect(sa.table().map((l) => [l.name, l.holder.nodeId])).toEqual([['r', 2]])
    await checkAll(bus, sc)
    sb.unlock('r')
    await bus.settle()
    await waitingOnA
  })

  it('cancels a waiting request with unlock or an AbortSignal', async () => {
    const bus = new Bus()
    const [a, b] = [bus.handle(1), bus.handle(2)]
    const sa = await start(bus, a)
    const sb = await start(bus, b)
    await Promise.all([sa.lock('q'), bus.settle()])
    const w = sb.lock('q')
    sb.unlock('q')
    await expect(w).rejects.toMatchObject({ code: 'ERR_LOCK_ABORTED' })
    const ac = new AbortController()
    const w2 = sb.lock('q', { signal: ac.signal })
    await bus.settle()
    ac.abort()
    await expect(w2).rejects.toMatchObject({ code: 'ERR_LOCK_ABORTED' })
    await bus.settle()
    expect(sa.table()).toEqual([{ name: 'q', holder: { nodeId: 1, pid: 100 }, waiters: [] }])
    // A new request right after a cancel is not confused with the old one's grant.
    sa.unlock('q')
    const w3 = sb.lock('q')
    await bus.settle()
    await w3
    expect(sb.held()).toEqual(['q'])
    await checkAll(bus, sa)
  })

  it('rejects bad calls with typed errors', async () => {
    const bus = new Bus()
    const s = await start(bus, bus.handle(1))
    expect(() => s.lock('')).toThrow(expect.objectContaining({ code: 'ERR_LOCK_INVALID_NAME' }))
    expect(() => s.lock('x'.repeat(65))).toThrow(
      expect.objectContaining({ code: 'ERR_LOCK_INVALID_NAME', details: { bytes: 65, max: 64 } }),
    )
    expect(() => s.unlock('nope')).toThrow(expect.objectContaining({ code: 'ERR_LOCK_NOT_HELD' }))
    const p = s.lock('dup')
    expect(() => s.lock('dup')).toThrow(expect.objectContaining({ code: 'ERR_LOCK_ALREADY' }))
    await bus.settle()
    await p
    await expect(
      createLockService(bus.handle(2).asHandle(), bus.group, { batchBytes: 1 }),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    await s.close()
    expect(() => s.lock('after')).toThrow(expect.objectContaining({ code: 'ERR_LOCK_CLOSED' }))
  })

  it('batches many requests into few messages and keeps replicas equal under load', async () => {
    const bus = new Bus()
    const hs = [bus.handle(1), bus.handle(2), bus.handle(3)]
    const ss: LockService[] = []
    for (const h of hs) ss.push(await start(bus, h))
    let granted = 0
    const before = bus.delivered
    const loops = ss.map(async (s, i) => {
      for (let round = 0; round < 20; round++) {
        const names = Array.from({ length: 50 }, (_, k) => `n${(k * 7 + i + round) % 64}`)
        await Promise.all(
          names.map(async (n) => {
            await s.lock(n)
            granted++
            s.unlock(n)
          }),
        )
      }
    })
    const pumping = (async () => {
      for (let i = 0; i < 2000 && granted < 3000; i++) await bus.settle()
    })()
    await Promise.all([...loops, pumping])
    expect(granted).toBe(3000)
    expect(bus.delivered - before).toBeLessThan(3000)
    await bus.settle()
    expect(ss[0]?.table()).toEqual([])
    await checkAll(bus, ss[1] as LockService)
  })
})
