import { isTotemError, nodeId } from '@totem-ts/common'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeMrMessage,
  encodeMrMessage,
  HEADER_BYTES,
  type MrMessage,
  MultiringWireError,
  NO_PRED,
} from '../src/index.ts'

const R = { rep: 3, seq: 123_456_789_012n }
const samples: MrMessage[] = [
  {
    kind: 'regular',
    guarantee: 'safe',
    stamped: true,
    ts: 2 ** 40,
    ring: R,
    sender: nodeId(9),
    nonce: 0xffff_ffff,
    seq: 17,
    lanSeq: 3,
    payload: new Uint8Array([1, 2, 3]),
  },
  {
    kind: 'regular',
    guarantee: 'agreed',
    stamped: false,
    ts: 5,
    ring: { rep: 0, seq: 0n },
    sender: nodeId(1),
    nonce: 1,
    seq: 1,
    lanSeq: 1,
    payload: new Uint8Array(0),
  },
  { kind: 'gv', stamped: true, ts: 99, ring: R, sender: nodeId(4), entries: [{ ring: R, ts: 98 }] },
  {
    kind: 'cc',
    ts: 12,
    ring: R,
    sender: 0,
    lan: 3,
    members: [nodeId(1), nodeId(4)],
    preds: [{ ring: { rep: 1, seq: 8n }, ts: 11 }],
    gateways: [nodeId(4)],
    gatewayNonces: [0xdeadbeef],
    memberPreds: [0, NO_PRED],
  },
  {
    kind: 'cc',
    ts: 1,
    ring: R,
    sender: 7,
    lan: 0,
    members: [nodeId(7)],
    preds: [],
    gateways: [],
    gatewayNonces: [],
    memberPreds: [NO_PRED],
  },
  {
    kind: 'nt',
    sender: nodeId(2),
    ccTs: 12,
    ccRing: R,
    rings: [{ ring: R, lan: 3, members: [nodeId(1), nodeId(4)] }],
    ended: [{ rep: 1, seq: 8n }],
  },
  { kind: 'nt', sender: nodeId(2), ccTs: 3, ccRing: R, rings: [], ended: [] },
  {
    kind: 'nt',
    sender: nodeId(2),
    ccTs: 12,
    ccRing: R,
    rings: [{ ring: R, lan: 3, members: [nodeId(1), nodeId(4)] }],
    ended: [],
    gwNonces: [{ ring: R, node: nodeId(4), nonce: 0xffff_ffff }],
  },
  {
    kind: 'tc',
    sender: nodeId(5),
    ccTs: 12,
    ccRing: R,
    rings: [{ ring: R, lan: 3, members: [nodeId(1), nodeId(4)] }],
    gwNonces: [{ ring: R, node: nodeId(4), nonce: 9 }],
  },
  {
    kind: 'tc',
    sender: nodeId(5),
    ccTs: 12,
    ccRing: R,
    rings: [
      { ring: R, lan: 3, members: [nodeId(1), nodeId(4)] },
      { ring: { rep: 5, seq: 9n }, lan: 1, members: [nodeId(4), nodeId(5)] },
    ],
  },
  {
    kind: 'start',
    sender: nodeId(4),
    forRing: R,
    lan: 2,
    clock: 77,
    pred: { ring: { rep: 1, seq: 8n }, ts: 70 },
    gateway: true,
    nonce: 0xdead_beef,
    nextSeq: 12,
  },
  {
    kind: 'start',
    sender: nodeId(2),
    forRing: R,
    lan: 0,
    clock: 878,
    pred: { ring: { rep: 1, seq: 1_409_286_144n }, ts: 225 },
    gateway: false,
    nonce: 7,
    nextSeq: 40,
    abandoned: 0x9e37_79b9,
  },
]

describe('multiring codec', () => {
  it('round-trips every kind', () => {
    for (const m of samples) expect(decodeMrMessage(encodeMrMessage(m))).toEqual(m)
  })

  it("carries a start's abandoned-round hash only when there is one (0x75807)", () => {
    const start = samples.find((m) => m.kind === 'start' && m.abandoned === undefined) as MrMessage
    const plain = encodeMrMessage(start)
    expect(encodeMrMessage({ ...start, abandoned: 0 } as MrMessage)).toEqual(plain)
    const withHash = encodeMrMessage({ ...start, abandoned: 5 } as MrMessage)
    expect(withHash.length).toBe(plain.length + 4)
    expect(decodeMrMessage(withHash)).toEqual({ ...start, abandoned: 5 })
    // The flag without a hash (0) is malformed.
    const zero = Uint8Array.from(withHash)
    zero.fill(0, zero.length - 4)
    expect(() => decodeMrMessage(zero)).toThrow(MultiringWireError)
  })

  it('rejects every truncation with ERR_MULTIRING_BAD_MESSAGE', () => {
    for (const m of samples) {
      const b = encodeMrMessage(m)
      for (let n = 0; n < b.length; n++) {
        let err: unknown
        try {
          decodeMrMessage(b.subarray(0, n))
        } catch (e) {
          err = e
        }
        expect(err, `${m.kind} cut at ${n}`).toBeInstanceOf(MultiringWireError)
        expect((err as MultiringWireError).details.reason).toBe(
          n < HEADER_BYTES ? 'truncated' : (err as MultiringWireError).details.reason,
        )
      }
    }
  })

  it('rejects trailing bytes, bad kinds, flags and guarantees', () => {
    const b = encodeMrMessage(samples[2] as MrMessage)
    const cases: [Uint8Array, string][] = [
      [new Uint8Array([...b, 0]), 'trailing-bytes'],
      [Uint8Array.from(b, (x, i) => (i === 0 ? 77 : x)), 'bad-kind'],
      [Uint8Array.from(b, (x, i) => (i === 1 ? 2 : x)), 'bad-guarantee'],
      [Uint8Array.from(b, (x, i) => (i === 2 ? 6 : x)), 'bad-flags'],
    ]
    for (const [bytes, reason] of cases) {
      expect(() => decodeMrMessage(bytes)).toThrow(MultiringWireError)
      try {
        decodeMrMessage(bytes)
      } catch (e) {
        expect((e as MultiringWireError).details.reason).toBe(reason)
      }
    }
  })

  it('raises nothing but MultiringWireError on random or mutated bytes', () => {
    const encoded = samples.map((m) => encodeMrMessage(m))
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc
            .tuple(fc.nat(encoded.length - 1), fc.nat(), fc.integer({ min: 0, max: 255 }))
            .map(([i, at, v]) => {
              const b = (encoded[i] as Uint8Array).slice()
              b[at % b.length] = v
              return b
            }),
        ),
        (bytes) => {
          try {
            decodeMrMessage(bytes)
          } catch (e) {
            if (!(isTotemError(e) && e.code === 'ERR_MULTIRING_BAD_MESSAGE')) throw e
          }
        },
      ),
      { numRuns: Number(process.env.TOTEM_FUZZ_RUNS ?? 2000) },
    )
  })
})
