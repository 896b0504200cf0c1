import type { RingId } from '@totem-ts/common'
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

/** Size of the mcast header; the totempg payload follows. */
export const MCAST_HEADER_BYTES = 45

/** `encapsulated` values of an mcast header. */
export const Encapsulation = {
  /** A re-sent old-ring message wrapped in a new-ring header (RECOVERY, reference §3.4). */
  Encapsulated: 1,
  /** A normal message. */
  NotEncapsulated: 2,
} as const

/**
 * A message multicast on the ring (`struct mcast`, reference §2.2). `payload` is the totempg
 * packet, or for `encapsulated == 1` a complete old-ring mcast.
 */
export interface Mcast extends HeaderFields {
  readonly type: 'mcast'
  /** 2 normal, 1 re-sent old-ring message. */
  readonly encapsulated: number
  /** Originator node id (membership decisions). */
  readonly systemFrom: number
  /** Ring sequence number assigned from the token. */
  readonly seq: number
  /** Sender-local running counter; informational. */
  readonly thisSeqno: number
  readonly ringId: RingId
  /** `node_id`: unused, 0. */
  readonly nodeIdUnused: number
  /** 0 agreed, 1 safe, as requested by the sender (corosync 3.1.7 ignores it). */
  readonly guarantee: number
  /** View into the datagram: `slice()` it to keep it. */
  readonly payload: Uint8Array
}

/** Decodes an mcast. The payload is a view into `bytes`. */
export function decodeMcast(bytes: Uint8Array): Mcast {
  const r = new Reader(bytes, detectByteOrder(bytes), 'mcast')
  r.need(MCAST_HEADER_BYTES, 'mcast header')
  const { nodeid, targetNodeid, encapsulated } = readHeaderFields(r, MessageType.Mcast)
  const systemFrom = r.u32('system_from')
  const seq = r.u32('seq')
  const thisSeqno = r.i32('this_seqno')
  const ringId = readRingId(r)
  const nodeIdUnused = r.u32('node_id')
  const guarantee = r.i32('guarantee')
  const payload = r.rest()
  return {
    type: 'mcast',
    nodeid,
    targetNodeid,
    encapsulated,
    systemFrom,
    seq,
    thisSeqno,
    ringId,
    nodeIdUnused,
    guarantee,
    payload,
  }
}

/** Fields of an mcast to encode; the optional ones default to corosync's values. */
export interface McastInput extends HeaderFields {
  readonly encapsulated?: number
  readonly systemFrom: number
  readonly seq: number
  readonly thisSeqno?: number
  readonly ringId: RingId
  readonly nodeIdUnused?: number
  readonly guarantee?: number
  readonly payload: Uint8Array
}

/** Writes the 45-byte mcast header into `w`. */
function writeMcastHeader(w: Writer, m: McastInput): void {
  const encapsulated = m.encapsulated ?? Encapsulation.NotEncapsulated
  checkUint(encapsulated, 8, 'encapsulated')
  checkUint(m.systemFrom, 32, 'systemFrom')
  checkUint(m.seq, 32, 'seq')
  checkInt32(m.thisSeqno ?? 0, 'thisSeqno')
  checkUint(m.nodeIdUnused ?? 0, 32, 'nodeIdUnused')
  checkInt32(m.guarantee ?? 0, 'guarantee')
  writeHeader(w, MessageType.Mcast, encapsulated, m)
  w.u32(m.systemFrom)
  w.u32(m.seq)
  w.i32(m.thisSeqno ?? 0)
  writeRingId(w, m.ringId)
  w.u32(m.nodeIdUnused ?? 0)
  w.i32(m.guarantee ?? 0)
}

/** Encodes an mcast: header followed by a copy of the payload. */
export function encodeMcast(m: McastInput, littleEndian = true): Uint8Array {
  const w = new Writer(MCAST_HEADER_BYTES + m.payload.length, littleEndian)
  writeMcastHeader(w, m)
  w.bytesFrom(m.payload)
  return w.done()
}

/**
 * Unwraps an encapsulated (recovery) mcast: its payload is the original old-ring mcast, header
 * and all. Throws `ERR_WIRE_INCONSISTENT` if `m` is not encapsulated or the inner message is not a
 * normal mcast.
 */
export function decodeEncapsulated(m: Mcast): Mcast {
  if (m.encapsulated !== Encapsulation.Encapsulated) {
    wireError('ERR_WIRE_INCONSISTENT', 'mcast is not encapsulated', {
      encapsulated: m.encapsulated,
    })
  }
  const p = m.payload
  if (p.length < MCAST_HEADER_BYTES) {
    wireError('ERR_WIRE_TRUNCATED', 'encapsulated mcast shorter than an mcast header', {
      length: p.length,
    })
  }
  // The inner message was written by the original sender, whose byte order may differ: decodeMcast
  // detects it again, and checks magic, version and type.
  const inner = decodeMcast(p)
  if (inner.encapsulated !== Encapsulation.NotEncapsulated) {
    wireError('ERR_WIRE_INCONSISTENT', 'nested encapsulation', { encapsulated: inner.encapsulated })
  }
  return inner
}
