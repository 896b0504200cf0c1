import { GROUP_NAME_BYTES_MAX, invalidArgument, NODES_MAX } from '@totem-ts/common'
import { checkInt32, checkUint, checkUint64, Reader, Writer } from '../cursor.ts'
import { wireError } from '../errors.ts'
import { fromLatin1, latin1 } from '../pg/group.ts'
import {
  peekRequestId,
  RESPONSE_HEADER_BYTES,
  readRequestHeader,
  ServiceId,
  serviceMessageId,
  writeRequestHeader,
} from './request.ts'

/** Size of the group-name struct (`mar_cpg_name_t`): length, padding, 128 bytes. */
export const CPG_NAME_BYTES = 136
/** Size of PROCJOIN / PROCLEAVE. */
export const CPG_PROCJOIN_BYTES = 168
/** Header size of MCAST (data follows). */
export const CPG_MCAST_HEADER_BYTES = 184
/** Header size of PARTIAL_MCAST (data follows). */
export const CPG_PARTIAL_MCAST_HEADER_BYTES = 200
/** Size of one JOINLIST entry. */
export const CPG_JOINLIST_ENTRY_BYTES = 144
/** Size of DOWNLIST. */
export const CPG_DOWNLIST_BYTES = 1568
/** Size of DOWNLIST_OLD. */
export const CPG_DOWNLIST_OLD_BYTES = 1560

/** CPG exec functions (service 2). */
export const CpgFunction = {
  ProcJoin: 0,
  ProcLeave: 1,
  JoinList: 2,
  Mcast: 3,
  DownListOld: 4,
  DownList: 5,
  PartialMcast: 6,
} as const

/** Reasons carried by PROCJOIN / PROCLEAVE and in confchg callbacks (`CPG_REASON_*`). */
export const CpgReason = { Join: 1, Leave: 2, NodeDown: 3, NodeUp: 4, ProcDown: 5 } as const

/** `type` of a PARTIAL_MCAST part. */
export const CpgPartialType = { First: 1, Continued: 2, Last: 3 } as const

/** A CPG exec message (reference §8). Group names are latin-1 strings (one char per byte). */
export type CpgMessage =
  | {
      readonly kind: 'cpg-procjoin' | 'cpg-procleave'
      readonly group: string
      readonly pid: number
      /** {@link CpgReason}. */
      readonly reason: number
      readonly padding?: Uint8Array
    }
  | {
      readonly kind: 'cpg-mcast'
      readonly group: string
      readonly pid: number
      /** The sender's node id as it wrote it. */
      readonly sourceNodeid: number
      /** A sender-local pointer, meaningless remotely (send 0). */
      readonly sourceConn: bigint
      /** View into the input. */
      readonly data: Uint8Array
      readonly padding?: Uint8Array
    }
  | {
      readonly kind: 'cpg-partial-mcast'
      readonly group: string
      /** Total size of the whole message. */
      readonly msglen: number
      readonly pid: number
      /** {@link CpgPartialType}. */
      readonly partType: number
      readonly sourceNodeid: number
      readonly sourceConn: bigint
      readonly data: Uint8Array
      readonly padding?: Uint8Array
    }
  | {
      readonly kind: 'cpg-joinlist'
      /** The response header's error field, 0. */
      readonly error: number
      readonly entries: readonly { readonly pid: number; readonly group: string }[]
      readonly padding?: Uint8Array
    }
  | {
      readonly kind: 'cpg-downlist'
      /** Size of the sender's previous member list. */
      readonly oldMembers: number
      /** Node ids that left. */
      readonly leftNodes: readonly number[]
      readonly padding?: Uint8Array
    }
  | {
      readonly kind: 'cpg-downlist-old'
      readonly leftNodes: readonly number[]
      readonly padding?: Uint8Array
    }

function readName(r: Reader): string {
  const length = r.u32('group_name.length')
  r.pad(4)
  if (length > GROUP_NAME_BYTES_MAX) {
    wireError('ERR_WIRE_TOO_LONG', 'group name longer than 128 bytes', {
      length,
      max: GROUP_NAME_BYTES_MAX,
    })
  }
  const name = latin1(r.bytesView(length, 'group_name.value'))
  r.pad(GROUP_NAME_BYTES_MAX - length, 'group_name.value (fill)')
  return name
}

function writeName(w: Writer, name: string): void {
  const bytes = fromLatin1(name)
  if (bytes.length > GROUP_NAME_BYTES_MAX)
    invalidArgument('group name longer than 128 bytes', { length: bytes.length })
  w.u32(bytes.length)
  w.pad(4)
  w.bytesFrom(bytes)
  w.pad(GROUP_NAME_BYTES_MAX - bytes.length)
}

function readU32Padded(r: Reader, field: string): number {
  const v = r.u32(field)
  r.pad(4)
  return v
}

function writeU32Padded(w: Writer, v: number, field: string): void {
  checkUint(v, 32, field)
  w.u32(v)
  w.pad(4)
}

function withPadding<T extends object>(m: T, r: Reader): T {
  const padding = r.padding()
  return padding ? { ...m, padding } : m
}

function readLeftNodes(r: Reader): number[] {
  const left = readU32Padded(r, 'left_nodes')
  if (left > NODES_MAX)
    wireError('ERR_WIRE_TOO_MANY', 'downlist left_nodes beyond 384', { left, max: NODES_MAX })
  const nodes: number[] = new Array(left)
  for (let i = 0; i < left; i++) nodes[i] = r.u32('nodeids')
  r.pad(4 * (NODES_MAX - left), 'nodeids (unused)')
  return nodes
}

/** Decodes a CPG exec message (the body of a group `a` message whose service is 2). */
export function decodeCpgMessage(body: Uint8Array, littleEndian: boolean): CpgMessage {
  const id = peekRequestId(body, littleEndian, 'cpg')
  if (id >>> 16 !== ServiceId.Cpg) wireError('ERR_WIRE_BAD_TYPE', 'not a cpg message', { id })
  const fn = id & 0xffff
  switch (fn) {
    case CpgFunction.ProcJoin:
    case CpgFunction.ProcLeave: {
      const kind = fn === CpgFunction.ProcJoin ? 'cpg-procjoin' : 'cpg-procleave'
      const r = new Reader(body, littleEndian, kind)
      readRequestHeader(r, body.length)
      const group = readName(r)
      const pid = readU32Padded(r, 'pid')
      const reason = readU32Padded(r, 'reason')
      r.end()
      return withPadding({ kind, group, pid, reason }, r)
    }
    case CpgFunction.Mcast: {
      const r = new Reader(body, littleEndian, 'cpg-mcast')
      readRequestHeader(r, body.length)
      const group = readName(r)
      const msglen = readU32Padded(r, 'msglen')
      const pid = readU32Padded(r, 'pid')
      const sourceNodeid = readU32Padded(r, 'source.nodeid')
      const sourceConn = r.u64('source.conn')
      if (msglen !== r.remaining) {
        wireError('ERR_WIRE_INCONSISTENT', 'cpg mcast msglen differs from its data', {
          msglen,
          data: r.remaining,
        })
      }
      const data = r.rest()
      return withPadding({ kind: 'cpg-mcast', group, pid, sourceNodeid, sourceConn, data }, r)
    }
    case CpgFunction.PartialMcast: {
      const r = new Reader(body, littleEndian, 'cpg-partial-mcast')
      readRequestHeader(r, body.length)
      const group = readName(r)
      const msglen = readU32Padded(r, 'msglen')
      const fraglen = readU32Padded(r, 'fraglen')
      const pid = readU32Padded(r, 'pid')
      const partType = readU32Padded(r, 'type')
      const sourceNodeid = readU32Padded(r, 'source.nodeid')
      const sourceConn = r.u64('source.conn')
      if (fraglen !== r.remaining || fraglen > msglen) {
        wireError('ERR_WIRE_INCONSISTENT', 'cpg partial mcast fraglen differs from its data', {
          fraglen,
          msglen,
          data: r.remaining,
        })
      }
      const data = r.rest()
      return withPadding(
        { kind: 'cpg-partial-mcast', group, msglen, pid, partType, sourceNodeid, sourceConn, data },
        r,
      )
    }
    case CpgFunction.JoinList: {
      const r = new Reader(body, littleEndian, 'cpg-joinlist')
      readRequestHeader(r, body.length)
      const error = r.i32('header.error')
      r.pad(4)
      if ((body.length - RESPONSE_HEADER_BYTES) % CPG_JOINLIST_ENTRY_BYTES !== 0) {
        wireError('ERR_WIRE_INCONSISTENT', 'joinlist is not a whole number of entries', {
          length: body.length,
        })
      }
      const n = (body.length - RESPONSE_HEADER_BYTES) / CPG_JOINLIST_ENTRY_BYTES
      const entries: { pid: number; group: string }[] = new Array(n)
      for (let i = 0; i < n; i++) {
        const pid = readU32Padded(r, 'pid')
        entries[i] = { pid, group: readName(r) }
      }
      r.end()
      return withPadding({ kind: 'cpg-joinlist', error, entries }, r)
    }
    case CpgFunction.DownList: {
      const r = new Reader(body, littleEndian, 'cpg-downlist')
      readRequestHeader(r, body.length)
      const oldMembers = readU32Padded(r, 'old_members')
      const leftNodes = readLeftNodes(r)
      r.end()
      return withPadding({ kind: 'cpg-downlist', oldMembers, leftNodes }, r)
    }
    case CpgFunction.DownListOld: {
      const r = new Reader(body, littleEndian, 'cpg-downlist-old')
      readRequestHeader(r, body.length)
      const leftNodes = readLeftNodes(r)
      r.end()
      return withPadding({ kind: 'cpg-downlist-old', leftNodes }, r)
    }
    default:
      return wireError('ERR_WIRE_BAD_TYPE', 'unknown cpg function', { fn })
  }
}

function cpgSize(m: CpgMessage): number {
  switch (m.kind) {
    case 'cpg-procjoin':
    case 'cpg-procleave':
      return CPG_PROCJOIN_BYTES
    case 'cpg-mcast':
      return CPG_MCAST_HEADER_BYTES + m.data.length
    case 'cpg-partial-mcast':
      return CPG_PARTIAL_MCAST_HEADER_BYTES + m.data.length
    case 'cpg-joinlist':
      return RESPONSE_HEADER_BYTES + CPG_JOINLIST_ENTRY_BYTES * m.entries.length
    case 'cpg-downlist':
      return CPG_DOWNLIST_BYTES
    case 'cpg-downlist-old':
      return CPG_DOWNLIST_OLD_BYTES
  }
}

const FUNCTION_OF: Readonly<Record<CpgMessage['kind'], number>> = {
  'cpg-procjoin': CpgFunction.ProcJoin,
  'cpg-procleave': CpgFunction.ProcLeave,
  'cpg-joinlist': CpgFunction.JoinList,
  'cpg-mcast': CpgFunction.Mcast,
  'cpg-downlist-old': CpgFunction.DownListOld,
  'cpg-downlist': CpgFunction.DownList,
  'cpg-partial-mcast': CpgFunction.PartialMcast,
}

function writeLeftNodes(w: Writer, nodes: readonly number[]): void {
  if (nodes.length > NODES_MAX) invalidArgument('downlist longer than 384', { count: nodes.length })
  writeU32Padded(w, nodes.length, 'leftNodes.length')
  for (const n of nodes) {
    checkUint(n, 32, 'leftNodes[]')
    w.u32(n)
  }
  w.pad(4 * (NODES_MAX - nodes.length))
}

/** Encodes a CPG exec message body (without the group header). */
export function encodeCpgMessage(m: CpgMessage, littleEndian = true): Uint8Array {
  const size = cpgSize(m)
  const w = new Writer(size, littleEndian, m.padding)
  writeRequestHeader(w, serviceMessageId(ServiceId.Cpg, FUNCTION_OF[m.kind]), size)
  switch (m.kind) {
    case 'cpg-procjoin':
    case 'cpg-procleave':
      writeName(w, m.group)
      writeU32Padded(w, m.pid, 'pid')
      writeU32Padded(w, m.reason, 'reason')
      break
    case 'cpg-mcast':
      writeName(w, m.group)
      writeU32Padded(w, m.data.length, 'msglen')
      writeU32Padded(w, m.pid, 'pid')
      writeU32Padded(w, m.sourceNodeid, 'sourceNodeid')
      checkUint64(m.sourceConn, 'sourceConn')
      w.u64(m.sourceConn)
      w.bytesFrom(m.data)
      break
    case 'cpg-partial-mcast':
      writeName(w, m.group)
      writeU32Padded(w, m.msglen, 'msglen')
      writeU32Padded(w, m.data.length, 'fraglen')
      writeU32Padded(w, m.pid, 'pid')
      writeU32Padded(w, m.partType, 'partType')
      writeU32Padded(w, m.sourceNodeid, 'sourceNodeid')
      checkUint64(m.sourceConn, 'sourceConn')
      w.u64(m.sourceConn)
      w.bytesFrom(m.data)
      break
    case 'cpg-joinlist':
      checkInt32(m.error, 'error')
      w.i32(m.error)
      w.pad(4)
      for (const e of m.entries) {
        writeU32Padded(w, e.pid, 'entries[].pid')
        writeName(w, e.group)
      }
      break
    case 'cpg-downlist':
      writeU32Padded(w, m.oldMembers, 'oldMembers')
      writeLeftNodes(w, m.leftNodes)
      break
    case 'cpg-downlist-old':
      writeLeftNodes(w, m.leftNodes)
      break
  }
  return w.done()
}
