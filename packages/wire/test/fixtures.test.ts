/**
 * The capture vectors: every totem datagram of the reference captures of corosync 3.1.7 decodes to
 * the fields frozen in its sidecar and re-encodes byte for byte; and every message survives a
 * trip through big-endian.
 */
import { describe, expect, it } from 'vitest'
import {
  type DecodedAppMessage,
  decodeAppMessage,
  decodeEncapsulated,
  decodePgPacket,
  decodeTotemMessage,
  detectByteOrder,
  encodeAppMessage,
  encodeMcast,
  encodePgPacket,
  encodeTotemMessage,
  isWireError,
  type Mcast,
  type PgPacket,
  type TotemMessage,
} from '../src/index.ts'
import {
  type AppSidecar,
  type Fixture,
  listCaptures,
  loadAllFixtures,
  loadCapture,
  toJson,
} from './support/fixtures.ts'

function errorOf(e: unknown): { code: string; details: unknown } {
  if (!isWireError(e)) throw e
  return { code: e.code, details: toJson(e.details) }
}

/** The carrier of the totempg packet of an mcast and its byte order (unwrapping recovery re-sends). */
function carrierOf(m: Mcast, datagram: Uint8Array): { carrier: Mcast; littleEndian: boolean } {
  if (m.encapsulated === 1) {
    return { carrier: decodeEncapsulated(m), littleEndian: detectByteOrder(m.payload) }
  }
  return { carrier: m, littleEndian: detectByteOrder(datagram) }
}

const isWholePiece = (pg: PgPacket, i: number): boolean =>
  !(i === 0 && pg.continuation !== 0) && !(i === pg.pieces.length - 1 && pg.fragmented !== 0)

/** Checks the app part of an mcast against its sidecar, and re-encodes every layer. */
function checkApp(f: Fixture, m: Mcast, want: AppSidecar): void {
  const where = f.name
  const { carrier, littleEndian } = carrierOf(m, f.bytes)
  if (m.encapsulated === 1) {
    const { payload: _p, ...inner } = carrier
    expect(
      { byteOrder: littleEndian ? 'le' : 'be', message: toJson(inner) },
      `${where} inner`,
    ).toEqual(want.encapsulated)
    expect(encodeMcast(carrier, littleEndian), `${where} inner re-encoded`).toEqual(m.payload)
  } else {
    expect(want.encapsulated, `${where} not encapsulated`).toBeUndefined()
  }
  const pg = decodePgPacket(carrier.payload, littleEndian)
  expect(
    {
      version: pg.version,
      pgType: pg.pgType,
      fragmented: pg.fragmented,
      continuation: pg.continuation,
      pieceLengths: pg.pieces.map((p) => p.length),
    },
    `${where} totempg`,
  ).toEqual(want.packet)
  expect(encodePgPacket(pg, littleEndian), `${where} totempg re-encoded`).toEqual(carrier.payload)
  const pieces = want.pieces ?? []
  expect(pieces.length, `${where} pieces`).toBe(pg.pieces.length)
  pg.pieces.forEach((piece, index) => {
    const w = pieces[index]
    const complete = isWholePiece(pg, index)
    expect(w?.complete, `${where} piece ${index} complete`).toBe(complete)
    if (!complete) return
    let app: DecodedAppMessage
    try {
      app = decodeAppMessage(piece, littleEndian)
    } catch (e) {
      expect(errorOf(e), `${where} piece ${index} error`).toEqual(w?.error)
      return
    }
    expect(w?.error, `${where} piece ${index} decoded`).toBeUndefined()
    expect(app.groups, `${where} piece ${index} groups`).toEqual(w?.groups)
    expect(toJson(app.message) ?? null, `${where} piece ${index} message`).toEqual(w?.message)
    if (app.message !== undefined) {
      expect(
        encodeAppMessage(app.message, littleEndian),
        `${where} piece ${index} re-encoded`,
      ).toEqual(piece)
    }
  })
}

function checkFixture(f: Fixture): void {
  const s = f.sidecar
  expect(s.source.frame, `${f.name} frame`).toBe(f.frame)
  expect(`${s.source.capture}`, `${f.name} capture`).toBe(`${f.capture}.pcap`)
  expect(s.source.src.endsWith(':5405') || s.source.dst.endsWith(':5405'), f.name).toBe(true)
  const littleEndian = detectByteOrder(f.bytes)
  expect(littleEndian ? 'le' : 'be', `${f.name} byte order`).toBe(s.byteOrder)
  const m = decodeTotemMessage(f.bytes)
  expect(m.type, `${f.name} type`).toBe(s.type)
  expect(toJson(m), `${f.name} decoded`).toEqual(s.decoded)
  expect(encodeTotemMessage(m, littleEndian), `${f.name} re-encoded`).toEqual(f.bytes)
  if (m.type === 'mcast') {
    expect(s.app, `${f.name} app`).toBeDefined()
    if (s.app !== undefined) checkApp(f, m, s.app)
  } else {
    expect(s.app, `${f.name} app`).toBeUndefined()
  }
}

const captures = listCaptures()

describe('capture fixtures', () => {
  it('are all there (more than 1000 datagrams from the four reference captures)', () => {
    expect(captures).toEqual([
      'corosync317-udpu-foreign-python-node',
      'corosync317-udpu-join-cpg',
      'corosync317-udpu-retransmit-recovery',
      'corosync317-udpu-selfdelivery-lo',
    ])
    const all = loadAllFixtures()
    expect(all.length).toBeGreaterThan(1000)
    // Every message type occurs in the captures.
    expect(new Set(all.map((f) => f.sidecar.type))).toEqual(
      new Set(['orf-token', 'mcast', 'merge-detect', 'join', 'commit-token', 'token-hold-cancel']),
    )
  })

  it.each(captures)('%s: decode to their sidecars and re-encode byte for byte', (capture) => {
    const fixtures = loadCapture(capture)
    expect(fixtures.length).toBeGreaterThan(50)
    for (const f of fixtures) checkFixture(f)
  })
})

/** Re-encodes an app message in big-endian and decodes it again. */
function appViaBigEndian(app: DecodedAppMessage): DecodedAppMessage {
  if (app.message === undefined) throw new Error('no message')
  const be = encodeAppMessage(app.message, false)
  return decodeAppMessage(be, false)
}

describe('big-endian', () => {
  it('every captured message survives decode → encode(big-endian) → decode', () => {
    const types = new Set<string>()
    const kinds = new Set<string>()
    for (const f of loadAllFixtures()) {
      const m = decodeTotemMessage(f.bytes)
      const be = encodeTotemMessage(m, false)
      expect([be[0], be[1]], `${f.name} magic`).toEqual([0xc0, 0x70])
      expect(be.length, f.name).toBe(f.bytes.length)
      expect(detectByteOrder(be), f.name).toBe(false)
      const back = decodeTotemMessage(be)
      expect(toJson(back), `${f.name} via big-endian`).toEqual(toJson(m))
      // Big-endian bytes differ from the little-endian ones wherever a multi-byte field is not
      // a palindrome; at least the magic does.
      expect(be, f.name).not.toEqual(f.bytes)
      expect(encodeTotemMessage(back, true), `${f.name} back to little-endian`).toEqual(f.bytes)
      types.add(m.type)
      if (m.type !== 'mcast') continue

      // The payload of an mcast is in its own sender's byte order: swap every layer of it too.
      const { carrier, littleEndian } = carrierOf(m, f.bytes)
      const pg = decodePgPacket(carrier.payload, littleEndian)
      const pieces = pg.pieces.map((piece, i) => {
        if (!isWholePiece(pg, i)) return piece
        const app = decodeAppMessage(piece, littleEndian)
        if (app.message === undefined) return piece
        kinds.add(app.message.kind)
        const swapped = appViaBigEndian(app)
        expect(toJson(swapped.message), `${f.name} piece ${i} via big-endian`).toEqual(
          toJson(app.message),
        )
        expect(swapped.groups, f.name).toEqual(app.groups)
        return encodeAppMessage(app.message, false)
      })
      const pgBe = encodePgPacket({ ...pg, pieces }, false)
      let outer: Mcast = { ...carrier, payload: pgBe }
      if (m.encapsulated === 1) {
        outer = { ...m, payload: encodeMcast({ ...carrier, payload: pgBe }, false) }
      }
      const wholeBe = encodeMcast(outer, false)
      const m2 = decodeTotemMessage(wholeBe) as Mcast
      const c2 = carrierOf(m2, wholeBe)
      expect(c2.littleEndian, f.name).toBe(false)
      const pg2 = decodePgPacket(c2.carrier.payload, false)
      expect(pg2.fragmented, f.name).toBe(pg.fragmented)
      expect(pg2.continuation, f.name).toBe(pg.continuation)
      expect(
        pg2.pieces.map((p) => p.length),
        f.name,
      ).toEqual(pieces.map((p) => p.length))
      pg2.pieces.forEach((piece, i) => {
        if (!isWholePiece(pg2, i)) return
        const orig = decodeAppMessage(pg.pieces[i] as Uint8Array, littleEndian)
        if (orig.message === undefined) return
        expect(toJson(decodeAppMessage(piece, false).message), `${f.name} piece ${i}`).toEqual(
          toJson(orig.message),
        )
      })
    }
    expect(types.size).toBe(6)
    // The captures carry sync, cmap and CPG messages; all of those swapped both ways.
    for (const k of ['sync-service-build', 'sync-barrier', 'cmap-mcast', 'cpg-procjoin']) {
      expect(kinds, k).toContain(k)
    }
  })

  it('a message decodes the same from both byte orders (detected from the magic)', () => {
    const seen = new Set<string>()
    for (const f of loadAllFixtures()) {
      if (seen.has(f.sidecar.type)) continue
      seen.add(f.sidecar.type)
      const m: TotemMessage = decodeTotemMessage(f.bytes)
      const be = encodeTotemMessage(m, false)
      // Decoding must not depend on the receiver: the same fields from either order.
      expect(toJson(decodeTotemMessage(be)), f.name).toEqual(f.sidecar.decoded)
    }
    expect(seen.size).toBe(6)
  })
})
