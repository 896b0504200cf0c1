import type { Guarantee } from '@totem-ts/common'
import { MESSAGE_BYTES_MAX } from '@totem-ts/common'
import { CpgErrorCode, cpgError } from './errors.ts'
import type { CpgDeliverEvent } from './types.ts'

/**
 * The client protocol between libraries and the daemon, over a local stream socket. Every frame
 * is `u32 little-endian length` (of what follows) then `u8 type` then the body. Hot frames
 * (MCAST, DELIVER) are binary; rare ones carry JSON. Versioned by HELLO.
 */
export const CPG_PROTOCOL_VERSION = 1

/** Largest frame body: a 1 MiB message plus headers. */
export const CPG_FRAME_BYTES_MAX: number = MESSAGE_BYTES_MAX + 1024

/** Frame types. Client → daemon below 64, daemon → client from 64. */
export const FrameType = {
  Hello: 1,
  Join: 2,
  Leave: 3,
  Mcast: 4,
  Membership: 5,
  Flush: 6,
  Groups: 7,
  Finalize: 8,
  Welcome: 64,
  Result: 65,
  Deliver: 66,
  Confchg: 67,
  TotemConfchg: 68,
  /** A multicast the daemon refused after the client sent it (e.g. a leave raced it). */
  McastError: 69,
  /** Fatal: the daemon closes the connection after it. */
  Fatal: 70,
} as const

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

function frame(type: number, bodyBytes: number): { buf: Uint8Array; view: DataView } {
  const buf = new Uint8Array(5 + bodyBytes)
  const view = new DataView(buf.buffer)
  view.setUint32(0, 1 + bodyBytes, true)
  buf[4] = type
  return { buf, view }
}

/** A frame whose body is `u32 req` then UTF-8 text (group name or JSON). */
export function encodeReqFrame(type: number, req: number, text = ''): Uint8Array {
  const t = utf8.encode(text)
  const { buf, view } = frame(type, 4 + t.length)
  view.setUint32(5, req >>> 0, true)
  buf.set(t, 9)
  return buf
}

/** A frame whose body is JSON. */
export function encodeJsonFrame(type: number, value: unknown): Uint8Array {
  const t = utf8.encode(JSON.stringify(value))
  const { buf } = frame(type, t.length)
  buf.set(t, 5)
  return buf
}

/** HELLO: protocol version and the client's pid. */
export function encodeHello(pid: number): Uint8Array {
  const { buf, view } = frame(FrameType.Hello, 8)
  view.setUint32(5, CPG_PROTOCOL_VERSION, true)
  view.setUint32(9, pid >>> 0, true)
  return buf
}

/** MCAST: guarantee, group name, payload. */
export function encodeMcast(
  group: Uint8Array,
  payload: Uint8Array,
  guarantee: Guarantee,
): Uint8Array {
  const { buf } = frame(FrameType.Mcast, 2 + group.length + payload.length)
  buf[5] = guarantee === 'safe' ? 1 : 0
  buf[6] = group.length
  buf.set(group, 7)
  buf.set(payload, 7 + group.length)
  return buf
}

/** DELIVER: node id, pid, guarantee, group, ring id, payload. */
export function encodeDeliver(
  ev: CpgDeliverEvent,
  group: Uint8Array,
  ring: Uint8Array,
): Uint8Array {
  const { buf, view } = frame(
    FrameType.Deliver,
    11 + group.length + ring.length + ev.payload.length,
  )
  view.setUint32(5, ev.nodeId >>> 0, true)
  view.setUint32(9, ev.pid >>> 0, true)
  buf[13] = ev.guarantee === 'safe' ? 1 : 0
  buf[14] = group.length
  buf.set(group, 15)
  let o = 15 + group.length
  buf[o++] = ring.length
  buf.set(ring, o)
  o += ring.length
  buf.set(ev.payload, o)
  return buf
}

/** One decoded frame (views into the reader's buffer). */
export interface Frame {
  readonly type: number
  readonly body: Uint8Array
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength)
}

function need(body: Uint8Array, n: number, what: string): void {
  if (body.length < n)
    cpgError(CpgErrorCode.Protocol, `${what} frame is truncated`, { bytes: body.length })
}

/** Reads `u32 req` + text. */
export function decodeReqFrame(body: Uint8Array): { req: number; text: string } {
  need(body, 4, 'request')
  return { req: view(body).getUint32(0, true), text: utf8d.decode(body.subarray(4)) }
}

/** Reads a JSON body. */
export function decodeJsonFrame(body: Uint8Array): unknown {
  try {
    return JSON.parse(utf8d.decode(body))
  } catch {
    return cpgError(CpgErrorCode.Protocol, 'frame body is not JSON')
  }
}

/** Reads HELLO. */
export function decodeHello(body: Uint8Array): { version: number; pid: number } {
  need(body, 8, 'hello')
  const v = view(body)
  return { version: v.getUint32(0, true), pid: v.getUint32(4, true) }
}

/** Reads MCAST. */
export function decodeMcast(body: Uint8Array): {
  guarantee: Guarantee
  group: string
  payload: Uint8Array
} {
  need(body, 2, 'mcast')
  const g = body[0]
  if (g !== 0 && g !== 1)
    cpgError(CpgErrorCode.Protocol, 'mcast frame has a bad guarantee', { g: g ?? -1 })
  const n = body[1] as number
  need(body, 2 + n, 'mcast')
  return {
    guarantee: g === 1 ? 'safe' : 'agreed',
    group: utf8d.decode(body.subarray(2, 2 + n)),
    payload: body.subarray(2 + n),
  }
}

/** Reads DELIVER (payload is a view: copy it to keep it). */
export function decodeDeliver(body: Uint8Array): CpgDeliverEvent {
  need(body, 10, 'deliver')
  const v = view(body)
  const nodeId = v.getUint32(0, true)
  const pid = v.getUint32(4, true)
  const guarantee: Guarantee = body[8] === 1 ? 'safe' : 'agreed'
  const gl = body[9] as number
  need(body, 11 + gl, 'deliver')
  const group = utf8d.decode(body.subarray(10, 10 + gl))
  const rl = body[10 + gl] as number
  need(body, 11 + gl + rl, 'deliver')
  const ringId = utf8d.decode(body.subarray(11 + gl, 11 + gl + rl))
  return {
    type: 'deliver',
    group,
    nodeId,
    pid,
    guarantee,
    ringId,
    payload: body.subarray(11 + gl + rl),
  }
}

/**
 * Splits a byte stream into frames. Throws `ERR_CPG_PROTOCOL` on a zero-length or oversized frame
 * (the connection must then be closed: the stream cannot be re-synchronised).
 */
export class FrameReader {
  #chunks: Uint8Array[] = []
  #have = 0
  readonly #max: number

  constructor(maxBody: number = CPG_FRAME_BYTES_MAX) {
    this.#max = maxBody
  }

  /** Bytes buffered and not yet returned as frames. */
  get buffered(): number {
    return this.#have
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.#chunks.push(chunk)
    this.#have += chunk.length
  }

  /** The next complete frame, or undefined. */
  next(): Frame | undefined {
    if (this.#have < 4) return undefined
    const len = this.#peekU32()
    if (len === 0 || len > this.#max)
      cpgError(CpgErrorCode.Protocol, `bad frame length ${len}`, { length: len, max: this.#max })
    if (this.#have < 4 + len) return undefined
    const bytes = this.#take(4 + len)
    return { type: bytes[4] as number, body: bytes.subarray(5) }
  }

  #peekU32(): number {
    const first = this.#chunks[0] as Uint8Array
    if (first.length >= 4) return view(first).getUint32(0, true)
    const b = new Uint8Array(4)
    let o = 0
    for (const c of this.#chunks) {
      const n = Math.min(4 - o, c.length)
      b.set(c.subarray(0, n), o)
      o += n
      if (o === 4) break
    }
    return view(b).getUint32(0, true)
  }

  #take(n: number): Uint8Array {
    const first = this.#chunks[0] as Uint8Array
    this.#have -= n
    if (first.length >= n) {
      if (first.length === n) this.#chunks.shift()
      else this.#chunks[0] = first.subarray(n)
      return first.subarray(0, n)
    }
    const out = new Uint8Array(n)
    let o = 0
    while (o < n) {
      const c = this.#chunks[0] as Uint8Array
      const k = Math.min(n - o, c.length)
      out.set(c.subarray(0, k), o)
      o += k
      if (k === c.length) this.#chunks.shift()
      else this.#chunks[0] = c.subarray(k)
    }
    return out
  }
}
