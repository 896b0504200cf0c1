import { nodeId, type RingId } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import {
  type CcMessage,
  decodeMrMessage,
  type RegularMessage,
  type StartMessage,
  type TcMessage,
} from '../src/index.ts'
import { deliver, install, lastSent, processor, remoteCc, sentKinds } from './harness.ts'

const SRP0: RingId = { rep: 50, seq: 4n }
const A: RingId = { rep: 1, seq: 10n }
const B: RingId = { rep: 2, seq: 20n }
const C: RingId = { rep: 3, seq: 30n }
const enc = new TextEncoder()

/** A processor (100) on one LAN whose ring also holds gateway 50, established. */
function established() {
  const p = processor(100, [0])
  const ring = p.rings.get(0)!
  install(ring, SRP0, [50, 100])
  const mine = lastSent(ring) as StartMessage
  expect(mine.kind).toBe('start')
  const theirs: StartMessage = { ...mine, sender: nodeId(50), clock: 0, pred: undefined }
  deliver(ring, 50, theirs, SRP0)
  deliver(ring, 100, mine, SRP0)
  const r0 = p.mr.topology[0]!.ring
  return { ...p, ring, r0 }
}

/** The topology change gateway 50 sends after a remote ring's CC: what it reaches. */
const tc = (c: CcMessage, rings: readonly RingId[]): TcMessage => ({
  kind: 'tc',
  sender: nodeId(50),
  ccTs: c.ts,
  ccRing: c.ring,
  rings: rings.map((r, i) => ({
    ring: r,
    lan: i,
    members: i === 0 ? [nodeId(50), nodeId(100)] : [nodeId(r.rep), nodeId(50)],
  })),
})

let seq = 0
const reg = (ring: RingId, ts: number, g: 'agreed' | 'safe' = 'agreed'): RegularMessage => ({
  kind: 'regular',
  guarantee: g,
  stamped: true,
  ts,
  ring,
  sender: nodeId(ring.rep),
  nonce: 1,
  seq: ++seq,
  lanSeq: seq,
  payload: enc.encode(`${'ABC'[ring.rep - 1]}${ts}`),
})

/** Remote rings A, B, C behind gateway 50, and the own ring kept moving by 50's GVs. */
function withRemoteRings() {
  const p = established()
  const known = [p.r0]
  for (const [ring, ts] of [
    [A, 2],
    [B, 3],
    [C, 4],
  ] as const) {
    const c = remoteCc(ring, ts, known.length, [ring.rep, 50])
    known.push(ring)
    deliver(p.ring, 50, c, SRP0)
    deliver(p.ring, 50, tc(c, known), SRP0)
  }
  // A GV of gateway 50 on our own ring, stamped far ahead: our ring never holds anything back.
  deliver(
    p.ring,
    50,
    {
      kind: 'gv',
      stamped: false,
      ts: 1000,
      ring: { rep: 0, seq: 0n },
      sender: nodeId(50),
      entries: [],
    },
    SRP0,
    'safe',
  )
  return p
}

describe('agreed order across rings (TOCS §4.1.3, Fig. 7)', () => {
  it('delivers the lowest timestamp only while no ring that could send lower is empty', () => {
    const p = withRemoteRings()
    for (const ts of [7, 14, 15, 26, 29]) deliver(p.ring, 50, reg(A, ts), SRP0)
    for (const ts of [9, 10, 13, 15]) deliver(p.ring, 50, reg(B, ts), SRP0)
    for (const ts of [8, 10]) deliver(p.ring, 50, reg(C, ts), SRP0)
    // C is empty at 10: B13 waits, C might still send 12.
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A7', 'C8', 'B9', 'B10', 'C10'])
    // The CCs of A, B and C were delivered in timestamp order on the way.
    expect(p.mr.topology.map((r) => r.ring.rep).sort((a, b) => a - b)).toEqual([1, 2, 3, 50])
    // A guarantee vector from C stamped 14 says nothing below 14 will come from C.
    deliver(
      p.ring,
      50,
      { kind: 'gv', stamped: true, ts: 14, ring: C, sender: nodeId(3), entries: [] },
      SRP0,
    )
    expect(p.rec.delivered.map((d) => d.payload).slice(5)).toEqual(['B13', 'A14'])
    expect(p.mr.stats().delivered).toBe(7)
  })

  it('drops a copy that arrives through a second gateway', () => {
    const p = withRemoteRings()
    deliver(p.ring, 50, reg(A, 7), SRP0)
    const again = { ...reg(A, 7), seq: seq }
    deliver(p.ring, 51, again, SRP0)
    expect(p.mr.stats().duplicates).toBe(1)
  })

  it('delivers in the topology configuration and reports each ring change as one', () => {
    const p = withRemoteRings()
    deliver(p.ring, 50, reg(A, 7), SRP0)
    deliver(p.ring, 50, reg(B, 9), SRP0)
    deliver(p.ring, 50, reg(C, 8), SRP0)
    const regs = p.rec.confs.filter((c) => c.kind === 'regular')
    // One regular configuration per delivered CC: own ring, then A, B and C joining.
    expect(regs.map((c) => c.members.length)).toEqual([2, 3, 4, 5])
    expect(regs.at(-1)?.members).toEqual([1, 2, 3, 50, 100])
    const trans = p.rec.confs.filter((c) => c.kind === 'transitional')
    expect(trans.map((c) => c.members)).toEqual([
      [50, 100],
      [1, 50, 100],
      [1, 2, 50, 100],
    ])
    const last = regs.at(-1)!.ringId
    expect(p.rec.delivered[0]?.ring).toBe(`${last.rep}.${last.seq}`)
  })
})

describe('safe order across rings (TOCS §4.1.3.2, guarantee array example)', () => {
  it('delivers a safe message only once every ring guarantees it', () => {
    const p = withRemoteRings()
    for (const ts of [7, 14, 15, 26, 29]) deliver(p.ring, 50, reg(A, ts, 'safe'), SRP0, 'safe')
    for (const ts of [9, 10, 13, 15]) deliver(p.ring, 50, reg(B, ts, 'safe'), SRP0, 'safe')
    for (const ts of [8, 10]) deliver(p.ring, 50, reg(C, ts, 'safe'), SRP0, 'safe')
    expect(p.rec.delivered).toEqual([])
    const gv = (ring: RingId, ts: number, a: number, b: number, c: number) =>
      deliver(
        p.ring,
        50,
        {
          kind: 'gv',
          stamped: true,
          ts,
          ring,
          sender: nodeId(ring.rep),
          entries: [
            { ring: A, ts: a },
            { ring: B, ts: b },
            { ring: C, ts: c },
          ],
        },
        SRP0,
        'safe',
      )
    gv(A, 30, 29, 15, 10)
    gv(B, 16, 14, 15, 10)
    gv(C, 11, 7, 9, 10)
    // Rows A=(29,15,10), B=(14,15,10), C=(7,9,10): A7, C8, B9 are safe; B10 is not (C: 9).
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A7', 'C8', 'B9'])
    expect(p.rec.delivered.every((d) => d.g === 'safe')).toBe(true)
    gv(C, 12, 7, 10, 10)
    expect(p.rec.delivered.map((d) => d.payload).slice(3)).toEqual(['B10', 'C10'])
  })
})

describe('gateway forwarding (TOCS §4.1.3.3)', () => {
  function gateway() {
    const g = processor(50, [0, 1])
    for (const lan of [0, 1]) {
      const ring = g.rings.get(lan)!
      const srp = { rep: 50, seq: 4n }
      install(ring, srp, [50])
      deliver(ring, 50, lastSent(ring), srp)
    }
    // srp delivers its own NTs back (each CC installs once they are in).
    const echoed = new Set<Uint8Array>()
    for (let round = 0; round < 3; round++)
      for (const lan of [0, 1]) {
        const ring = g.rings.get(lan)!
        for (const s of ring.sent.slice()) {
          if (echoed.has(s.bytes) || decodeMrMessage(s.bytes).kind !== 'nt') continue
          echoed.add(s.bytes)
          deliver(ring, 50, s.bytes, { rep: 50, seq: 4n })
        }
      }
    return g
  }

  it('forwards a message once onto every other ring, never back, and no copy twice', () => {
    const g = gateway()
    const r0 = g.rings.get(0)!
    const r1 = g.rings.get(1)!
    const origin = g.mr.topology.find((r) => r.lan === 0)!.ring
    const before0 = r0.sent.length
    const forwarded = g.mr.stats().forwarded
    deliver(
      r0,
      7,
      {
        kind: 'regular',
        guarantee: 'agreed',
        stamped: false,
        ts: 5,
        ring: { rep: 0, seq: 0n },
        sender: nodeId(7),
        nonce: 9,
        seq: 1,
        lanSeq: 1,
        payload: enc.encode('x'),
      },
      { rep: 50, seq: 4n },
    )
    // (Our NT for the ring R0 moved past may follow it: NTs queue behind what we forwarded.)
    const fwd = r1.sent
      .map((s) => decodeMrMessage(s.bytes))
      .filter((m) => m.kind === 'regular')
      .at(-1) as RegularMessage
    expect(fwd?.kind).toBe('regular')
    expect(fwd.stamped).toBe(true)
    expect(fwd.ring).toEqual(origin)
    expect(r0.sent.slice(before0).map((s) => s.bytes[0])).not.toContain(1)
    const n1 = r1.sent.length
    // The same message comes back over LAN 1 (another gateway's copy): dropped, not forwarded.
    deliver(r1, 51, fwd, { rep: 50, seq: 4n })
    expect(r1.sent.length).toBe(n1)
    expect(sentKinds(r0).filter((k) => k === 'regular')).toEqual([])
    expect(g.mr.stats().forwarded - forwarded).toBe(1)
    expect(g.mr.stats().duplicates).toBe(1)
  })
})
