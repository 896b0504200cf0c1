/**
 * Hostile input: random bytes, truncated, bit-flipped and overwritten capture datagrams, and
 * wild counts. Every decoder (decodeTotemMessage, decodePgPacket, decodeAppMessage,
 * decodeEncapsulated, Assembler.push) returns or throws a WireError, never anything else, and
 * what it returns stays within what its input could carry. `TOTEM_FUZZ_RUNS` scales the runs.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeAppMessage,
  decodePgPacket,
  decodeTotemMessage,
  isWireError,
  WireErrorCode,
} from '../src/index.ts'
import { bytes } from './support/arbitraries.ts'
import { type Fixture, loadAllFixtures } from './support/fixtures.ts'
import { attempt, decodeEverything, smallAssembler, type Tally } from './support/hostile.ts'
import { runs } from './support/runs.ts'

/** The capture datagrams, without the byte-identical copies (each mcast went to every node). */
function uniqueFixtures(): Fixture[] {
  const seen = new Set<string>()
  return loadAllFixtures().filter((f) => {
    const key = Buffer.from(f.bytes).toString('base64')
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}
const fixtures = uniqueFixtures()

/** One fixture per message type and service-message mix: the targets of exhaustive mutation. */
function representatives(): Fixture[] {
  const best = new Map<string, Fixture>()
  for (const f of fixtures) {
    const kinds = (f.sidecar.app?.pieces ?? [])
      .map((p) => (p.message as { kind?: string } | null | undefined)?.kind ?? '-')
      .join(',')
    const key = `${f.sidecar.type}:${f.sidecar.app?.encapsulated ? 'enc:' : ''}${kinds}`
    const cur = best.get(key)
    if (cur === undefined || f.bytes.length < cur.bytes.length) best.set(key, f)
  }
  return [...best.values()]
}

const codeOf = (fn: () => unknown): string => {
  try {
    fn()
    return 'ok'
  } catch (e) {
    if (!isWireError(e)) throw e
    return e.code
  }
}

const ALL_CODES = new Set<string>(Object.values(WireErrorCode))

describe('random bytes', () => {
  it('anything: only WireErrors', () => {
    const tally: Tally = new Map()
    const { asm } = smallAssembler(tally)
    fc.assert(
      fc.property(bytes(1600), fc.integer({ min: 1, max: 6 }), (b, s) => {
        decodeEverything(b, tally, asm, s)
      }),
      { numRuns: runs(2000) },
    )
    // Random bytes are almost never a totem datagram: the magic check catches them.
    expect(tally.get('totem:ERR_WIRE_BAD_MAGIC')).toBeGreaterThan(0)
  })

  it('behind a valid header of each type and byte order: only WireErrors', () => {
    const tally: Tally = new Map()
    const { asm } = smallAssembler(tally)
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 0, max: 2 }),
        bytes(700),
        (le, type, enc, rest) => {
          const b = new Uint8Array(5 + rest.length)
          b.set(le ? [0x70, 0xc0] : [0xc0, 0x70])
          b[2] = 3
          b[3] = type
          b[4] = enc
          b.set(rest, 5)
          decodeEverything(b, tally, asm)
        },
      ),
      { numRuns: runs(2000) },
    )
    // Deep enough to pass the header and fail on each kind of check.
    for (const code of ['ERR_WIRE_TRUNCATED', 'ERR_WIRE_TOO_MANY', 'ERR_WIRE_INCONSISTENT'])
      expect(tally.get(`totem:${code}`), code).toBeGreaterThan(0)
    expect(tally.get('totem:ok')).toBeGreaterThan(0)
  })

  it('behind a valid totempg, group and service header: only WireErrors', () => {
    const tally: Tally = new Map()
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.constantFrom('a', 'sync'),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 17 }),
        bytes(1700),
        fc.boolean(),
        (le, group, service, fn, rest, sizeRight) => {
          const gh = 2 + 2 + group.length
          const app = new Uint8Array(gh + 16 + rest.length)
          const v = new DataView(app.buffer)
          v.setUint16(0, 1, le)
          v.setUint16(2, group.length, le)
          app.set(Buffer.from(group, 'latin1'), 4)
          app.set(rest, gh + 16)
          v.setInt32(gh, group === 'a' ? (service << 16) | fn : fn % 3, le)
          if (sizeRight) v.setInt32(gh + 8, app.length - gh, le)
          const pg = new Uint8Array(8 + 2 + app.length)
          const pv = new DataView(pg.buffer)
          pv.setUint16(6, 1, le)
          pv.setUint16(8, app.length, le)
          pg.set(app, 10)
          decodeEverything(app, tally)
          decodeEverything(pg, tally)
        },
      ),
      { numRuns: runs(2000) },
    )
    expect(tally.get('app:ok')).toBeGreaterThan(0)
    expect(tally.get('pg:ok')).toBeGreaterThan(0)
  })
})

describe('capture fixtures, damaged', () => {
  it(`are ${fixtures.length} distinct datagrams of every type`, () => {
    expect(fixtures.length).toBeGreaterThan(500)
    expect(new Set(fixtures.map((f) => f.sidecar.type)).size).toBe(6)
  })

  it('truncated at every length: only WireErrors; a cut message never decodes whole', () => {
    const tally: Tally = new Map()
    const wrong: string[] = []
    for (const f of fixtures) {
      const type = f.sidecar.type
      const le = f.sidecar.byteOrder === 'le'
      for (let n = 0; n < f.bytes.length; n++) {
        const cut = f.bytes.subarray(0, n)
        const code = codeOf(() => decodeTotemMessage(cut))
        tally.set(code, (tally.get(code) ?? 0) + 1)
        if (type !== 'mcast' || n < 45) {
          // Every non-mcast layout is exact, and every mcast needs its 45-byte header.
          if (code !== 'ERR_WIRE_TRUNCATED') wrong.push(`${f.name} cut to ${n}: ${code}`)
          continue
        }
        // An mcast's payload is whatever follows its header; totempg's exact-length rule
        // rejects the cut packet (for a re-send, the inner mcast's).
        if (code !== 'ok') wrong.push(`${f.name} cut to ${n}: ${code}`)
        const pgAt = f.sidecar.app?.encapsulated !== undefined ? 90 : 45
        if (n < pgAt) continue
        const pgCode = codeOf(() => decodePgPacket(cut.subarray(pgAt), le))
        if (pgCode !== 'ERR_WIRE_TRUNCATED' && pgCode !== 'ERR_WIRE_INCONSISTENT')
          wrong.push(`${f.name} cut to ${n}: totempg ${pgCode}`)
      }
    }
    expect(wrong).toEqual([])
    expect(tally.get('ERR_WIRE_TRUNCATED')).toBeGreaterThan(1000)
    expect(tally.get('ok')).toBeGreaterThan(1000)
  })

  it('truncated at every length, through every decoder: only WireErrors', () => {
    const tally: Tally = new Map()
    for (const f of representatives()) {
      const { asm } = smallAssembler(tally)
      for (let n = 0; n < f.bytes.length; n++) decodeEverything(f.bytes.subarray(0, n), tally, asm)
    }
    expect(tally.get('app:ERR_WIRE_TRUNCATED')).toBeGreaterThan(0)
  })

  it('every single-bit flip of one datagram per type and service-message mix', () => {
    const tally: Tally = new Map()
    const reps = representatives()
    expect(reps.length).toBeGreaterThan(10)
    for (const f of reps) {
      const { asm } = smallAssembler(tally)
      const b = f.bytes.slice()
      for (let bit = 0; bit < b.length * 8; bit++) {
        const i = bit >> 3
        const orig = b[i] as number
        b[i] = orig ^ (1 << (bit & 7))
        decodeEverything(b, tally, asm, f.frame % 5, false)
        b[i] = orig
      }
    }
    // The flips hit magic, version, type, counts and lengths.
    for (const code of [
      'ERR_WIRE_BAD_MAGIC',
      'ERR_WIRE_BAD_VERSION',
      'ERR_WIRE_BAD_TYPE',
      'ERR_WIRE_TRUNCATED',
      'ERR_WIRE_TOO_MANY',
      'ERR_WIRE_INCONSISTENT',
    ])
      expect(tally.get(`totem:${code}`), code).toBeGreaterThan(0)
    expect(tally.get('app:ERR_WIRE_INCONSISTENT')).toBeGreaterThan(0)
    expect(tally.get('app:ok')).toBeGreaterThan(0)
  })

  it('random bit flips and byte overwrites of any datagram: only WireErrors', () => {
    const tally: Tally = new Map()
    const { asm } = smallAssembler(tally)
    const edit = fc.record({
      at: fc.nat(),
      bit: fc.integer({ min: 0, max: 7 }),
      byte: fc.integer({ min: 0, max: 255 }),
      flip: fc.boolean(),
    })
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: fixtures.length - 1 }),
        fc.array(edit, { minLength: 1, maxLength: 8 }),
        (k, edits) => {
          const f = fixtures[k] as Fixture
          const b = f.bytes.slice()
          for (const e of edits) {
            const i = e.at % b.length
            b[i] = e.flip ? (b[i] as number) ^ (1 << e.bit) : e.byte
          }
          decodeEverything(b, tally, asm, (k % 5) + 1)
        },
      ),
      { numRuns: runs(2000) },
    )
    expect(tally.get('totem:ok')).toBeGreaterThan(0)
  })
})

/** Where a datagram holds counts and lengths: `[offset, bytes]` (u8, u16 or u32 fields). */
function countFields(f: Fixture): [number, 1 | 2 | 4][] {
  const out: [number, 1 | 2 | 4][] = []
  switch (f.sidecar.type) {
    case 'orf-token':
      out.push([53, 4]) // rtr_list_entries
      break
    case 'join':
      out.push([17, 4], [21, 4]) // proc_list_entries, failed_list_entries
      break
    case 'commit-token':
      out.push([33, 4], [37, 4]) // memb_index, addr_entries
      break
    case 'mcast': {
      const app = f.sidecar.app
      let pg = 45
      if (app?.encapsulated !== undefined) pg += 45
      const lens = app?.packet?.pieceLengths ?? []
      out.push([pg + 6, 2]) // msg_count
      let at = pg + 8 + 2 * lens.length
      lens.forEach((len, i) => {
        out.push([pg + 8 + 2 * i, 2]) // msg_len[i]
        const piece = app?.pieces?.[i]
        if (piece?.complete) {
          out.push([at, 2], [at + 2, 2]) // group count, first group length
          const gh = 4 + (piece.groups?.[0]?.length ?? 0)
          const s = at + gh
          out.push([s + 8, 4]) // request header size
          const kind = (piece.message as { kind?: string } | null | undefined)?.kind
          if (kind === 'sync-service-build') out.push([s + 32, 4])
          if (kind?.startsWith('cpg-') && kind !== 'cpg-joinlist' && !kind.startsWith('cpg-down'))
            out.push([s + 16, 4]) // group name length
          if (kind === 'cpg-mcast' || kind === 'cpg-partial-mcast') out.push([s + 152, 4])
          if (kind === 'cpg-partial-mcast') out.push([s + 160, 4])
          if (kind === 'cpg-joinlist') out.push([s + 32, 4]) // first entry's name length
          if (kind === 'cpg-downlist') out.push([s + 24, 4])
          if (kind === 'cpg-downlist-old') out.push([s + 16, 4])
          if (kind === 'cmap-mcast') out.push([s + 24, 1], [s + 48, 2], [s + 320, 4], [s + 324, 4])
        }
        at += len
      })
      break
    }
  }
  return out.filter(([at, size]) => at + size <= f.bytes.length)
}

const WILD_U32 = [
  0, 1, 2, 29, 30, 31, 128, 129, 383, 384, 385, 0xffff, 0x10000, 0x3fff_ffff, 0x4000_0000,
  0x7fff_ffff, 0x8000_0000, 0xc000_0001, 0xffff_fffe, 0xffff_ffff,
]

function overwrite(b: Uint8Array, at: number, size: 1 | 2 | 4, v: number, le: boolean): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  if (size === 1) dv.setUint8(at, v & 0xff)
  else if (size === 2) dv.setUint16(at, v & 0xffff, le)
  else dv.setUint32(at, v >>> 0, le)
}

describe('wild counts', () => {
  it('every count and length field of every datagram, set to boundary values', () => {
    const tally: Tally = new Map()
    let fields = 0
    for (const f of fixtures) {
      const le = f.sidecar.byteOrder === 'le'
      const { asm } = smallAssembler(tally)
      for (const [at, size] of countFields(f)) {
        fields++
        for (const v of WILD_U32) {
          const b = f.bytes.slice()
          overwrite(b, at, size, v, le)
          decodeEverything(b, tally, asm, 1, false)
        }
      }
    }
    expect(fields).toBeGreaterThan(1000)
    for (const code of ['ERR_WIRE_TOO_MANY', 'ERR_WIRE_TRUNCATED', 'ERR_WIRE_INCONSISTENT'])
      expect(tally.get(`totem:${code}`), code).toBeGreaterThan(0)
    for (const code of ['ERR_WIRE_TOO_LONG', 'ERR_WIRE_TRUNCATED', 'ERR_WIRE_INCONSISTENT'])
      expect(tally.get(`app:${code}`), code).toBeGreaterThan(0)
  })

  it('random u32 values in count fields: only WireErrors', () => {
    const targets = fixtures.flatMap((f) => countFields(f).map((c) => [f, ...c] as const))
    const tally: Tally = new Map()
    const { asm } = smallAssembler(tally)
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: targets.length - 1 }),
        fc.oneof(fc.constantFrom(...WILD_U32), fc.integer({ min: 0, max: 0xffff_ffff })),
        (k, v) => {
          const [f, at, size] = targets[k] as (typeof targets)[number]
          const b = f.bytes.slice()
          overwrite(b, at, size, v, f.sidecar.byteOrder === 'le')
          decodeEverything(b, tally, asm)
        },
      ),
      { numRuns: runs(2000) },
    )
    for (const k of tally.keys()) {
      const code = k.split(':')[1] as string
      if (code !== 'ok' && code !== 'message') expect(ALL_CODES, k).toContain(code)
    }
  })

  it('the assembler keeps its memory bounded under hostile packets', () => {
    const tally: Tally = new Map()
    const { asm, maxBytes } = smallAssembler(tally)
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(bytes(1500), { maxLength: 4 }),
        (sender, fragmented, continuation, pieces) => {
          const p =
            pieces.length === 0 ? { fragmented: 0, continuation: 0 } : { fragmented, continuation }
          attempt(
            'assembler',
            () => asm.push(sender, { version: 0, pgType: 0, ...p, pieces }, true),
            tally,
          )
          const st = asm.stats()
          expect(st.bufferedBytes).toBeGreaterThanOrEqual(0)
          expect(st.bufferedBytes).toBeLessThanOrEqual(4 * maxBytes)
        },
      ),
      { numRuns: runs(2000) },
    )
    expect(asm.stats().partialsDropped + asm.stats().fragmentsDropped).toBeGreaterThan(0)
  })
})

describe('declared limits name the right code', () => {
  /** A cmap exec message (reference §6.1) with one item announcing `valueLen` value bytes. */
  function cmapWithValueLength(valueLen: bigint, valueBytes: number): Uint8Array {
    const size = 48 + 280 + valueBytes
    const b = new Uint8Array(size)
    const v = new DataView(b.buffer)
    v.setInt32(0, 0, true) // id: service 0, function 0
    v.setInt32(8, size, true)
    b[24] = 1 // one item
    v.setUint16(48, 20, true)
    b.set(Buffer.from('totem.config_version', 'latin1'), 56)
    b[312] = 8 // u64
    v.setBigUint64(320, valueLen, true)
    return b
  }
  const cmapCode = (b: Uint8Array) =>
    codeOf(() => decodeAppMessage(Uint8Array.from([1, 0, 1, 0, 0x61, ...b]), true))

  it('a cmap value beyond 64 KiB is ERR_WIRE_TOO_LONG, one beyond the message ERR_WIRE_TRUNCATED', () => {
    expect(cmapCode(cmapWithValueLength(8n, 8))).toBe('ok')
    expect(cmapCode(cmapWithValueLength(16n, 8))).toBe('ERR_WIRE_TRUNCATED')
    expect(cmapCode(cmapWithValueLength(65_536n, 8))).toBe('ERR_WIRE_TRUNCATED')
    for (const n of [65_537n, 0xffff_ffffn, 0xffff_ffff_ffff_ffffn])
      expect(cmapCode(cmapWithValueLength(n, 8)), String(n)).toBe('ERR_WIRE_TOO_LONG')
    // Even with the bytes there: the limit comes first.
    expect(cmapCode(cmapWithValueLength(65_544n, 65_544))).toBe('ERR_WIRE_TOO_LONG')
  })
})
