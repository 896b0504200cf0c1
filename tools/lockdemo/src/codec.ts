/**
 * The lock service's messages (the payloads of its CPG multicasts). Little-endian; every message
 * starts with the magic byte `L` (0x4c), the version and a type. Decoding checks every length and
 * throws `ERR_LOCK_MALFORMED`; every replica drops the same bytes the same way.
 */
import { LockErrorCode, lockError } from './errors.ts'

/** Longest lock name, in UTF-8 bytes (keeps a whole-table snapshot under CPG's 1 MiB). */
export const LOCK_NAME_BYTES_MAX = 64
/** Locks (held names) the replicated table keeps at most. */
export const LOCKS_MAX = 10_000
/** Waiters queued over all locks at most. */
export const WAITERS_MAX = 20_000
/** Members a snapshot can list (the synced set). */
export const MEMBERS_MAX = 4096

export const MAGIC = 0x4c
export const VERSION = 1

export const MsgType = { Ops: 1, Status: 2, Snapshot: 3, Check: 4, Digest: 5 } as const
export type MsgType = (typeof MsgType)[keyof typeof MsgType]

export const OpCode = { Lock: 1, Unlock: 2 } as const
export type OpCode = (typeof OpCode)[keyof typeof OpCode]

/** A process in the group, as CPG names it. */
export interface Member {
  readonly nodeId: number
  readonly pid: number
}

/** One lock in the table: its holder and its FIFO queue of waiters. */
export interface LockEntry {
  holder: string
  queue: string[]
}

export interface SnapshotBody {
  readonly tag: number
  readonly target: string
  readonly nonce: string
  readonly synced: readonly string[]
  readonly locks: ReadonlyArray<readonly [string, LockEntry]>
}

export type Decoded =
  | { readonly type: typeof MsgType.Ops; readonly ops: readonly [OpCode, string][] }
  | {
      readonly type: typeof MsgType.Status
      readonly tag: number
      readonly synced: boolean
      readonly nonce: string
    }
  | ({ readonly type: typeof MsgType.Snapshot } & SnapshotBody)
  | { readonly type: typeof MsgType.Check; readonly id: number }
  | {
      readonly type: typeof MsgType.Digest
      readonly id: number
      readonly origin: string
      readonly digest: string
    }

/** `"<nodeId>:<pid>"`: how the table names a member. */
export const memberKey = (nodeId: number, pid: number): string => `${nodeId}:${pid}`

/** The inverse of {@link memberKey}. */
export function parseMemberKey(key: string): Member {
  const i = key.indexOf(':')
  return { nodeId: Number(key.slice(0, i)), pid: Number(key.slice(i + 1)) }
}

/** Orders member keys by node id, then pid (the order "lowest member" refers to). */
export function compareMemberKeys(a: string, b: string): number {
  const x = parseMemberKey(a)
  const y = parseMemberKey(b)
  return x.nodeId - y.nodeId || x.pid - y.pid
}

const utf8 = new TextEncoder()
const utf8d = new TextDecoder('utf-8', { fatal: true })

/** Checks a lock name and returns its UTF-8 bytes. */
export function nameBytes(name: unknown): Uint8Array {
  if (typeof name !== 'string') lockError(LockErrorCode.InvalidName, 'lock name must be a string')
  const b = utf8.encode(name)
  if (b.length === 0 || b.length > LOCK_NAME_BYTES_MAX)
    lockError(
      LockErrorCode.InvalidName,
      `lock name must be 1–${LOCK_NAME_BYTES_MAX} bytes of UTF-8 (got ${b.length})`,
      { bytes: b.length, max: LOCK_NAME_BYTES_MAX },
    )
  return b
}

function decodeName(b: Uint8Array, start: number, end: number): string {
  let ascii = true
  for (let i = start; i < end; i++) if ((b[i] as number) >= 0x80) ascii = false
  if (ascii) return String.fromCharCode(...b.subarray(start, end))
  try {
    return utf8d.decode(b.subarray(start, end))
  } catch {
    return lockError(LockErrorCode.Malformed, 'lock name is not UTF-8')
  }
}

/** Appends ops to a growing buffer; {@link OpsWriter.take} returns one OPS message. */
export class OpsWriter {
  #buf: Uint8Array
  #len = 3
  #count = 0

  constructor(capacity: number) {
    this.#buf = new Uint8Array(capacity + 3 + 2 + LOCK_NAME_BYTES_MAX)
    this.#buf[0] = MAGIC
    this.#buf[1] = VERSION
    this.#buf[2] = MsgType.Ops
  }

  get bytes(): number {
    return this.#len
  }
  get count(): number {
    return this.#count
  }

  push(op: OpCode, name: Uint8Array): void {
    if (this.#len + 2 + name.length > this.#buf.length) {
      const n = new Uint8Array(this.#buf.length * 2)
      n.set(this.#buf.subarray(0, this.#len))
      this.#buf = n
    }
    this.#buf[this.#len] = op
    this.#buf[this.#len + 1] = name.length
    this.#buf.set(name, this.#len + 2)
    this.#len += 2 + name.length
    this.#count++
  }

  take(): Uint8Array {
    const out = this.#buf.slice(0, this.#len)
    this.#len = 3
    this.#count = 0
    return out
  }
}

function header(type: MsgType, size: number): { bytes: Uint8Array; view: DataView } {
  const bytes = new Uint8Array(size)
  bytes[0] = MAGIC
  bytes[1] = VERSION
  bytes[2] = type
  return { bytes, view: new DataView(bytes.buffer) }
}

function writeNonce(bytes: Uint8Array, at: number, nonce: string): void {
  for (let i = 0; i < 8; i++) bytes[at + i] = Number.parseInt(nonce.slice(i * 2, i * 2 + 2), 16)
}
function readNonce(bytes: Uint8Array, at: number): string {
  let s = ''
  for (let i = 0; i < 8; i++) s += (bytes[at + i] as number).toString(16).padStart(2, '0')
  return s
}

export function encodeStatus(tag: number, synced: boolean, nonce: string): Uint8Array {
  const { bytes, view } = header(MsgType.Status, 3 + 4 + 1 + 8)
  view.setUint32(3, tag, true)
  bytes[7] = synced ? 1 : 0
  writeNonce(bytes, 8, nonce)
  return bytes
}

export function encodeCheck(id: number): Uint8Array {
  const { bytes, view } = header(MsgType.Check, 7)
  view.setUint32(3, id, true)
  return bytes
}

export function encodeDigest(id: number, origin: string, digestHex: string): Uint8Array {
  const { bytes, view } = header(MsgType.Digest, 3 + 12 + 32)
  const o = parseMemberKey(origin)
  view.setUint32(3, id, true)
  view.setUint32(7, o.nodeId, true)
  view.setUint32(11, o.pid, true)
  for (let i = 0; i < 32; i++)
    bytes[15 + i] = Number.parseInt(digestHex.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

export function encodeSnapshot(s: SnapshotBody): Uint8Array {
  const names = s.locks.map(([n]) => utf8.encode(n))
  let size = 3 + 4 + 8 + 8 + 4 + s.synced.length * 8 + 4
  for (let i = 0; i < s.locks.length; i++) {
    const e = (s.locks[i] as readonly [string, LockEntry])[1]
    size += 1 + (names[i] as Uint8Array).length + 8 + 4 + e.queue.length * 8
  }
  const { bytes, view } = header(MsgType.Snapshot, size)
  let at = 3
  const member = (k: string): void => {
    const m = parseMemberKey(k)
    view.setUint32(at, m.nodeId, true)
    view.setUint32(at + 4, m.pid, true)
    at += 8
  }
  view.setUint32(at, s.tag, true)
  at += 4
  member(s.target)
  writeNonce(bytes, at, s.nonce)
  at += 8
  view.setUint32(at, s.synced.length, true)
  at += 4
  for (const k of s.synced) member(k)
  view.setUint32(at, s.locks.length, true)
  at += 4
  for (let i = 0; i < s.locks.length; i++) {
    const [, e] = s.locks[i] as readonly [string, LockEntry]
    const nb = names[i] as Uint8Array
    bytes[at] = nb.length
    bytes.set(nb, at + 1)
    at += 1 + nb.length
    member(e.holder)
    view.setUint32(at, e.queue.length, true)
    at += 4
    for (const q of e.queue) member(q)
  }
  return bytes
}

/** Decodes one lock-service message; throws `ERR_LOCK_MALFORMED` on anything inconsistent. */
export function decodeMessage(b: Uint8Array): Decoded {
  const bad = (why: string): never =>
    lockError(LockErrorCode.Malformed, `malformed lock-service message: ${why}`, {
      bytes: b.length,
    })
  if (b.length < 3 || b[0] !== MAGIC) bad('no magic')
  if (b[1] !== VERSION) bad(`version ${b[1]}`)
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength)
  const need = (at: number, n: number): void => {
    if (at + n > b.length) bad('truncated')
  }
  const type = b[2]
  switch (type) {
    case MsgType.Ops: {
      const ops: [OpCode, string][] = []
      let at = 3
      while (at < b.length) {
        need(at, 2)
        const op = b[at] as number
        const len = b[at + 1] as number
        if (op !== OpCode.Lock && op !== OpCode.Unlock) bad(`op ${op}`)
        if (len === 0 || len > LOCK_NAME_BYTES_MAX) bad(`name of ${len} bytes`)
        need(at + 2, len)
        ops.push([op as OpCode, decodeName(b, at + 2, at + 2 + len)])
        at += 2 + len
      }
      return { type, ops }
    }
    case MsgType.Status:
      if (b.length !== 16) bad('status length')
      if (b[7] !== 0 && b[7] !== 1) bad('status flag')
      return { type, tag: view.getUint32(3, true), synced: b[7] === 1, nonce: readNonce(b, 8) }
    case MsgType.Check:
      if (b.length !== 7) bad('check length')
      return { type, id: view.getUint32(3, true) }
    case MsgType.Digest: {
      if (b.length !== 47) bad('digest length')
      let hex = ''
      for (let i = 15; i < 47; i++) hex += (b[i] as number).toString(16).padStart(2, '0')
      return {
        type,
        id: view.getUint32(3, true),
        origin: memberKey(view.getUint32(7, true), view.getUint32(11, true)),
        digest: hex,
      }
    }
    case MsgType.Snapshot: {
      let at = 3
      const member = (): string => {
        need(at, 8)
        const k = memberKey(view.getUint32(at, true), view.getUint32(at + 4, true))
        at += 8
        return k
      }
      need(at, 4)
      const tag = view.getUint32(at, true)
      at += 4
      const target = member()
      need(at, 8)
      const nonce = readNonce(b, at)
      at += 8
      need(at, 4)
      const nSynced = view.getUint32(at, true)
      at += 4
      if (nSynced > MEMBERS_MAX) bad('too many members')
      const synced: string[] = []
      for (let i = 0; i < nSynced; i++) synced.push(member())
      need(at, 4)
      const nLocks = view.getUint32(at, true)
      at += 4
      if (nLocks > LOCKS_MAX) bad('too many locks')
      const locks: [string, LockEntry][] = []
      let waiters = 0
      for (let i = 0; i < nLocks; i++) {
        need(at, 1)
        const len = b[at] as number
        if (len === 0 || len > LOCK_NAME_BYTES_MAX) bad(`name of ${len} bytes`)
        need(at + 1, len)
        const name = decodeName(b, at + 1, at + 1 + len)
        at += 1 + len
        const holder = member()
        need(at, 4)
        const nq = view.getUint32(at, true)
        at += 4
        waiters += nq
        if (waiters > WAITERS_MAX) bad('too many waiters')
        const queue: string[] = []
        for (let j = 0; j < nq; j++) queue.push(member())
        locks.push([name, { holder, queue }])
      }
      if (at !== b.length) bad('trailing bytes')
      return { type, tag, target, nonce, synced, locks }
    }
    default:
      return bad(`type ${type}`)
  }
}
