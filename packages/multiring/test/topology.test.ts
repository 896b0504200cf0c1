/**
 * Merging topologies (reference §6.4, docs/MULTIRING.md "NT exchange and TC messages"): gateway
 * members of a new ring send NTs at its CC, the others wait for them; remote processors wait for
 * the TC; rule 7 drops what a member new to us brings from before our ring.
 */
import { nodeId, type RingId } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import {
  type CcMessage,
  decodeMrMessage,
  type GvMessage,
  type MrMessage,
  type MultiringOptions,
  NO_PRED,
  type NtMessage,
  type RegularMessage,
  ringKey,
  type StartMessage,
  type TcMessage,
  type ViewRing,
} from '../src/index.ts'
import { deliver, type FakeRing, HARNESS_NONCE, install, processor, remoteCc } from './harness.ts'

const SRP0: RingId = { rep: 50, seq: 4n }
const SRP1: RingId = { rep: 50, seq: 5n }
const A: RingId = { rep: 1, seq: 10n }
const B: RingId = { rep: 2, seq: 20n }
const enc = new TextEncoder()
const NEW_PATH = 'ERR_MULTIRING_NEW_PATH'

const sentOf = <K extends MrMessage['kind']>(ring: FakeRing, kind: K) =>
  ring.sent
    .map((s) => decodeMrMessage(s.bytes))
    .filter((m): m is Extract<MrMessage, { kind: K }> => m.kind === kind)
const keys = (rings: readonly ViewRing[]) => rings.map((r) => ringKey(r.ring)).sort()
const regulars = (p: ReturnType<typeof processor>) =>
  p.rec.confs.filter((c) => c.kind === 'regular').map((c) => [...c.members])
const view = (ring: RingId, lan: number, members: number[]): ViewRing => ({
  ring,
  lan,
  members: members.map((n) => nodeId(n)),
})

const echoed = new WeakMap<FakeRing, number>()
/** srp delivers back to `me` the NTs it sent on `ring` since the last echo (as srp would). */
function echo(ring: FakeRing, me: number, srp: RingId): void {
  const from = echoed.get(ring) ?? 0
  echoed.set(ring, ring.sent.length)
  for (const s of ring.sent.slice(from)) {
    const m = decodeMrMessage(s.bytes)
    if (m.kind === 'nt') deliver(ring, me, m, srp)
  }
}

/** srp installs `members` on `ring`; every start is delivered (others copy ours, with `over`). */
function form(
  ring: FakeRing,
  srp: RingId,
  me: number,
  members: number[],
  over: Record<number, Partial<StartMessage>> = {},
): StartMessage {
  install(ring, srp, members)
  const mine = sentOf(ring, 'start').at(-1) as StartMessage
  expect(mine.kind).toBe('start')
  for (const n of members) {
    if (n === me) continue
    deliver(ring, n, { ...mine, sender: nodeId(n), gateway: false, ...over[n] }, srp)
  }
  deliver(ring, me, mine, srp)
  return mine
}

/** An unstamped GV from `sender`: stamped on the ring at `ts`, it moves that ring past `ts`. */
const gv = (sender: number, ts: number): GvMessage => ({
  kind: 'gv',
  stamped: false,
  ts,
  ring: { rep: 0, seq: 0n },
  sender: nodeId(sender),
  entries: [],
})

let seq = 0
const reg = (ring: RingId, ts: number): RegularMessage => ({
  kind: 'regular',
  guarantee: 'agreed',
  stamped: true,
  ts,
  ring,
  sender: nodeId(ring.rep),
  nonce: 1,
  seq: ++seq,
  lanSeq: seq,
  payload: enc.encode(`${'AB'[ring.rep - 1]}${ts}`),
})

const nt = (sender: number, ccTs: number, ccRing: RingId, rings: ViewRing[]): NtMessage => ({
  kind: 'nt',
  sender: nodeId(sender),
  ccTs,
  ccRing,
  rings,
  ended: [],
})

describe('NT exchange at a ring CC (reference §6.4)', () => {
  it('a gateway sends an NT of what it reaches when the CC is lowest, then a TC of the result', () => {
    const g = processor(50, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    // LAN 1: ring R1 with node 3.
    const r1 = form(lan1, { rep: 3, seq: 8n }, 50, [3, 50]).forRing
    expect(keys(g.mr.topology)).toEqual([ringKey(r1)])
    // LAN 0: R0a (50 alone), then R0b with 100; R0a is R0b's predecessor.
    const r0a = form(lan0, SRP0, 50, [50]).forRing
    deliver(lan1, 3, gv(3, 10), { rep: 3, seq: 8n }) // R1 moves past R0a's CC
    expect(keys(g.mr.topology)).toEqual([ringKey(r0a), ringKey(r1)].sort())
    const nts0 = sentOf(lan0, 'nt').length
    const start = form(lan0, SRP1, 50, [50, 100])
    const r0b = start.forRing
    expect(start.gateway).toBe(true)
    expect(start.pred?.ring).toEqual(r0a)
    // R1 could still send below R0b's CC: no NT yet, no topology change.
    expect(sentOf(lan0, 'nt').length).toBe(nts0)
    expect(g.mr.topology.length).toBe(2)
    deliver(lan1, 3, gv(3, 20), { rep: 3, seq: 8n })
    const mine = sentOf(lan0, 'nt').at(-1)!
    expect(sentOf(lan0, 'nt').length).toBe(nts0 + 1)
    expect(ringKey(mine.ccRing)).toBe(ringKey(r0b))
    // Its topology minus the new ring and its predecessor R0a: what it reaches beyond LAN 0.
    expect(keys(mine.rings)).toEqual([ringKey(r1)])
    // Its own NT is the only one R0b's CC waits for: installed, and sent on LAN 1 as a TC.
    expect(keys(g.mr.topology)).toEqual([ringKey(r0b), ringKey(r1)].sort())
    expect(regulars(g).at(-1)).toEqual([3, 50, 100])
    const tc = sentOf(lan1, 'tc').at(-1) as TcMessage
    expect(tc.kind).toBe('tc')
    expect(ringKey(tc.ccRing)).toBe(ringKey(r0b))
    expect(keys(tc.rings)).toEqual([ringKey(r0b), ringKey(r1)].sort())
    // Never back on the CC's own LAN (only R1's TC went there).
    expect(sentOf(lan0, 'tc').map((t) => ringKey(t.ccRing))).toEqual([ringKey(r1)])
    expect(g.mr.stats().ntTx).toBe(3)
  })

  it('a gateway sends no NT while another of its LANs has no ring in its topology yet', () => {
    const g = processor(50, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    // LAN 0's first start round is on (srp formed, our start not back yet) when LAN 1's ring
    // is established; then srp on LAN 0 changes again and a new round begins above R1's CC. An
    // NT now would say nothing of LAN 0, and 3 would order past the CC LAN 0's ring is about to
    // get (the demo:multiring start-up stall).
    install(lan0, SRP0, [50])
    const r1 = form(lan1, { rep: 3, seq: 8n }, 50, [3, 50]).forRing
    install(lan0, SRP1, [50, 100])
    const start0 = sentOf(lan0, 'start').at(-1) as StartMessage
    expect(start0.clock).toBeGreaterThanOrEqual(1)
    expect(sentOf(lan1, 'nt')).toEqual([])
    expect(g.mr.topology).toEqual([])
    // LAN 0's ring is established: its CC goes onto LAN 1 before our NT for R1, so 3 holds it
    // before it can order anything of R1's; both CCs are then delivered in key order.
    deliver(lan0, 100, { ...start0, sender: nodeId(100), gateway: false }, SRP1)
    deliver(lan0, 50, start0, SRP1)
    const r0 = start0.forRing
    const onLan1 = lan1.sent.map((s) => decodeMrMessage(s.bytes))
    const ccAt = onLan1.findIndex((m) => m.kind === 'cc' && ringKey(m.ring) === ringKey(r0))
    const ntAt = onLan1.findIndex((m) => m.kind === 'nt' && ringKey(m.ccRing) === ringKey(r1))
    expect(ccAt).toBeGreaterThanOrEqual(0)
    expect(ntAt).toBeGreaterThan(ccAt)
    deliver(lan1, 3, gv(3, 20), { rep: 3, seq: 8n }) // R1 moves past R0's CC
    expect(keys(g.mr.topology)).toEqual([ringKey(r0), ringKey(r1)].sort())
  })

  it("a member waits for every gateway's NT, then installs the new ring and their union", () => {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    const gw = { gateway: true }
    const start = form(ring, SRP0, 100, [50, 51, 100], { 50: gw, 51: gw })
    const r0 = start.forRing
    expect(p.rec.confs).toEqual([])
    deliver(ring, 50, nt(50, 1, r0, [view(A, 1, [1, 50]), view(r0, 0, [50])]), SRP0)
    expect(p.rec.confs).toEqual([]) // 51's NT is still missing
    deliver(ring, 51, nt(51, 1, r0, [view(B, 2, [2, 51])]), SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(B), ringKey(r0)].sort())
    expect(p.mr.topology.find((r) => ringKey(r.ring) === ringKey(r0))?.members).toEqual([
      50, 51, 100,
    ])
    expect(regulars(p)).toEqual([[1, 2, 50, 51, 100]])
  })
})

describe('a gateway that cannot send its NT (nor its proposal) is not waited for', () => {
  /** 100 with gateway 50 on LAN 0: R0's CC waits for 50's NT. */
  function waiting() {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    const r0 = form(ring, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
    expect(p.rec.confs).toEqual([])
    expect(p.mr.topology).toEqual([])
    return { ...p, ring, r0 }
  }

  it('it left the LAN ring: the CC is given up, and the next ring installs alone', () => {
    const p = waiting()
    form(p.ring, SRP1, 100, [100])
    // 50 may have installed R0 on its side, or not: no member installs it here.
    expect(regulars(p)).toEqual([[100]])
    expect(p.mr.stats().ccsAbandoned).toBe(1)
  })

  it('it came back as a new incarnation (another nonce), but not as the same one', () => {
    const p = waiting()
    form(p.ring, SRP1, 100, [50, 100], { 50: { gateway: true, nonce: 7 } })
    // R0 is given up (its 50 is gone); the new ring's CC waits for the new 50's NT.
    expect(p.mr.stats().ccsAbandoned).toBe(1)
    expect(regulars(p)).toEqual([])
    expect(p.mr.topology).toEqual([])
    const same = waiting()
    form(same.ring, SRP1, 100, [50, 100], { 50: { gateway: true } })
    expect(same.rec.confs).toEqual([])
  })
})

/** 100 on LAN 0 with gateway 50: R0 installed with 50's NT, its CC at ts 1. */
function established(options: MultiringOptions = {}) {
  const p = processor(100, [0], undefined, options)
  const ring = p.rings.get(0)!
  // 50 is the gateway that brings remote CCs and their TCs (its NT: nothing beyond LAN 0 yet).
  const r0 = form(ring, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
  deliver(ring, 50, nt(50, 1, r0, []), SRP0)
  expect(regulars(p)).toEqual([[50, 100]])
  return { ...p, ring, r0 }
}

describe('remote CCs wait for their TC', () => {
  it('installs the TC topology, then delivers the held messages of rings it brings', () => {
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe') // R0 cannot send below 1000
    deliver(p.ring, 50, reg(B, 5), SRP0) // B is not known yet: pending
    deliver(p.ring, 50, { ...gv(1, 10), stamped: true, ring: A }, SRP0, 'safe')
    expect(regulars(p)).toEqual([[50, 100]])
    expect(keys(p.mr.topology)).toEqual([ringKey(p.r0)])
    expect(p.rec.delivered).toEqual([])
    const tc: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 50]), view(B, 2, [1, 2])],
    }
    deliver(p.ring, 50, tc, SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(B), ringKey(p.r0)].sort())
    expect(regulars(p).at(-1)).toEqual([1, 2, 50, 100])
    const id = p.mr.topologyId!
    expect(p.rec.delivered).toEqual([
      { sender: 2, payload: 'B5', ring: `${id.rep}.${id.seq}`, g: 'agreed' },
    ])
  })

  it('keeps one copy of each message of a ring it does not know yet (0x96700)', () => {
    // Room for two: each gateway of the LAN forwards the same message, and a copy kept again
    // pushed out the oldest, a loss that gave our ring's CC up here after we had proposed for it.
    const p = established({ joinBufferMax: 2 })
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    deliver(p.ring, 50, reg(B, 5), SRP0) // B is not known yet: pending
    deliver(p.ring, 50, reg(B, 5), SRP0) // another gateway's copy: not kept again
    deliver(p.ring, 50, reg(B, 6), SRP0)
    // biome-ignore lint/suspicious/noExplicitAny: internal debug state
    expect((p.mr as any).debugState().pending).toBe(2)
    expect(p.mr.stats().lostForSpace).toBe(0)
    expect(p.mr.stats().rxDropped.ERR_MULTIRING_BUFFER_FULL).toBeUndefined()
    deliver(p.ring, 50, { ...gv(1, 10), stamped: true, ring: A }, SRP0, 'safe')
    const tc: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 50]), view(B, 2, [1, 2])],
    }
    deliver(p.ring, 50, tc, SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(B), ringKey(p.r0)].sort())
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['B5', 'B6'])
    expect(p.rec.confs.every((c) => c.members.length > 1)).toBe(true)
  })

  it('is given up when its topology lists us only on a ring of our LAN older than our incarnation (0x8f609)', () => {
    const p = established()
    // A ring of LAN 0 from srp ring seq 2, below our first srp ring there (SRP0, seq 4): srp
    // ring seqs rise for a processor across restarts, so the 100 it lists is a former self.
    const old: RingId = { rep: 7, seq: 2n * 1024n * 65_536n }
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    const tc: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(A, 1, [1, 50]), view(old, 0, [7, 100])],
    }
    deliver(p.ring, 50, tc, SRP0)
    // Counted as ours, that ring put us in a topology without any ring we are on, whose
    // members (the others judge us by the start we send next) never count us as one of them.
    expect(p.mr.stats().ccsAbandoned).toBe(1)
    expect(keys(p.mr.topology)).toEqual([ringKey(p.r0)])
    expect(regulars(p)).toEqual([[50, 100]])
  })
})

describe('a remote CC whose TC can no longer reach us', () => {
  it('is given up when every gateway mate that could bring it joined us after it', () => {
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    expect(p.mr.stats().ccsAbandoned).toBe(0)
    // 50 leaves unseen and comes back from a ring of its own: what it puts on our new ring below
    // that ring's CC (the TC for A's CC among it) is dropped, and no one else can bring it.
    form(p.ring, SRP1, 100, [50, 100], {
      50: { gateway: true, pred: { ring: { rep: 50, seq: 77n }, ts: 900 }, clock: 1000 },
    })
    expect(p.mr.stats().ccsAbandoned).toBe(1)
  })
})

describe('a remote CC whose only gateway restarted', () => {
  it('is given up although a far successor ring holds the gateway again, as its new incarnation', () => {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    withGateways(p, ring, SRP0, [], [])
    // 60 restarts (another nonce) and is back on our LAN.
    const r1 = withGateways(p, ring, SRP1, [], [], { 50: {}, 60: { nonce: 7 } })
    expect(keys(p.mr.topology)).toEqual([ringKey(r1)])
    // 50 (with us since before both) brings the CC of C on LAN 1, which 60's new self formed as
    // the successor of A, then the CC of A, which names 60's former self as its only gateway.
    const C: RingId = { rep: 1, seq: 11n }
    deliver(
      ring,
      50,
      {
        ...remoteCc(C, 60, 1, [1, 60]),
        preds: [{ ring: A, ts: 55 }],
        gateways: [nodeId(60)],
        gatewayNonces: [7],
      },
      SRP1,
    )
    deliver(ring, 50, { ...remoteCc(A, 50, 1, [1, 60]), gateways: [nodeId(60)] }, SRP1)
    deliver(ring, 50, gv(50, 1000), SRP1, 'safe')
    // No one can send A's TC: 60 on C is not the incarnation A's CC names.
    expect(p.mr.stats().ccsAbandoned).toBe(1)
    expect(blockedOf(p)).toContain(`${ringKey(C)}: remote CC`)
  })
})

describe("a remote CC's TC that no gateway mate can bring any more", () => {
  it('is given up by a gateway whose other mates are only beside it, with a TC naming no ring', () => {
    const g = processor(100, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const S1: RingId = { rep: 50, seq: 6n }
    // LAN 1: R1 {50, 60, 100}; LAN 0: R0 {60, 100}. 60 is a gateway on the same two LANs as we
    // are; 50 alone links us to LAN 2.
    const r1 = withGateways(g, lan1, S1, [], [])
    expect(keys(g.mr.topology)).toEqual([ringKey(r1)])
    const r0 = form(lan0, SRP0, 100, [60, 100], { 60: { gateway: true } }).forRing
    deliver(lan0, 60, nt(60, 2, r0, []), SRP0)
    deliver(lan1, 50, gv(50, 10), S1)
    expect(keys(g.mr.topology)).toEqual([ringKey(r0), ringKey(r1)].sort())
    // A's CC (LAN 2, gateway 50) comes; R1 moves past it, R0 not yet.
    deliver(lan1, 50, remoteCc(A, 20, 2, [1, 50]), S1)
    deliver(lan1, 50, gv(50, 1000), S1, 'safe')
    // 50 leaves unseen and comes back from a ring of its own: what it puts on LAN 1 below that
    // ring's CC is dropped; then LAN 1 moves on to a next ring, 50 with it (A is reached through
    // 50 again, but only by a path that joined us after A's CC).
    form(lan1, { rep: 50, seq: 7n }, 100, [50, 60, 100], {
      50: { gateway: true, pred: { ring: { rep: 50, seq: 77n }, ts: 900 }, clock: 1000 },
      60: { gateway: true },
    })
    form(lan1, { rep: 50, seq: 8n }, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true },
    })
    expect(g.mr.stats().ccsAbandoned).toBe(0)
    // R0 moves past A's CC. 60 has been with us since before it on both LANs, but what it
    // could bring it would get on those same rings: no one can bring A's TC any more.
    deliver(lan0, 60, gv(60, 1000), SRP0, 'safe')
    expect(g.mr.stats().ccsAbandoned).toBe(1)
    // Our ordinary mates cannot see that: we tell them with a TC that brings no ring.
    for (const lan of [lan0, lan1]) {
      const tc = sentOf(lan, 'tc').find((t) => ringKey(t.ccRing) === ringKey(A))
      expect(tc?.rings).toEqual([])
    }
  })

  it('counts a gateway mate that came alone to our ring on the other LAN as beside us (0x9c200)', () => {
    const g = processor(100, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const S1: RingId = { rep: 50, seq: 6n }
    // LAN 1: R1 {50, 60, 100}; LAN 0: R0 {60, 100}, as above.
    const r1 = withGateways(g, lan1, S1, [], [])
    const r0 = form(lan0, SRP0, 100, [60, 100], { 60: { gateway: true } }).forRing
    deliver(lan0, 60, nt(60, 2, r0, []), SRP0)
    deliver(lan1, 50, gv(50, 10), S1)
    expect(keys(g.mr.topology)).toEqual([ringKey(r0), ringKey(r1)].sort())
    // A's CC (LAN 2, gateways 50 and 70: 70 never shares a LAN with us) and its successor's
    // CC, which ends A: its TC is on its way while a gateway mate could still bring it.
    const gw70 = { gateways: [nodeId(50), nodeId(70)], gatewayNonces: [HARNESS_NONCE, 7] }
    deliver(lan1, 50, { ...remoteCc(A, 20, 2, [1, 50, 70]), ...gw70 }, S1)
    deliver(
      lan1,
      50,
      { ...remoteCc(B, 30, 2, [1, 50, 70]), ...gw70, preds: [{ ring: A, ts: 25 }] },
      S1,
    )
    deliver(lan1, 50, gv(50, 1000), S1, 'safe')
    // LAN 1 splits and heals: 50 and 60 each come back from a ring of its own. 60 is with us
    // on LAN 0 since before A's CC, but on LAN 1 no mate is with it since before the new CC:
    // it drops what is put there below that CC (rule 7), A's TC too, and brings us nothing.
    form(lan1, { rep: 50, seq: 7n }, 100, [50, 60, 100], {
      50: { gateway: true, pred: { ring: { rep: 50, seq: 77n }, ts: 900 }, clock: 1000 },
      60: { gateway: true, pred: { ring: { rep: 60, seq: 78n }, ts: 900 }, clock: 1000 },
    })
    expect(g.mr.stats().ccsAbandoned).toBe(0)
    // R0 moves past A's CC: 60 was the last mate that could bring its TC, and cannot. A's CC is
    // given up (then B's: its ring was never reached here) instead of waiting for ever.
    deliver(lan0, 60, gv(60, 1000), SRP0, 'safe')
    expect(blockedOf(g)).not.toContain(ringKey(A))
    expect(g.mr.stats().ccsAbandoned).toBe(2)
    for (const lan of [lan0, lan1]) {
      const tc = sentOf(lan, 'tc').find((t) => ringKey(t.ccRing) === ringKey(A))
      expect(tc?.rings).toEqual([])
    }
  })

  it('is given up by an ordinary member when its gateway sends a TC naming no ring', () => {
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    expect(p.mr.stats().ccsAbandoned).toBe(0)
    deliver(p.ring, 50, { kind: 'tc', sender: nodeId(50), ccTs: 2, ccRing: A, rings: [] }, SRP0)
    expect(p.mr.stats().ccsAbandoned).toBe(1)
    expect(keys(p.mr.topology)).toEqual([ringKey(p.r0)])
  })

  it("delivers none of the given-up ring's messages, held or late", () => {
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    // A's messages after its CC: a member that got the CC by a mate new to it, which left
    // before the CC's key was delivered, never has them (0x2713d).
    deliver(p.ring, 50, reg(A, 3), SRP0)
    deliver(p.ring, 50, reg(A, 4), SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    deliver(p.ring, 50, { kind: 'tc', sender: nodeId(50), ccTs: 2, ccRing: A, rings: [] }, SRP0)
    expect(p.mr.stats().ccsAbandoned).toBe(1)
    deliver(p.ring, 50, reg(A, 5), SRP0)
    expect(p.rec.delivered).toEqual([])
    // What it holds and what comes later waits in the pending buffer, for a topology that brings
    // it back (ordered from that CC on); none is delivered meanwhile.
    // biome-ignore lint/suspicious/noExplicitAny: internal debug state
    expect((p.mr as any).debugState().pending).toBe(3)
  })
})

describe('a remote ring whose CC is given up and a later topology brings back', () => {
  it('keeps its last GV with its messages: the ring moves to where its successor ends it', () => {
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    // A's last stamp is a GV (20), forwarded while A's CC still waits for its TC (0x6419c).
    deliver(p.ring, 50, { ...gv(1, 20), stamped: true, ring: A }, SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    deliver(p.ring, 50, { kind: 'tc', sender: nodeId(50), ccTs: 2, ccRing: A, rings: [] }, SRP0)
    expect(p.mr.stats().ccsAbandoned).toBe(1)
    // B's CC brings A back, ordered from that CC (10) on; each gateway forwards A's GV once.
    deliver(p.ring, 50, remoteCc(B, 10, 2, [2, 50]), SRP0)
    const tc: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 10,
      ccRing: B,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 50]), view(B, 2, [2, 50])],
    }
    deliver(p.ring, 50, tc, SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(B), ringKey(p.r0)].sort())
    // A's successor's CC ends A at 20: A is over, B's message after it is delivered.
    const C: RingId = { rep: 1, seq: 30n }
    deliver(p.ring, 50, { ...remoteCc(C, 30, 1, [1, 50]), preds: [{ ring: A, ts: 20 }] }, SRP0)
    deliver(p.ring, 50, reg(B, 25), SRP0)
    expect(blockedOf(p)).not.toContain(`empty list of ${ringKey(A)}`)
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['B25'])
  })
})

describe('rule 7: new paths bring nothing older than themselves', () => {
  it('drops a message below the new ring CC from a new member, takes it from an old one', () => {
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    deliver(p.ring, 50, gv(50, 3), SRP0, 'safe')
    const tc: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 50])],
    }
    deliver(p.ring, 50, tc, SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(p.r0)].sort())
    // A new ring on LAN 0 with 60, who was not on R0 with us: its CC is at ts 4.
    const start = form(p.ring, SRP1, 100, [50, 60, 100], { 60: { pred: undefined } })
    expect(start.clock).toBe(3)
    const a3 = reg(A, 3)
    deliver(p.ring, 60, a3, SRP1)
    expect(p.mr.stats().rxDropped[NEW_PATH]).toBe(1)
    expect(p.rec.delivered).toEqual([])
    deliver(p.ring, 50, a3, SRP1)
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A3'])
    expect(p.mr.stats().rxDropped[NEW_PATH]).toBe(1)
  })

  it("takes what it holds from a new member first when an old path's copy above it comes", () => {
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    deliver(p.ring, 50, gv(50, 3), SRP0, 'safe')
    const tc: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 50])],
    }
    deliver(p.ring, 50, tc, SRP0)
    // R1 with 60, a gateway new to us: its CC (ts 4) waits for 60's NT, and what 60 forwards
    // above it is held until then.
    const r1 = form(p.ring, SRP1, 100, [50, 60, 100], {
      60: { gateway: true, pred: undefined },
    }).forRing
    const ccTs = p.mr.clock
    deliver(p.ring, 60, reg(A, 5), SRP1)
    deliver(p.ring, 60, reg(A, 6), SRP1)
    // 50 took 60's copies of A5 and A6 at once (it has delivered R1's CC) and forwards only A7,
    // which it got first by its other LAN: in srp's order it comes after them. Taken at once
    // while A5 and A6 stayed held, A7 made them duplicates at release (0x7160d).
    deliver(p.ring, 50, reg(A, 7), SRP1)
    deliver(p.ring, 60, nt(60, ccTs, r1, [view(A, 1, [1, 50, 60])]), SRP1)
    deliver(p.ring, 50, gv(50, 1000), SRP1, 'safe')
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A5', 'A6', 'A7'])
  })

  it('hands on what it held in key order, whatever gateway it held each copy from', () => {
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    deliver(p.ring, 50, gv(50, 3), SRP0, 'safe')
    const tc: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 50])],
    }
    deliver(p.ring, 50, tc, SRP0)
    // R1 with 60 and 70, gateways new to us: its CC waits for their NTs, and what they forward
    // above it is held until then, one copy per key.
    const r1 = form(p.ring, SRP1, 100, [50, 60, 70, 100], {
      60: { gateway: true, pred: undefined },
      70: { gateway: true, pred: undefined },
    }).forRing
    const ccTs = p.mr.clock
    // 60 got A7 back from LAN 0 (70's copy) first and forwarded only A6 and A8; 70 forwarded
    // all three, and only its A7 is kept. Released in arrival order, A8 made A7 a duplicate
    // for ever (0x97001: a far ring's copies from two new gateways, with the old path's copies
    // in the pending buffer behind them).
    deliver(p.ring, 60, reg(A, 6), SRP1)
    deliver(p.ring, 60, reg(A, 8), SRP1)
    deliver(p.ring, 70, reg(A, 6), SRP1)
    deliver(p.ring, 70, reg(A, 7), SRP1)
    deliver(p.ring, 70, reg(A, 8), SRP1)
    // 50, with us since before R1, brings A's GV at 5 (below them: nothing held is taken), so
    // A no longer blocks below R1's CC.
    deliver(p.ring, 50, { ...gv(1, 5), stamped: true, ring: A }, SRP1, 'safe')
    deliver(p.ring, 60, nt(60, ccTs, r1, [view(A, 1, [1, 50, 60, 70])]), SRP1)
    deliver(p.ring, 70, nt(70, ccTs, r1, [view(A, 1, [1, 50, 60, 70])]), SRP1)
    deliver(p.ring, 50, gv(50, 1000), SRP1, 'safe')
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A6', 'A7', 'A8'])
  })
})

describe('a held message dropped for lack of space (0x75905)', () => {
  /** 100 with gateway 50 (ring A in the topology), then R1 with 60, a gateway new to us. */
  const heldBehindR1 = (options: MultiringOptions) => {
    const p = established(options)
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    deliver(p.ring, 50, gv(50, 3), SRP0, 'safe')
    const tc: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 50])],
    }
    deliver(p.ring, 50, tc, SRP0)
    const r1 = form(p.ring, SRP1, 100, [50, 60, 100], {
      60: { gateway: true, pred: undefined },
    }).forRing
    const ccTs = p.mr.clock
    // 60 forwards A5 and A6 above R1's CC, which waits for 60's NT: held (rule 7).
    deliver(p.ring, 60, reg(A, 5), SRP1)
    deliver(p.ring, 60, reg(A, 6), SRP1)
    return { ...p, r1, ccTs }
  }
  const decisionsOf = (p: ReturnType<typeof heldBehindR1>) =>
    sentOf(p.ring, 'ack')
      .filter((a) => !a.proposed && ringKey(a.ccRing) === ringKey(p.r1))
      .map((a) => a.rep)

  it('holds both with room, installs R1 and delivers them', () => {
    const p = heldBehindR1({})
    expect(p.mr.stats().lostForSpace).toBe(0)
    // 50 (with us since before R1) brings A's GV at 10: what is held of A below it is taken.
    deliver(p.ring, 50, { ...gv(1, 10), stamped: true, ring: A }, SRP1, 'safe')
    deliver(p.ring, 60, nt(60, p.ccTs, p.r1, [view(A, 1, [1, 50, 60])]), SRP1)
    deliver(p.ring, 50, gv(50, 1000), SRP1, 'safe')
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A5', 'A6'])
    expect(decisionsOf(p)).toHaveLength(1)
    expect(decisionsOf(p)[0]).not.toBe(0)
    expect(regulars(p).at(-1)).toEqual([1, 50, 60, 100])
  })

  it('counts no longer as holding it: the CC it waited for is given up, and 100 leaves alone', () => {
    const p = heldBehindR1({ joinBufferMax: 1 })
    // A6 did not fit. srp delivered it, so 50 and 60 would count 100 as holding it: 100 gives
    // R1's CC up (it had not proposed yet: it proposes 0) and delivers on in a configuration of
    // its own.
    expect(p.mr.stats().rxDropped.ERR_MULTIRING_BUFFER_FULL).toBe(1)
    expect(p.mr.stats().lostForSpace).toBe(1)
    expect(proposalOf(p.ring, p.r1).rep).toBe(0)
    expect(p.rec.confs.at(-1)?.kind).toBe('transitional')
    expect(p.rec.confs.at(-1)?.members).toEqual([100])
    // The mates proposed what 100 did (the harness): the CC is given up alike, and the LAN
    // starts its round again on the same srp ring.
    const again = sentOf(p.ring, 'start').at(-1) as StartMessage
    expect(ringKey(again.forRing)).not.toBe(ringKey(p.r1))
    deliver(p.ring, 50, { ...again, sender: nodeId(50), gateway: false }, SRP1)
    deliver(p.ring, 60, { ...again, sender: nodeId(60), gateway: true, pred: undefined }, SRP1)
    deliver(p.ring, 100, again, SRP1)
    deliver(p.ring, 50, { ...gv(1, 10), stamped: true, ring: A }, SRP1, 'safe')
    deliver(p.ring, 60, nt(60, p.mr.clock, again.forRing, [view(A, 1, [1, 50, 60])]), SRP1)
    deliver(p.ring, 50, gv(50, 1000), SRP1, 'safe')
    // Its decision at R1's CC is 0, so no mate and no GV counts it for anything above it; it
    // never installed the topology the others count it in for A6.
    expect(decisionsOf(p)).toEqual([0])
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A5'])
    expect(regulars(p)).not.toContainEqual([1, 50, 60, 100])
  })
})

/** 100 on LAN 0 with gateway 50, whose NT brings ring A (LAN 1, with 1) into the topology. */
function throughGateway50() {
  const p = processor(100, [0])
  const ring = p.rings.get(0)!
  const r0 = form(ring, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
  deliver(ring, 50, nt(50, 1, r0, [view(A, 1, [1, 50])]), SRP0)
  expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(r0)].sort())
  return { p, ring, r0 }
}

/**
 * srp installs {50, 60, 100} on `ring`, 50 and 60 gateways (`over` changes their starts), and
 * each sends its NT for the new ring's CC, listing `r50` and `r60`. Returns the new ring.
 */
function withGateways(
  p: ReturnType<typeof processor>,
  ring: FakeRing,
  srp: RingId,
  r50: ViewRing[],
  r60: ViewRing[],
  over: Record<50 | 60, Partial<StartMessage>> = { 50: {}, 60: {} },
): RingId {
  const r = form(ring, srp, 100, [50, 60, 100], {
    50: { gateway: true, ...over[50] },
    60: { gateway: true, ...over[60] },
  }).forRing
  deliver(ring, 50, nt(50, p.mr.clock, r, r50), srp)
  deliver(ring, 60, nt(60, p.mr.clock, r, r60), srp)
  return r
}

/** The proposal the processor sent on `ring` for the CC of `r`. */
const proposalOf = (ring: FakeRing, r: RingId) => {
  const a = sentOf(ring, 'ack').find((m) => m.proposed && ringKey(m.ccRing) === ringKey(r))
  if (a === undefined) throw new Error(`no proposal for ${ringKey(r)}`)
  return a
}

/** Why the processor's delivery stops (its internal debug state). */
// biome-ignore lint/suspicious/noExplicitAny: internal debug state
const blockedOf = (p: ReturnType<typeof processor>): string => (p.mr as any).debugState().blocked

/** Is ring `r` cut off at the processor (its internal debug state)? */
const closedOf = (p: ReturnType<typeof processor>, r: RingId): boolean =>
  // biome-ignore lint/suspicious/noExplicitAny: internal debug state
  (p.mr as any).debugState().table.find((e: { k: string }) => e.k === ringKey(r))?.closed

describe('a remote CC whose gateways are all gone', () => {
  /**
   * Gateway 100 on LAN 0 {50, 100} and LAN 1 {60, 100}; 60 (with us since before) brings the CC
   * of A (LAN 2, gateway 50), then the CC of A's successor, which 50 is not on. Both rings move
   * past A's CC, which waits for its TC (50 may still send it on LAN 0, 60 bring it on LAN 1).
   */
  function waitingForA() {
    const g = processor(100, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const S1: RingId = { rep: 60, seq: 6n }
    const r1 = form(lan1, S1, 100, [60, 100], { 60: { gateway: true } }).forRing
    deliver(lan1, 60, nt(60, g.mr.clock, r1, []), S1)
    const r0 = form(lan0, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
    deliver(lan0, 50, nt(50, g.mr.clock, r0, []), SRP0)
    deliver(lan1, 60, gv(60, 10), S1)
    expect(keys(g.mr.topology)).toEqual([ringKey(r0), ringKey(r1)].sort())
    deliver(lan1, 60, remoteCc(A, 20, 2, [1, 50]), S1)
    const A2: RingId = { rep: 1, seq: 11n }
    deliver(
      lan1,
      60,
      {
        ...remoteCc(A2, 30, 2, [1]),
        preds: [{ ring: A, ts: 25 }],
        memberPreds: [0],
        gateways: [],
        gatewayNonces: [],
      },
      S1,
    )
    deliver(lan0, 50, gv(50, 1000), SRP0, 'safe')
    deliver(lan1, 60, gv(60, 1000), S1, 'safe')
    expect(g.mr.stats().ccsAbandoned).toBe(0)
    expect(blockedOf(g)).toContain(`${ringKey(A)}: remote CC`)
    const tcA = (lan: FakeRing) => sentOf(lan, 'tc').find((t) => ringKey(t.ccRing) === ringKey(A))
    return { ...g, lan0, lan1, tcA }
  }

  it('is given up when its gateway is back on our LAN ring only since after it', () => {
    const g = waitingForA()
    // 50 leaves unseen and comes back from a ring of its own (the same incarnation): what it
    // puts on LAN 0 below the new ring's CC, A's TC among it, is dropped (rule 7).
    form(g.lan0, SRP1, 100, [50, 100], {
      50: { gateway: true, pred: { ring: { rep: 50, seq: 77n }, ts: 900 }, clock: 1000 },
    })
    expect(blockedOf(g)).not.toContain(`${ringKey(A)}: remote CC`)
    expect(g.mr.stats().ccsAbandoned).toBeGreaterThan(0)
    // The ordinary members behind us never shared a LAN with 50: a TC naming no ring tells them.
    for (const lan of [g.lan0, g.lan1]) expect(g.tcA(lan)?.rings).toEqual([])
  })

  it('is given up when its gateway came back as a new incarnation, with a TC naming no ring', () => {
    const g = waitingForA()
    form(g.lan0, SRP1, 100, [50, 100], { 50: { gateway: true, nonce: 7 } })
    expect(blockedOf(g)).not.toContain(`${ringKey(A)}: remote CC`)
    for (const lan of [g.lan0, g.lan1]) expect(g.tcA(lan)?.rings).toEqual([])
  })
})

describe('a remote CC whose ring is cut off from a gateway before its TC came', () => {
  it('is given up with a TC naming no ring, for the processors behind the gateway (0x8c601)', () => {
    // Gateway 100 on LAN 0 {50, 100} and LAN 1 {60, 100}. 60 (with us since before) brings the
    // CC of A (LAN 2, members 1 and 50, gateways 1 and 50); we reach A through 50, on LAN 0.
    const g = processor(100, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const S1: RingId = { rep: 60, seq: 6n }
    const r1 = form(lan1, S1, 100, [60, 100], { 60: { gateway: true } }).forRing
    deliver(lan1, 60, nt(60, g.mr.clock, r1, []), S1)
    const r0 = form(lan0, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
    deliver(lan0, 50, nt(50, g.mr.clock, r0, []), SRP0)
    deliver(lan1, 60, gv(60, 10), S1)
    expect(keys(g.mr.topology)).toEqual([ringKey(r0), ringKey(r1)].sort())
    deliver(
      lan1,
      60,
      {
        ...remoteCc(A, 20, 2, [1, 50]),
        gateways: [nodeId(1), nodeId(50)],
        gatewayNonces: [HARNESS_NONCE, HARNESS_NONCE],
      },
      S1,
    )
    deliver(lan0, 50, gv(50, 1000), SRP0, 'safe')
    deliver(lan1, 60, gv(60, 1000), S1, 'safe')
    expect(blockedOf(g)).toContain(`${ringKey(A)}: remote CC`)
    // 50 leaves LAN 0: A is cut off from us (not ended, and 1 never shared a LAN with us, so
    // not all its gateways are gone), while 60 is still a gateway mate with us since before the
    // CC. We give the CC up; the processors behind us on LAN 1 count us as a gateway mate that
    // can still bring its TC, and waited for it for ever (0x8c601): an empty TC tells them.
    form(lan0, SRP1, 100, [100])
    expect(blockedOf(g)).not.toContain(`${ringKey(A)}: remote CC`)
    expect(g.mr.stats().ccsAbandoned).toBeGreaterThan(0)
    const tcA = (lan: FakeRing) => sentOf(lan, 'tc').find((t) => ringKey(t.ccRing) === ringKey(A))
    for (const lan of [lan0, lan1]) expect(tcA(lan)?.rings).toEqual([])
  })
})

describe('an empty TC from another gateway', () => {
  it('does not settle a remote CC whose ring we reach without that gateway (0x90707)', () => {
    // Gateway 100 on LAN 0 {50, 100} and LAN 1 {60, 100}. 60 (with us since before) brings the
    // CC of A (LAN 2, members 1 and 50, gateways 1 and 50); we reach A through 50, on LAN 0.
    const g = processor(100, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const S1: RingId = { rep: 60, seq: 6n }
    const r1 = form(lan1, S1, 100, [60, 100], { 60: { gateway: true } }).forRing
    deliver(lan1, 60, nt(60, g.mr.clock, r1, []), S1)
    const r0 = form(lan0, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
    deliver(lan0, 50, nt(50, g.mr.clock, r0, []), SRP0)
    deliver(lan1, 60, gv(60, 10), S1)
    expect(keys(g.mr.topology)).toEqual([ringKey(r0), ringKey(r1)].sort())
    deliver(
      lan1,
      60,
      {
        ...remoteCc(A, 20, 2, [1, 50]),
        gateways: [nodeId(1), nodeId(50)],
        gatewayNonces: [HARNESS_NONCE, HARNESS_NONCE],
      },
      S1,
    )
    deliver(lan0, 50, gv(50, 1000), SRP0, 'safe')
    deliver(lan1, 60, gv(60, 1000), S1, 'safe')
    expect(blockedOf(g)).toContain(`${ringKey(A)}: remote CC`)
    // 60 gave the CC up where it is (A is cut off from it) and says so with a TC naming no ring,
    // before A's TC comes over LAN 0. It tells the processors whose way to A was 60; we reach A
    // through 50. Taken as the TC, it left A out of our topology while 50 installed it (0x90707:
    // gateways 7 and 8 gave up LAN 3's CC on gateway 5's empty TC, and their NTs left LAN 3 out).
    const empty: TcMessage = { kind: 'tc', sender: nodeId(60), ccTs: 20, ccRing: A, rings: [] }
    deliver(lan1, 60, empty, S1)
    expect(g.mr.stats().ccsAbandoned).toBe(0)
    expect(blockedOf(g)).toContain(`${ringKey(A)}: remote CC`)
    const all = [view(A, 2, [1, 50]), view(r0, 0, [50, 100]), view(r1, 1, [60, 100])]
    deliver(lan0, 50, { kind: 'tc', sender: nodeId(50), ccTs: 20, ccRing: A, rings: all }, SRP0)
    expect(keys(g.mr.topology)).toEqual([ringKey(A), ringKey(r0), ringKey(r1)].sort())
    // Each went on to our other LAN (the empty one too: it tells those whose way was 60).
    const tcA = (lan: FakeRing) =>
      sentOf(lan, 'tc')
        .filter((t) => ringKey(t.ccRing) === ringKey(A))
        .map((t) => t.rings.length)
    expect(tcA(lan0)).toEqual([0])
    expect(tcA(lan1)).toEqual([3])
  })

  it('settles it where we reach its ring only through that gateway', () => {
    // As above, but A's gateway 50 is on LAN 1 with 60 and us: our way to A is 60 and 50.
    const g = processor(100, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const S1: RingId = { rep: 60, seq: 6n }
    const r1 = form(lan1, S1, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true },
    }).forRing
    deliver(lan1, 50, nt(50, g.mr.clock, r1, []), S1)
    deliver(lan1, 60, nt(60, g.mr.clock, r1, []), S1)
    const r0 = form(lan0, SRP0, 100, [100]).forRing
    deliver(lan1, 60, gv(60, 10), S1)
    expect(keys(g.mr.topology)).toEqual([ringKey(r0), ringKey(r1)].sort())
    deliver(
      lan1,
      60,
      {
        ...remoteCc(A, 20, 2, [1, 50]),
        gateways: [nodeId(1), nodeId(50)],
        gatewayNonces: [HARNESS_NONCE, HARNESS_NONCE],
      },
      S1,
    )
    deliver(lan0, 100, gv(100, 1000), SRP0, 'safe')
    deliver(lan1, 60, gv(60, 1000), S1, 'safe')
    expect(blockedOf(g)).toContain(`${ringKey(A)}: remote CC`)
    // An empty TC from 60, then from 50: without both, we do not reach A.
    deliver(lan1, 60, { kind: 'tc', sender: nodeId(60), ccTs: 20, ccRing: A, rings: [] }, S1)
    expect(blockedOf(g)).toContain(`${ringKey(A)}: remote CC`)
    deliver(lan1, 50, { kind: 'tc', sender: nodeId(50), ccTs: 20, ccRing: A, rings: [] }, S1)
    expect(blockedOf(g)).not.toContain(`${ringKey(A)}: remote CC`)
    expect(g.mr.stats().ccsAbandoned).toBeGreaterThan(0)
  })
})

describe('a gateway that left and came back before we saw it go', () => {
  it('cuts off the rings only it linked us to, brings them back at the new CC, and is no survivor', () => {
    const { p, ring, r0 } = throughGateway50()
    deliver(ring, 50, reg(A, 3), SRP0)
    deliver(ring, 50, gv(50, 4), SRP0, 'safe')
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A3'])
    // 50 left our ring, formed one of its own (X) and went on there with A while we did not see
    // it go; now it is back. Its start names X, ours R0.
    const X: RingId = { rep: 50, seq: 99n }
    const start = form(ring, SRP1, 100, [50, 100], {
      50: { gateway: true, pred: { ring: X, ts: 30 }, clock: 40 },
    })
    expect(start.pred?.ring).toEqual(r0)
    // What it forwards from A below our new ring's CC came by a path that was not ours.
    deliver(ring, 50, reg(A, 20), SRP1)
    expect(p.mr.stats().rxDropped[NEW_PATH]).toBe(1)
    // A no longer blocks: only 50's NT is awaited (before, A's placeholder at 4 held delivery).
    expect(blockedOf(p)).toMatch(/own CC, NT missing from 50$/)
    // 50's NT for the new ring brings A back: ordered again from the CC (ts 41) on.
    const r0b = start.forRing
    deliver(ring, 50, nt(50, 41, r0b, [view(A, 1, [1, 50])]), SRP1)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(r0b)].sort())
    expect(p.mr.stats().ringsReopened).toBe(1)
    // Neither 50 nor 1 (reached only through 50) came with us from the old topology.
    const trans = p.rec.confs.filter((c) => c.kind === 'transitional').at(-1)!
    expect([...trans.members]).toEqual([100])
    deliver(ring, 50, reg(A, 45), SRP1)
    deliver(ring, 50, gv(50, 50), SRP1) // the new ring moves past 45
    expect(p.rec.delivered.map((d) => d.payload).at(-1)).toBe('A45')
  })
})

describe('an NT a mate never got', () => {
  it('a gateway sends its NT again to a mate back from the ring the NT was for', () => {
    const g = processor(50, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const srp1: RingId = { rep: 3, seq: 8n }
    form(lan1, srp1, 50, [3, 50])
    const r0a = form(lan0, SRP0, 50, [50, 100]).forRing
    deliver(lan1, 3, gv(3, 10), srp1)
    const ntsFor = (r: RingId) =>
      sentOf(lan0, 'nt').filter((n) => ringKey(n.ccRing) === ringKey(r)).length
    expect(ntsFor(r0a)).toBe(1)
    // 100 drops out unseen by us only after our NT went out on a ring without it; we go on alone
    // (R0b), then it is back, its start naming R0a.
    form(lan0, SRP1, 50, [50])
    expect(ntsFor(r0a)).toBe(1)
    form(lan0, { rep: 50, seq: 6n }, 50, [50, 100], { 100: { pred: { ring: r0a, ts: 9 } } })
    expect(ntsFor(r0a)).toBe(2)
    // A mate that comes from our own previous ring gets nothing again.
    form(lan0, { rep: 50, seq: 7n }, 50, [50, 100], { 100: { pred: undefined } })
    expect(ntsFor(r0a)).toBe(2)
  })
})

describe("a gateway's own NT", () => {
  it('counts only once srp delivered it, also when it goes out on a later ring', () => {
    const g = processor(50, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const srp1: RingId = { rep: 3, seq: 8n }
    const r1 = form(lan1, srp1, 50, [3, 50]).forRing
    expect(keys(g.mr.topology)).toEqual([ringKey(r1)])
    // R0 {50, 100} on LAN 0 is established, then LAN 0's srp ring changes before R1 moves past
    // R0's CC: our NT for R0 goes out only on the next ring.
    const r0 = form(lan0, SRP0, 50, [50, 100]).forRing
    install(lan0, SRP1, [50, 100, 101])
    deliver(lan1, 3, gv(3, 10), srp1)
    expect(sentOf(lan0, 'nt')).toEqual([]) // queued for the next ring
    expect(keys(g.mr.topology)).toEqual([ringKey(r1)])
    // Not counted while srp has not delivered it back (the harness does not echo it now).
    lan0.autoAgree = false
    const own = sentOf(lan0, 'start').at(-1)!
    for (const n of [100, 101])
      deliver(lan0, n, { ...own, sender: nodeId(n), gateway: false }, SRP1)
    deliver(lan0, 50, own, SRP1)
    expect(sentOf(lan0, 'nt').map((m) => ringKey(m.ccRing))).toEqual([ringKey(r0)])
    expect(regulars(g)).toEqual([[3, 50]])
    // srp delivers it: our proposal follows, and 100 proposes the same (as the harness's mates
    // do); R0 installs, then the new ring (its NT and proposals the same way).
    lan0.autoAgree = true
    echo(lan0, 50, SRP1)
    for (const n of [50, 100])
      deliver(lan0, n, { ...proposalOf(lan0, r0), sender: nodeId(n) }, SRP1)
    expect(regulars(g)).toEqual([
      [3, 50],
      [3, 50, 100],
      [3, 50, 100, 101],
    ])
  })
})

describe('a ring known only from an NT', () => {
  it('is cut off when the gateway that brought it comes back as a new incarnation', () => {
    const { p, ring } = throughGateway50()
    const blocked = (): string => blockedOf(p)
    expect(blocked()).toContain(`empty list of ${ringKey(A)}`)
    // 50 restarted (another nonce) and is back on our LAN: its old self linked us to A, the new
    // one does not, so A blocks no more (its CC never reached us: only the NT named it).
    form(ring, SRP1, 100, [50, 100], { 50: { gateway: true, nonce: 7 } })
    expect(blocked()).not.toContain(ringKey(A))
  })
})

describe('a mate that joined us at an older CC of ours still pending', () => {
  it('links no far ring while that CC waits, though the newest ring of ours came after it', () => {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    // 50 (with us since R0) links us to A (LAN 1), which 60 is on too.
    const r0 = form(ring, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
    deliver(ring, 50, nt(50, 1, r0, [view(A, 1, [1, 50, 60])]), SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(r0)].sort())
    // 60 joins us at R1's CC (its start names no ring of ours); no NT comes, the CC waits.
    form(ring, SRP1, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true, pred: undefined },
    })
    expect(blockedOf(p)).toContain(`empty list of ${ringKey(A)}`)
    // The LAN moves on twice before R1's CC is delivered: to R2 with the same members (60 comes
    // from R1 with us, so it is still with us only since R1's CC), then to R3 with 50 back as a
    // new incarnation. Below R1's CC what 60 puts on the ring is dropped, above it held until
    // then: A, linked only through 60 now, can send us nothing while R1's CC waits for it to
    // move (60 counted as with us since before R2's CC, and A blocked for ever, 0x4bafd).
    const SRP2: RingId = { rep: 50, seq: 6n }
    const SRP3: RingId = { rep: 50, seq: 7n }
    form(ring, SRP2, 100, [50, 60, 100], { 50: { gateway: true }, 60: { gateway: true } })
    expect(closedOf(p, A)).toBe(false)
    form(ring, SRP3, 100, [50, 60, 100], {
      50: { gateway: true, nonce: 7 },
      60: { gateway: true },
    })
    expect(closedOf(p, A)).toBe(true)
    expect(blockedOf(p)).not.toContain(ringKey(A))
  })
})

describe('a ring known only from an NT that names its gateways', () => {
  it('is cut off when a far ring holds its gateway as another incarnation', () => {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    // 50 links us to A (LAN 1), where 60 links B (LAN 2). We never share a LAN with 60 and see
    // neither ring's CC: only 50's NT says which incarnation of 60 is on them.
    const r0 = form(ring, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
    const on = (r: RingId) => ({ ring: r, node: nodeId(60), nonce: 5 })
    deliver(
      ring,
      50,
      {
        ...nt(50, 1, r0, [view(A, 1, [1, 50, 60]), view(B, 2, [2, 60])]),
        gwNonces: [on(A), on(B)],
      },
      SRP0,
    )
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(B), ringKey(r0)].sort())
    expect(closedOf(p, B)).toBe(false)
    // A's successor holds 60 restarted (another nonce): the new incarnation links nothing its
    // former self linked, so B blocks no more (kept reachable, it blocked for ever, 0x3a9f2).
    const A2: RingId = { rep: 1, seq: 11n }
    deliver(
      ring,
      50,
      {
        ...remoteCc(A2, 20, 1, [1, 50, 60]),
        preds: [{ ring: A, ts: 15 }],
        memberPreds: [0, 0, NO_PRED],
        gateways: [nodeId(50), nodeId(60)],
        gatewayNonces: [HARNESS_NONCE, 7],
      },
      SRP0,
    )
    expect(closedOf(p, B)).toBe(true)
  })
})

describe('a far ring whose CC is not delivered here yet', () => {
  /**
   * 50 (LAN 0 with us) links us to A (LAN 1), where 60 links B (LAN 2). A's successor A2 comes
   * with 1, 50 and 60, and waits for its TC; `anew` says whether 60 came to A2 from another
   * ring than 50 (it joined 50 anew there).
   */
  function a2With(anew: boolean, bAt?: number) {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    const r0 = form(ring, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
    deliver(ring, 50, nt(50, 1, r0, [view(A, 1, [1, 50, 60]), view(B, 2, [2, 60])]), SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(B), ringKey(r0)].sort())
    if (bAt !== undefined) deliver(ring, 50, reg(B, bAt), SRP0)
    expect(closedOf(p, B)).toBe(false)
    const A2: RingId = { rep: 1, seq: 11n }
    const C: RingId = { rep: 60, seq: 9n }
    deliver(
      ring,
      50,
      {
        ...remoteCc(A2, 20, 1, [1, 50, 60]),
        preds: [
          { ring: A, ts: 15 },
          { ring: C, ts: 18 },
        ],
        memberPreds: [0, 0, anew ? 1 : 0],
        gateways: [nodeId(50), nodeId(60)],
        gatewayNonces: [HARNESS_NONCE, HARNESS_NONCE],
      },
      SRP0,
    )
    return p
  }

  it('links onward through the members that came to it together', () => {
    expect(closedOf(a2With(false), B)).toBe(false)
  })

  it('links nothing onward through a member that joined it anew: B is cut off (0x9e801)', () => {
    // 50 drops what 60 puts on A2 below its CC (rule 7) and holds the rest until it delivers the
    // CC: nothing of B comes to us by that way before A2's CC, and linked through 60, B blocked
    // here for ever (B's own members, beyond the merge, never sent it by an old path).
    const p = a2With(true)
    expect(closedOf(p, B)).toBe(true)
    expect(blockedOf(p)).not.toContain(`empty list of ${ringKey(B)}`)
  })

  it('still links through such a member a ring that sent us everything below the CC (0x8a603)', () => {
    // What 60 hands on above A2's CC comes once its mates deliver the CC or give it up: B, which
    // has nothing more to send us below it, is still reached (cut off, it lost those messages here
    // while the gateways delivered them).
    expect(closedOf(a2With(true, 25), B)).toBe(false)
  })
})

describe('a ring an NT lists with another gateway of the CC in it', () => {
  it('leaves that gateway out when its own NT does not list the ring (a former self of it)', () => {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    // 50 still lists A (LAN 1), where 60 was before it restarted; 60 lists its own ring B there.
    const r0 = withGateways(p, ring, SRP0, [view(A, 1, [1, 50, 60])], [view(B, 1, [60])])
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(B), ringKey(r0)].sort())
    const a = p.mr.topology.find((r) => ringKey(r.ring) === ringKey(A))
    expect(a?.members).toEqual([1, 50])
    expect(blockedOf(p)).toContain(`empty list of ${ringKey(A)}`)
    // 50 restarts too: nothing links A any more (60, the incarnation the CC names, never did),
    // so A blocks no more.
    form(ring, SRP1, 100, [50, 60, 100], {
      50: { gateway: true, nonce: 7 },
      60: { gateway: true },
    })
    expect(blockedOf(p)).not.toContain(ringKey(A))
  })
})

describe('a ring an NT lists on the LAN of our CC, with a member of the CC on it', () => {
  const O: RingId = { rep: 7, seq: 2n * 1024n * 65_536n }
  /**
   * Ordinary member 70 comes to our ring (LAN 0, with gateway 50) from `pred` (none: its first
   * ring); 50's NT lists O, a ring of LAN 0 from srp ring seq 2 that still has 70 on it, and A
   * on LAN 1. Returns our topology after the CC, and our ring.
   */
  function topologyWith(pred: RingId | undefined): { topo: string[]; r0: string } {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    const r0 = form(ring, SRP0, 100, [50, 70, 100], {
      50: { gateway: true },
      70: { pred: pred === undefined ? undefined : { ring: pred, ts: 1 } },
    }).forRing
    deliver(ring, 50, nt(50, p.mr.clock, r0, [view(O, 0, [7, 70]), view(A, 1, [50, 60])]), SRP0)
    return { topo: keys(p.mr.topology), r0: ringKey(r0) }
  }

  it('leaves it out when it is older than the ring the member came from (0xa2000)', () => {
    // srp ring seqs rise for a processor, also across restarts: O holds a former self of 70 (or
    // one that left it), which 70 itself does not count (a ring listing a former self of ours
    // links nothing there). Reached through 70, O was in the topology here and not at 70: one
    // CC key, two topologies.
    const { topo, r0 } = topologyWith({ rep: 70, seq: 3n * 1024n * 65_536n })
    expect(topo).toEqual([ringKey(A), r0].sort())
  })

  it('leaves it out when the member names no previous ring (its first ring is ours)', () => {
    const { topo, r0 } = topologyWith(undefined)
    expect(topo).toEqual([ringKey(A), r0].sort())
  })

  it('keeps it, linked through that member, when it is the later ring', () => {
    // The start is a former self's, sent before it failed; the processor is on O now (#survivors).
    const { topo, r0 } = topologyWith({ rep: 70, seq: 1n * 1024n * 65_536n })
    expect(topo).toEqual([ringKey(A), ringKey(O), r0].sort())
  })
})

describe('a CC whose start round a gateway began before it restarted', () => {
  /**
   * Gateways 50 and 60 link LAN 0 to LAN 1; our NTs put 50 on X there (alone), 60 on Y. A
   * {1, 50, 60} on LAN 1 ends Y; 50's start in its CC names P, a ring X does not succeed.
   * Returns the CC's transitional configuration here.
   */
  function survivors(xSeq: bigint): number[] {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    const X: RingId = { rep: 50, seq: xSeq }
    const Y: RingId = { rep: 60, seq: 5n }
    const r0 = withGateways(p, ring, SRP0, [view(X, 1, [50])], [view(Y, 1, [60])])
    expect(keys(p.mr.topology)).toEqual([ringKey(r0), ringKey(X), ringKey(Y)].sort())
    const P: RingId = { rep: 50, seq: 3n }
    const Q: RingId = { rep: 1, seq: 3n }
    deliver(
      ring,
      60,
      {
        ...remoteCc(A, 2, 1, [1, 50, 60]),
        sender: nodeId(60),
        preds: [
          { ring: Q, ts: 1 },
          { ring: P, ts: 1 },
          { ring: Y, ts: 1 },
        ],
        memberPreds: [0, 1, 2],
        gateways: [nodeId(50), nodeId(60)],
        gatewayNonces: [7, HARNESS_NONCE],
      },
      SRP0,
    )
    deliver(ring, 50, gv(50, 1000), SRP0, 'safe')
    deliver(ring, 50, { ...gv(50, 10), stamped: true, ring: X }, SRP0, 'safe')
    const tc: TcMessage = {
      kind: 'tc',
      sender: nodeId(60),
      ccTs: 2,
      ccRing: A,
      rings: [view(r0, 0, [50, 60, 100]), view(X, 1, [50]), view(A, 1, [1, 50, 60])],
    }
    deliver(ring, 60, tc, SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(X), ringKey(r0)].sort())
    expect(regulars(p).at(-1)).toEqual([1, 50, 60, 100])
    return [...p.rec.confs.filter((c) => c.kind === 'transitional').at(-1)!.members]
  }

  it('counts it as a survivor when the old topology has it on a later ring of that LAN', () => {
    // A was established after 50 failed, with its former self's start (and nonce); 50 restarted
    // and formed X, a later srp ring. As it is now it came with us, as it counts itself.
    expect(survivors(99n)).toEqual([50, 60, 100])
  })

  it('goes by its start when the old topology has it on an earlier ring there', () => {
    // X is what a former self of 50 left in our topology; the 50 of A's CC joins anew.
    expect(survivors(4n)).toEqual([60, 100])
  })
})

describe('what srp delivered while a ring formed, from a processor never with us there', () => {
  it('is judged as from a member joining anew: a CC below the new ring CC is dropped', () => {
    // Gateway 50 restarted: its rings are its own; 60 is with it on LAN 1 (as nonce 9).
    const g = processor(50, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const srp1: RingId = { rep: 3, seq: 8n }
    const r1 = form(lan1, srp1, 50, [50, 60], { 60: { gateway: true, nonce: 9 } }).forRing
    deliver(lan1, 60, nt(60, 1, r1, []), srp1)
    const r0a = form(lan0, SRP0, 50, [50]).forRing
    deliver(lan1, 60, gv(60, 5), srp1, 'safe')
    echo(lan0, 50, SRP0)
    expect(keys(g.mr.topology)).toEqual([ringKey(r0a), ringKey(r1)].sort())
    // srp puts 60 on LAN 0 with us; it forwards the CC of X, a LAN 1 ring of 50's former self
    // (nonce 7) and 60's (nonce 5), and leaves before the start round ends.
    install(lan0, SRP1, [50, 60])
    const own = sentOf(lan0, 'start').at(-1) as StartMessage
    deliver(lan0, 60, { ...own, sender: nodeId(60), clock: 20, gateway: true }, SRP1)
    const X: RingId = { rep: 60, seq: 2n }
    deliver(
      lan0,
      60,
      {
        ...remoteCc(X, 10, 1, [50, 60]),
        sender: nodeId(60),
        gateways: [nodeId(50), nodeId(60)],
        gatewayNonces: [7, 5],
      },
      SRP1,
    )
    const r0 = form(lan0, { rep: 50, seq: 6n }, 50, [50]).forRing
    deliver(lan1, 60, gv(60, 30), srp1, 'safe')
    // X's CC came from a component we were never part of: taken, 50 would wait for ever for
    // 60's NT for it (60's former self never sent one; nothing tells 50 it is gone).
    expect(g.mr.stats().rxDropped[NEW_PATH]).toBe(1)
    expect(blockedOf(g)).not.toContain(ringKey(X))
    expect(keys(g.mr.topology)).toEqual([ringKey(r0), ringKey(r1)].sort())
  })
})

describe('a held CC whose sender joined us anew before it was released', () => {
  it('is still taken when it ends a ring we reach (that ring blocked for ever, 0x5f371)', () => {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    // R0 {50, 60, 100}, both gateways new to us (with us since R0's CC). 60's NT brings A (LAN 1,
    // with 60); 50's NT does not come: R0's CC waits for it.
    const r0 = form(ring, SRP0, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true },
    }).forRing
    const r0ts = p.mr.clock
    deliver(ring, 60, nt(60, r0ts, r0, [view(A, 1, [1, 60])]), SRP0)
    expect(blockedOf(p)).toContain('NT missing from 50')
    // 50 forwards the CC of A's successor A2 (above R0's CC: held until R0's CC is delivered).
    const A2: RingId = { rep: 1, seq: 11n }
    const a2 = {
      ...remoteCc(A2, r0ts + 3, 1, [1, 60]),
      preds: [{ ring: A, ts: 1 }],
      memberPreds: [0, 0],
      gateways: [nodeId(60)],
    }
    deliver(ring, 50, a2, SRP0)
    // 50's NT comes, and so do its proposal and ours for R0's CC; 60's proposal does not yet.
    ring.autoAgree = false
    deliver(ring, 50, nt(50, r0ts, r0, []), SRP0)
    const mine = proposalOf(ring, r0)
    deliver(ring, 100, mine, SRP0)
    deliver(ring, 50, { ...mine, sender: nodeId(50) }, SRP0)
    expect(p.mr.topology).toEqual([])
    // 50 restarts: the LAN's next ring holds a new incarnation of it (its start names no ring
    // of ours): it joins us anew. 60's proposal comes on that ring, and R0's CC installs R0 and
    // A. The CC held from 50 is the only copy we get of A's end (every later one comes by a
    // newer path).
    form(ring, SRP1, 100, [50, 60, 100], {
      50: { gateway: true, nonce: 7, pred: undefined },
      60: { gateway: true, clock: r0ts + 10 },
    })
    deliver(ring, 60, { ...mine, sender: nodeId(60) }, SRP1)
    ring.autoAgree = true
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(r0)].sort())
    expect(p.mr.stats().rxDropped[NEW_PATH]).toBeUndefined()
    expect(blockedOf(p)).not.toContain(`empty list of ${ringKey(A)}`)
    expect(blockedOf(p)).toContain(`${r0ts + 3}@${ringKey(A2)}: remote CC`)
    // 60, with us since before A2's CC, brings its TC: A2 replaces A.
    const tc: TcMessage = {
      kind: 'tc',
      sender: nodeId(60),
      ccTs: r0ts + 3,
      ccRing: A2,
      rings: [view(r0, 0, [50, 60, 100]), view(A2, 1, [1, 60])],
    }
    deliver(ring, 60, tc, SRP1)
    expect(keys(p.mr.topology)).toEqual([ringKey(A2), ringKey(r0)].sort())
  })
})

describe('a remote ring whose CC was given up, brought back by a later topology', () => {
  it('keeps the point its GVs moved it to before (0x61a82)', () => {
    const p = established()
    deliver(p.ring, 50, gv(50, 100), SRP0)
    // LAN 0 forms its next ring; its CC (above 100) waits for 50's NT.
    const r1 = form(p.ring, SRP1, 100, [50, 100], { 50: { gateway: true } }).forRing
    // A's CC comes below it, then A's GVs (A stamps nothing else) up to 120 and the CC of A's
    // successor B, which ends A at 120.
    deliver(p.ring, 50, remoteCc(A, 50, 1, [1, 50]), SRP1)
    deliver(p.ring, 50, { ...gv(1, 120), stamped: true, ring: A }, SRP1, 'safe')
    deliver(p.ring, 50, { ...remoteCc(B, 130, 1, [1, 50]), preds: [{ ring: A, ts: 120 }] }, SRP1)
    // 50 gives A's CC up (a TC naming no ring): A is cut off, and leaves the table.
    deliver(p.ring, 50, { kind: 'tc', sender: nodeId(50), ccTs: 50, ccRing: A, rings: [] }, SRP1)
    expect(p.mr.stats().ccsAbandoned).toBe(1)
    // 50's NT at our ring's CC brings A back, from that CC on: it has ended where A's GVs took
    // it (no copy of them comes again), so it no longer blocks.
    deliver(p.ring, 50, nt(50, p.mr.clock, r1, [view(A, 1, [1, 50])]), SRP1)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(r1)].sort())
    deliver(p.ring, 50, gv(50, 1000), SRP1, 'safe')
    expect(blockedOf(p)).not.toContain(`empty list of ${ringKey(A)}`)
    expect(blockedOf(p)).toContain(`${ringKey(B)}: remote CC`)
  })
})

describe('a member back from an srp ring without us', () => {
  /** Our proposals for the CC of `r` on `ring`, in the order we sent them. */
  const proposalsOf = (ring: FakeRing, r: RingId) =>
    sentOf(ring, 'ack')
      .filter((m) => m.proposed && ringKey(m.ccRing) === ringKey(r))
      .map((m) => m.rep)

  it('gets our proposal again, as 0 once we give the CC up (0x7130e, 0x73404)', () => {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    ring.autoAgree = false
    const r0 = form(ring, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
    deliver(ring, 50, nt(50, p.mr.clock, r0, []), SRP0)
    const mine = proposalOf(ring, r0)
    expect(mine.rep).not.toBe(0)
    // srp forms a ring without 50 (its start round never completes): 50 left before its
    // proposal came, so R0's CC is given up here.
    install(ring, SRP1, [100])
    expect(proposalsOf(ring, r0)).toEqual([mine.rep])
    // 50 is back on the next srp ring, from another one (not in the transitional
    // configuration): it never got our proposal, and may wait for it. It gets it again, as what
    // we settle the CC at.
    install(ring, { rep: 50, seq: 6n }, [50, 100], [100])
    expect(proposalsOf(ring, r0)).toEqual([mine.rep, 0])
  })

  it('settles our CC with us by the proposal it sends again (0x73404)', () => {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    ring.autoAgree = false
    const r0 = form(ring, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
    deliver(ring, 50, nt(50, p.mr.clock, r0, []), SRP0)
    const mine = proposalOf(ring, r0)
    // 50 went through an srp ring without us and is back: in both regular configurations, not
    // in the transitional one. We never saw it go, and wait for its proposal; ours goes again.
    install(ring, SRP1, [50, 100], [100])
    expect(blockedOf(p)).toContain('own CC, NT missing from none')
    expect(proposalsOf(ring, r0)).toEqual([mine.rep, mine.rep])
    // 50 gave R0's CC up on its ring (we were gone before our proposal came there): its
    // proposal, sent again here, is 0. R0's CC is given up (it blocks until its successor's CC).
    deliver(ring, 50, { ...mine, sender: nodeId(50), rep: 0 }, SRP1)
    expect(blockedOf(p)).toContain(`empty list of ${ringKey(r0)}`)
    // The next ring forms and installs; R0 never did.
    ring.autoAgree = true
    const own = sentOf(ring, 'start').at(-1)!
    deliver(ring, 50, { ...own, sender: nodeId(50), gateway: true, pred: undefined }, SRP1)
    deliver(ring, 100, own, SRP1)
    deliver(ring, 50, nt(50, p.mr.clock, own.forRing, []), SRP1)
    expect(regulars(p)).toEqual([[50, 100]])
  })
})

describe('a TC from a mate with us since a CC of ours given up by agreement', () => {
  it('is not held behind that CC: the early transitional configuration passes it (0x7310b)', () => {
    const p = established()
    // A (LAN 1, with 1) joins through 50; a safe message of A that no row shows 1 or 50 to hold
    // blocks delivery (R0 cannot send below 1000).
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    const tcA: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 50])],
    }
    deliver(p.ring, 50, tcA, SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    deliver(p.ring, 50, { ...reg(A, 5), guarantee: 'safe' }, SRP0)
    expect(blockedOf(p)).toContain(`5@${ringKey(A)}: safe, not held by`)
    // R1 {50, 60, 100}, 60 a gateway new to us (with us since R1's CC). 50 proposes to give
    // R1's CC up: no member installs it.
    p.ring.autoAgree = false
    const r1 = form(p.ring, SRP1, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true, pred: undefined },
    }).forRing
    const r1ts = p.mr.clock
    // 50 forwards the CC of a far ring B (LAN 2) above R1's CC, and that of B's successor B2,
    // which ends B: B's CC waits for its TC.
    const B2: RingId = { rep: 2, seq: 21n }
    deliver(p.ring, 50, remoteCc(B, r1ts + 3, 2, [2, 50]), SRP1)
    deliver(
      p.ring,
      50,
      { ...remoteCc(B2, r1ts + 4, 2, [2, 50]), preds: [{ ring: B, ts: r1ts + 3 }] },
      SRP1,
    )
    // 60's TCs for both, with topologies that do not reach us (an empty TC would not settle
    // them here: we reach B through 50): with us since R1's CC, they were held behind it.
    for (const [ccTs, ccRing] of [
      [r1ts + 3, B],
      [r1ts + 4, B2],
    ] as const)
      deliver(
        p.ring,
        60,
        { kind: 'tc', sender: nodeId(60), ccTs, ccRing, rings: [view(ccRing, 2, [2])] },
        SRP1,
      )
    deliver(
      p.ring,
      50,
      {
        kind: 'ack',
        sender: nodeId(50),
        nonce: HARNESS_NONCE,
        ccTs: r1ts,
        ccRing: r1,
        rep: 0,
        proposed: true,
      },
      SRP1,
    )
    // The LAN's next ring R2, with both gateways from R1: its CC installs R2 and A. A's GVs move
    // it past every CC here, so only B's TC could still stop the look-ahead.
    p.ring.autoAgree = true
    const r2 = form(p.ring, { rep: 50, seq: 6n }, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true },
    }).forRing
    const r2ts = p.mr.clock
    deliver(p.ring, 50, nt(50, r2ts, r2, [view(A, 1, [1, 50])]), { rep: 50, seq: 6n })
    deliver(p.ring, 60, nt(60, r2ts, r2, []), { rep: 50, seq: 6n })
    deliver(p.ring, 50, { ...gv(1, 5000), stamped: true, ring: A }, { rep: 50, seq: 6n })
    // A5 goes in R2's CC's transitional configuration (1 and 50 may lack it), then R2 installs.
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A5'])
    expect(p.rec.delivered[0]?.ring).toBe(ringKey(p.rec.confs.at(-2)!.ringId))
    expect(p.rec.confs.at(-2)?.kind).toBe('transitional')
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(r2)].sort())
  })
})

describe('a far CC from a mate with us since a CC of ours given up by agreement', () => {
  /**
   * A safe message of A is stuck; a far ring B is still open below our LAN's next CC, and only
   * 60, with us since R1's CC (given up by agreement), brings the CC of B's successor B2 that
   * ends it, once R1's CC is settled as given up.
   */
  function stuckBehindGivenUp() {
    const p = established()
    // A (LAN 1, with 1) and B (LAN 2, with 1 and 2) join through 50.
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    const tcA: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 50]), view(B, 2, [1, 2])],
    }
    deliver(p.ring, 50, tcA, SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    deliver(p.ring, 50, { ...reg(A, 5), guarantee: 'safe' }, SRP0)
    // R1 {50, 60, 100}, 60 a gateway new to us; 50 proposes to give R1's CC up.
    p.ring.autoAgree = false
    const r1 = form(p.ring, SRP1, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true, pred: undefined },
    }).forRing
    const r1ts = p.mr.clock
    // B is open above R1's CC (50, with us since R0, brings its GV).
    deliver(p.ring, 50, { ...gv(2, r1ts + 1), stamped: true, ring: B }, SRP1)
    deliver(
      p.ring,
      50,
      {
        kind: 'ack',
        sender: nodeId(50),
        nonce: HARNESS_NONCE,
        ccTs: r1ts,
        ccRing: r1,
        rep: 0,
        proposed: true,
      },
      SRP1,
    )
    // 60 forwards the CC of B's successor B2 (LAN 2, 2 and 60), which ends B, and gives it up.
    const B2: RingId = { rep: 2, seq: 21n }
    const b2: CcMessage = {
      ...remoteCc(B2, r1ts + 4, 2, [2, 60]),
      sender: 60,
      gateways: [nodeId(60)],
      preds: [{ ring: B, ts: r1ts + 1 }],
    }
    deliver(p.ring, 60, b2, SRP1)
    deliver(
      p.ring,
      60,
      { kind: 'tc', sender: nodeId(60), ccTs: b2.ts, ccRing: B2, rings: [] },
      SRP1,
    )
    // The LAN's next ring R2, with both gateways from R1: its CC installs R2 and A.
    p.ring.autoAgree = true
    const srp2: RingId = { rep: 50, seq: 6n }
    const r2 = form(p.ring, srp2, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true },
    }).forRing
    const r2ts = p.mr.clock
    deliver(p.ring, 50, nt(50, r2ts, r2, [view(A, 1, [1, 50])]), srp2)
    deliver(p.ring, 60, nt(60, r2ts, r2, []), srp2)
    deliver(p.ring, 50, { ...gv(1, 5000), stamped: true, ring: A }, srp2)
    return { ...p, r2 }
  }

  it('is not held behind that CC: the look-ahead sees B end (0x8a603)', () => {
    const p = stuckBehindGivenUp()
    // A5 goes in R2's CC's transitional configuration, then R2 installs. Held, B2's CC left
    // B open below R2's CC, and the look-ahead waited for a lower CC that 50 might bring.
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A5'])
    expect(p.rec.confs.at(-2)?.kind).toBe('transitional')
    expect(p.rec.delivered[0]?.ring).toBe(ringKey(p.rec.confs.at(-2)!.ringId))
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(p.r2)].sort())
  })
})

describe('a far CC that ends the ring where a remote CC saw its only gateway', () => {
  /**
   * Gateway 100 on LAN 0 {50, 100} and LAN 1 {60, 100}. 50 brings the CC of A (LAN 2, gateway
   * 50) and that of A's successor A2 (with 50 and 70): A's CC waits for its TC (60, with us
   * since before, may still bring it on LAN 1). LAN 0's next ring R1 {50, 70, 100}, 70 new to
   * us, has its CC given up by agreement; on the ring after it 50 is back as a new incarnation,
   * so only A2, where 50 was seen since A's CC came, may still bring the TC through 70.
   */
  function waitingOnA2() {
    const g = processor(100, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const S1: RingId = { rep: 60, seq: 6n }
    const r1 = form(lan1, S1, 100, [60, 100], { 60: { gateway: true } }).forRing
    deliver(lan1, 60, nt(60, g.mr.clock, r1, []), S1)
    const r0 = form(lan0, SRP0, 100, [50, 100], { 50: { gateway: true } }).forRing
    deliver(lan0, 50, nt(50, g.mr.clock, r0, []), SRP0)
    deliver(lan1, 60, gv(60, 10), S1)
    expect(keys(g.mr.topology)).toEqual([ringKey(r0), ringKey(r1)].sort())
    const A2: RingId = { rep: 1, seq: 11n }
    deliver(lan0, 50, remoteCc(A, 20, 2, [1, 50]), SRP0)
    deliver(
      lan0,
      50,
      {
        ...remoteCc(A2, 30, 2, [1, 50, 70]),
        preds: [{ ring: A, ts: 25 }],
        gateways: [nodeId(50), nodeId(70)],
        gatewayNonces: [HARNESS_NONCE, HARNESS_NONCE],
      },
      SRP0,
    )
    deliver(lan0, 50, gv(50, 1000), SRP0, 'safe')
    deliver(lan1, 60, gv(60, 1000), S1, 'safe')
    // R1 {50, 70, 100}: 70 is a gateway new to us, and 50 proposes to give R1's CC up.
    lan0.autoAgree = false
    const r1b = form(lan0, SRP1, 100, [50, 70, 100], {
      50: { gateway: true },
      70: { gateway: true, pred: undefined },
    }).forRing
    const r1ts = g.mr.clock
    deliver(
      lan0,
      50,
      {
        kind: 'ack',
        sender: nodeId(50),
        nonce: HARNESS_NONCE,
        ccTs: r1ts,
        ccRing: r1b,
        rep: 0,
        proposed: true,
      },
      SRP1,
    )
    // The ring after it: 70 comes with us from R1, 50 is back as a new incarnation.
    const SRP2: RingId = { rep: 50, seq: 6n }
    form(lan0, SRP2, 100, [50, 70, 100], {
      50: { gateway: true, nonce: 7, pred: undefined },
      70: { gateway: true },
    })
    expect(blockedOf(g)).toContain(`20@${ringKey(A)}: remote CC`)
    // 70 forwards the CC of A2's successor A3, which ends A2 (50 on it is its new self).
    const A3: RingId = { rep: 1, seq: 12n }
    const a3: CcMessage = {
      ...remoteCc(A3, g.mr.clock + 5, 2, [1, 50, 70]),
      sender: 70,
      preds: [{ ring: A2, ts: 40 }],
      gateways: [nodeId(50), nodeId(70)],
      gatewayNonces: [7, HARNESS_NONCE],
    }
    deliver(lan0, 70, a3, SRP2)
    const tcA = (lan: FakeRing) => sentOf(lan, 'tc').find((t) => ringKey(t.ccRing) === ringKey(A))
    return { ...g, lan0, lan1, tcA }
  }

  it("is not held behind a CC of ours given up by agreement: A's CC is given up (0x8d204)", () => {
    const g = waitingOnA2()
    // A2 has ended: no incarnation of A's gateway is left to send its TC. Held behind R1's CC,
    // which delivery (stuck at A's CC) never reached, A3's CC left A2 open, and 100 and 60,
    // each a gateway mate of the other since before A's CC, waited on each other for ever.
    expect(blockedOf(g)).not.toContain(`20@${ringKey(A)}: remote CC`)
    // The processors behind us never shared a LAN with 50: a TC naming no ring tells them.
    for (const lan of [g.lan0, g.lan1]) expect(g.tcA(lan)?.rings).toEqual([])
  })
})

describe("a far ring's member that joined it anew from another component", () => {
  it('is not counted for a safe message below its CC, though on its source ring (0x75609)', () => {
    const p = established()
    // A (LAN 1: 1, 2 and gateway 50) joins through 50; A stamps a safe message from 1 at 5.
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 2, 50]), SRP0)
    const tcA: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 2, 50])],
    }
    deliver(p.ring, 50, tcA, SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    expect(regulars(p).at(-1)).toEqual([1, 2, 50, 100])
    deliver(p.ring, 50, { ...reg(A, 5), sender: nodeId(1), guarantee: 'safe' }, SRP0)
    // R0's row shows 50 and us to hold it; LAN 1's next ring C ends A at 5: 1 and 50 come from
    // A, 2 from a ring Z of its own (it split off, and may have given A's CC up there). C's GVs
    // (50's srp safe deliveries on C) cover A's message for every member of C.
    const C: RingId = { rep: 1, seq: 30n }
    const Z: RingId = { rep: 2, seq: 25n }
    deliver(
      p.ring,
      50,
      {
        ...remoteCc(C, 10, 1, [1, 2, 50]),
        preds: [
          { ring: A, ts: 5 },
          { ring: Z, ts: 4 },
        ],
        memberPreds: [0, 1, 0],
      },
      SRP0,
    )
    const cGv = { ...gv(50, 12), stamped: true, ring: C, entries: [{ ring: A, ts: 5 }] }
    deliver(p.ring, 50, cGv, SRP0)
    const r0Gv = { ...gv(50, 1001), stamped: true, ring: p.r0, entries: [{ ring: A, ts: 5 }] }
    deliver(p.ring, 50, r0Gv, SRP0, 'safe')
    // 2 holds A5 (it got it on A), but no row shows it installed our topology: A5 waits.
    expect(p.rec.delivered).toEqual([])
    expect(blockedOf(p)).toContain(`5@${ringKey(A)}: safe, not held by 2`)
  })
  it('nor on a later ring it came to with the gateways from the one it joined anew (0x18402)', () => {
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 2, 50]), SRP0)
    const tcA: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 2, 50])],
    }
    deliver(p.ring, 50, tcA, SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    deliver(p.ring, 50, { ...reg(A, 5), sender: nodeId(1), guarantee: 'safe' }, SRP0)
    // LAN 1's next ring C: 2 joins it anew from Z (as above); then the ring D after C, where
    // every member, 2 too, comes from C. D's GVs cover A's message for every member of D, but
    // the gateways vouch for 2 only from C's CC on: below it, 2 was in another component.
    const C: RingId = { rep: 1, seq: 30n }
    const Z: RingId = { rep: 2, seq: 25n }
    const D: RingId = { rep: 1, seq: 40n }
    deliver(
      p.ring,
      50,
      {
        ...remoteCc(C, 10, 1, [1, 2, 50]),
        preds: [
          { ring: A, ts: 5 },
          { ring: Z, ts: 4 },
        ],
        memberPreds: [0, 1, 0],
      },
      SRP0,
    )
    const ccD = { ...remoteCc(D, 20, 1, [1, 2, 50]), preds: [{ ring: C, ts: 10 }] }
    deliver(p.ring, 50, { ...ccD, memberPreds: [0, 0, 0] }, SRP0)
    const dGv = { ...gv(50, 22), stamped: true, ring: D, entries: [{ ring: A, ts: 5 }] }
    deliver(p.ring, 50, dGv, SRP0)
    const r0Gv = { ...gv(50, 1001), stamped: true, ring: p.r0, entries: [{ ring: A, ts: 5 }] }
    deliver(p.ring, 50, r0Gv, SRP0, 'safe')
    expect(p.rec.delivered).toEqual([])
    expect(blockedOf(p)).toContain(`5@${ringKey(A)}: safe, not held by 2`)
  })
})

describe("a far ring's row that does not show its members holding our topology's CC", () => {
  it('counts them for no safe message of that topology until it does (0x88505)', () => {
    const p = established()
    // A (LAN 1: 1, 2 and gateway 50) joins through 50, then C (LAN 2: 3 and 50) at 10.
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 2, 50]), SRP0)
    const rA = view(A, 1, [1, 2, 50])
    const tcA: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), rA],
    }
    deliver(p.ring, 50, tcA, SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    const C: RingId = { rep: 3, seq: 30n }
    deliver(p.ring, 50, remoteCc(C, 10, 2, [3, 50]), SRP0)
    const tcC: TcMessage = {
      ...tcA,
      ccTs: 10,
      ccRing: C,
      rings: [...tcA.rings, view(C, 2, [3, 50])],
    }
    // A safe message of A at 12. C's and R0's GVs cover it; A's GV covers it too, but was sent
    // before C's CC came round on LAN 1 (its column for C is below C's CC): 1 and 2 hold the
    // message, and may never get the CC that installed the topology we would deliver it in.
    deliver(p.ring, 50, { ...reg(A, 12), guarantee: 'safe' }, SRP0)
    deliver(p.ring, 50, tcC, SRP0)
    expect(regulars(p).at(-1)).toEqual([1, 2, 3, 50, 100])
    const cGv = { ...gv(50, 13), stamped: true, ring: C, entries: [{ ring: A, ts: 12 }] }
    deliver(p.ring, 50, cGv, SRP0)
    const aGv = { ...gv(50, 14), stamped: true, ring: A, entries: [{ ring: A, ts: 12 }] }
    deliver(p.ring, 50, aGv, SRP0)
    const r0Gv = { ...gv(50, 1001), stamped: true, ring: p.r0, entries: [{ ring: A, ts: 12 }] }
    deliver(p.ring, 50, r0Gv, SRP0, 'safe')
    expect(p.rec.delivered).toEqual([])
    expect(blockedOf(p)).toContain(`12@${ringKey(A)}: safe, not held by 1`)
    // A's next GV shows its members holding C's CC: the message is delivered.
    const aGv2 = { ...aGv, ts: 15, entries: [...aGv.entries, { ring: C, ts: 10 }] }
    deliver(p.ring, 50, aGv2, SRP0)
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A12'])
  })
})

describe('a gateway whose ring on another LAN has its CC settled as given up', () => {
  it('sends no NT for a later CC before that ring ends, even while delivery is below it (0x7520b)', () => {
    const g = processor(50, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const L1A: RingId = { rep: 3, seq: 8n }
    const L1B: RingId = { rep: 3, seq: 9n }
    const L1C: RingId = { rep: 3, seq: 10n }
    // LAN 1: R1 {3, 50}; LAN 0: R0a {50, 100} (100 an ordinary node): both installed.
    const r1 = form(lan1, L1A, 50, [3, 50]).forRing
    const r0a = form(lan0, SRP0, 50, [50, 100]).forRing
    deliver(lan1, 3, gv(3, 10), L1A)
    expect(keys(g.mr.topology)).toEqual([ringKey(r0a), ringKey(r1)].sort())
    // A safe message of R1 that no row shows 3 or 100 to hold: delivery stops below it.
    deliver(lan1, 3, { ...reg(r1, 20), sender: nodeId(3), guarantee: 'safe' }, L1A)
    deliver(lan0, 100, gv(100, 30), SRP0) // R0a moves past it
    expect(blockedOf(g)).toContain(`20@${ringKey(r1)}: safe, not held by`)
    // LAN 1's next ring R1b: 3 proposes to give its CC up, so it is settled as given up, ahead
    // of delivery (which stays below it).
    lan1.autoAgree = false
    const r1b = form(lan1, L1B, 50, [3, 50]).forRing
    const r1bTs = g.mr.clock
    deliver(
      lan1,
      3,
      {
        kind: 'ack',
        sender: nodeId(3),
        nonce: HARNESS_NONCE,
        ccTs: r1bTs,
        ccRing: r1b,
        rep: 0,
        proposed: true,
      },
      L1B,
    )
    // LAN 0's next ring R0b gets a CC above R1b's. The early transitional configuration's
    // look-ahead passes R1b's CC (given up) and reaches R0b's: our NT for it would say nothing
    // of LAN 1 (R1 is superseded, R1b in no topology), and 100 would order past the CC LAN 1's
    // next ring gets before that CC reached it. No NT while R1b waits for its successor's CC.
    const r0b = form(lan0, SRP1, 50, [50, 100]).forRing
    expect(sentOf(lan0, 'nt').filter((m) => ringKey(m.ccRing) === ringKey(r0b))).toEqual([])
    // LAN 1's next ring ends R1b: its CC goes onto LAN 0 ahead of our NT for R0b.
    lan1.autoAgree = true
    const r1c = form(lan1, L1C, 50, [3, 50]).forRing
    const onLan0 = lan0.sent.map((s) => decodeMrMessage(s.bytes))
    const ccAt = onLan0.findIndex((m) => m.kind === 'cc' && ringKey(m.ring) === ringKey(r1c))
    const ntAt = onLan0.findIndex((m) => m.kind === 'nt' && ringKey(m.ccRing) === ringKey(r0b))
    expect(ccAt).toBeGreaterThanOrEqual(0)
    expect(ntAt).toBeGreaterThan(ccAt)
  })
})

describe('what srp delivered while a start round formed that was then abandoned', () => {
  it('a start names it, as a hash, until the next ring is established', () => {
    const p = established()
    // srp: a new ring with 50 only (60 is elsewhere); its round is abandoned after 50's forward.
    install(p.ring, SRP1, [50, 100])
    expect(sentOf(p.ring, 'start').at(-1)?.abandoned).toBeUndefined()
    deliver(p.ring, 50, reg(A, 3), SRP1)
    const SRP2: RingId = { rep: 50, seq: 6n }
    install(p.ring, SRP2, [50, 60, 100])
    const s = sentOf(p.ring, 'start').at(-1) as StartMessage
    expect(s.pred?.ring).toEqual(p.r0)
    expect(s.abandoned).toBeGreaterThan(0)
  })

  it('a mate that ended our previous ring where we did but got more in such a round: we end it alone (0x75807)', () => {
    const p = established()
    // 50 names our previous ring and last timestamp, but srp gave it forwards in a round
    // without us: we never get them, and leave the topology alone, as for a lost tail.
    form(p.ring, SRP1, 100, [50, 100], { 50: { gateway: true, abandoned: 0x1234 } })
    expect(p.mr.stats().tailsLost).toBe(1)
    const last = p.rec.confs.at(-1)
    expect(last?.kind).toBe('transitional')
    expect(last?.members).toEqual([100])
  })

  it('a mate that got only a prefix of it joins anew, and we do not end the ring alone', () => {
    const p = established()
    install(p.ring, SRP1, [50, 100])
    deliver(p.ring, 50, reg(A, 3), SRP1)
    const SRP2: RingId = { rep: 50, seq: 6n }
    // 60 was with us on R0 and ended it where we did, but was not in SRP1: no hash.
    const mine = form(p.ring, SRP2, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { abandoned: 0 },
    })
    expect(mine.abandoned).toBeGreaterThan(0)
    expect(p.mr.stats().tailsLost).toBe(0)
  })

  it('a mate that got what we got in such a round comes with us', () => {
    const p = established()
    install(p.ring, SRP1, [50, 100])
    deliver(p.ring, 50, reg(A, 3), SRP1)
    const SRP2: RingId = { rep: 50, seq: 6n }
    const mine = form(p.ring, SRP2, 100, [50, 100], { 50: { gateway: true } })
    expect(mine.abandoned).toBeGreaterThan(0)
    expect(p.mr.stats().tailsLost).toBe(0)
  })
})

describe('a remote ring whose CC its members gave up by agreement', () => {
  /** 100 on LAN 0 with gateway 50; A's CC (LAN 1, gateway 50) and its void TC come. */
  function voidedA() {
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    const tc: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [],
      void: true,
    }
    deliver(p.ring, 50, tc, SRP0)
    return p
  }

  it('blocks while its gateway is still around: its successor CC may still end it', () => {
    const p = voidedA()
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    expect(p.mr.stats().ccsAbandoned).toBe(1)
    expect(closedOf(p, A)).toBe(false)
    expect(blockedOf(p)).toContain(`empty list of ${ringKey(A)}`)
  })

  it('stops blocking once its successor CC ends it, whatever of it came (0xa2602)', () => {
    const p = voidedA()
    // Of A's messages only 3 and 4 come here (the path that brought them gave A's CC up on its
    // own and drops the rest); nobody delivers any of them.
    deliver(p.ring, 50, reg(A, 3), SRP0)
    deliver(p.ring, 50, reg(A, 4), SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    expect(blockedOf(p)).toContain(`empty list of ${ringKey(A)}`)
    // A's successor B names A's end 10: B's CC now holds delivery by itself, and A's last
    // messages, 5 to 10, are not waited for.
    deliver(p.ring, 50, { ...remoteCc(B, 30, 1, [1, 50]), preds: [{ ring: A, ts: 10 }] }, SRP0)
    expect(blockedOf(p)).not.toContain(ringKey(A))
    expect(blockedOf(p)).toContain(`30@${ringKey(B)}: remote CC`)
  })

  it('closes when it is cut off from us by the time its CC is given up (0x74205)', () => {
    const p = voidedA()
    // 50 comes back as a new incarnation before delivery reaches A's CC: nothing can bring A's
    // successor CC here any more, though A's CC is given up only later.
    const r1 = form(p.ring, SRP1, 100, [50, 100], { 50: { gateway: true, nonce: 7 } }).forRing
    // Our old ring ended where it was: A's CC is the lowest key, given up by its void TC, and
    // A no longer blocks (closed, and pruned).
    expect(p.mr.stats().ccsAbandoned).toBe(1)
    expect(closedOf(p, A)).not.toBe(false)
    expect(blockedOf(p)).not.toContain(ringKey(A))
    deliver(p.ring, 50, nt(50, p.mr.clock, r1, []), SRP1)
    // Delivery goes on past it: our next ring's CC installs.
    expect(keys(p.mr.topology)).toEqual([ringKey(r1)])
    expect(regulars(p).at(-1)).toEqual([50, 100])
  })
})

describe('mates that came together through a ring of ours given up by agreement', () => {
  it('move on together, though the old topology linked them only through a restarted gateway (0x80205)', () => {
    const p = established()
    // F (LAN 1: gateways 50 and 60) joins; its TC also brings Q, a ring of 60 alone on our LAN:
    // in this topology 60 is linked to us only through 50.
    const F: RingId = { rep: 60, seq: 30n }
    const Q: RingId = { rep: 60, seq: 31n }
    deliver(p.ring, 50, remoteCc(F, 2, 1, [50, 60]), SRP0)
    const tcF: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: F,
      rings: [view(p.r0, 0, [50, 100]), view(F, 1, [50, 60]), view(Q, 0, [60])],
    }
    deliver(p.ring, 50, tcF, SRP0)
    deliver(p.ring, 50, gv(50, 10), SRP0)
    deliver(p.ring, 50, { ...gv(50, 10), stamped: true, ring: F }, SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(F), ringKey(Q), ringKey(p.r0)].sort())
    // 50 fails; srp puts 60 (from Q) and us (from R0) on ring X, whose CC 60 gives up.
    p.ring.autoAgree = false
    const x = form(p.ring, SRP1, 100, [60, 100], {
      60: { gateway: true, pred: { ring: Q, ts: 1 } },
    }).forRing
    const xTs = p.mr.clock
    deliver(p.ring, 60, nt(60, xTs, x, []), SRP1)
    const no = { kind: 'ack', sender: nodeId(60), nonce: HARNESS_NONCE, ccTs: xTs, ccRing: x }
    deliver(p.ring, 60, { ...no, rep: 0, proposed: true } as MrMessage, SRP1)
    // 50 comes back as a new incarnation; 60 and we come from X together into Y.
    p.ring.autoAgree = true
    const S2: RingId = { rep: 50, seq: 6n }
    const y = form(p.ring, S2, 100, [50, 60, 100], {
      50: { gateway: true, nonce: 7, pred: undefined },
      60: { gateway: true },
    }).forRing
    deliver(p.ring, 50, nt(50, p.mr.clock, y, []), S2)
    deliver(p.ring, 60, nt(60, p.mr.clock, y, []), S2)
    expect(keys(p.mr.topology)).toEqual([ringKey(y)])
    expect(p.mr.stats().ccsAbandoned).toBe(1)
    const trans = p.rec.confs.at(-2)
    expect(trans?.kind).toBe('transitional')
    expect([...(trans?.members ?? [])]).toEqual([60, 100])
  })
})

describe('a far ring that the next topology leaves out', () => {
  it('no longer blocks below that CC in its early transitional configuration (0x80500)', () => {
    const p = established()
    // H (LAN 1: gateways 50 and 60) joins through 50; its TC brings A (LAN 2: 1 and 60), which
    // we reach only through 60 on H.
    const H: RingId = { rep: 60, seq: 30n }
    deliver(p.ring, 50, remoteCc(H, 2, 1, [50, 60]), SRP0)
    const tcH: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: H,
      rings: [view(p.r0, 0, [50, 100]), view(H, 1, [50, 60]), view(A, 2, [1, 60])],
    }
    deliver(p.ring, 50, tcH, SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    deliver(p.ring, 50, { ...gv(60, 2000), stamped: true, ring: H }, SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(H), ringKey(p.r0)].sort())
    // A safe message of A that no row shows 1 or 60 to hold.
    deliver(p.ring, 50, { ...reg(A, 5), sender: nodeId(1), guarantee: 'safe' }, SRP0)
    expect(blockedOf(p)).toContain(`5@${ringKey(A)}: safe, not held by`)
    // 60 left H (we cannot see it), so A is cut off at 50: 50's NT for our next ring R1 lists
    // H alone, and R1's CC installs R1 and H.
    const r1 = form(p.ring, SRP1, 100, [50, 100], { 50: { gateway: true } }).forRing
    const r1ts = p.mr.clock
    // A's end (its successor's CC, far above R1's) came from beyond 60, but nothing of A above 5.
    const A2: RingId = { rep: 1, seq: 11n }
    const a2: CcMessage = {
      ...remoteCc(A2, r1ts + 1000, 2, [1, 60]),
      gateways: [nodeId(60)],
      preds: [{ ring: A, ts: r1ts + 999 }],
    }
    deliver(p.ring, 50, a2, SRP1)
    deliver(p.ring, 50, { ...gv(60, r1ts + 500), stamped: true, ring: H }, SRP1)
    // A5 goes in R1's transitional configuration, entered early; then A, which still seems
    // reachable here through 60 and could send below R1's CC by its end, no longer blocks.
    deliver(p.ring, 50, nt(50, r1ts, r1, [view(H, 1, [50, 60])]), SRP1)
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A5'])
    expect(blockedOf(p)).not.toContain(`empty list of ${ringKey(A)}`)
    expect(keys(p.mr.topology)).toEqual([ringKey(H), ringKey(r1)].sort())
    expect(p.rec.confs.at(-2)?.kind).toBe('transitional')
    expect(p.rec.delivered[0]?.ring).toBe(ringKey(p.rec.confs.at(-2)!.ringId))
  })

  it('nor when a successor CC above that CC names an end below it (0x9c009)', () => {
    const p = established()
    const H: RingId = { rep: 60, seq: 30n }
    deliver(p.ring, 50, remoteCc(H, 2, 1, [50, 60]), SRP0)
    const tcH: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: H,
      rings: [view(p.r0, 0, [50, 100]), view(H, 1, [50, 60]), view(A, 2, [1, 60])],
    }
    deliver(p.ring, 50, tcH, SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    deliver(p.ring, 50, { ...gv(60, 2000), stamped: true, ring: H }, SRP0)
    deliver(p.ring, 50, { ...reg(A, 5), sender: nodeId(1), guarantee: 'safe' }, SRP0)
    expect(blockedOf(p)).toContain(`5@${ringKey(A)}: safe, not held by`)
    // As above, R1's CC leaves A out (cut off at 50); A's successor's CC is far above R1's, but
    // the end it names, the last timestamp 1 stamped on A, is below it: its installers never
    // held A up to there, and nothing brings the rest of A here.
    const r1 = form(p.ring, SRP1, 100, [50, 100], { 50: { gateway: true } }).forRing
    const r1ts = p.mr.clock
    const A2: RingId = { rep: 1, seq: 11n }
    const a2: CcMessage = {
      ...remoteCc(A2, r1ts + 1000, 2, [1, 60]),
      gateways: [nodeId(60)],
      preds: [{ ring: A, ts: r1ts - 1 }],
    }
    deliver(p.ring, 50, a2, SRP1)
    deliver(p.ring, 50, { ...gv(60, r1ts + 500), stamped: true, ring: H }, SRP1)
    deliver(p.ring, 50, nt(50, r1ts, r1, [view(H, 1, [50, 60])]), SRP1)
    // A5 goes in R1's transitional configuration and A no longer blocks below R1's CC: R1 installs.
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A5'])
    expect(blockedOf(p)).not.toContain(`empty list of ${ringKey(A)}`)
    expect(keys(p.mr.topology)).toEqual([ringKey(H), ringKey(r1)].sort())
    expect(p.rec.confs.at(-2)?.kind).toBe('transitional')
  })

  it('but a predecessor of that CC itself still blocks there up to its end (0x5002)', () => {
    const p = established()
    const H: RingId = { rep: 60, seq: 30n }
    deliver(p.ring, 50, remoteCc(H, 2, 1, [50, 60]), SRP0)
    const tcH: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: H,
      rings: [view(p.r0, 0, [50, 100]), view(H, 1, [50, 60]), view(A, 2, [1, 60])],
    }
    deliver(p.ring, 50, tcH, SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    deliver(p.ring, 50, { ...gv(60, 2000), stamped: true, ring: H }, SRP0)
    deliver(p.ring, 50, { ...reg(A, 5), sender: nodeId(1), guarantee: 'safe' }, SRP0)
    expect(blockedOf(p)).toContain(`5@${ringKey(A)}: safe, not held by`)
    // A's successor A2 ends it at 2500 with its own CC at 3000, whose TC (A2, H, R0) leaves A
    // out: its installers deliver A up to 2500, and so do we, in its transitional configuration.
    const A2: RingId = { rep: 1, seq: 11n }
    deliver(
      p.ring,
      50,
      {
        ...remoteCc(A2, 3000, 2, [1, 60]),
        gateways: [nodeId(60)],
        preds: [{ ring: A, ts: 2500 }],
      },
      SRP0,
    )
    const tcA2: TcMessage = {
      kind: 'tc',
      sender: nodeId(60),
      ccTs: 3000,
      ccRing: A2,
      rings: [view(p.r0, 0, [50, 100]), view(H, 1, [50, 60]), view(A2, 2, [1, 60])],
    }
    deliver(p.ring, 50, tcA2, SRP0)
    deliver(p.ring, 50, gv(50, 4000), SRP0)
    deliver(p.ring, 50, { ...gv(60, 4000), stamped: true, ring: H }, SRP0)
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A5'])
    expect(p.rec.confs.at(-1)?.kind).toBe('transitional')
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(H), ringKey(p.r0)].sort())
    // Ended by that CC, not below it (by timestamp, 2500 is): A still blocks until its end.
    deliver(p.ring, 50, reg(A, 2500), SRP0)
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A5', 'A2500'])
    expect(keys(p.mr.topology)).toEqual([ringKey(A2), ringKey(H), ringKey(p.r0)].sort())
    expect(p.rec.confs.at(-1)?.kind).toBe('regular')
  })
})

describe('a CC of our own ring that we give up below a lost tail on another LAN', () => {
  it('goes out as a void TC, so the far processors waiting for it give it up too (0x5001)', () => {
    const g = processor(50, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const L1A: RingId = { rep: 3, seq: 8n }
    const L1B: RingId = { rep: 3, seq: 9n }
    // LAN 1: R1 {3, 50}; LAN 0: R0a {50, 100} (100 an ordinary node): both installed.
    const r1 = form(lan1, L1A, 50, [3, 50]).forRing
    const r0a = form(lan0, SRP0, 50, [50, 100]).forRing
    deliver(lan1, 3, gv(3, 10), L1A)
    expect(keys(g.mr.topology)).toEqual([ringKey(r0a), ringKey(r1)].sort())
    // srp puts 50 on a LAN-0 ring of its own, R0b; its NT is not back yet, so R0b's CC waits.
    // We are its only member and its only gateway: no one else can tell far processors about it.
    lan0.autoAgree = false
    const r0b = form(lan0, SRP1, 50, [50]).forRing
    deliver(lan1, 3, gv(3, 1000), L1A) // R1 moves past it
    expect(blockedOf(g)).toContain(`${ringKey(r0b)}: own CC, NT missing from 50`)
    // LAN 1's next ring: 3 got, in a round without us, what we never will (a lost tail). We end
    // the topology alone below that ring's CC, and R0b's CC, lower, is given up here.
    form(lan1, L1B, 50, [3, 50], { 3: { abandoned: 0x1234 } })
    expect(g.mr.stats().tailsLost).toBe(1)
    expect(g.mr.stats().ccsAbandoned).toBeGreaterThanOrEqual(1)
    // Its TC says so on both LANs: given up, as by agreement (our proposal 0 settles it).
    for (const lan of [lan0, lan1]) {
      const tcs = sentOf(lan, 'tc').filter((m) => ringKey(m.ccRing) === ringKey(r0b))
      expect(tcs).toEqual([expect.objectContaining({ void: true, rings: [] })])
    }
  })
})

describe('an own message stamped on a ring of ours whose CC is given up by agreement', () => {
  it('goes out again once per stamp: a copy of that stamp coming back later sends it no more (0x8f604)', () => {
    const p = established()
    // A (LAN 1, with 1) joins through 50; it stays empty just above each CC here, so what we
    // send waits for it.
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    deliver(
      p.ring,
      50,
      {
        kind: 'tc',
        sender: nodeId(50),
        ccTs: 2,
        ccRing: A,
        rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 50])],
      },
      SRP0,
    )
    deliver(p.ring, 50, gv(50, 10), SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(p.r0)].sort())
    const own = () =>
      sentOf(p.ring, 'regular').filter((m) => m.sender === 100 && m.payload.length === 1)
    expect(p.mr.send(enc.encode('x'), 'agreed')).toBe('queued')
    expect(own().map((m) => m.lanSeq)).toEqual([1])
    // srp moves to R1 {50, 100} before it delivers our message; delivered there, R1 stamps it.
    p.ring.autoAgree = false
    const r1 = form(p.ring, SRP1, 100, [50, 100], { 50: { gateway: true } }).forRing
    deliver(p.ring, 100, own()[0] as RegularMessage, SRP1)
    const stamp1 = p.mr.clock
    expect(stamp1).toBeGreaterThan(0)
    // 50 proposes to give R1's CC up; A moves past our stamp, delivery reaches R1's CC and gives
    // it up: our message goes out again (once R2 is in the topology).
    deliver(
      p.ring,
      50,
      {
        kind: 'ack',
        sender: nodeId(50),
        nonce: HARNESS_NONCE,
        ccTs: stamp1 - 1,
        ccRing: r1,
        rep: 0,
        proposed: true,
      },
      SRP1,
    )
    deliver(p.ring, 50, { ...gv(1, stamp1 + 1), stamped: true, ring: A }, SRP1)
    p.ring.autoAgree = true
    const srp2: RingId = { rep: 50, seq: 6n }
    const r2 = form(p.ring, srp2, 100, [50, 100], { 50: { gateway: true } }).forRing
    const r2ts = p.mr.clock
    deliver(p.ring, 50, nt(50, r2ts, r2, [view(A, 1, [1, 50])]), srp2)
    deliver(p.ring, 50, { ...gv(1, r2ts + 1), stamped: true, ring: A }, srp2)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(r2)].sort())
    expect(own().map((m) => m.lanSeq)).toEqual([1, 2])
    // R2 stamps it anew; A, still below, holds its delivery back.
    deliver(p.ring, 100, own()[1] as RegularMessage, srp2)
    expect(p.rec.delivered).toEqual([])
    // A gateway forwards back to us a copy of the stamp R1 gave it (another path). That stamp
    // was given up already: sent a third time, the message took a third key on R2 while the
    // second was still to be delivered.
    deliver(
      p.ring,
      50,
      { ...(own()[0] as RegularMessage), stamped: true, ring: r1, ts: stamp1 },
      srp2,
    )
    expect(own().map((m) => m.lanSeq)).toEqual([1, 2])
    deliver(p.ring, 50, { ...gv(1, 9000), stamped: true, ring: A }, srp2)
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['x'])
  })
})

describe('a remote ring whose void TC comes while the look-ahead waits below its CC', () => {
  it("blocks the look-ahead until its successor's CC: our NT for a later CC lists that ring (0x92305)", () => {
    // Gateway 50 on LAN 1 {3, 50} (3 a gateway to LAN 0) and LAN 2 {50, 100}.
    const g = processor(50, [1, 2])
    const lan1 = g.rings.get(1)!
    const lan2 = g.rings.get(2)!
    const L1A: RingId = { rep: 3, seq: 8n }
    const L2A: RingId = { rep: 50, seq: 8n }
    const L2B: RingId = { rep: 50, seq: 9n }
    const A0: RingId = { rep: 1, seq: 10n }
    const A1: RingId = { rep: 1, seq: 11n }
    const A2: RingId = { rep: 1, seq: 12n }
    const r2a = form(lan2, L2A, 50, [50, 100]).forRing
    const r1 = form(lan1, L1A, 50, [3, 50], { 3: { gateway: true } }).forRing
    deliver(lan1, 3, nt(3, g.mr.clock, r1, [view(A0, 0, [1, 3])]), L1A)
    deliver(lan2, 100, gv(100, 10), L2A)
    expect(keys(g.mr.topology)).toEqual([ringKey(A0), ringKey(r1), ringKey(r2a)].sort())
    // A safe message of R1 that no row shows 1 or 100 to hold: delivery stops below it.
    deliver(lan1, 3, { ...reg(r1, 20), sender: nodeId(3), guarantee: 'safe' }, L1A)
    deliver(lan1, 3, { ...gv(1, 30), stamped: true, ring: A0 }, L1A)
    deliver(lan2, 100, gv(100, 60), L2A)
    expect(blockedOf(g)).toContain(`20@${ringKey(r1)}: safe, not held by`)
    // LAN 0's next ring A1 (CC 40, gateway 3); LAN 2's next ring R2b gets a CC above it.
    const a1: CcMessage = {
      ...remoteCc(A1, 40, 0, [1, 3]),
      sender: 3,
      gateways: [nodeId(3)],
      preds: [{ ring: A0, ts: 30 }],
    }
    deliver(lan1, 3, a1, L1A)
    const r2b = form(lan2, L2B, 50, [50, 100]).forRing
    const ntsFor = (r: RingId) => sentOf(lan2, 'nt').filter((m) => ringKey(m.ccRing) === ringKey(r))
    expect(ntsFor(r2b)).toEqual([])
    // A1's members gave its CC up by agreement: A1 blocks until its successor's CC ends it,
    // which 3 may still bring below R2b's CC. Passed as closed, the look-ahead reached R2b's CC
    // and our NT went out naming A0 superseded and nothing of LAN 0.
    deliver(
      lan1,
      3,
      { kind: 'tc', sender: nodeId(3), ccTs: 40, ccRing: A1, rings: [], void: true },
      L1A,
    )
    expect(ntsFor(r2b)).toEqual([])
    // A1's successor A2 (CC 50) and its TC come: A2 installs, then our NT for R2b lists it.
    const a2: CcMessage = {
      ...remoteCc(A2, 50, 0, [1, 3]),
      sender: 3,
      gateways: [nodeId(3)],
      preds: [{ ring: A1, ts: 40 }],
    }
    deliver(lan1, 3, a2, L1A)
    const tc2: TcMessage = {
      kind: 'tc',
      sender: nodeId(3),
      ccTs: 50,
      ccRing: A2,
      rings: [view(A2, 0, [1, 3]), view(r1, 1, [3, 50]), view(r2a, 2, [50, 100])],
    }
    deliver(lan1, 3, tc2, L1A)
    expect(regulars(g).at(-1)).toEqual([1, 3, 50, 100])
    // A2 and R1 move past R2b's CC.
    deliver(lan1, 3, { ...gv(1, 70), stamped: true, ring: A2 }, L1A)
    deliver(lan1, 3, gv(3, 70), L1A)
    const sent = ntsFor(r2b)
    expect(sent.length).toBe(1)
    expect(keys(sent[0]!.rings)).toEqual([ringKey(A2), ringKey(r1)].sort())
    expect(keys(g.mr.topology)).toEqual([ringKey(A2), ringKey(r1), ringKey(r2b)].sort())
  })
})

describe('a gateway that reaches a far ring whose CC its members gave up by agreement', () => {
  it('sends no NT for a CC of ours before that ring ends: a member joining anew there does not know it (0x97201)', () => {
    const g = processor(50, [0, 1])
    const lan0 = g.rings.get(0)!
    const lan1 = g.rings.get(1)!
    const L1A: RingId = { rep: 3, seq: 8n }
    const A2: RingId = { rep: 7, seq: 11n }
    // LAN 1: R1 {3, 50}; LAN 0: R0a {50, 100} (100 an ordinary node): both installed.
    const r1 = form(lan1, L1A, 50, [3, 50]).forRing
    const r0a = form(lan0, SRP0, 50, [50, 100]).forRing
    deliver(lan1, 3, gv(3, 10), L1A)
    expect(keys(g.mr.topology)).toEqual([ringKey(r0a), ringKey(r1)].sort())
    // A (LAN 2: 3 and 7, gateway 3): its CC comes over LAN 1 from 3, then its void TC.
    const far = (ring: RingId, ts: number): CcMessage => ({
      ...remoteCc(ring, ts, 2, [3, 7]),
      sender: nodeId(3),
      gateways: [nodeId(3)],
    })
    const aTs = g.mr.clock + 1
    deliver(lan1, 3, far(A, aTs), L1A)
    const voidTc: TcMessage = {
      kind: 'tc',
      sender: nodeId(3),
      ccTs: aTs,
      ccRing: A,
      rings: [],
      void: true,
    }
    deliver(lan1, 3, voidTc, L1A)
    deliver(lan1, 3, gv(3, aTs + 5), L1A)
    deliver(lan0, 100, gv(100, aTs + 5), SRP0)
    // Given up by agreement, A blocks until its successor's CC ends it.
    expect(g.mr.stats().ccsAbandoned).toBe(1)
    expect(blockedOf(g)).toContain(`empty list of ${ringKey(A)}`)
    // LAN 0's next ring R0b {50, 100, 200}: 200 joins us anew there (it knows nothing of A).
    // Our start goes out; then A's last GV moves A far past R0b's coming CC.
    install(lan0, SRP1, [50, 100, 200])
    const mine = sentOf(lan0, 'start').at(-1) as StartMessage
    const top = mine.clock + 100
    deliver(lan1, 3, { ...gv(3, top), stamped: true, ring: A }, L1A)
    deliver(lan1, 3, gv(3, top), L1A)
    deliver(lan0, 100, { ...mine, sender: nodeId(100), gateway: false }, SRP1)
    deliver(lan0, 200, { ...mine, sender: nodeId(200), gateway: false, pred: undefined }, SRP1)
    deliver(lan0, 50, mine, SRP1)
    const r0b = mine.forRing
    // Delivery reaches R0b's CC (A's placeholder is above it). Our NT would say nothing of LAN
    // 2 (A is in no topology), and 200 would order past A's successor's CC before it came.
    expect(blockedOf(g)).toContain(ringKey(r0b))
    expect(sentOf(lan0, 'nt').filter((m) => ringKey(m.ccRing) === ringKey(r0b))).toEqual([])
    // A's successor's CC ends A: it goes onto LAN 0 ahead of our NT for R0b.
    deliver(lan1, 3, { ...far(A2, top + 1), preds: [{ ring: A, ts: top }] }, L1A)
    const onLan0 = lan0.sent.map((s) => decodeMrMessage(s.bytes))
    const ccAt = onLan0.findIndex((m) => m.kind === 'cc' && ringKey(m.ring) === ringKey(A2))
    const ntAt = onLan0.findIndex((m) => m.kind === 'nt' && ringKey(m.ccRing) === ringKey(r0b))
    expect(ccAt).toBeGreaterThanOrEqual(0)
    expect(ntAt).toBeGreaterThan(ccAt)
  })
})

describe("a remote ring ended only by a CC from a mate that joined us after the ring's CC", () => {
  it('leaves that CC waiting for no TC: the mate cannot bring it, and the look-ahead passes it (0x9e602)', () => {
    const p = established()
    // A (LAN 1, with 1) joins through 50; a safe message of A that no row shows 1 or 50 to hold
    // blocks delivery (R0 cannot send below 1000).
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    const tcA: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(p.r0, 0, [50, 100]), view(A, 1, [1, 50])],
    }
    deliver(p.ring, 50, tcA, SRP0)
    deliver(p.ring, 50, gv(50, 1000), SRP0, 'safe')
    deliver(p.ring, 50, { ...reg(A, 5), guarantee: 'safe' }, SRP0)
    expect(blockedOf(p)).toContain(`5@${ringKey(A)}: safe, not held by`)
    // 50 forwards the CC of a far ring B (LAN 2) whose only gateway is 60, not with us yet: B's
    // CC waits for its TC, which only 60 can send.
    deliver(p.ring, 50, { ...remoteCc(B, 10, 2, [2, 60]), gateways: [nodeId(60)] }, SRP0)
    // R1 {50, 60, 100}, 60 a gateway new to us (with us since R1's CC, above B's: what it puts
    // on the ring below that is dropped, its TC for B's CC too). 50 proposes to give R1's CC up.
    p.ring.autoAgree = false
    const r1 = form(p.ring, SRP1, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true, pred: undefined },
    }).forRing
    const r1ts = p.mr.clock
    deliver(
      p.ring,
      50,
      {
        kind: 'ack',
        sender: nodeId(50),
        nonce: HARNESS_NONCE,
        ccTs: r1ts,
        ccRing: r1,
        rep: 0,
        proposed: true,
      },
      SRP1,
    )
    // 60 forwards the CC of B's successor B2 (2 and 60), which ends B, taken at once behind R1's
    // CC given up by agreement, and its TC, which does not reach us.
    const B2: RingId = { rep: 2, seq: 21n }
    const b2: CcMessage = {
      ...remoteCc(B2, r1ts + 4, 2, [2, 60]),
      sender: 60,
      gateways: [nodeId(60)],
      preds: [{ ring: B, ts: 12 }],
    }
    deliver(p.ring, 60, b2, SRP1)
    deliver(
      p.ring,
      60,
      { kind: 'tc', sender: nodeId(60), ccTs: b2.ts, ccRing: B2, rings: [view(B2, 2, [2, 60])] },
      SRP1,
    )
    // The LAN's next ring R2, 50 from R1 with us, 60 anew again (else A, reached through 50,
    // links on through 60, which came from R1 with it, to B): its CC installs R2 and A.
    p.ring.autoAgree = true
    const srp2: RingId = { rep: 50, seq: 6n }
    const r2 = form(p.ring, srp2, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true, pred: undefined },
    }).forRing
    const r2ts = p.mr.clock
    deliver(p.ring, 50, nt(50, r2ts, r2, [view(A, 1, [1, 50])]), srp2)
    deliver(p.ring, 60, nt(60, r2ts, r2, []), srp2)
    // A's GVs move it past every CC here, so only B's CC could still stop the look-ahead.
    deliver(p.ring, 50, { ...gv(1, 5000), stamped: true, ring: A }, srp2)
    // B2's CC showed B ended, but only 60 brought it: B's CC is given up as before it came (B is
    // cut off from us), and A5 goes in R2's CC's transitional configuration, then R2 installs.
    // Counted as "its TC is on its way", B's CC stopped the look-ahead for ever.
    expect(p.rec.delivered.map((d) => d.payload)).toEqual(['A5'])
    expect(p.rec.confs.at(-2)?.kind).toBe('transitional')
    expect(p.rec.delivered[0]?.ring).toBe(ringKey(p.rec.confs.at(-2)!.ringId))
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(r2)].sort())
  })
})

describe("our ring that a sibling's CC ends while srp still keeps us on it", () => {
  /**
   * 100 on LAN 0's ring R0 {50, 60, 100}; 50 links A (LAN 1 {1, 50}). srp splits R0 elsewhere:
   * 60 forms a ring S of its own, whose CC names R0, while our srp ring is unchanged.
   */
  function split() {
    const p = processor(100, [0])
    const ring = p.rings.get(0)!
    const gw = { gateway: true }
    const r0 = form(ring, SRP0, 100, [50, 60, 100], { 50: gw, 60: gw }).forRing
    deliver(ring, 50, nt(50, 1, r0, []), SRP0)
    deliver(ring, 60, nt(60, 1, r0, []), SRP0)
    deliver(ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    const tcA: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 2,
      ccRing: A,
      rings: [view(r0, 0, [50, 60, 100]), view(A, 1, [1, 50])],
    }
    deliver(ring, 50, tcA, SRP0)
    deliver(ring, 50, gv(50, 10), SRP0)
    deliver(ring, 50, { ...gv(1, 10), stamped: true, ring: A }, SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(r0)].sort())
    const S: RingId = { rep: 60, seq: 40n }
    const s: CcMessage = {
      ...remoteCc(S, 50, 0, [60]),
      sender: nodeId(60),
      gateways: [nodeId(60)],
      preds: [{ ring: r0, ts: 9 }],
    }
    return { p, ring, r0, s }
  }

  it('still links us to the mates srp keeps with us there: a far ring they link is not cut off (0xa2805)', () => {
    const { p, ring, s } = split()
    deliver(ring, 60, s, SRP0)
    expect(closedOf(p, A)).toBe(false)
    // What 50 forwards of A still comes, on R0, in srp's order.
    deliver(ring, 50, reg(A, 20), SRP0)
    expect(closedOf(p, A)).toBe(false)
  })

  it('but not through the mates that left it for that ring', () => {
    const { p, ring, r0, s } = split()
    // Here A is linked only by 60, which formed S.
    const tcB: TcMessage = {
      kind: 'tc',
      sender: nodeId(50),
      ccTs: 30,
      ccRing: B,
      rings: [view(r0, 0, [50, 60, 100]), view(A, 1, [1, 50]), view(B, 2, [2, 60])],
    }
    deliver(ring, 50, { ...remoteCc(B, 30, 2, [2, 60]), gateways: [nodeId(60)] }, SRP0)
    deliver(ring, 60, tcB, SRP0)
    deliver(ring, 50, gv(50, 40), SRP0)
    deliver(ring, 60, { ...gv(2, 40), stamped: true, ring: B }, SRP0)
    deliver(ring, 50, { ...gv(1, 40), stamped: true, ring: A }, SRP0)
    expect(keys(p.mr.topology)).toEqual([ringKey(A), ringKey(B), ringKey(r0)].sort())
    expect(closedOf(p, B)).toBe(false)
    deliver(ring, 60, s, SRP0)
    expect(closedOf(p, B)).toBe(true)
  })
})

describe('the empty TC that a void TC became where rule 7 would have dropped it', () => {
  it('is not dropped by rule 7 either: its sender is a member of the CC (0x9c201)', () => {
    // 100 on LAN 0 with gateway 50 (with us since before A's CC); A's CC (LAN 1, members 1
    // and 50) comes from 50.
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    // Gateway 60 joins LAN 0's next ring anew (its start names no ring of ours), and puts on
    // it, below the key it joined us at, the empty TC that 1's void TC for A became at a
    // gateway that itself had 1 as a mate only since later (sender 1, a member of A's CC).
    form(p.ring, SRP1, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true, nonce: 7, pred: undefined },
    })
    const tc: TcMessage = { kind: 'tc', sender: nodeId(1), ccTs: 2, ccRing: A, rings: [] }
    deliver(p.ring, 60, tc, SRP1)
    // Taken as the members' agreement: A's CC is given up here. Dropped (a TC like any other
    // from a mate new to us), the CC waited for a TC nothing could bring any more.
    expect(p.mr.stats().rxDropped[NEW_PATH]).toBeUndefined()
    expect(p.mr.stats().ccsAbandoned).toBe(1)
    expect(blockedOf(p)).not.toContain(`2@${ringKey(A)}: remote CC`)
  })

  it('from another processor (it gave the CC up where it is) is dropped as before', () => {
    const p = established()
    deliver(p.ring, 50, remoteCc(A, 2, 1, [1, 50]), SRP0)
    form(p.ring, SRP1, 100, [50, 60, 100], {
      50: { gateway: true },
      60: { gateway: true, nonce: 7, pred: undefined },
    })
    const tc: TcMessage = { kind: 'tc', sender: nodeId(60), ccTs: 2, ccRing: A, rings: [] }
    deliver(p.ring, 60, tc, SRP1)
    expect(p.mr.stats().rxDropped[NEW_PATH]).toBe(1)
    expect(p.mr.stats().ccsAbandoned).toBe(0)
  })
})
