import type { RingId } from '@totem-ts/common'
import { Reader, Writer } from './cursor.ts'
import {
  detectByteOrder,
  type HeaderFields,
  MessageType,
  readHeaderFields,
  readRingId,
  writeHeader,
  writeRingId,
} from './header.ts'

/** Size of a token-hold-cancel message. */
export const TOKEN_HOLD_CANCEL_BYTES = 25

/** Asks the representative to release a held token at once (§2.6). */
export interface TokenHoldCancel extends HeaderFields {
  readonly type: 'token-hold-cancel'
  readonly ringId: RingId
}

export function decodeTokenHoldCancel(bytes: Uint8Array): TokenHoldCancel {
  const r = new Reader(bytes, detectByteOrder(bytes), 'token-hold-cancel')
  const { nodeid, targetNodeid } = readHeaderFields(r, MessageType.TokenHoldCancel)
  const ringId = readRingId(r)
  r.end()
  return { type: 'token-hold-cancel', nodeid, targetNodeid, ringId }
}

export function encodeTokenHoldCancel(
  m: Omit<TokenHoldCancel, 'type'>,
  littleEndian = true,
): Uint8Array {
  const w = new Writer(TOKEN_HOLD_CANCEL_BYTES, littleEndian)
  writeHeader(w, MessageType.TokenHoldCancel, 0, m)
  writeRingId(w, m.ringId)
  return w.done()
}
