/**
 * fast-check arbitraries for every wire message, producing valid values within the declared
 * limits (reference §1.4, §1.6, §5–§8): what a decoder returns is exactly what was encoded.
 */
import fc from 'fast-check'
import type {
  CmapMessage,
  CpgMessage,
  Mcast,
  MembCommitToken,
  MembJoin,
  MembMergeDetect,
  OrfToken,
  PgGroupMessage,
  PgPacket,
  RawServiceMessage,
  RtrItem,
  ServiceMessage,
  SyncMessage,
  TotemMessage,
} from '../../src/index.ts'

type TokenHoldCancel = Extract<TotemMessage, { type: 'token-hold-cancel' }>

export const u8: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xff })
export const i16: fc.Arbitrary<number> = fc.integer({ min: -0x8000, max: 0x7fff })
export const u16: fc.Arbitrary<number> = fc.integer({ min: 0, max: 0xffff })
export const u32: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: 0, max: 0xffff_ffff }),
  fc.constantFrom(0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff),
)
export const i32: fc.Arbitrary<number> = fc.oneof(
  fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
  fc.constantFrom(-0x8000_0000, -1, 0, 1, 0x7fff_ffff),
)
export const u64: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }),
  fc.constantFrom(0n, 1n, 0xffff_ffffn, 0x1_0000_0000n, 0xffff_ffff_ffff_ffffn),
)
export const ringId: fc.Arbitrary<{ rep: number; seq: bigint }> = fc.record({ rep: u32, seq: u64 })

/**
 * Lists of up to `max` elements: mostly short (fast-check's default size), sometimes of any
 * length up to `max` (`size: 'max'`), so that the limits themselves are reached.
 */
export const list = <T>(item: fc.Arbitrary<T>, max: number, min = 0): fc.Arbitrary<T[]> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.array(item, { minLength: min, maxLength: max }) },
    { weight: 1, arbitrary: fc.array(item, { minLength: min, maxLength: max, size: 'max' }) },
  )

/** Bytes of at most `max` length (mostly short, sometimes up to `max`). */
export const bytes = (max: number, min = 0): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.uint8Array({ minLength: min, maxLength: max }) },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: min, maxLength: max, size: 'max' }) },
  )

/** A latin-1 string (one char per byte) of at most `max` chars. */
export const latin1 = (max: number, min = 0): fc.Arbitrary<string> =>
  list(u8, max, min).map((a) => a.map((c) => String.fromCharCode(c)).join(''))

const header = { nodeid: u32, targetNodeid: u32 }

export const rtrItem: fc.Arbitrary<RtrItem> = fc.record({ ringId, seq: u32 })

export const orfToken: fc.Arbitrary<OrfToken> = fc.record({
  type: fc.constant('orf-token' as const),
  ...header,
  seq: u32,
  tokenSeq: u32,
  aru: u32,
  aruAddr: u32,
  ringId,
  backlog: u32,
  fcc: u32,
  retransFlg: i32,
  rtr: list(rtrItem, 30),
})

export const mcast: fc.Arbitrary<Mcast> = fc.record({
  type: fc.constant('mcast' as const),
  ...header,
  encapsulated: u8,
  systemFrom: u32,
  seq: u32,
  thisSeqno: i32,
  ringId,
  nodeIdUnused: u32,
  guarantee: i32,
  payload: bytes(300),
})

export const mergeDetect: fc.Arbitrary<MembMergeDetect> = fc.record({
  type: fc.constant('merge-detect' as const),
  ...header,
  systemFrom: u32,
  ringId,
})

/** Node id lists: usually short, sometimes up to the 384 limit. */
const nodeList = list(u32, 384)

export const join: fc.Arbitrary<MembJoin> = fc.record({
  type: fc.constant('join' as const),
  ...header,
  systemFrom: u32,
  procList: nodeList,
  failedList: nodeList,
  ringSeq: u64,
})

export const commitToken: fc.Arbitrary<MembCommitToken> = list(
  fc.record({ nodeid: u32, ringId, aru: u32, highDelivered: u32, receivedFlg: u32 }),
  384,
).chain((members) =>
  fc.record({
    type: fc.constant('commit-token' as const),
    ...header,
    tokenSeq: u32,
    ringId,
    retransFlg: u32,
    membIndex: fc.integer({ min: 0, max: members.length }),
    members: fc.constant(members),
  }),
)

export const tokenHoldCancel: fc.Arbitrary<TokenHoldCancel> = fc.record({
  type: fc.constant('token-hold-cancel' as const),
  ...header,
  ringId,
})

/** Any of the six totemsrp messages. */
export const totemMessage: fc.Arbitrary<TotemMessage> = fc.oneof(
  orfToken,
  mcast,
  mergeDetect,
  join,
  commitToken,
  tokenHoldCancel,
)

/** A totempg packet; an empty one claims no fragment (corosync never sends one that does). */
export const pgPacket: fc.Arbitrary<PgPacket> = fc
  .record({
    version: i16,
    pgType: i16,
    fragmented: u8,
    continuation: u8,
    pieces: list(bytes(1400), 16),
  })
  .map((p) => (p.pieces.length === 0 ? { ...p, fragmented: 0, continuation: 0 } : p))

export const pgGroupMessage: fc.Arbitrary<PgGroupMessage> = fc.record({
  groups: list(latin1(1024), 32),
  body: bytes(200),
})

/** Non-zero padding of exactly `n` bytes (all-zero padding decodes as absent). */
const padding = (n: number): fc.Arbitrary<Uint8Array | undefined> =>
  n === 0
    ? fc.constant(undefined)
    : fc.option(
        fc.uint8Array({ minLength: n, maxLength: n }).map((p) => {
          if (p.every((b) => b === 0)) p[n - 1] = 1
          return p
        }),
        { freq: 3, nil: undefined },
      )

/** Adds padding of the size the layout holds, or none. */
function withPadding<T extends object>(
  m: fc.Arbitrary<T>,
  padBytes: (m: NoInfer<T>) => number,
): fc.Arbitrary<T & { readonly padding?: Uint8Array }> {
  return m.chain((v) =>
    padding(padBytes(v)).map((p) => (p === undefined ? v : { ...v, padding: p })),
  )
}

/** Request header padding (id and size, each padded to 8). */
const REQ_PAD = 8
/** Padding of a 136-byte CPG name struct holding `name`. */
const namePad = (name: string): number => 4 + (128 - name.length)
const cpgGroup = latin1(128)

export const syncMessage: fc.Arbitrary<SyncMessage> = fc.oneof(
  withPadding(
    fc.record({
      kind: fc.constantFrom('sync-barrier' as const, 'sync-memb-determine' as const),
      ringId,
    }),
    () => REQ_PAD + 4,
  ),
  withPadding(
    fc.record({
      kind: fc.constant('sync-service-build' as const),
      ringId,
      services: list(i32, 128),
    }),
    (m) => REQ_PAD + 4 + 4 + 4 * (128 - m.services.length),
  ),
)

export const cpgMessage: fc.Arbitrary<CpgMessage> = fc.oneof(
  withPadding(
    fc.record({
      kind: fc.constantFrom('cpg-procjoin' as const, 'cpg-procleave' as const),
      group: cpgGroup,
      pid: u32,
      reason: u32,
    }),
    (m) => REQ_PAD + namePad(m.group) + 4 + 4,
  ),
  withPadding(
    fc.record({
      kind: fc.constant('cpg-mcast' as const),
      group: cpgGroup,
      pid: u32,
      sourceNodeid: u32,
      sourceConn: u64,
      data: bytes(300),
    }),
    (m) => REQ_PAD + namePad(m.group) + 3 * 4,
  ),
  withPadding(
    fc
      .record({
        kind: fc.constant('cpg-partial-mcast' as const),
        group: cpgGroup,
        extra: u32,
        pid: u32,
        partType: u32,
        sourceNodeid: u32,
        sourceConn: u64,
        data: bytes(300),
      })
      .map(({ extra, ...m }) => ({ ...m, msglen: Math.min(0xffff_ffff, m.data.length + extra) })),
    (m) => REQ_PAD + namePad(m.group) + 5 * 4,
  ),
  withPadding(
    fc.record({
      kind: fc.constant('cpg-joinlist' as const),
      error: i32,
      entries: list(fc.record({ pid: u32, group: cpgGroup }), 20),
    }),
    (m) => REQ_PAD + 4 + m.entries.reduce((n, e) => n + 4 + namePad(e.group), 0),
  ),
  withPadding(
    fc.record({
      kind: fc.constant('cpg-downlist' as const),
      oldMembers: u32,
      leftNodes: nodeList,
    }),
    (m) => REQ_PAD + 4 + 4 + 4 * (384 - m.leftNodes.length),
  ),
  withPadding(
    fc.record({ kind: fc.constant('cpg-downlist-old' as const), leftNodes: nodeList }),
    (m) => REQ_PAD + 4 + 4 * (384 - m.leftNodes.length),
  ),
)

const roundUp8 = (n: number): number => (n + 7) & ~7

export const cmapMessage: fc.Arbitrary<CmapMessage> = withPadding(
  fc.record({
    kind: fc.constant('cmap-mcast' as const),
    reason: u8,
    items: list(fc.record({ key: latin1(256), valueType: u8, value: bytes(64) }), 8),
  }),
  (m) =>
    REQ_PAD +
    7 +
    7 +
    16 +
    m.items.reduce(
      (n, it) => n + 6 + (256 - it.key.length) + 7 + roundUp8(it.value.length) - it.value.length,
      0,
    ),
)

/** Exec messages of services kept raw (cfg, pload, votequorum), with a valid request header. */
export const rawServiceMessage = (littleEndian: boolean): fc.Arbitrary<RawServiceMessage> =>
  fc
    .constantFrom([1, 5], [4, 2], [5, 16])
    .chain(([service, fns]) =>
      fc.record({
        service: fc.constant(service as number),
        fn: fc.integer({ min: 0, max: (fns as number) - 1 }),
        rest: bytes(100),
        pads: fc.uint8Array({ minLength: 8, maxLength: 8 }),
      }),
    )
    .map(({ service, fn, rest, pads }) => {
      const b = new Uint8Array(16 + rest.length)
      const v = new DataView(b.buffer)
      v.setInt32(0, (service << 16) | fn, littleEndian)
      b.set(pads.subarray(0, 4), 4)
      v.setInt32(8, b.length, littleEndian)
      b.set(pads.subarray(4), 12)
      b.set(rest, 16)
      return { kind: 'service-raw' as const, service, fn, bytes: b }
    })

/** Any modelled service message (raw ones are byte-order specific; see rawServiceMessage). */
export const serviceMessage: fc.Arbitrary<ServiceMessage> = fc.oneof(
  syncMessage,
  cpgMessage,
  cmapMessage,
)
