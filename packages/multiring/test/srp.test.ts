import { describe, expect, it } from 'vitest'
import { MemWorld } from './mem-world.ts'

describe('multiring over real srp (two LANs, one gateway, in-memory networks)', () => {
  it('forms one topology and delivers every message everywhere in one order', async () => {
    // LAN 0: 1, 2 and gateway 5; LAN 1: 3, 4 and gateway 5.
    const w = new MemWorld([
      [1, 2, 5],
      [3, 4, 5],
    ])
    await w.start()
    expect(w.settle()).toBe(true)
    for (let i = 0; i < 20; i++)
      for (const n of [1, 2, 3, 4, 5]) w.send(n, `${n}:${i}`, i % 3 === 0 ? 'safe' : 'agreed')
    w.run(w.now + 5000)
    const order = w.textsAt(1)
    expect(order.length).toBe(100)
    for (const n of [2, 3, 4, 5]) expect(w.textsAt(n), `node ${n}`).toEqual(order)
    // FIFO per sender.
    for (const n of [1, 2, 3, 4, 5]) {
      const mine = order.filter((t) => t.startsWith(`${n}:`)).map((t) => Number(t.split(':')[1]))
      expect(mine).toEqual([...mine].sort((a, b) => a - b))
    }
    const gw = w.mr.get(5)
    expect(gw?.isGateway).toBe(true)
    expect(gw?.stats().forwarded).toBeGreaterThanOrEqual(100)
    expect(w.mr.get(1)?.topology.length).toBe(2)
  })
})
