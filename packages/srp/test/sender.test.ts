import { describe, expect, it } from 'vitest'
import { Sender } from '../src/sender.ts'

const msg = (n: number): Uint8Array => new Uint8Array(8).fill(n)

describe('Sender ordered messages', () => {
  it('holds an ordered message, and everything after it, while mayOrdered is off', () => {
    const s = new Sender(1500, 64)
    expect(s.enqueue(msg(1), 'agreed')).toBe('queued')
    expect(s.enqueue(msg(2), 'agreed', true)).toBe('queued')
    expect(s.enqueue(msg(3), 'agreed')).toBe('queued')
    // The unordered head goes; the ordered message and the one behind it (FIFO) wait.
    const first = s.take(10, false)
    expect(first).toHaveLength(1)
    expect(first[0]?.ordered).toBe(false)
    expect(s.backlog).toBe(2)
    expect(s.take(10, false)).toHaveLength(0)
    // Once the holder has the ring's prefix, both go, the ordered one in a packet of its own.
    const rest = s.take(10, true)
    expect(rest.map((p) => p.ordered)).toEqual([true, false])
    expect(s.backlog).toBe(0)
  })

  it('sends ordered messages as any other by default', () => {
    const s = new Sender(1500, 64)
    s.enqueue(msg(1), 'safe', true)
    expect(s.take(10)).toHaveLength(1)
  })
})
