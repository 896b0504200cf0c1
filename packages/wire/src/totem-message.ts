import {
  decodeMembCommitToken,
  encodeMembCommitToken,
  type MembCommitToken,
} from './commit-token.ts'
import { decodeHeader, MessageType } from './header.ts'
import { decodeMembJoin, encodeMembJoin, type MembJoin } from './join.ts'
import { decodeMcast, encodeMcast, type Mcast } from './mcast.ts'
import {
  decodeMembMergeDetect,
  encodeMembMergeDetect,
  type MembMergeDetect,
} from './merge-detect.ts'
import { decodeOrfToken, encodeOrfToken, type OrfToken } from './orf-token.ts'
import {
  decodeTokenHoldCancel,
  encodeTokenHoldCancel,
  type TokenHoldCancel,
} from './token-hold-cancel.ts'

/** Any totemsrp message, discriminated by `type`. */
export type TotemMessage =
  | OrfToken
  | Mcast
  | MembMergeDetect
  | MembJoin
  | MembCommitToken
  | TokenHoldCancel

/**
 * Decodes one totem datagram: checks the common header (length, magic in either byte order,
 * version 3, type ≤ 5) and dispatches on its type. Throws only {@link WireError}.
 *
 * @example
 * ```ts
 * const m = decodeTotemMessage(datagram)
 * if (m.type === 'orf-token') console.log(m.seq, m.aru, m.rtr.length)
 * ```
 */
export function decodeTotemMessage(bytes: Uint8Array): TotemMessage {
  const h = decodeHeader(bytes)
  switch (h.type) {
    case MessageType.OrfToken:
      return decodeOrfToken(bytes)
    case MessageType.Mcast:
      return decodeMcast(bytes)
    case MessageType.MembMergeDetect:
      return decodeMembMergeDetect(bytes)
    case MessageType.MembJoin:
      return decodeMembJoin(bytes)
    case MessageType.MembCommitToken:
      return decodeMembCommitToken(bytes)
    case MessageType.TokenHoldCancel:
      return decodeTokenHoldCancel(bytes)
  }
}

/** Encodes any totemsrp message; little-endian unless told otherwise. */
export function encodeTotemMessage(m: TotemMessage, littleEndian = true): Uint8Array {
  switch (m.type) {
    case 'orf-token':
      return encodeOrfToken(m, littleEndian)
    case 'mcast':
      return encodeMcast(m, littleEndian)
    case 'merge-detect':
      return encodeMembMergeDetect(m, littleEndian)
    case 'join':
      return encodeMembJoin(m, littleEndian)
    case 'commit-token':
      return encodeMembCommitToken(m, littleEndian)
    case 'token-hold-cancel':
      return encodeTokenHoldCancel(m, littleEndian)
  }
}
