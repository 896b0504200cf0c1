/**
 * Known-answer tests from the hex walks of shared/reference/corosync-totem-wire.md §10.3–§10.10.
 * The expected bytes and field values are transcribed from the reference; where a walk lists the
 * whole message the bytes are built from it, and every walk is also checked against the captured
 * frame it names (join-cpg capture unless said otherwise).
 */
import { describe, expect, it } from 'vitest'
import {
  createAssembler,
  decodeAppMessage,
  decodeEncapsulated,
  decodeMcast,
  decodeMembCommitToken,
  decodeMembJoin,
  decodeOrfToken,
  decodePgPacket,
  decodeTotemMessage,
  encodeAppMessage,
  encodeTotemMessage,
  isLeave,
  type Mcast,
  type PgPacket,
} from '../src/index.ts'
import { hex, loadFixture } from './support/fixtures.ts'

const JOIN_CPG = 'corosync317-udpu-join-cpg'
const RETRANSMIT = 'corosync317-udpu-retransmit-recovery'

/** The bytes of a walk: `[offset, hex]` rows that must tile the message from 0 without gaps. */
function walk(rows: readonly (readonly [number, string])[]): Uint8Array {
  const parts: Uint8Array[] = []
  let at = 0
  for (const [offset, h] of rows) {
    expect(offset, `walk row at ${offset}`).toBe(at)
    const b = hex(h)
    parts.push(b)
    at += b.length
  }
  return new Uint8Array(Buffer.concat(parts))
}

/** Asserts that `bytes` holds `h` at `offset` (for walks that list only some fields). */
function expectAt(bytes: Uint8Array, offset: number, h: string): void {
  const want = hex(h)
  expect(
    Buffer.from(bytes.subarray(offset, offset + want.length)).toString('hex'),
    `@${offset}`,
  ).toBe(Buffer.from(want).toString('hex'))
}

const zeros = (n: number): string => '00'.repeat(n)
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex')
/** A 136-byte CPG group name struct: length + pad, name zero-filled to 128. */
const cpgName = (s: string): string =>
  `${Buffer.from([s.length, 0, 0, 0]).toString('hex')} ${zeros(4)} ${ascii(s)}${zeros(128 - s.length)}`

const ring = (rep: number, seq: bigint) => ({ rep, seq })

describe('§10.3 JOIN and leave', () => {
  it('join (frame 1, 37 bytes, node 1 at startup)', () => {
    const bytes = walk([
      [0, '70 c0'],
      [2, '03'],
      [3, '03'],
      [4, '00'],
      [5, '01 00 00 00'],
      [9, '00 00 00 00'],
      [13, '01 00 00 00'],
      [17, '01 00 00 00'],
      [21, '00 00 00 00'],
      [25, '01 00 00 00 00 00 00 00'],
      [33, '01 00 00 00'],
    ])
    expect(bytes.length).toBe(37)
    expect(loadFixture(JOIN_CPG, 1).bytes).toEqual(bytes)
    const j = decodeMembJoin(bytes)
    expect(j).toEqual({
      type: 'join',
      nodeid: 1,
      targetNodeid: 0,
      systemFrom: 1,
      procList: [1],
      failedList: [],
      ringSeq: 1n,
    })
    expect(isLeave(j)).toBe(false)
    expect(decodeTotemMessage(bytes)).toEqual(j)
    expect(encodeTotemMessage(j)).toEqual(bytes)
  })

  it('leave (frame 496, 45 bytes): nodeid 0, from 3, proc [1,2], failed [3]', () => {
    const bytes = hex(
      '70 c0 03 03 00 00 00 00 00 00 00 00 00 03 00 00 00 02 00 00 00 01 00 00 00' +
        '0d 00 00 00 00 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00',
    )
    expect(bytes.length).toBe(45)
    expect(loadFixture(JOIN_CPG, 496).bytes).toEqual(bytes)
    const j = decodeMembJoin(bytes)
    expect(isLeave(j)).toBe(true)
    expect(j).toMatchObject({ nodeid: 0, systemFrom: 3, procList: [1, 2], failedList: [3] })
    expect(j.ringSeq).toBe(13n)
    expect(encodeTotemMessage(j)).toEqual(bytes)
  })
})

describe('§10.4 MERGE_DETECT and TOKEN_HOLD_CANCEL', () => {
  it('merge-detect (frame 15, 29 bytes): garbage target_nodeid kept, ring 1.5', () => {
    const bytes = walk([
      [0, '70 c0 03 02 00'],
      [5, '01 00 00 00'],
      [9, '77 17 3e 19'],
      [13, '01 00 00 00'],
      [17, '01 00 00 00'],
      [21, '05 00 00 00 00 00 00 00'],
    ])
    expect(bytes.length).toBe(29)
    expect(loadFixture(JOIN_CPG, 15).bytes).toEqual(bytes)
    const m = decodeTotemMessage(bytes)
    expect(m).toEqual({
      type: 'merge-detect',
      nodeid: 1,
      targetNodeid: 0x193e1777,
      systemFrom: 1,
      ringId: ring(1, 5n),
    })
    expect(encodeTotemMessage(m)).toEqual(bytes)
  })

  it('token-hold-cancel (frame 167, 25 bytes): ring 1.9', () => {
    const bytes = walk([
      [0, '70 c0 03 05 00 01 00 00 00 00 00 00 00'],
      [13, '01 00 00 00 09 00 00 00 00 00 00 00'],
    ])
    expect(bytes.length).toBe(25)
    expect(loadFixture(JOIN_CPG, 167).bytes).toEqual(bytes)
    const m = decodeTotemMessage(bytes)
    expect(m).toEqual({
      type: 'token-hold-cancel',
      nodeid: 1,
      targetNodeid: 0,
      ringId: ring(1, 9n),
    })
    expect(encodeTotemMessage(m)).toEqual(bytes)
  })
})

describe('§10.5 COMMIT token', () => {
  it('frame 45, 97 bytes = 41 + 28·2: entry 0 filled, entry 1 not yet', () => {
    const bytes = walk([
      [0, '70 c0 03 04 00'],
      [5, '01 00 00 00'],
      [9, '00 00 00 00'],
      [13, '01 00 00 00'],
      [17, '01 00 00 00'],
      [21, '09 00 00 00 00 00 00 00'],
      [29, '00 00 00 00'],
      [33, '01 00 00 00'],
      [37, '02 00 00 00'],
      [41, '01 00 00 00'],
      [45, '02 00 00 00'],
      [49, '01 00 00 00 05 00 00 00 00 00 00 00'],
      [61, '06 00 00 00'],
      [65, '06 00 00 00'],
      [69, '01 00 00 00'],
      [73, zeros(24)],
    ])
    expect(bytes.length).toBe(97)
    expect(loadFixture(JOIN_CPG, 45).bytes).toEqual(bytes)
    const t = decodeMembCommitToken(bytes)
    expect(t).toEqual({
      type: 'commit-token',
      nodeid: 1,
      targetNodeid: 0,
      tokenSeq: 1,
      ringId: ring(1, 9n),
      retransFlg: 0,
      membIndex: 1,
      members: [
        { nodeid: 1, ringId: ring(1, 5n), aru: 6, highDelivered: 6, receivedFlg: 1 },
        { nodeid: 2, ringId: ring(0, 0n), aru: 0, highDelivered: 0, receivedFlg: 0 },
      ],
    })
    expect(encodeTotemMessage(t)).toEqual(bytes)
  })

  it('recovery case (retransmit capture, frame 180): node 3 missed seqs 0x13–0x16', () => {
    const t = decodeMembCommitToken(loadFixture(RETRANSMIT, 180).bytes)
    expect(t.members.map((m) => [m.ringId, m.aru, m.highDelivered, m.receivedFlg])).toEqual([
      [ring(1, 0x1fn), 0x16, 0x16, 1],
      [ring(1, 0x1fn), 0x12, 0x12, 0],
    ])
  })
})

describe('§10.6 ORF tokens', () => {
  it('initial token (frame 49, 57 bytes): aru 0xFFFFFFFF, aru_addr 1, ring 1.9', () => {
    const bytes = walk([
      [0, '70 c0 03 00 00'],
      [5, '01 00 00 00'],
      [9, '00 00 00 02'],
      [13, '00 00 00 00'],
      [17, '00 00 00 00'],
      [21, 'ff ff ff ff'],
      [25, '01 00 00 00'],
      [29, '01 00 00 00 09 00 00 00 00 00 00 00'],
      [41, '00 00 00 00'],
      [45, '00 00 00 00'],
      [49, '00 00 00 00'],
      [53, '00 00 00 00'],
    ])
    expect(bytes.length).toBe(57)
    expect(loadFixture(JOIN_CPG, 49).bytes).toEqual(bytes)
    const t = decodeOrfToken(bytes)
    expect(t).toEqual({
      type: 'orf-token',
      nodeid: 1,
      targetNodeid: 0x02000000,
      seq: 0,
      tokenSeq: 0,
      aru: 0xffffffff,
      aruAddr: 1,
      ringId: ring(1, 9n),
      backlog: 0,
      fcc: 0,
      retransFlg: 0,
      rtr: [],
    })
    expect(encodeTotemMessage(t)).toEqual(bytes)
  })

  it('retrans_flg 1 in the recovery capture (frame 183)', () => {
    const bytes = loadFixture(RETRANSMIT, 183).bytes
    expectAt(bytes, 49, '01 00 00 00')
    expect(decodeOrfToken(bytes).retransFlg).toBe(1)
  })

  it('token with a retransmit list (retransmit capture, frame 122, 121 bytes = 57 + 4·16)', () => {
    const bytes = loadFixture(RETRANSMIT, 122).bytes
    expect(bytes.length).toBe(121)
    expectAt(bytes, 0, '70 c0 03 00 00')
    expectAt(bytes, 5, '03 00 00 00')
    expectAt(bytes, 13, '16 00 00 00')
    expectAt(bytes, 17, '30 02 00 00')
    expectAt(bytes, 21, '12 00 00 00')
    expectAt(bytes, 25, '03 00 00 00')
    expectAt(bytes, 29, '01 00 00 00 1f 00 00 00 00 00 00 00')
    expectAt(bytes, 45, '04 00 00 00')
    expectAt(bytes, 53, '04 00 00 00')
    expectAt(bytes, 57, '01 00 00 00 1f 00 00 00 00 00 00 00 13 00 00 00')
    const t = decodeOrfToken(bytes)
    expect(t).toMatchObject({ nodeid: 3, seq: 22, tokenSeq: 560, aru: 18, aruAddr: 3, fcc: 4 })
    expect(t.ringId).toEqual(ring(1, 0x1fn))
    expect(t.rtr).toEqual([19, 20, 21, 22].map((seq) => ({ ringId: ring(1, 0x1fn), seq })))
    expect(encodeTotemMessage(t)).toEqual(bytes)
  })
})

/** The group `a` header, 5 bytes. */
const GROUP_A_HEX = '01 00 01 00 61'
/** The group `sync` header, 8 bytes. */
const GROUP_SYNC_HEX = '01 00 04 00 73 79 6e 63'

describe('§10.7 mcast carrying CPG PROCJOIN', () => {
  it('frame 171, 228 bytes: mcast header, totempg, group a, PROCJOIN wagroup/7808', () => {
    const bytes = walk([
      [0, '70 c0 03 01 02'],
      [5, '01 00 00 00'],
      [9, '00 00 00 00'],
      [13, '01 00 00 00'],
      [17, '0d 00 00 00'],
      [21, '0c 00 00 00'],
      [25, '01 00 00 00 09 00 00 00 00 00 00 00'],
      [37, '00 00 00 00'],
      [41, '00 00 00 00'],
      [45, '00 00 00 00'],
      [49, '00 00'],
      [51, '01 00'],
      [53, 'ad 00'],
      [55, GROUP_A_HEX],
      [60, '00 00 02 00 00 00 00 00'],
      [68, 'a8 00 00 00 00 00 00 00'],
      [76, cpgName('wagroup')],
      [212, '80 1e 00 00 00 00 00 00'],
      [220, '01 00 00 00 00 00 00 00'],
    ])
    expect(bytes.length).toBe(228)
    expect(loadFixture(JOIN_CPG, 171).bytes).toEqual(bytes)
    const m = decodeTotemMessage(bytes) as Mcast
    expect(m).toMatchObject({
      type: 'mcast',
      encapsulated: 2,
      nodeid: 1,
      targetNodeid: 0,
      systemFrom: 1,
      seq: 13,
      thisSeqno: 12,
      ringId: ring(1, 9n),
      nodeIdUnused: 0,
      guarantee: 0,
    })
    expect(m.payload.length).toBe(228 - 45)
    const pg = decodePgPacket(m.payload, true)
    expect(pg).toMatchObject({ version: 0, pgType: 0, fragmented: 0, continuation: 0 })
    expect(pg.pieces.map((p) => p.length)).toEqual([173])
    const app = decodeAppMessage(pg.pieces[0] as Uint8Array, true)
    expect(app.groups).toEqual(['a'])
    expect(app.message).toEqual({ kind: 'cpg-procjoin', group: 'wagroup', pid: 7808, reason: 1 })
    expect(encodeAppMessage(app.message!, true)).toEqual(pg.pieces[0])
    expect(encodeTotemMessage(m)).toEqual(bytes)
  })

  it('CPG MCAST (frame 212): msglen 16, pid 7808, source 1, conn a sender pointer', () => {
    const m = decodeMcast(loadFixture(JOIN_CPG, 212).bytes)
    const pg = decodePgPacket(m.payload, true)
    const piece = pg.pieces[0] as Uint8Array
    // App bytes from offset 5 (after the group header).
    expectAt(piece, 0, GROUP_A_HEX)
    expectAt(piece, 5, '03 00 02 00')
    expectAt(piece, 13, 'c8 00 00 00')
    expectAt(piece, 157, '10 00 00 00')
    expectAt(piece, 165, '80 1e 00 00')
    expectAt(piece, 173, '01 00 00 00')
    expectAt(piece, 181, '00 2a 76 37 f8 55 00 00')
    const app = decodeAppMessage(piece, true)
    expect(app.message).toMatchObject({
      kind: 'cpg-mcast',
      group: 'wagroup',
      pid: 7808,
      sourceNodeid: 1,
      sourceConn: 0x000055f837762a00n,
    })
    if (app.message?.kind !== 'cpg-mcast') throw new Error('not a cpg mcast')
    expect(app.message.data.length).toBe(16)
    expect(Buffer.from(app.message.data.subarray(0, 5)).toString('latin1')).toBe('msg-0')
    expect(app.body.length).toBe(200)
  })
})

describe('§10.8 JOINLIST + BARRIER packed in one mcast', () => {
  it('frame 326, 270 bytes: two messages of 173 and 40 bytes', () => {
    const payload = walk([
      [0, '00 00 00 00 00 00'],
      [6, '02 00'],
      [8, 'ad 00'],
      [10, '28 00'],
      // msg 1 (173 bytes): joinlist, response-style 24-byte header.
      [12, GROUP_A_HEX],
      [17, `02 00 02 00 ${zeros(4)}`],
      [25, `a8 00 00 00 ${zeros(4)}`],
      [33, `00 00 00 00 ${zeros(4)}`],
      [41, `80 1e 00 00 ${zeros(4)}`],
      [49, cpgName('wagroup')],
      // msg 2 (40 bytes): BARRIER of ring 1.d.
      [185, GROUP_SYNC_HEX],
      [193, `00 00 00 00 ${zeros(4)}`],
      [201, `20 00 00 00 ${zeros(4)}`],
      [209, '01 00 00 00 0d 00 00 00 00 00 00 00'],
      [221, '00 00 00 00'],
    ])
    const bytes = loadFixture(JOIN_CPG, 326).bytes
    expect(bytes.length).toBe(270)
    expect(bytes.subarray(45)).toEqual(payload)
    const m = decodeMcast(bytes)
    const pg = decodePgPacket(m.payload, true)
    expect(pg.pieces.map((p) => p.length)).toEqual([173, 40])
    const [joinlist, barrier] = pg.pieces.map((p) => decodeAppMessage(p, true))
    expect(joinlist?.groups).toEqual(['a'])
    expect(joinlist?.message).toEqual({
      kind: 'cpg-joinlist',
      error: 0,
      entries: [{ pid: 7808, group: 'wagroup' }],
    })
    expect(barrier?.groups).toEqual(['sync'])
    expect(barrier?.message).toEqual({ kind: 'sync-barrier', ringId: ring(1, 0xdn) })
    expect(encodeAppMessage(joinlist!.message!)).toEqual(pg.pieces[0])
    expect(encodeAppMessage(barrier!.message!)).toEqual(pg.pieces[1])
  })

  it('SERVICE_BUILD (frame 61, app 560 bytes): ring 1.9, services [0, 2, 3]', () => {
    const app = walk([
      [0, GROUP_SYNC_HEX],
      [8, `01 00 00 00 ${zeros(4)}`],
      [16, `28 02 00 00 ${zeros(4)}`],
      [24, `01 00 00 00 09 00 00 00 00 00 00 00 ${zeros(4)}`],
      [40, `03 00 00 00 ${zeros(4)}`],
      [48, '00 00 00 00 02 00 00 00 03 00 00 00'],
      [60, zeros(560 - 60)],
    ])
    const m = decodeMcast(loadFixture(JOIN_CPG, 61).bytes)
    const pg = decodePgPacket(m.payload, true)
    expect(pg.pieces).toHaveLength(1)
    expect(pg.pieces[0]).toEqual(app)
    const d = decodeAppMessage(app, true)
    expect(d.message).toEqual({
      kind: 'sync-service-build',
      ringId: ring(1, 9n),
      services: [0, 2, 3],
    })
    expect(encodeAppMessage(d.message!)).toEqual(app)
  })

  it('cmap + barrier (frame 65): config_version absent', () => {
    const m = decodeMcast(loadFixture(JOIN_CPG, 65).bytes)
    const pg = decodePgPacket(m.payload, true)
    expect(pg.pieces.map((p) => p.length)).toEqual([333, 40])
    const cmap = decodeAppMessage(pg.pieces[0] as Uint8Array, true)
    expectAt(pg.pieces[0] as Uint8Array, 5, `00 00 00 00 ${zeros(4)} 48 01 00 00`)
    expect(cmap.message).toEqual({
      kind: 'cmap-mcast',
      reason: 0,
      items: [{ key: 'totem.config_version', valueType: 0, value: new Uint8Array(0) }],
    })
    expect(decodeAppMessage(pg.pieces[1] as Uint8Array, true).message?.kind).toBe('sync-barrier')
  })
})

describe('§10.9 fragmentation', () => {
  const pgOf = (frame: number): { m: Mcast; pg: PgPacket } => {
    const m = decodeMcast(loadFixture(JOIN_CPG, frame).bytes)
    return { m, pg: decodePgPacket(m.payload, true) }
  }

  it('DOWNLIST of 1 573 bytes: [frag 1, 1400] (frame 79) + [cont 1, 173] (frame 81)', () => {
    const a = pgOf(79)
    const b = pgOf(81)
    expect(loadFixture(JOIN_CPG, 79).bytes.length).toBe(1455)
    expect(loadFixture(JOIN_CPG, 81).bytes.length).toBe(228)
    expectAt(a.m.payload, 0, '00 00 00 00 01 00 01 00 78 05')
    expectAt(b.m.payload, 0, '00 00 00 00 00 01 01 00 ad 00')
    expect([a.m.seq, a.pg.fragmented, a.pg.continuation]).toEqual([8, 1, 0])
    expect([b.m.seq, b.pg.fragmented, b.pg.continuation]).toEqual([9, 0, 1])
    const head = a.pg.pieces[0] as Uint8Array
    expect(head.length).toBe(1400)
    expectAt(head, 0, `${GROUP_A_HEX} 05 00 02 00 ${zeros(4)} 20 06 00 00`)

    const out: Uint8Array[] = []
    const asm = createAssembler({ onMessage: (_s, msg) => out.push(msg) })
    asm.push(1, a.pg, true)
    expect(out).toHaveLength(0)
    asm.push(1, b.pg, true)
    expect(out).toHaveLength(1)
    expect(out[0]?.length).toBe(1573)
    const d = decodeAppMessage(out[0] as Uint8Array, true)
    expect(d.message).toEqual({ kind: 'cpg-downlist', oldMembers: 1, leftNodes: [] })
    expect(asm.stats()).toMatchObject({ messagesOut: 1, reassembled: 1, bufferedBytes: 0 })
  })

  it('3 000-byte CPG MCAST (3 189 app bytes) in three fragments (frames 465, 467, 469)', () => {
    const parts = [465, 467, 469].map(pgOf)
    expect(parts.map(({ m, pg }) => [m.seq, pg.fragmented, pg.continuation])).toEqual([
      [20, 1, 0],
      [21, 2, 1],
      [22, 0, 2],
    ])
    expect(parts.map(({ pg }) => pg.pieces.map((p) => p.length))).toEqual([[1400], [1400], [389]])
    const out: Uint8Array[] = []
    const asm = createAssembler({ onMessage: (_s, msg) => out.push(msg) })
    for (const { pg } of parts) asm.push(3, pg, true)
    expect(out).toHaveLength(1)
    expect(out[0]?.length).toBe(3189)
    const d = decodeAppMessage(out[0] as Uint8Array, true)
    expect(d.message?.kind).toBe('cpg-mcast')
    if (d.message?.kind === 'cpg-mcast') expect(d.message.data.length).toBe(3000)
  })
})

describe('§10.10 encapsulated recovery message', () => {
  it('retransmit capture, frame 186, 273 bytes: outer new ring 1.23, inner old ring 1.1f', () => {
    const bytes = loadFixture(RETRANSMIT, 186).bytes
    expect(bytes.length).toBe(273)
    expectAt(bytes, 0, '70 c0 03 01 01')
    expectAt(bytes, 5, '01 00 00 00')
    expectAt(bytes, 13, '01 00 00 00')
    expectAt(bytes, 17, '01 00 00 00')
    expectAt(bytes, 25, '01 00 00 00 23 00')
    expectAt(bytes, 45, '70 c0 03 01 02')
    expectAt(bytes, 50, '01 00 00 00')
    expectAt(bytes, 62, '13 00 00 00')
    expectAt(bytes, 70, '01 00 00 00 1f 00')
    const outer = decodeMcast(bytes)
    expect(outer).toMatchObject({
      encapsulated: 1,
      nodeid: 1,
      systemFrom: 1,
      seq: 1,
      ringId: ring(1, 0x23n),
    })
    const inner = decodeEncapsulated(outer)
    expect(inner).toMatchObject({ encapsulated: 2, nodeid: 1, seq: 19, ringId: ring(1, 0x1fn) })
    const pg = decodePgPacket(inner.payload, true)
    expect(pg.pieces.map((p) => p.length)).toEqual([173])
    expect(decodeAppMessage(pg.pieces[0] as Uint8Array, true).message).toMatchObject({
      kind: 'cpg-procjoin',
      group: 'recgroup2',
    })
    expect(encodeTotemMessage(outer)).toEqual(bytes)
  })
})
