import { checkInt32, type Reader, type Writer } from '../cursor.ts'
import { wireError } from '../errors.ts'

/** Size of a libqb request header (`qb_ipc_request_header`: id and size, each padded to 8). */
export const REQUEST_HEADER_BYTES = 16
/** Size of a libqb response header (id, size, error): used on the wire by the CPG joinlist only. */
export const RESPONSE_HEADER_BYTES = 24

/** Service ids of corosync 3.1.7 (reference §6). */
export const ServiceId = {
  Cmap: 0,
  Cfg: 1,
  Cpg: 2,
  Quorum: 3,
  Pload: 4,
  Votequorum: 5,
  Mon: 6,
  Wd: 7,
} as const
/** One of {@link ServiceId}. */
export type ServiceId = (typeof ServiceId)[keyof typeof ServiceId]

/** Number of exec functions of each service; a function number at or above it is dropped. */
export const SERVICE_EXEC_FUNCTIONS: readonly number[] = [1, 5, 7, 0, 2, 16, 0, 0]

/** The id field: `(service << 16) | function`. */
export function serviceMessageId(service: number, fn: number): number {
  return ((service & 0xffff) << 16) | (fn & 0xffff)
}

/** Reads a request header and checks that `size` equals the message length. */
export function readRequestHeader(r: Reader, length: number): { id: number; size: number } {
  const id = r.i32('header.id')
  r.pad(4, 'header.id padding')
  const size = r.i32('header.size')
  r.pad(4, 'header.size padding')
  if (size !== length) {
    wireError('ERR_WIRE_INCONSISTENT', `${r.what}: header size differs from the message length`, {
      size,
      length,
    })
  }
  return { id, size }
}

/** Writes a request header. */
export function writeRequestHeader(w: Writer, id: number, size: number): void {
  checkInt32(id, 'id')
  checkInt32(size, 'size')
  w.i32(id)
  w.pad(4)
  w.i32(size)
  w.pad(4)
}

/** Reads the id of a service message without consuming it; the header must be complete. */
export function peekRequestId(body: Uint8Array, littleEndian: boolean, what: string): number {
  if (body.length < REQUEST_HEADER_BYTES) {
    wireError('ERR_WIRE_TRUNCATED', `${what}: shorter than a request header`, {
      length: body.length,
    })
  }
  return new DataView(body.buffer, body.byteOffset, 4).getInt32(0, littleEndian)
}
