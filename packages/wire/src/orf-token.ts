import type { RingId } from '@totem-ts/common'
import { invalidArgument, RTR_ENTRIES_MAX, TOKEN_BYTES_MAX } from '@totem-ts/common'
import { checkInt32, checkUint, Reader, Writer } from './cursor.ts'
import { wireError } from './errors.ts'
import {
  detectByteOrder,
  type HeaderFields,
  MessageType,
  readHeaderFields,
  readRingId,
  writeHeader,
  writeRingId,
} from './header.ts'

/** Fixed part of an ORF token. */
export const ORF_TOKEN_BYTES = 57
/** Size of one retransmit-list entry. */
export const RTR_ITEM_BYTES = 16

/** One retransmit request: a message `seq` missing from ring `ringId` (`struct rtr_item`). */
export interface RtrItem {
  readonly ringId: RingId
  readonly seq: number
}

/**
 * The ordering, reliability and flow-control token (`struct orf_token`, reference §2.1; the
 * paper's "regular token"). Unicast to the successor.
 */
export interface OrfToken extends HeaderFields {
  readonly type: 'orf-token'
  /** Highest sequence number assigned on this ring. */
  readonly seq: number
  /** +1 at every hop; duplicates and old copies are recognised by it. */
  readonly tokenSeq: number
  /** All-received-up-to: the ring-wide low-water mark being computed. */
  readonly aru: number
  /** Node that last lowered `aru`; 0 when `aru == seq`. */
  readonly aruAddr: number
  readonly ringId: RingId
  /** Sum of the members' send-queue lengths. */
  readonly backlog: number
  /** Flow-control count: messages sent in the last rotation. */
  readonly fcc: number
  /** RECOVERY only: 1 while some member still has old-ring messages to re-send. */
  readonly retransFlg: number
  /** Retransmit requests, at most 30. */
  readonly rtr: readonly RtrItem[]
}

/** Decodes an ORF token (the header must already have type 0). Applies the checks of §1.6. */
export function decodeOrfToken(bytes: Uint8Array): OrfToken {
  if (bytes.length > TOKEN_BYTES_MAX) {
    wireError('ERR_WIRE_TOO_LONG', 'ORF token longer than the token storage', {
      length: bytes.length,
      max: TOKEN_BYTES_MAX,
    })
  }
  const r = new Reader(bytes, detectByteOrder(bytes), 'orf-token')
  r.need(ORF_TOKEN_BYTES, 'orf_token')
  const { nodeid, targetNodeid } = readHeaderFields(r, MessageType.OrfToken)
  const seq = r.u32('seq')
  const tokenSeq = r.u32('token_seq')
  const aru = r.u32('aru')
  const aruAddr = r.u32('aru_addr')
  const ringId = readRingId(r)
  const backlog = r.u32('backlog')
  const fcc = r.u32('fcc')
  const retransFlg = r.i32('retrans_flg')
  const entries = r.i32('rtr_list_entries')
  // CVE-2025-30472: the count must be checked against the limit and the datagram's length.
  if (entries < 0 || entries > RTR_ENTRIES_MAX) {
    wireError('ERR_WIRE_TOO_MANY', 'rtr_list_entries out of range', {
      entries,
      max: RTR_ENTRIES_MAX,
    })
  }
  r.need(entries * RTR_ITEM_BYTES, 'rtr_list')
  const rtr: RtrItem[] = new Array(entries)
  for (let i = 0; i < entries; i++) {
    const ring = readRingId(r, 'rtr_list.ring_id')
    rtr[i] = { ringId: ring, seq: r.u32('rtr_list.seq') }
  }
  r.end()
  return {
    type: 'orf-token',
    nodeid,
    targetNodeid,
    seq,
    tokenSeq,
    aru,
    aruAddr,
    ringId,
    backlog,
    fcc,
    retransFlg,
    rtr,
  }
}

/** Encodes an ORF token, little-endian unless told otherwise. */
export function encodeOrfToken(t: Omit<OrfToken, 'type'>, littleEndian = true): Uint8Array {
  if (t.rtr.length > RTR_ENTRIES_MAX) {
    invalidArgument('too many rtr entries to encode', {
      entries: t.rtr.length,
      max: RTR_ENTRIES_MAX,
    })
  }
  checkUint(t.seq, 32, 'seq')
  checkUint(t.tokenSeq, 32, 'tokenSeq')
  checkUint(t.aru, 32, 'aru')
  checkUint(t.aruAddr, 32, 'aruAddr')
  checkUint(t.backlog, 32, 'backlog')
  checkUint(t.fcc, 32, 'fcc')
  checkInt32(t.retransFlg, 'retransFlg')
  const w = new Writer(ORF_TOKEN_BYTES + RTR_ITEM_BYTES * t.rtr.length, littleEndian)
  writeHeader(w, MessageType.OrfToken, 0, t)
  w.u32(t.seq)
  w.u32(t.tokenSeq)
  w.u32(t.aru)
  w.u32(t.aruAddr)
  writeRingId(w, t.ringId)
  w.u32(t.backlog)
  w.u32(t.fcc)
  w.i32(t.retransFlg)
  w.i32(t.rtr.length)
  for (const item of t.rtr) {
    writeRingId(w, item.ringId, 'rtr.ringId')
    checkUint(item.seq, 32, 'rtr.seq')
    w.u32(item.seq)
  }
  return w.done()
}
