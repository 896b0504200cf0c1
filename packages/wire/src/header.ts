import type { RingId } from '@totem-ts/common'
import { checkUint, checkUint64, type Reader, type Writer } from './cursor.ts'
import { wireError } from './errors.ts'

/** `TOTEM_MH_MAGIC` as the sender wrote it; a little-endian sender's bytes are `70 C0`. */
export const TOTEM_MAGIC = 0xc070
/** The only header version corosync 3.x accepts. */
export const TOTEM_VERSION = 3
/** Size of the common header of every totemsrp message. */
export const HEADER_BYTES = 13
/** Size of a packed ring id (u32 rep + u64 seq). */
export const RING_ID_BYTES = 12

/** totemsrp message types (`enum message_type`). */
export const MessageType = {
  OrfToken: 0,
  Mcast: 1,
  MembMergeDetect: 2,
  MembJoin: 3,
  MembCommitToken: 4,
  TokenHoldCancel: 5,
} as const
/** One of {@link MessageType}. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType]

/** Names of the message types, by type number (for tools and logs). */
export const MESSAGE_TYPE_NAMES: readonly string[] = [
  'orf-token',
  'mcast',
  'merge-detect',
  'join',
  'commit-token',
  'token-hold-cancel',
]

/** The 13-byte common header (`struct totem_message_header`). */
export interface TotemHeader {
  /** Byte order the sender used, detected from the magic. */
  readonly littleEndian: boolean
  readonly version: number
  readonly type: MessageType
  /** mcast only: 2 normal, 1 re-sent old-ring message; 0 elsewhere. */
  readonly encapsulated: number
  /** Sender (forwarder) node id; 0 in a leave message. */
  readonly nodeid: number
  /** Unused by udpu; corosync leaves stack garbage here. Kept only to re-encode exactly. */
  readonly targetNodeid: number
}

/** Header fields every message object carries (all but byte order, version and type). */
export interface HeaderFields {
  /** Sender (forwarder) node id; 0 in a leave message. */
  readonly nodeid: number
  /**
   * `target_nodeid`: unused by udpu, often garbage in corosync's tokens and joins. Never interpret
   * it; it is kept so that re-encoding reproduces the input. Defaults to 0 when encoding.
   */
  readonly targetNodeid?: number
}

/**
 * Reads the byte order from the magic: `true` for a little-endian sender. Throws
 * `ERR_WIRE_TRUNCATED` or `ERR_WIRE_BAD_MAGIC` (corosync 2.x magics `0xFFFF`/`0xFEFE` included).
 */
export function detectByteOrder(bytes: Uint8Array): boolean {
  if (bytes.length < 2)
    wireError('ERR_WIRE_TRUNCATED', 'datagram shorter than the magic', { length: bytes.length })
  const b0 = bytes[0] as number
  const b1 = bytes[1] as number
  if (b0 === 0x70 && b1 === 0xc0) return true
  if (b0 === 0xc0 && b1 === 0x70) return false
  return wireError('ERR_WIRE_BAD_MAGIC', 'not a corosync 3 totem message', {
    magic: (b0 << 8) | b1,
  })
}

/**
 * Decodes and checks the common header: length ≥ 13, magic (either byte order), version 3,
 * type ≤ 5 (reference §1.2). Does not look past byte 13.
 */
export function decodeHeader(bytes: Uint8Array): TotemHeader {
  const littleEndian = detectByteOrder(bytes)
  if (bytes.length < HEADER_BYTES) {
    wireError('ERR_WIRE_TRUNCATED', 'datagram shorter than the totem header', {
      length: bytes.length,
    })
  }
  const version = bytes[2] as number
  if (version !== TOTEM_VERSION)
    wireError('ERR_WIRE_BAD_VERSION', 'unsupported totem version', { version })
  const type = bytes[3] as number
  if (type > 5) wireError('ERR_WIRE_BAD_TYPE', 'unknown totem message type', { type })
  const view = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES)
  return {
    littleEndian,
    version,
    type: type as MessageType,
    encapsulated: bytes[4] as number,
    nodeid: view.getUint32(5, littleEndian),
    targetNodeid: view.getUint32(9, littleEndian),
  }
}

/**
 * Reads and checks the common header of a message of the `expected` type (magic in the reader's
 * byte order, version 3, type) and returns its sender fields.
 */
export function readHeaderFields(
  r: Reader,
  expected: MessageType,
): { nodeid: number; targetNodeid: number; encapsulated: number } {
  r.need(HEADER_BYTES, 'header')
  const magic = r.u16('magic')
  if (magic !== TOTEM_MAGIC)
    wireError('ERR_WIRE_BAD_MAGIC', 'not a corosync 3 totem message', { magic })
  const version = r.u8('version')
  if (version !== TOTEM_VERSION)
    wireError('ERR_WIRE_BAD_VERSION', 'unsupported totem version', { version })
  const type = r.u8('type')
  if (type !== expected) {
    wireError('ERR_WIRE_BAD_TYPE', `expected a ${MESSAGE_TYPE_NAMES[expected]}`, { type, expected })
  }
  const encapsulated = r.u8('encapsulated')
  const nodeid = r.u32('nodeid')
  const targetNodeid = r.u32('target_nodeid')
  return { nodeid, targetNodeid, encapsulated }
}

/** Writes the common header. */
export function writeHeader(
  w: Writer,
  type: MessageType,
  encapsulated: number,
  h: HeaderFields,
): void {
  checkUint(h.nodeid, 32, 'nodeid')
  const target = h.targetNodeid ?? 0
  checkUint(target, 32, 'targetNodeid')
  w.u16(TOTEM_MAGIC)
  w.u8(TOTEM_VERSION)
  w.u8(type)
  w.u8(encapsulated)
  w.u32(h.nodeid)
  w.u32(target)
}

/** Reads a packed 12-byte ring id. */
export function readRingId(r: Reader, field = 'ring_id'): RingId {
  r.need(RING_ID_BYTES, field)
  const rep = r.u32(field)
  const seq = r.u64(field)
  return { rep, seq }
}

/** Writes a packed 12-byte ring id. */
export function writeRingId(w: Writer, id: RingId, field = 'ringId'): void {
  checkUint(id.rep, 32, `${field}.rep`)
  checkUint64(id.seq, `${field}.seq`)
  w.u32(id.rep)
  w.u64(id.seq)
}
