import { invalidArgument } from '@totem-ts/common'
import { checkUint, Reader, Writer } from '../cursor.ts'
import { wireError } from '../errors.ts'

/** Size of the totempg header (`struct totempg_mcast`) before the length array. */
export const PG_HEADER_BYTES = 8

/**
 * A totempg packet, the payload of a normal mcast (reference §5.1): a header, one length per
 * packed piece, and the pieces back to back.
 */
export interface PgPacket {
  /** `header.version`, 0. */
  readonly version: number
  /** `header.type`, 0. */
  readonly pgType: number
  /** 0: the last piece ends here; k ≠ 0: it continues in the sender's next packet, chain k. */
  readonly fragmented: number
  /** 0: the first piece starts a message; k ≠ 0: it continues chain k. */
  readonly continuation: number
  /** The packed pieces, views into the input. */
  readonly pieces: readonly Uint8Array[]
}

/**
 * Decodes a totempg packet. The total length must equal exactly `8 + 2·count + Σ len` (corosync
 * drops anything else). Pieces are views into `bytes`.
 */
export function decodePgPacket(bytes: Uint8Array, littleEndian: boolean): PgPacket {
  const r = new Reader(bytes, littleEndian, 'totempg')
  r.need(PG_HEADER_BYTES, 'totempg header')
  const version = r.i16('version')
  const pgType = r.i16('type')
  const fragmented = r.u8('fragmented')
  const continuation = r.u8('continuation')
  const count = r.u16('msg_count')
  r.need(2 * count, 'msg_len')
  const lens: number[] = new Array(count)
  let total = PG_HEADER_BYTES + 2 * count
  for (let i = 0; i < count; i++) {
    const n = r.u16('msg_len')
    lens[i] = n
    total += n
  }
  if (total !== bytes.length) {
    wireError('ERR_WIRE_INCONSISTENT', 'totempg length differs from its header and lengths', {
      expected: total,
      length: bytes.length,
    })
  }
  if (count === 0 && (fragmented !== 0 || continuation !== 0)) {
    wireError('ERR_WIRE_INCONSISTENT', 'empty totempg packet claims a fragment', {
      fragmented,
      continuation,
    })
  }
  const pieces: Uint8Array[] = new Array(count)
  for (let i = 0; i < count; i++) pieces[i] = r.bytesView(lens[i] as number, 'data')
  return { version, pgType, fragmented, continuation, pieces }
}

/** Size of the encoded packet for these pieces. */
export function pgPacketBytes(pieces: readonly Uint8Array[]): number {
  let n = PG_HEADER_BYTES + 2 * pieces.length
  for (const p of pieces) n += p.length
  return n
}

/** Encodes a totempg packet (version and type default to 0). */
export function encodePgPacket(
  p: Omit<PgPacket, 'version' | 'pgType'> & { readonly version?: number; readonly pgType?: number },
  littleEndian = true,
): Uint8Array {
  if (p.pieces.length > 0xffff)
    invalidArgument('too many pieces in one totempg packet', { count: p.pieces.length })
  checkUint(p.fragmented, 8, 'fragmented')
  checkUint(p.continuation, 8, 'continuation')
  const w = new Writer(pgPacketBytes(p.pieces), littleEndian)
  w.i16(p.version ?? 0)
  w.i16(p.pgType ?? 0)
  w.u8(p.fragmented)
  w.u8(p.continuation)
  w.u16(p.pieces.length)
  for (const piece of p.pieces) {
    checkUint(piece.length, 16, 'piece length')
    w.u16(piece.length)
  }
  for (const piece of p.pieces) w.bytesFrom(piece)
  return w.done()
}
