import { isTotemError } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import { createMultiring, decodeMrMessage, resolveMultiringOptions } from '../src/index.ts'
import { deliver, install, lastSent, manualRuntime, processor } from './harness.ts'

const code = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    return isTotemError(e) ? `${e.code}:${String(e.details.option ?? '')}` : 'other'
  }
  return undefined
}

describe('options', () => {
  it('fills defaults', () => {
    expect(resolveMultiringOptions()).toMatchObject({ gvIntervalMs: 20, gvIdleMs: 200 })
  })
  it('rejects out-of-range values with the option named', () => {
    expect(code(() => resolveMultiringOptions({ gvIntervalMs: 0 }))).toBe(
      'ERR_INVALID_ARGUMENT:gvIntervalMs',
    )
    expect(code(() => resolveMultiringOptions({ gvIntervalMs: 50, gvIdleMs: 10 }))).toBe(
      'ERR_INVALID_ARGUMENT:gvIdleMs',
    )
    expect(code(() => resolveMultiringOptions({ sendWindow: 1.5 }))).toBe(
      'ERR_INVALID_ARGUMENT:sendWindow',
    )
  })
})

describe('createMultiring', () => {
  it('needs rings, distinct LANs in range', () => {
    const deps = { nodeId: 1 as never, runtime: manualRuntime(), listener: {} as never }
    expect(code(() => createMultiring(resolveMultiringOptions(), { ...deps, rings: [] }))).toBe(
      'ERR_INVALID_ARGUMENT:',
    )
    const r = { lan: 70_000, create: () => ({}) as never }
    expect(code(() => createMultiring(resolveMultiringOptions(), { ...deps, rings: [r] }))).toBe(
      'ERR_INVALID_ARGUMENT:',
    )
  })

  it('checks send arguments and answers full past sendWindow', () => {
    const p = processor(1, [0])
    expect(code(() => p.mr.send('x' as never, 'agreed'))).toBe('ERR_INVALID_ARGUMENT:')
    expect(code(() => p.mr.send(new Uint8Array(1), 'fast' as never))).toBe('ERR_INVALID_ARGUMENT:')
    // Nothing established yet: messages wait in the send queue (a window of 256 by default).
    for (let i = 0; i < 256; i++)
      expect(p.mr.send(new Uint8Array([i & 0xff]), 'agreed')).toBe('queued')
    expect(p.mr.send(new Uint8Array(1), 'agreed')).toBe('full')
    expect(p.mr.stats()).toMatchObject({ sent: 256, sendRefused: 1 })
  })

  it('flow control: a message sent but not yet delivered here holds its place in the window', () => {
    const p = processor(1, [0], manualRuntime(), { sendWindow: 2 })
    const ring = p.rings.get(0)!
    const srp = { rep: 1, seq: 4n }
    install(ring, srp, [1])
    deliver(ring, 1, lastSent(ring), srp)
    const bytes = (s: string) => new TextEncoder().encode(s)
    expect(p.mr.send(bytes('a'), 'agreed')).toBe('queued')
    const a = lastSent(ring)
    expect(p.mr.send(bytes('b'), 'agreed')).toBe('queued')
    const b = lastSent(ring)
    // Both are on the srp ring, neither delivered: the window is full.
    expect(p.mr.send(bytes('c'), 'agreed')).toBe('full')
    deliver(ring, 1, a, srp)
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['a'])
    expect(p.mr.send(bytes('c'), 'agreed')).toBe('queued')
    expect(p.mr.send(bytes('d'), 'agreed')).toBe('full')
    deliver(ring, 1, b, srp)
    deliver(ring, 1, lastSent(ring), srp)
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['a', 'b', 'c'])
    expect(p.mr.stats()).toMatchObject({ sent: 3, sendRefused: 2, delivered: 3 })
  })

  it('counts undecodable deliveries as drops by code', () => {
    const p = processor(1, [0])
    const ring = p.rings.get(0)!
    deliver(ring, 2, new Uint8Array([1, 2, 3]), { rep: 1, seq: 4n })
    expect(p.mr.stats().rxDropped).toEqual({ ERR_MULTIRING_BAD_MESSAGE: 1 })
  })

  it('self-delivers a message on a ring of one', () => {
    const p = processor(1, [0])
    const ring = p.rings.get(0)!
    const srp = { rep: 1, seq: 4n }
    install(ring, srp, [1])
    deliver(ring, 1, lastSent(ring), srp)
    expect(p.mr.members).toEqual([1])
    expect(p.mr.send(new TextEncoder().encode('hi'), 'safe')).toBe('queued')
    deliver(ring, 1, lastSent(ring), srp, 'safe')
    expect(p.rec.delivered).toEqual([
      { sender: 1, payload: 'hi', ring: p.rec.delivered[0]?.ring, g: 'safe' },
    ])
    expect(p.mr.stats()).toMatchObject({ delivered: 1, topologyChanges: 1, ringsEstablished: 1 })
  })

  it('sends what takes a stamp (own messages, GVs) as ordered, and nothing else (0x71408)', () => {
    // srp's transitional window skips the messages behind a gap of the old ring's order except
    // its own members': stamped at delivery, such a message got other timestamps on its
    // sender's side than on the side that held the gap. srp originates an ordered message only
    // while its sender holds every message below the token's seq (docs/MULTIRING.md, session 12
    // helper-72).
    const rt = manualRuntime()
    const p = processor(1, [0, 1], rt)
    const srp = { rep: 1, seq: 4n }
    for (const lan of [0, 1]) {
      const ring = p.rings.get(lan)!
      install(ring, srp, [1])
      deliver(ring, 1, lastSent(ring), srp)
    }
    expect(p.mr.send(new TextEncoder().encode('hi'), 'agreed')).toBe('queued')
    rt.advance(500)
    const kinds = [0, 1].flatMap((lan) =>
      p.rings.get(lan)!.sent.map((s) => [decodeMrMessage(s.bytes).kind, s.ordered] as const),
    )
    expect(kinds).toContainEqual(['regular', true])
    expect(kinds).toContainEqual(['gv', true])
    expect(kinds).toContainEqual(['start', false])
    for (const [kind, ordered] of kinds) expect(ordered).toBe(kind === 'regular' || kind === 'gv')
  })
})
