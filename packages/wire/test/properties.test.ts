/**
 * Round-trip properties of every codec, in both byte orders: `decode(encode(x))` is `x`, and
 * `encode(decode(bytes))` is `bytes` for encoded values. Bounded runs; `TOTEM_FUZZ_RUNS` scales.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeAppMessage,
  decodeCmapMessage,
  decodeCpgMessage,
  decodeExecMessage,
  decodeHeader,
  decodePgGroupMessage,
  decodePgPacket,
  decodeSyncMessage,
  decodeTotemMessage,
  encodeAppMessage,
  encodeCmapMessage,
  encodeCpgMessage,
  encodePgGroupMessage,
  encodePgPacket,
  encodeServiceMessage,
  encodeSyncMessage,
  encodeTotemMessage,
  groupOf,
  MESSAGE_TYPE_NAMES,
  type TotemMessage,
} from '../src/index.ts'
import * as arb from './support/arbitraries.ts'
import { runs } from './support/runs.ts'

const NUM_RUNS = runs(150)
const opts = { numRuns: NUM_RUNS }

/** Checks both round trips of one codec for one value. */
function roundTrip<T>(
  x: T,
  encode: (x: T, le: boolean) => Uint8Array,
  decode: (b: Uint8Array, le: boolean) => T,
  littleEndian: boolean,
): void {
  const b = encode(x, littleEndian)
  const y = decode(b, littleEndian)
  expect(y).toEqual(x)
  expect(encode(y, littleEndian)).toEqual(b)
  // Decoding a copy at an odd offset of a larger buffer (views, as in a datagram) gives the same.
  const shifted = new Uint8Array(b.length + 3)
  shifted.set(b, 1)
  expect(decode(shifted.subarray(1, 1 + b.length), littleEndian)).toEqual(x)
}

const totem = (type: TotemMessage['type']): fc.Arbitrary<TotemMessage> => {
  switch (type) {
    case 'orf-token':
      return arb.orfToken
    case 'mcast':
      return arb.mcast
    case 'merge-detect':
      return arb.mergeDetect
    case 'join':
      return arb.join
    case 'commit-token':
      return arb.commitToken
    case 'token-hold-cancel':
      return arb.tokenHoldCancel
  }
}

describe('totemsrp messages', () => {
  it.each(MESSAGE_TYPE_NAMES as TotemMessage['type'][])(
    '%s round-trips in both byte orders',
    (type) => {
      fc.assert(
        fc.property(totem(type), fc.boolean(), (m, le) => {
          roundTrip(m, encodeTotemMessage, (b) => decodeTotemMessage(b), le)
          const b = encodeTotemMessage(m, le)
          const h = decodeHeader(b)
          expect(h.littleEndian).toBe(le)
          expect(MESSAGE_TYPE_NAMES[h.type]).toBe(type)
          // The other byte order carries the same message in different bytes.
          const other = encodeTotemMessage(m, !le)
          expect(decodeTotemMessage(other)).toEqual(m)
          expect(other.length).toBe(b.length)
        }),
        opts,
      )
    },
  )
})

describe('totempg', () => {
  it('packets round-trip in both byte orders', () => {
    fc.assert(
      fc.property(arb.pgPacket, fc.boolean(), (p, le) => {
        roundTrip(p, encodePgPacket, decodePgPacket, le)
        expect(encodePgPacket(p, le).length).toBe(
          8 + 2 * p.pieces.length + p.pieces.reduce((n, x) => n + x.length, 0),
        )
      }),
      opts,
    )
  })

  it('group messages round-trip in both byte orders', () => {
    fc.assert(
      fc.property(arb.pgGroupMessage, fc.boolean(), (m, le) => {
        roundTrip(m, encodePgGroupMessage, decodePgGroupMessage, le)
      }),
      opts,
    )
  })
})

describe('service messages', () => {
  it('sync messages round-trip in both byte orders', () => {
    fc.assert(
      fc.property(arb.syncMessage, fc.boolean(), (m, le) => {
        roundTrip(m, encodeSyncMessage, decodeSyncMessage, le)
      }),
      opts,
    )
  })

  it('CPG messages (all kinds) round-trip in both byte orders', () => {
    const kinds = new Set<string>()
    fc.assert(
      fc.property(arb.cpgMessage, fc.boolean(), (m, le) => {
        kinds.add(m.kind)
        roundTrip(m, encodeCpgMessage, decodeCpgMessage, le)
      }),
      opts,
    )
    expect(kinds.size).toBe(7)
  })

  it('cmap messages round-trip in both byte orders', () => {
    fc.assert(
      fc.property(arb.cmapMessage, fc.boolean(), (m, le) => {
        roundTrip(m, encodeCmapMessage, decodeCmapMessage, le)
      }),
      opts,
    )
  })

  it('raw service messages (cfg, pload, votequorum) round-trip', () => {
    fc.assert(
      fc.property(
        fc.boolean().chain((le) => fc.tuple(fc.constant(le), arb.rawServiceMessage(le))),
        ([le, m]) => {
          roundTrip(m, encodeServiceMessage, decodeExecMessage, le)
        },
      ),
      opts,
    )
  })

  it('app messages (group header + service message) round-trip in both byte orders', () => {
    fc.assert(
      fc.property(arb.serviceMessage, fc.boolean(), (m, le) => {
        const b = encodeAppMessage(m, le)
        const d = decodeAppMessage(b, le)
        expect(d.groups).toEqual([groupOf(m)])
        expect(d.message).toEqual(m)
        expect(d.body).toEqual(encodeServiceMessage(m, le))
        expect(encodeAppMessage(d.message!, le)).toEqual(b)
      }),
      opts,
    )
  })

  it('a whole mcast: totem header, totempg packet, app messages', () => {
    fc.assert(
      fc.property(
        arb.mcast,
        fc.array(arb.serviceMessage, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        (m, msgs, le) => {
          const pieces = msgs.map((x) => encodeAppMessage(x, le))
          const payload = encodePgPacket({ fragmented: 0, continuation: 0, pieces }, le)
          const b = encodeTotemMessage({ ...m, payload }, le)
          const d = decodeTotemMessage(b)
          if (d.type !== 'mcast') throw new Error('not an mcast')
          const pg = decodePgPacket(d.payload, le)
          expect(pg.pieces.map((p) => decodeAppMessage(p, le).message)).toEqual(msgs)
        },
      ),
      { numRuns: Math.ceil(NUM_RUNS / 3) },
    )
  })
})
