import { describe, expect, it } from 'vitest'
import { World } from './harness.ts'

describe('srp smoke', () => {
  it('three nodes form one ring and deliver in one order', async () => {
    const w = new World([1, 2, 3])
    for (const id of w.ids) await w.add(id)
    w.run(2000)
    for (const id of w.ids) {
      expect(w.srp(id).state).toBe('operational')
      expect(w.srp(id).members).toEqual([1, 2, 3])
    }
    for (let i = 0; i < 20; i++) w.send((i % 3) + 1, `m${i}`, i % 4 === 0 ? 'safe' : 'agreed')
    w.runFor(2000)
    const d1 = w.delivered(1)
    expect(d1).toHaveLength(20)
    expect(w.delivered(2)).toEqual(d1)
    expect(w.delivered(3)).toEqual(d1)
  })
})
