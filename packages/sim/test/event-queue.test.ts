import { describe, expect, it } from 'vitest'
import {
  createEventQueue,
  createSimRandom,
  createSimRuntime,
  type SimIncarnation,
} from '../src/index.ts'

describe('event queue', () => {
  it('runs events by time, and events due at the same time in creation order', () => {
    const q = createEventQueue()
    const out: string[] = []
    q.after(5, () => out.push('c'))
    q.after(1, () => out.push('a'))
    q.after(5, () => out.push('d'))
    q.after(1, () => out.push('b'))
    q.after(0, () => {
      out.push('z')
      q.after(0, () => out.push('z2'))
    })
    while (q.step()) {}
    expect(out).toEqual(['z', 'z2', 'a', 'b', 'c', 'd'])
    expect(q.nowMs).toBe(5)
    expect(q.processed).toBe(6)
  })

  it('keeps order on many random events (heap property)', () => {
    const q = createEventQueue()
    const r = createSimRandom(11)
    const fired: Array<[number, number]> = []
    for (let i = 0; i < 2000; i++) {
      const t = r.int(50)
      q.after(t, () => fired.push([t, i]))
    }
    while (q.step()) {}
    const sorted = [...fired].sort((a, b) => a[0] - b[0] || a[1] - b[1])
    expect(fired).toEqual(sorted)
  })

  it('never runs a cancelled event or one whose owner died', () => {
    const q = createEventQueue()
    const out: string[] = []
    const owner = { alive: true }
    const e = q.after(1, () => out.push('cancelled'))
    q.after(2, () => out.push('owned'), owner)
    q.after(3, () => out.push('free'))
    e.cancel()
    owner.alive = false
    expect(e.cancelled).toBe(true)
    expect(q.peekTimeMs()).toBe(3)
    while (q.step()) {}
    expect(out).toEqual(['free'])
    expect(q.processed).toBe(1)
  })

  it('runUntil stops at the bound, sets the clock there, and honours stop()', () => {
    const q = createEventQueue()
    const out: number[] = []
    for (const t of [1, 2, 3, 10]) q.after(t, () => out.push(t))
    expect(q.runUntil(5)).toBe(false)
    expect(out).toEqual([1, 2, 3])
    expect(q.nowMs).toBe(5)
    q.after(1, () => out.push(6))
    expect(q.runUntil(100, () => out.length === 4)).toBe(true)
    expect(q.nowMs).toBe(6)
    expect(q.runUntil(100)).toBe(false)
    expect(out).toEqual([1, 2, 3, 6, 10])
  })
})

describe('createSimRuntime', () => {
  it('reads virtual time and fires timers in order; cancel works', () => {
    const q = createEventQueue()
    const rt = createSimRuntime({ queue: q, random: createSimRandom(1) })
    const seen: Array<[string, number]> = []
    rt.timers.after(10, () => seen.push(['b', rt.clock.nowMs()]))
    rt.timers.after(10, () => seen.push(['c', rt.clock.nowMs()]))
    rt.timers.after(3, () => seen.push(['a', rt.clock.nowMs()]))
    const t = rt.timers.after(4, () => seen.push(['x', rt.clock.nowMs()]))
    t.cancel()
    q.runUntil(100)
    expect(seen).toEqual([
      ['a', 3],
      ['b', 10],
      ['c', 10],
    ])
    expect(rt.clock.nowMs()).toBe(100)
    expect(() => rt.timers.after(Number.POSITIVE_INFINITY, () => {})).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })

  it('drops every timer of an incarnation that crashed, also ones set later', () => {
    const q = createEventQueue()
    const inc: SimIncarnation = { alive: true }
    const rt = createSimRuntime({ queue: q, random: createSimRandom(1), owner: inc })
    let fired = 0
    rt.timers.after(1, () => fired++)
    rt.timers.after(5, () => fired++)
    q.runUntil(2)
    expect(fired).toBe(1)
    inc.alive = false
    rt.timers.after(1, () => fired++)
    q.runUntil(100)
    expect(fired).toBe(1)
  })
})
