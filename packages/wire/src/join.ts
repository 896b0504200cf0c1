import { invalidArgument, NODES_MAX } from '@totem-ts/common'
import { checkUint, checkUint64, Reader, Writer } from './cursor.ts'
import { wireError } from './errors.ts'
import {
  detectByteOrder,
  type HeaderFields,
  MessageType,
  readHeaderFields,
  writeHeader,
} from './header.ts'

/** Fixed part of a join (and leave) message. */
export const JOIN_BYTES = 33

/**
 * A membership join (`struct memb_join`, reference §2.4), sent to every nodelist member in GATHER.
 * A **leave** has the same layout with `nodeid` 0 and the leaver as the last failed entry.
 */
export interface MembJoin extends HeaderFields {
  readonly type: 'join'
  readonly systemFrom: number
  /** Node ids the sender believes are alive (order as sent). */
  readonly procList: readonly number[]
  /** Node ids the sender believes have failed. */
  readonly failedList: readonly number[]
  /** Seq of the sender's current ring id. */
  readonly ringSeq: bigint
}

/** True when a join is an orderly leave (header node id 0). */
export function isLeave(j: MembJoin): boolean {
  return j.nodeid === 0
}

function readList(r: Reader, n: number, field: string): number[] {
  const out: number[] = new Array(n)
  for (let i = 0; i < n; i++) out[i] = r.u32(field)
  return out
}

/**
 * Decodes a join or leave. Each count is checked against 384 before any arithmetic, so counts
 * that would wrap 32-bit sums (CVE-2026-35092) are rejected, then the length must be exact.
 */
export function decodeMembJoin(bytes: Uint8Array): MembJoin {
  const r = new Reader(bytes, detectByteOrder(bytes), 'join')
  r.need(JOIN_BYTES, 'memb_join')
  const { nodeid, targetNodeid } = readHeaderFields(r, MessageType.MembJoin)
  const systemFrom = r.u32('system_from')
  const procEntries = r.u32('proc_list_entries')
  const failedEntries = r.u32('failed_list_entries')
  const ringSeq = r.u64('ring_seq')
  if (procEntries > NODES_MAX || failedEntries > NODES_MAX) {
    wireError('ERR_WIRE_TOO_MANY', 'join list longer than the processor limit', {
      procEntries,
      failedEntries,
      max: NODES_MAX,
    })
  }
  r.need(4 * (procEntries + failedEntries), 'proc_list/failed_list')
  const procList = readList(r, procEntries, 'proc_list')
  const failedList = readList(r, failedEntries, 'failed_list')
  r.end()
  return { type: 'join', nodeid, targetNodeid, systemFrom, procList, failedList, ringSeq }
}

/** Encodes a join (or, with `nodeid: 0`, a leave). */
export function encodeMembJoin(j: Omit<MembJoin, 'type'>, littleEndian = true): Uint8Array {
  if (j.procList.length > NODES_MAX || j.failedList.length > NODES_MAX) {
    invalidArgument('join list longer than the processor limit', { max: NODES_MAX })
  }
  checkUint(j.systemFrom, 32, 'systemFrom')
  checkUint64(j.ringSeq, 'ringSeq')
  const w = new Writer(JOIN_BYTES + 4 * (j.procList.length + j.failedList.length), littleEndian)
  writeHeader(w, MessageType.MembJoin, 0, j)
  w.u32(j.systemFrom)
  w.u32(j.procList.length)
  w.u32(j.failedList.length)
  w.u64(j.ringSeq)
  for (const n of j.procList) {
    checkUint(n, 32, 'procList[]')
    w.u32(n)
  }
  for (const n of j.failedList) {
    checkUint(n, 32, 'failedList[]')
    w.u32(n)
  }
  return w.done()
}
