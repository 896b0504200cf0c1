import type { RingId } from '@totem-ts/common'
import { checkUint, Reader, Writer } from './cursor.ts'
import {
  detectByteOrder,
  type HeaderFields,
  MessageType,
  readHeaderFields,
  readRingId,
  writeHeader,
  writeRingId,
} from './header.ts'

/** Size of a merge-detect message. */
export const MERGE_DETECT_BYTES = 29

/** Sent by an idle ring's representative so that other rings in reach start a merge (§2.3). */
export interface MembMergeDetect extends HeaderFields {
  readonly type: 'merge-detect'
  readonly systemFrom: number
  /** The sender's current ring. */
  readonly ringId: RingId
}

export function decodeMembMergeDetect(bytes: Uint8Array): MembMergeDetect {
  const r = new Reader(bytes, detectByteOrder(bytes), 'merge-detect')
  const { nodeid, targetNodeid } = readHeaderFields(r, MessageType.MembMergeDetect)
  const systemFrom = r.u32('system_from')
  const ringId = readRingId(r)
  r.end()
  return { type: 'merge-detect', nodeid, targetNodeid, systemFrom, ringId }
}

export function encodeMembMergeDetect(
  m: Omit<MembMergeDetect, 'type'>,
  littleEndian = true,
): Uint8Array {
  checkUint(m.systemFrom, 32, 'systemFrom')
  const w = new Writer(MERGE_DETECT_BYTES, littleEndian)
  writeHeader(w, MessageType.MembMergeDetect, 0, m)
  w.u32(m.systemFrom)
  writeRingId(w, m.ringId)
  return w.done()
}
