import { invalidArgument } from '@totem-ts/common'
import { wireError } from './errors.ts'

/**
 * A bounds-checked reader over one buffer in the sender's byte order. Every read checks the
 * remaining length first and throws `ERR_WIRE_TRUNCATED`, so no decoder can read past its input.
 *
 * Padding and other bytes that carry no meaning are read with {@link Reader.pad}: the reader keeps
 * them, so a decoder can hand them back to the encoder and re-encoding reproduces the input
 * byte for byte even where a sender left garbage (corosync does, e.g. in PARTIAL_MCAST).
 */
export class Reader {
  readonly bytes: Uint8Array
  readonly littleEndian: boolean
  readonly #view: DataView
  #pos: number
  readonly #end: number
  #pads: number[] | undefined
  #padsNonZero = false
  /** What is being decoded, for error details. */
  readonly what: string

  constructor(
    bytes: Uint8Array,
    littleEndian: boolean,
    what: string,
    start: number = 0,
    end: number = bytes.length,
  ) {
    this.bytes = bytes
    this.littleEndian = littleEndian
    this.what = what
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#pos = start
    this.#end = end
  }

  get offset(): number {
    return this.#pos
  }

  get remaining(): number {
    return this.#end - this.#pos
  }

  /** Throws `ERR_WIRE_TRUNCATED` unless `n` more bytes are there. */
  need(n: number, field: string): void {
    if (n > this.#end - this.#pos) {
      wireError('ERR_WIRE_TRUNCATED', `${this.what}: truncated at ${field}`, {
        message: this.what,
        field,
        offset: this.#pos,
        needed: n,
        available: this.#end - this.#pos,
      })
    }
  }

  u8(field: string): number {
    this.need(1, field)
    return this.#view.getUint8(this.#pos++)
  }

  u16(field: string): number {
    this.need(2, field)
    const v = this.#view.getUint16(this.#pos, this.littleEndian)
    this.#pos += 2
    return v
  }

  i16(field: string): number {
    this.need(2, field)
    const v = this.#view.getInt16(this.#pos, this.littleEndian)
    this.#pos += 2
    return v
  }

  u32(field: string): number {
    this.need(4, field)
    const v = this.#view.getUint32(this.#pos, this.littleEndian)
    this.#pos += 4
    return v
  }

  i32(field: string): number {
    this.need(4, field)
    const v = this.#view.getInt32(this.#pos, this.littleEndian)
    this.#pos += 4
    return v
  }

  u64(field: string): bigint {
    this.need(8, field)
    const v = this.#view.getBigUint64(this.#pos, this.littleEndian)
    this.#pos += 8
    return v
  }

  /** A view (no copy) of the next `n` bytes. */
  bytesView(n: number, field: string): Uint8Array {
    this.need(n, field)
    const v = this.bytes.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return v
  }

  /** The rest of the input, as a view. */
  rest(): Uint8Array {
    const v = this.bytes.subarray(this.#pos, this.#end)
    this.#pos = this.#end
    return v
  }

  /** Skips `n` meaningless bytes, keeping them for {@link Reader.padding}. */
  pad(n: number, field = 'padding'): void {
    this.need(n, field)
    if (this.#pads === undefined) this.#pads = []
    for (let i = 0; i < n; i++) {
      const b = this.bytes[this.#pos + i] as number
      if (b !== 0) this.#padsNonZero = true
      this.#pads.push(b)
    }
    this.#pos += n
  }

  /** The padding bytes read so far, or `undefined` when all were zero (the normal case). */
  padding(): Uint8Array | undefined {
    return this.#padsNonZero && this.#pads ? Uint8Array.from(this.#pads) : undefined
  }

  /** Throws `ERR_WIRE_INCONSISTENT` unless the input is used up exactly. */
  end(): void {
    if (this.#pos !== this.#end) {
      wireError('ERR_WIRE_INCONSISTENT', `${this.what}: ${this.#end - this.#pos} trailing bytes`, {
        message: this.what,
        offset: this.#pos,
        trailing: this.#end - this.#pos,
      })
    }
  }
}

/**
 * A writer into a buffer of known size. Encoders compute the exact size first, so a writer never
 * grows; writing past the end is a bug and throws.
 */
export class Writer {
  readonly bytes: Uint8Array
  readonly littleEndian: boolean
  readonly #view: DataView
  #pos: number
  readonly #padding: Uint8Array | undefined
  #padPos = 0

  constructor(size: number, littleEndian: boolean = true, padding?: Uint8Array) {
    this.bytes = new Uint8Array(size)
    this.littleEndian = littleEndian
    this.#view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength)
    this.#pos = 0
    this.#padding = padding
  }

  get offset(): number {
    return this.#pos
  }

  u8(v: number): void {
    this.#view.setUint8(this.#pos, v)
    this.#pos += 1
  }

  u16(v: number): void {
    this.#view.setUint16(this.#pos, v, this.littleEndian)
    this.#pos += 2
  }

  i16(v: number): void {
    this.#view.setInt16(this.#pos, v, this.littleEndian)
    this.#pos += 2
  }

  u32(v: number): void {
    this.#view.setUint32(this.#pos, v, this.littleEndian)
    this.#pos += 4
  }

  i32(v: number): void {
    this.#view.setInt32(this.#pos, v, this.littleEndian)
    this.#pos += 4
  }

  u64(v: bigint): void {
    this.#view.setBigUint64(this.#pos, v, this.littleEndian)
    this.#pos += 8
  }

  bytesFrom(b: Uint8Array): void {
    this.bytes.set(b, this.#pos)
    this.#pos += b.length
  }

  /** Writes `n` padding bytes: from the decoder's kept padding if given, else zeros. */
  pad(n: number): void {
    const src = this.#padding
    if (src !== undefined) {
      for (let i = 0; i < n; i++) this.bytes[this.#pos + i] = src[this.#padPos + i] ?? 0
      this.#padPos += n
    }
    this.#pos += n
  }

  /** The buffer, checking that exactly its size was written. */
  done(): Uint8Array {
    if (this.#pos !== this.bytes.length) {
      invalidArgument(`encoder wrote ${this.#pos} of ${this.bytes.length} bytes`)
    }
    return this.bytes
  }
}

/** Checks a value for an unsigned field of `bits` bits at an encoder's edge. */
export function checkUint(v: number, bits: 8 | 16 | 32, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > 2 ** bits - 1) {
    invalidArgument(`${field} must be a u${bits}, got ${v}`, { field, value: String(v) })
  }
}

/** Checks a value for a signed 32-bit field at an encoder's edge. */
export function checkInt32(v: number, field: string): void {
  if (!Number.isInteger(v) || v < -(2 ** 31) || v > 2 ** 31 - 1) {
    invalidArgument(`${field} must be an i32, got ${v}`, { field, value: String(v) })
  }
}

/** Checks a value for an unsigned 64-bit field at an encoder's edge. */
export function checkUint64(v: bigint, field: string): void {
  if (typeof v !== 'bigint' || v < 0n || v > 0xffff_ffff_ffff_ffffn) {
    invalidArgument(`${field} must be a u64 bigint, got ${String(v)}`, { field, value: String(v) })
  }
}
