/**
 * Codec cost against two baselines measured in the same run (STYLE §11):
 * - `slice`: copying the same bytes (`bytes.slice()`), the least any decoder that keeps data does;
 * - `DataView`: a bare DataView reading (or, for encoders, allocating and writing) exactly the
 *   fields of the message, with the same widths and offsets, and nothing else: no checks, no object.
 */
import { afterAll, bench, describe } from 'vitest'
import {
  decodeMcast,
  decodeOrfToken,
  decodePgPacket,
  encodeMcast,
  encodeOrfToken,
  MCAST_HEADER_BYTES,
  type OrfToken,
  type RtrItem,
} from '../src/index.ts'
import { type Job, printRatios, type Row } from './ratio.ts'

/** A field of a layout: byte offset and width (8 = u64, read as a bigint as the decoders do). */
type Field = readonly [offset: number, width: 1 | 2 | 4 | 8]

/** The 13-byte common header: magic, version, type, encapsulated, nodeid, target_nodeid. */
const HEADER: Field[] = [
  [0, 2],
  [2, 1],
  [3, 1],
  [4, 1],
  [5, 4],
  [9, 4],
]
/** ORF token: seq, token_seq, aru, aru_addr, ring id (rep, seq), backlog, fcc, retrans, count. */
function orfFields(rtr: number): Field[] {
  const f: Field[] = [
    ...HEADER,
    [13, 4],
    [17, 4],
    [21, 4],
    [25, 4],
    [29, 4],
    [33, 8],
    [41, 4],
    [45, 4],
    [49, 4],
    [53, 4],
  ]
  for (let i = 0; i < rtr; i++) f.push([57 + 16 * i, 4], [61 + 16 * i, 8], [69 + 16 * i, 4])
  return f
}
/** mcast: system_from, seq, this_seqno, ring id (rep, seq), node_id, guarantee. */
const MCAST_FIELDS: Field[] = [
  ...HEADER,
  [13, 4],
  [17, 4],
  [21, 4],
  [25, 4],
  [29, 8],
  [37, 4],
  [41, 4],
]

/** mcast + totempg header (version, type, fragmented, continuation, msg_count) and one length. */
const MCAST_PG_FIELDS: Field[] = [
  ...MCAST_FIELDS,
  [45, 2],
  [47, 2],
  [49, 1],
  [50, 1],
  [51, 2],
  [53, 2],
]

const GET = { 1: 'getUint8', 2: 'getUint16', 4: 'getUint32', 8: 'getBigUint64' } as const
const SET = { 1: 'setUint8', 2: 'setUint16', 4: 'setUint32', 8: 'setBigUint64' } as const

/**
 * Straight-line DataView reads of `fields` (generated, so the baseline pays no interpretation
 * overhead), plus a view of the payload when `payloadAt` is given.
 */
function dataViewReader(fields: readonly Field[], payloadAt?: number): (b: Uint8Array) => number {
  const body = [
    'const v = new DataView(b.buffer, b.byteOffset, b.byteLength)',
    'let s = 0',
    'let big = 0n',
    ...fields.map(([o, w]) =>
      w === 8 ? `big ^= v.${GET[w]}(${o}, true)` : `s ^= v.${GET[w]}(${o}${w > 1 ? ', true' : ''})`,
    ),
    payloadAt === undefined ? '' : `s ^= b.subarray(${payloadAt}).length`,
    'return big === 0n ? s : s ^ 1',
  ]
  return new Function('b', body.join('\n')) as (b: Uint8Array) => number
}

/** Straight-line allocation + DataView writes of `fields`, plus a copy of the payload if any. */
function dataViewWriter(
  size: number,
  fields: readonly Field[],
  payload?: Uint8Array,
): () => Uint8Array {
  const body = [
    `const b = new Uint8Array(${size})`,
    'const v = new DataView(b.buffer)',
    ...fields.map(([o, w], i) =>
      w === 8
        ? `v.${SET[w]}(${o}, ${i}n, true)`
        : `v.${SET[w]}(${o}, ${i}${w > 1 ? ', true' : ''})`,
    ),
    payload === undefined ? '' : `b.set(p, ${MCAST_HEADER_BYTES})`,
    'return b',
  ]
  const make = new Function('p', body.join('\n')) as (p: Uint8Array | undefined) => Uint8Array
  return () => make(payload)
}

const ring = { rep: 1, seq: 1_000_004n }
function token(rtr: number): Uint8Array {
  const list: RtrItem[] = Array.from({ length: rtr }, (_, i) => ({ ringId: ring, seq: 1000 + i }))
  const t: Omit<OrfToken, 'type'> = {
    nodeid: 1,
    targetNodeid: 2,
    seq: 123_456,
    tokenSeq: 987_654,
    aru: 123_400,
    aruAddr: 3,
    ringId: ring,
    backlog: 17,
    fcc: 42,
    retransFlg: 0,
    rtr: list,
  }
  return encodeOrfToken(t)
}

const token0 = token(0)
const token30 = token(30)
/** A totempg payload for the last row: one full 1 400-byte piece. */
function pgPayload(): Uint8Array {
  const p = new Uint8Array(1410)
  const v = new DataView(p.buffer)
  v.setUint16(6, 1, true)
  v.setUint16(8, 1400, true)
  return p
}
const payload = pgPayload()
const mcast = encodeMcast({ nodeid: 1, systemFrom: 1, seq: 77, ringId: ring, payload })
const token0Obj = decodeOrfToken(token0)
const token30Obj = decodeOrfToken(token30)
const mcastObj = decodeMcast(mcast)

const decodeRows: Row[] = [
  {
    name: `decode ORF token (0 rtr, ${token0.length} B)`,
    fn: () => decodeOrfToken(token0),
    bytes: token0.length,
    baselines: {
      slice: () => token0.slice(),
      DataView: dataViewReader(orfFields(0)).bind(null, token0),
    },
  },
  {
    name: `decode ORF token (30 rtr, ${token30.length} B)`,
    fn: () => decodeOrfToken(token30),
    bytes: token30.length,
    baselines: {
      slice: () => token30.slice(),
      DataView: dataViewReader(orfFields(30)).bind(null, token30),
    },
  },
  {
    name: `decode mcast (${mcast.length} B)`,
    fn: () => decodeMcast(mcast),
    bytes: mcast.length,
    baselines: {
      slice: () => mcast.slice(),
      DataView: dataViewReader(MCAST_FIELDS, MCAST_HEADER_BYTES).bind(null, mcast),
    },
  },
  {
    name: `decode mcast + totempg (${mcast.length} B)`,
    fn: () => decodePgPacket(decodeMcast(mcast).payload, true),
    bytes: mcast.length,
    baselines: {
      slice: () => mcast.slice(),
      DataView: dataViewReader(MCAST_PG_FIELDS, MCAST_HEADER_BYTES + 10).bind(null, mcast),
    },
  },
]

const encodeRows: Row[] = [
  {
    name: `encode ORF token (0 rtr, ${token0.length} B)`,
    fn: () => encodeOrfToken(token0Obj),
    bytes: token0.length,
    baselines: {
      slice: () => token0.slice(),
      DataView: dataViewWriter(token0.length, orfFields(0)),
    },
  },
  {
    name: `encode ORF token (30 rtr, ${token30.length} B)`,
    fn: () => encodeOrfToken(token30Obj),
    bytes: token30.length,
    baselines: {
      slice: () => token30.slice(),
      DataView: dataViewWriter(token30.length, orfFields(30)),
    },
  },
  {
    name: `encode mcast (${mcast.length} B)`,
    fn: () => encodeMcast(mcastObj),
    bytes: mcast.length,
    baselines: {
      slice: () => mcast.slice(),
      DataView: dataViewWriter(mcast.length, MCAST_FIELDS, mcastObj.payload),
    },
  },
]

function register(title: string, rows: readonly Row[]): void {
  describe(title, () => {
    for (const row of rows) {
      const opts = { time: 150, warmupTime: 30 }
      bench(row.name, row.fn as Job, opts)
      for (const [b, fn] of Object.entries(row.baselines))
        bench(`  baseline ${b}: ${row.name}`, fn, opts)
    }
  })
}

register('decode', decodeRows)
register('encode', encodeRows)

afterAll(() => {
  printRatios('wire codecs vs. baselines (decode)', decodeRows)
  printRatios('wire codecs vs. baselines (encode)', encodeRows)
})
