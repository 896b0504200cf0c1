/**
 * The RRP frame: a 20-byte header in front of every datagram, plus an 8-byte body for heartbeats.
 * RRP runs between totem-ts nodes only (corosync 3 has no RRP; reference §1.4), so the format is
 * ours. Big-endian. The magic differs from corosync's 0xC070 and from crypto's sealed magic, so a
 * dissector can tell them apart.
 *
 * ```
 *  0  u16 magic 0x5252 ('RR')     2  u8 version (1)     3  u8 kind (0 mcast, 1 unicast, 2 heartbeat)
 *  4  u32 sender node id          8  u32 sender epoch (random per incarnation)
 * 12  u32 seq (duplicate filter; the same in every copy of one datagram; 0 in heartbeats)
 * 16  u32 netSeq (per network: the mcast stream for kinds 0 and 2, the stream to this receiver for kind 1)
 * heartbeat body (12 bytes):
 * 20  u32 reenableGen   24  u16 faulty mask (networks the sender reports faulty)
 * 26  u8 ringNo (network it was sent on)   27  u8 networks (how many the sender has)
 * 28  u16 standby mask (of its faulty networks, those whose probes are clean right now)
 * 30  u16 reserved (0)   32… padding
 * ```
 */
import { RrpError, RrpErrorCode } from './errors.ts'

export const RRP_MAGIC = 0x5252
export const RRP_VERSION = 1
/** Bytes RRP puts in front of every datagram: `mtuBytes` is the inner MTU minus this. */
export const RRP_HEADER_BYTES = 20
/** Heartbeat body after the header. */
export const RRP_HEARTBEAT_BODY_BYTES = 12

export const FrameKind = { Mcast: 0, Unicast: 1, Heartbeat: 2 } as const
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind]

export interface FrameHeader {
  kind: FrameKind
  sender: number
  epoch: number
  seq: number
  netSeq: number
}

export interface HeartbeatBody {
  reenableGen: number
  faultyMask: number
  standbyMask: number
  ringNo: number
  networks: number
}

export function writeHeader(out: Uint8Array, h: FrameHeader): void {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength)
  v.setUint16(0, RRP_MAGIC)
  v.setUint8(2, RRP_VERSION)
  v.setUint8(3, h.kind)
  v.setUint32(4, h.sender)
  v.setUint32(8, h.epoch)
  v.setUint32(12, h.seq)
  v.setUint32(16, h.netSeq)
}

/** Decodes the header into `out`; throws `ERR_RRP_BAD_FRAME` / `ERR_RRP_BAD_FIELD`. */
export function readHeader(bytes: Uint8Array, out: FrameHeader): void {
  if (bytes.length < RRP_HEADER_BYTES)
    throw new RrpError(RrpErrorCode.BadFrame, 'datagram shorter than the RRP header', {
      details: { length: bytes.length },
    })
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const kind = v.getUint8(3)
  if (v.getUint16(0) !== RRP_MAGIC || v.getUint8(2) !== RRP_VERSION || kind > 2)
    throw new RrpError(RrpErrorCode.BadFrame, 'not an RRP frame (magic, version or kind)', {
      details: { magic: v.getUint16(0), version: v.getUint8(2), kind },
    })
  const sender = v.getUint32(4)
  if (sender === 0) throw new RrpError(RrpErrorCode.BadField, 'sender node id 0')
  out.kind = kind as FrameKind
  out.sender = sender
  out.epoch = v.getUint32(8)
  out.seq = v.getUint32(12)
  out.netSeq = v.getUint32(16)
}

export function writeHeartbeat(out: Uint8Array, b: HeartbeatBody): void {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength)
  v.setUint32(RRP_HEADER_BYTES, b.reenableGen)
  v.setUint16(RRP_HEADER_BYTES + 4, b.faultyMask)
  v.setUint8(RRP_HEADER_BYTES + 6, b.ringNo)
  v.setUint8(RRP_HEADER_BYTES + 7, b.networks)
  v.setUint16(RRP_HEADER_BYTES + 8, b.standbyMask)
  v.setUint16(RRP_HEADER_BYTES + 10, 0)
}

export function readHeartbeat(bytes: Uint8Array, out: HeartbeatBody): void {
  if (bytes.length < RRP_HEADER_BYTES + RRP_HEARTBEAT_BODY_BYTES)
    throw new RrpError(RrpErrorCode.BadField, 'heartbeat body truncated', {
      details: { length: bytes.length },
    })
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  out.reenableGen = v.getUint32(RRP_HEADER_BYTES)
  out.faultyMask = v.getUint16(RRP_HEADER_BYTES + 4)
  out.ringNo = v.getUint8(RRP_HEADER_BYTES + 6)
  out.networks = v.getUint8(RRP_HEADER_BYTES + 7)
  out.standbyMask = v.getUint16(RRP_HEADER_BYTES + 8)
}

/** Serial-number difference a − b of two u32s, as an int32 (RFC 1982 style). */
export const seqDiff = (a: number, b: number): number => (a - b) | 0
