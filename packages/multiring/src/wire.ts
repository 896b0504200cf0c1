/**
 * The multiring message codec (reference §9 G13): a fixed little-endian header after the srp/pg
 * header, then a body per kind. Every count is bounded before anything is allocated; anything
 * that does not decode raises {@link MultiringWireError} (`ERR_MULTIRING_BAD_MESSAGE`) and
 * nothing else.
 *
 * Header (28 bytes): u8 kind, u8 guarantee (0 agreed, 1 safe), u16 flags (bit 0: stamped),
 * u64 timestamp, source ring id (u64 seq, u32 rep), u32 source sender.
 */
import { type Guarantee, isNodeId, NODES_MAX, type NodeId, type RingId } from '@totem-ts/common'
import { badMessage } from './errors.ts'

/**
 * Wire kind codes (reference §9 G13; 9 and 10 are ours: the ring-start round and the
 * acknowledgement of a topology decision, see the README).
 */
export const MrKind = { Regular: 1, Gv: 2, Cc: 3, Nt: 4, Tc: 5, Start: 9, Ack: 10 } as const
/** One of {@link MrKind}. */
export type MrKind = (typeof MrKind)[keyof typeof MrKind]

/** Most rings a topology, a GV or a view may list (reference §9 G13). */
export const RINGS_MAX = 64
/** Most predecessor rings a configuration change may list. */
export const PREDS_MAX = 64
/** Most superseded rings an NT names. */
export const ENDED_MAX = 64
/** Most gateway incarnations an NT or TC names. */
export const RING_NONCES_MAX = 1024
/** Header bytes. */
export const HEADER_BYTES = 28
const FLAG_STAMPED = 1
/** On a TC with no rings: its CC was given up by its members' agreement (TcMessage.void). */
const FLAG_VOID = 2

/** A ring id with the last timestamp it reached. */
export interface RingTs {
  readonly ring: RingId
  readonly ts: number
}

/** An application message; `stamped` false while it travels on its source ring unstamped. */
export interface RegularMessage {
  readonly kind: 'regular'
  readonly guarantee: Guarantee
  readonly stamped: boolean
  /** Stamped: the Lamport timestamp. Unstamped: the sender's proposal (its clock + 1). */
  readonly ts: number
  /** Source ring (rep 0, seq 0 while unstamped). */
  readonly ring: RingId
  readonly sender: NodeId
  /** Per-incarnation nonce and per-sender sequence: identity for duplicate suppression. */
  readonly nonce: number
  readonly seq: number
  /** The sender's sequence on the LAN it originated the message on (per-ring FIFO gate). */
  readonly lanSeq: number
  readonly payload: Uint8Array
}

/** A guarantee vector: for each ring, the highest timestamp every member of `ring` holds. */
export interface GvMessage {
  readonly kind: 'gv'
  readonly stamped: boolean
  readonly ts: number
  readonly ring: RingId
  readonly sender: NodeId
  readonly entries: readonly RingTs[]
}

/** A configuration change: ring `ring` was established at timestamp `ts` from `preds`. */
export interface CcMessage {
  readonly kind: 'cc'
  readonly ts: number
  readonly ring: RingId
  /** The member that forwarded it first (0 when created locally). */
  readonly sender: number
  readonly lan: number
  /** Ascending. */
  readonly members: readonly NodeId[]
  /** Predecessor rings and the last timestamp their members reached on them. */
  readonly preds: readonly RingTs[]
  /** The members that are gateways (on another LAN too), ascending: each sends an NT. */
  readonly gateways: readonly NodeId[]
  /**
   * The incarnation nonce of each gateway (same order as `gateways`), from its start: a TC can
   * only come from that incarnation.
   */
  readonly gatewayNonces: readonly number[]
  /**
   * For each member (same order as `members`), the index in `preds` of the ring its start named
   * as its previous one, or `NO_PRED` (a first ring, or a restart): who comes from where.
   */
  readonly memberPreds: readonly number[]
}

/** `CcMessage.memberPreds` entry of a member with no previous ring. */
export const NO_PRED = 0xffff

/** One ring of a topology view. */
export interface ViewRing {
  readonly ring: RingId
  readonly lan: number
  readonly members: readonly NodeId[]
}

/** Gateway `node` is on `ring` as the incarnation `nonce` (its ring's CC names it so). */
export interface RingNonce {
  readonly ring: RingId
  readonly node: NodeId
  readonly nonce: number
}

/**
 * Network topology (NT, reference §6.4): a gateway of a new ring, when it reaches that ring's CC
 * in key order, tells the ring's members what it reaches on its other side (its topology minus
 * the new ring and its predecessors). Sent on the new ring's LAN only.
 */
export interface NtMessage {
  readonly kind: 'nt'
  readonly sender: NodeId
  readonly ccTs: number
  readonly ccRing: RingId
  readonly rings: readonly ViewRing[]
  /**
   * Rings the sender knows were superseded (named as a predecessor by a CC it holds), newest
   * last: a ring another NT still lists is left out of the union if any NT names it here.
   */
  readonly ended: readonly RingId[]
  /**
   * The incarnations of the gateway members of the listed rings that the sender knows: a
   * processor that knows a ring only from this NT can then tell a restarted gateway from the
   * one that linked the ring. Absent when none.
   */
  readonly gwNonces?: readonly RingNonce[]
}

/**
 * Topology change (TC, reference §6.4–6.5): the whole topology after a CC, computed by the
 * gateways of the CC's ring from the NTs and sent on their other LANs; forwarded network-wide.
 */
export interface TcMessage {
  readonly kind: 'tc'
  readonly sender: NodeId
  readonly ccTs: number
  readonly ccRing: RingId
  readonly rings: readonly ViewRing[]
  /** As in {@link NtMessage}. */
  readonly gwNonces?: readonly RingNonce[]
  /**
   * The CC was given up by its members' agreement (no rings then): its ring delivers nothing,
   * but blocks until its successor's CC ends it (that CC's key is not known before it comes).
   */
  readonly void?: boolean
}

/** Ring-start round: one per member of a new srp ring, before the ring is used. */
export interface StartMessage {
  readonly kind: 'start'
  readonly sender: NodeId
  /** The srp ring this start belongs to. */
  readonly forRing: RingId
  readonly lan: number
  readonly clock: number
  readonly pred: RingTs | undefined
  /** The sender is a gateway (attached to another LAN too). */
  readonly gateway: boolean
  /** The sender's incarnation nonce and the LAN seq of its next own message to be stamped. */
  readonly nonce: number
  readonly nextSeq: number
  /**
   * What srp delivered to the sender on this LAN, since it ended `pred`, in srp configurations
   * whose start rounds were abandoned and that was put on the LAN to be judged (forwards, CCs,
   * TCs): a hash of their keys in srp order, absent (0) when nothing. Members of one such srp
   * configuration name the same; a member that was not in it does not hold what it delivered.
   */
  readonly abandoned?: number
}

/**
 * A processor's word on a CC, on a LAN ring (never stamped nor forwarded). `proposed`: a member
 * of the CC's ring tells the other members the topology it would install there (`rep`, the
 * topology id's rep; 0 = none: it gives the CC up); a member installs the CC only when every
 * member proposed the same topology. Otherwise (`proposed` false) what it decided at a CC, on
 * each LAN where it is on a ring: its LAN mates count it as holding a safe message above a CC
 * only when it decided that CC as they did.
 */
export interface AckMessage {
  readonly kind: 'ack'
  readonly sender: NodeId
  readonly nonce: number
  readonly ccTs: number
  readonly ccRing: RingId
  readonly rep: number
  readonly proposed: boolean
}

/** Any multiring message. */
export type MrMessage =
  | RegularMessage
  | GvMessage
  | CcMessage
  | NtMessage
  | TcMessage
  | StartMessage
  | AckMessage

const TS_MAX = Number.MAX_SAFE_INTEGER

class Writer {
  readonly buf: Uint8Array
  readonly dv: DataView
  off = 0
  constructor(size: number) {
    this.buf = new Uint8Array(size)
    this.dv = new DataView(this.buf.buffer)
  }
  u8(v: number): void {
    this.dv.setUint8(this.off, v)
    this.off += 1
  }
  u16(v: number): void {
    this.dv.setUint16(this.off, v, true)
    this.off += 2
  }
  u32(v: number): void {
    this.dv.setUint32(this.off, v, true)
    this.off += 4
  }
  u64(v: bigint): void {
    this.dv.setBigUint64(this.off, v, true)
    this.off += 8
  }
  ts(v: number): void {
    this.u64(BigInt(v))
  }
  ring(r: RingId): void {
    this.u64(r.seq)
    this.u32(r.rep)
  }
  members(m: readonly NodeId[]): void {
    this.u16(m.length)
    for (const n of m) this.u32(n)
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.off)
    this.off += b.length
  }
}

class Reader {
  readonly buf: Uint8Array
  readonly dv: DataView
  off = 0
  constructor(buf: Uint8Array) {
    this.buf = buf
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }
  need(n: number): void {
    if (this.off + n > this.buf.length)
      badMessage('truncated', { offset: this.off, need: n, length: this.buf.length })
  }
  u8(): number {
    this.need(1)
    return this.dv.getUint8(this.off++)
  }
  u16(): number {
    this.need(2)
    const v = this.dv.getUint16(this.off, true)
    this.off += 2
    return v
  }
  u32(): number {
    this.need(4)
    const v = this.dv.getUint32(this.off, true)
    this.off += 4
    return v
  }
  u64(): bigint {
    this.need(8)
    const v = this.dv.getBigUint64(this.off, true)
    this.off += 8
    return v
  }
  ts(): number {
    const v = this.u64()
    if (v > BigInt(TS_MAX)) badMessage('timestamp-too-large', { offset: this.off - 8 })
    return Number(v)
  }
  ring(): RingId {
    const seq = this.u64()
    const rep = this.u32()
    return { rep, seq }
  }
  node(): NodeId {
    const n = this.u32()
    if (!isNodeId(n)) badMessage('bad-node', { offset: this.off - 4 })
    return n
  }
  members(): NodeId[] {
    const n = this.u16()
    if (n === 0 || n > NODES_MAX) badMessage('bad-member-count', { count: n })
    this.need(4 * n)
    const out: NodeId[] = []
    for (let i = 0; i < n; i++) {
      const m = this.node()
      if (i > 0 && m <= (out[i - 1] as number)) badMessage('members-not-ascending')
      out.push(m)
    }
    return out
  }
  count(max: number, what: string): number {
    const n = this.u16()
    if (n > max) badMessage(`too-many-${what}`, { count: n, max })
    return n
  }
  end(): void {
    if (this.off !== this.buf.length) badMessage('trailing-bytes', { offset: this.off })
  }
}

const RING_BYTES = 12

function header(
  w: Writer,
  kind: MrKind,
  g: Guarantee,
  stamped: boolean,
  ts: number,
  ring: RingId,
  sender: number,
  extra = 0,
): void {
  w.u8(kind)
  w.u8(g === 'safe' ? 1 : 0)
  w.u16((stamped ? FLAG_STAMPED : 0) | extra)
  w.ts(ts)
  w.ring(ring)
  w.u32(sender)
}

const ZERO_RING: RingId = { rep: 0, seq: 0n }

/** Encodes one message; the result is a fresh buffer. */
export function encodeMrMessage(m: MrMessage): Uint8Array {
  switch (m.kind) {
    case 'regular': {
      const w = new Writer(HEADER_BYTES + 16 + m.payload.length)
      header(w, MrKind.Regular, m.guarantee, m.stamped, m.ts, m.ring, m.sender)
      w.u32(m.nonce)
      w.u32(m.seq)
      w.u32(m.lanSeq)
      w.u32(m.payload.length)
      w.bytes(m.payload)
      return w.buf
    }
    case 'gv': {
      const w = new Writer(HEADER_BYTES + 2 + m.entries.length * (RING_BYTES + 8))
      header(w, MrKind.Gv, 'safe', m.stamped, m.ts, m.ring, m.sender)
      w.u16(m.entries.length)
      for (const e of m.entries) {
        w.ring(e.ring)
        w.ts(e.ts)
      }
      return w.buf
    }
    case 'cc': {
      const size =
        HEADER_BYTES +
        2 +
        2 +
        4 * m.members.length +
        2 +
        m.preds.length * (RING_BYTES + 8) +
        2 +
        8 * m.gateways.length +
        2 * m.members.length
      if (m.gatewayNonces.length !== m.gateways.length)
        throw new RangeError('cc: gatewayNonces and gateways differ in length')
      if (m.memberPreds.length !== m.members.length)
        throw new RangeError('cc: memberPreds and members differ in length')
      const w = new Writer(size)
      header(w, MrKind.Cc, 'agreed', true, m.ts, m.ring, m.sender)
      w.u16(m.lan)
      w.members(m.members)
      w.u16(m.preds.length)
      for (const p of m.preds) {
        w.ring(p.ring)
        w.ts(p.ts)
      }
      w.u16(m.gateways.length)
      m.gateways.forEach((g, i) => {
        w.u32(g)
        w.u32(m.gatewayNonces[i] as number)
      })
      for (const p of m.memberPreds) w.u16(p)
      return w.buf
    }
    case 'nt':
    case 'tc': {
      const nonces = m.gwNonces ?? []
      let size =
        HEADER_BYTES +
        2 +
        (m.kind === 'nt' ? 2 + RING_BYTES * m.ended.length : 0) +
        2 +
        (RING_BYTES + 8) * nonces.length
      for (const r of m.rings) size += RING_BYTES + 2 + 2 + 4 * r.members.length
      const w = new Writer(size)
      header(
        w,
        m.kind === 'nt' ? MrKind.Nt : MrKind.Tc,
        'agreed',
        true,
        m.ccTs,
        m.ccRing,
        m.sender,
        m.kind === 'tc' && m.void === true ? FLAG_VOID : 0,
      )
      w.u16(m.rings.length)
      for (const r of m.rings) {
        w.ring(r.ring)
        w.u16(r.lan)
        w.members(r.members)
      }
      if (m.kind === 'nt') {
        w.u16(m.ended.length)
        for (const e of m.ended) w.ring(e)
      }
      w.u16(nonces.length)
      for (const x of nonces) {
        w.ring(x.ring)
        w.u32(x.node)
        w.u32(x.nonce)
      }
      return w.buf
    }
    case 'start': {
      // Flag bit 0: `pred` present; bit 1: `abandoned` follows `nextSeq`.
      const ab = m.abandoned !== undefined && m.abandoned !== 0
      const w = new Writer(HEADER_BYTES + 2 + 8 + 1 + RING_BYTES + 8 + 1 + 8 + (ab ? 4 : 0))
      header(w, MrKind.Start, 'agreed', false, m.clock, m.forRing, m.sender)
      w.u16(m.lan)
      w.ts(m.clock)
      w.u8((m.pred === undefined ? 0 : 1) | (ab ? 2 : 0))
      w.ring(m.pred?.ring ?? ZERO_RING)
      w.ts(m.pred?.ts ?? 0)
      w.u8(m.gateway ? 1 : 0)
      w.u32(m.nonce)
      w.u32(m.nextSeq)
      if (ab) w.u32(m.abandoned as number)
      return w.buf
    }
    case 'ack': {
      const w = new Writer(HEADER_BYTES + 9)
      header(w, MrKind.Ack, 'agreed', false, m.ccTs, m.ccRing, m.sender)
      w.u32(m.nonce)
      w.u32(m.rep)
      w.u8(m.proposed ? 1 : 0)
      return w.buf
    }
  }
}

/** Decodes one message; throws only {@link MultiringWireError}. Payloads are views into `b`. */
export function decodeMrMessage(b: Uint8Array): MrMessage {
  const r = new Reader(b)
  const kind = r.u8()
  const gByte = r.u8()
  if (gByte > 1) badMessage('bad-guarantee', { value: gByte })
  const guarantee: Guarantee = gByte === 1 ? 'safe' : 'agreed'
  const flags = r.u16()
  const allowed = kind === MrKind.Tc ? FLAG_STAMPED | FLAG_VOID : FLAG_STAMPED
  if ((flags & ~allowed) !== 0) badMessage('bad-flags', { value: flags })
  const stamped = (flags & FLAG_STAMPED) !== 0
  const ts = r.ts()
  const ring = r.ring()
  const senderRaw = r.u32()
  const sender = (): NodeId => {
    if (!isNodeId(senderRaw)) badMessage('bad-sender', { value: senderRaw })
    return senderRaw
  }
  switch (kind) {
    case MrKind.Regular: {
      const s = sender()
      const nonce = r.u32()
      const seq = r.u32()
      const lanSeq = r.u32()
      const len = r.u32()
      r.need(len)
      const payload = b.subarray(r.off, r.off + len)
      r.off += len
      r.end()
      return {
        kind: 'regular',
        guarantee,
        stamped,
        ts,
        ring,
        sender: s,
        nonce,
        seq,
        lanSeq,
        payload,
      }
    }
    case MrKind.Gv: {
      const s = sender()
      const n = r.count(RINGS_MAX, 'rings')
      r.need(n * (RING_BYTES + 8))
      const entries: RingTs[] = []
      for (let i = 0; i < n; i++) entries.push({ ring: r.ring(), ts: r.ts() })
      r.end()
      return { kind: 'gv', stamped, ts, ring, sender: s, entries }
    }
    case MrKind.Cc: {
      if (!stamped) badMessage('cc-not-stamped')
      const lan = r.u16()
      const members = r.members()
      const n = r.count(PREDS_MAX, 'preds')
      r.need(n * (RING_BYTES + 8))
      const preds: RingTs[] = []
      for (let i = 0; i < n; i++) preds.push({ ring: r.ring(), ts: r.ts() })
      const gn = r.count(NODES_MAX, 'gateways')
      r.need(8 * gn)
      const gateways: NodeId[] = []
      const gatewayNonces: number[] = []
      for (let i = 0; i < gn; i++) {
        const g = r.node()
        if (i > 0 && g <= (gateways[i - 1] as number)) badMessage('gateways-not-ascending')
        if (!members.includes(g)) badMessage('gateway-not-member', { node: g })
        gateways.push(g)
        gatewayNonces.push(r.u32())
      }
      r.need(2 * members.length)
      const memberPreds: number[] = []
      for (let i = 0; i < members.length; i++) {
        const p = r.u16()
        if (p !== NO_PRED && p >= preds.length) badMessage('member-pred-out-of-range', { index: p })
        memberPreds.push(p)
      }
      r.end()
      return {
        kind: 'cc',
        ts,
        ring,
        sender: senderRaw,
        lan,
        members,
        preds,
        gateways,
        gatewayNonces,
        memberPreds,
      }
    }
    case MrKind.Nt:
    case MrKind.Tc: {
      const s = sender()
      const n = r.count(RINGS_MAX, 'rings')
      const rings: ViewRing[] = []
      for (let i = 0; i < n; i++) {
        const rr = r.ring()
        const lan = r.u16()
        rings.push({ ring: rr, lan, members: r.members() })
      }
      const ended: RingId[] = []
      if (kind === MrKind.Nt) {
        const en = r.count(ENDED_MAX, 'ended')
        r.need(en * RING_BYTES)
        for (let i = 0; i < en; i++) ended.push(r.ring())
      }
      const nn = r.count(RING_NONCES_MAX, 'gateway nonces')
      r.need(nn * (RING_BYTES + 8))
      const gwNonces: RingNonce[] = []
      for (let i = 0; i < nn; i++) gwNonces.push({ ring: r.ring(), node: r.node(), nonce: r.u32() })
      r.end()
      const extra = gwNonces.length > 0 ? { gwNonces } : {}
      if (kind === MrKind.Tc) {
        const isVoid = (flags & FLAG_VOID) !== 0
        if (isVoid && rings.length > 0) badMessage('void-tc-with-rings', { rings: rings.length })
        return {
          kind: 'tc',
          sender: s,
          ccTs: ts,
          ccRing: ring,
          rings,
          ...extra,
          ...(isVoid ? { void: true } : {}),
        }
      }
      return { kind: 'nt', sender: s, ccTs: ts, ccRing: ring, rings, ended, ...extra }
    }
    case MrKind.Start: {
      const s = sender()
      const lan = r.u16()
      const clock = r.ts()
      const has = r.u8()
      if (has > 3) badMessage('bad-pred-flag', { value: has })
      const pr = r.ring()
      const pts = r.ts()
      const gw = r.u8()
      if (gw > 1) badMessage('bad-gateway-flag', { value: gw })
      const nonce = r.u32()
      const nextSeq = r.u32()
      const abandoned = (has & 2) !== 0 ? r.u32() : 0
      if ((has & 2) !== 0 && abandoned === 0) badMessage('bad-abandoned', { value: 0 })
      r.end()
      return {
        kind: 'start',
        sender: s,
        forRing: ring,
        lan,
        clock,
        pred: (has & 1) === 1 ? { ring: pr, ts: pts } : undefined,
        gateway: gw === 1,
        nonce,
        nextSeq,
        ...(abandoned !== 0 ? { abandoned } : {}),
      }
    }
    case MrKind.Ack: {
      const s = sender()
      const nonce = r.u32()
      const rep = r.u32()
      const proposed = r.u8()
      if (proposed > 1) badMessage('bad-proposed-flag', { value: proposed })
      r.end()
      return {
        kind: 'ack',
        sender: s,
        nonce,
        ccTs: ts,
        ccRing: ring,
        rep,
        proposed: proposed === 1,
      }
    }
    default:
      return badMessage('bad-kind', { kind })
  }
}
