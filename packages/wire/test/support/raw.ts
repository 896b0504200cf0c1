/**
 * Building datagrams by hand from the reference layouts (shared/reference/corosync-totem-wire.md
 * §1.2, §2), independently of the encoders under test, for hostile and CVE tests.
 */

/** Fixed sizes from reference §1.4. */
export const MIN_BYTES = {
  'orf-token': 57,
  mcast: 45,
  'merge-detect': 29,
  join: 33,
  'commit-token': 41,
  'token-hold-cancel': 25,
} as const

/** Type numbers from reference §1.2. */
export const TYPE_NUMBER = {
  'orf-token': 0,
  mcast: 1,
  'merge-detect': 2,
  join: 3,
  'commit-token': 4,
  'token-hold-cancel': 5,
} as const

export type TypeName = keyof typeof TYPE_NUMBER

/** A zeroed datagram of `size` bytes with a valid common header (magic, version 3, type). */
export function datagram(type: TypeName, size: number, le = true): Uint8Array {
  const b = new Uint8Array(size)
  const head = new Uint8Array(13)
  const v = new DataView(head.buffer)
  v.setUint16(0, 0xc070, le)
  head[2] = 3
  head[3] = TYPE_NUMBER[type]
  head[4] = type === 'mcast' ? 2 : 0
  v.setUint32(5, 1, le) // nodeid 1
  b.set(head.subarray(0, Math.min(13, size)))
  return b
}

/** Writes a u32 at `at` in the given byte order. */
export function put32(b: Uint8Array, at: number, v: number, le = true): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(at, v >>> 0, le)
}

/** Writes an i32 at `at`. */
export function putI32(b: Uint8Array, at: number, v: number, le = true): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setInt32(at, v, le)
}

/** Writes a u16 at `at`. */
export function put16(b: Uint8Array, at: number, v: number, le = true): void {
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint16(at, v, le)
}
