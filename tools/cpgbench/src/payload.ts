/**
 * The bench's payload header (little-endian), at the start of every message; the rest of the
 * message is zeros. The nonce (random per process start) and the counter (per sender) make every
 * payload unique, also across restarts, so EVS trace ids (sha256 of sender ‖ payload) never
 * collide; the timestamp gives the sender its self-delivery latency.
 *
 * ```
 *  0 u32 magic 'CPGB'   4 u8 kind   5 u8 step   6 u16 0   8 nonce[8]
 * 16 u32 counter lo    20 u32 counter hi        24 f64 send time (sender's performance.now(), ms)
 * 32 u32 total length  36 u32 0
 * ```
 */
import { TotemError } from '@totem-ts/common'

/** Bytes of the header; the smallest message size. */
export const HEADER_BYTES = 40
export const MAGIC = 0x42475043

/** What a message is: load, or a barrier marker that aligns the steps of all instances. */
export const MessageKind = { data: 0, barrier: 1 } as const
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind]

/** A decoded header. */
export interface Header {
  readonly kind: MessageKind
  readonly step: number
  readonly nonce: Uint8Array
  readonly counter: number
  readonly sentAtMs: number
  readonly length: number
}

/** Writes a header into `buf` (whose length is the message size). */
export function writeHeader(
  buf: Uint8Array,
  kind: MessageKind,
  step: number,
  nonce: Uint8Array,
  counter: number,
  sentAtMs: number,
): void {
  const v = new DataView(buf.buffer, buf.byteOffset, HEADER_BYTES)
  v.setUint32(0, MAGIC, true)
  buf[4] = kind
  buf[5] = step
  v.setUint16(6, 0, true)
  buf.set(nonce.subarray(0, 8), 8)
  v.setUint32(16, counter >>> 0, true)
  v.setUint32(20, Math.floor(counter / 2 ** 32), true)
  v.setFloat64(24, sentAtMs, true)
  v.setUint32(32, buf.length, true)
  v.setUint32(36, 0, true)
}

/**
 * Reads a header; undefined for a message that is not the bench's (another application in the
 * group). Throws `ERR_CPGBENCH_BAD_PAYLOAD` for a bench message whose length disagrees.
 */
export function readHeader(buf: Uint8Array): Header | undefined {
  if (buf.length < HEADER_BYTES) return undefined
  const v = new DataView(buf.buffer, buf.byteOffset, HEADER_BYTES)
  if (v.getUint32(0, true) !== MAGIC) return undefined
  const kind = buf[4] as number
  if (kind !== MessageKind.data && kind !== MessageKind.barrier) return undefined
  const length = v.getUint32(32, true)
  if (length !== buf.length)
    throw new TotemError(
      'ERR_CPGBENCH_BAD_PAYLOAD',
      `a bench message says ${length} bytes but has ${buf.length}`,
      { details: { length, actual: buf.length } },
    )
  return {
    kind: kind as MessageKind,
    step: buf[5] as number,
    nonce: buf.subarray(8, 16),
    counter: v.getUint32(16, true) + v.getUint32(20, true) * 2 ** 32,
    sentAtMs: v.getFloat64(24, true),
    length,
  }
}

/** True when the two 8-byte nonces are equal. */
export function sameNonce(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) return false
  return true
}
