import { isTotemError, nodeId } from '@totem-ts/common'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createReplayWindow } from '../src/index.ts'
import { cluster, drops, payload } from './support/pair.ts'

describe('createReplayWindow', () => {
  it('accepts in order, out of order within the window, and rejects duplicates and too-old', () => {
    const w = createReplayWindow(64)
    for (const c of [1, 2, 3, 10, 5, 4, 9]) {
      expect(w.check(c), `counter ${c}`).toBe('fresh')
      w.accept(c)
    }
    expect(w.highest).toBe(10)
    for (const c of [1, 2, 3, 4, 5, 9, 10]) expect(w.check(c)).toBe('duplicate')
    for (const c of [6, 7, 8]) expect(w.check(c)).toBe('fresh')
    w.accept(100)
    expect(w.check(36)).toBe('too-old')
    expect(w.check(37)).toBe('fresh')
    expect(w.check(0)).toBe('too-old')
    w.accept(37)
    expect(w.check(37)).toBe('duplicate')
    // A jump of more than the window clears everything.
    w.accept(1000)
    expect(w.check(999)).toBe('fresh')
    expect(w.check(936)).toBe('too-old')
    expect(w.check(937)).toBe('fresh')
  })

  it('agrees with a set-based model on random counter sequences', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(32, 64, 128),
        fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 300 }),
        (size, counters) => {
          const w = createReplayWindow(size)
          const seen = new Set<number>()
          let top = 0
          for (const c of counters) {
            const expected = seen.has(c) ? 'duplicate' : c <= top - size ? 'too-old' : 'fresh'
            const got = w.check(c)
            if (expected === 'duplicate' && c <= top - size) expect(got).toBe('too-old')
            else expect(got).toBe(expected)
            if (got === 'fresh') {
              w.accept(c)
              seen.add(c)
              top = Math.max(top, c)
            }
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('rejects sizes that are not a power of two in 32..65536', () => {
    for (const s of [0, 16, 100, 131_072, 1.5]) {
      try {
        createReplayWindow(s)
        expect.unreachable()
      } catch (e) {
        expect(isTotemError(e) && e.code).toBe('ERR_INVALID_ARGUMENT')
      }
    }
  })
})

describe('replay protection through withCrypto', () => {
  /** Sends `n` datagrams from node 1 to node 2 without delivering them. */
  const capture = (c: ReturnType<typeof cluster>, n: number, from = 0): Uint8Array[] => {
    c.net.filter = () => false
    const start = c.net.wire.length
    for (let i = 0; i < n; i++) c.nodes[from]?.t.send({ node: nodeId(2) }, payload(4, i & 0xff))
    c.net.filter = undefined
    return c.net.wire.slice(start).map((d) => d.bytes)
  }

  it('accepts reordered datagrams within the window once each, and drops too-old ones', () => {
    const c = cluster(2)
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    const burst = capture(c, 10)
    const order = [3, 0, 9, 1, 8, 2, 7, 4, 6, 5]
    for (const i of order) c.net.inject(2, burst[i] as Uint8Array)
    expect(b.got.map((g) => g[0])).toEqual(order)
    for (const x of burst) c.net.inject(2, x)
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_REPLAY: 10 })
    const late = capture(c, 1)[0] as Uint8Array // counter 11, held back
    capture(c, 1100)
    const newest = capture(c, 1)[0] as Uint8Array
    c.net.inject(2, newest)
    c.net.inject(2, late)
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_REPLAY: 11 })
    expect(b.got).toHaveLength(11)
  })

  it('a restarted sender (new epoch) is accepted once its old epoch has been quiet; the old epoch is then a replay', () => {
    const c = cluster(2, { epochQuietMs: 1000 })
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    c.nodes[0]?.t.send({ node: nodeId(2) }, payload(1, 1))
    const oldEpoch = capture(c, 3)
    // Node 1 restarts: a new wrapper, a new random epoch, counters from 1 again.
    const a2 = c.add(1)
    a2.t.send({ node: nodeId(2) }, payload(1, 2))
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_REPLAY: 1 }) // old epoch heard 0 ms ago
    c.rt.clock.advance(999)
    a2.t.send({ node: nodeId(2) }, payload(1, 3))
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_REPLAY: 2 })
    c.rt.clock.advance(1)
    a2.t.send({ node: nodeId(2) }, payload(1, 4))
    expect(b.got.map((g) => g[0])).toEqual([1, 4])
    expect(b.t.stats().cryptoEpochChanges).toBe(1)
    // Datagrams of the old boot, never seen, are replays now: the epoch is retired.
    c.rt.clock.advance(5000)
    for (const x of oldEpoch) c.net.inject(2, x)
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_REPLAY: 5 })
    expect(b.got).toHaveLength(2)
  })

  it('with epochQuietMs 0 a new epoch is accepted at once', () => {
    const c = cluster(2, { epochQuietMs: 0 })
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    c.nodes[0]?.t.send({ node: nodeId(2) }, payload(1, 1))
    c.add(1).t.send({ node: nodeId(2) }, payload(1, 2))
    expect(b.got.map((g) => g[0])).toEqual([1, 2])
    expect(drops(b.t)).toEqual({})
  })

  it('keeps replay state for at most sendersMax senders', () => {
    const c = cluster(1)
    const b = c.add(9, undefined, { sendersMax: 2 })
    for (const id of [2, 3, 4]) {
      c.add(id).t.send({ node: nodeId(9) }, payload(1, id))
      c.rt.clock.advance(10)
    }
    expect(b.got.map((g) => g[0])).toEqual([2, 3, 4])
    expect(b.t.stats()).toMatchObject({ cryptoSenders: 2, cryptoSendersEvicted: 1 })
  })
})
