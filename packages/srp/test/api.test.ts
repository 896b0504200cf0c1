import { describe, expect, it } from 'vitest'
import { World } from './harness.ts'

describe('srp API edges', () => {
  it('rejects bad sends with typed errors and refuses to start twice', async () => {
    const w = new World([1])
    const srp = await w.add(1)
    expect(() => srp.send('text' as unknown as Uint8Array, 'agreed')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
    expect(() => srp.send(new Uint8Array(1), 'fast' as 'agreed')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
    await expect(srp.start()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' })
    await srp.stop()
    expect(() => srp.send(new Uint8Array(1), 'agreed')).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_STATE' }),
    )
  })

  it('answers full when the send queue is at its limit', async () => {
    const w = new World([1, 2])
    await w.add(1, { sendQueueMax: 3 })
    await w.add(2)
    w.run(3000)
    expect(['a', 'b', 'c', 'd'].map((t) => w.send(1, t))).toEqual([
      'queued',
      'queued',
      'queued',
      'full',
    ])
    w.runFor(1000)
    expect(w.delivered(2)).toEqual(['a', 'b', 'c'])
    expect(w.send(1, 'e')).toBe('queued')
  })

  it('a single node forms a ring of one and delivers its own messages', async () => {
    const w = new World([7])
    await w.add(7)
    w.send(7, 'alone', 'safe')
    w.run(2000)
    expect(w.srp(7).members).toEqual([7])
    expect(w.delivered(7)).toEqual(['alone'])
  })

  it('counts and drops garbage datagrams without disturbing the ring', async () => {
    const w = new World([1, 2])
    await w.add(1)
    await w.add(2)
    w.run(2000)
    const handler = w.nodes.get(2)?.handler
    handler?.(new Uint8Array([1, 2, 3]), 0)
    handler?.(new Uint8Array([0x70, 0xc0, 3, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 0)
    w.send(1, 'still fine')
    w.runFor(500)
    expect(w.delivered(2)).toEqual(['still fine'])
    expect(w.srp(2).stats().rxDropped).toMatchObject({
      ERR_WIRE_BAD_MAGIC: 1,
      ERR_WIRE_BAD_TYPE: 1,
    })
  })
})
