import { invalidArgument, NODES_MAX, type RingId } from '@totem-ts/common'
import { checkInt32, checkUint, Reader, Writer } from './cursor.ts'
import { wireError } from './errors.ts'
import {
  detectByteOrder,
  type HeaderFields,
  MessageType,
  readHeaderFields,
  readRingId,
  writeHeader,
  writeRingId,
} from './header.ts'

/** Fixed part of a commit token. */
export const COMMIT_TOKEN_BYTES = 41
/** Bytes per member: a 4-byte address and a 24-byte `memb_commit_token_memb_entry`. */
export const COMMIT_MEMBER_BYTES = 28

/** A new member's entry, filled by that member when it first handles the token (§2.5). */
export interface CommitMember {
  /** The member's node id (its address in corosync 3.x); the entries are in ring order. */
  readonly nodeid: number
  /** The member's old ring id (zeros while unfilled). */
  readonly ringId: RingId
  /** The member's aru in its old ring. */
  readonly aru: number
  /** Highest old-ring seq it delivered. */
  readonly highDelivered: number
  /** 1 if it holds every old-ring message it knows of. */
  readonly receivedFlg: number
}

/** The commit token (`struct memb_commit_token`, reference §2.5): circulates twice to form a ring. */
export interface MembCommitToken extends HeaderFields {
  readonly type: 'commit-token'
  readonly tokenSeq: number
  /** The new ring id. */
  readonly ringId: RingId
  /** Unused, 0. */
  readonly retransFlg: number
  /** Number of members that have filled their entry. */
  readonly membIndex: number
  /** New members, sorted by node id. */
  readonly members: readonly CommitMember[]
}

/**
 * Decodes a commit token. The member count is checked against 384 and the length against the
 * count before any entry is read (CVE-2026-35091: a token shorter than its member entries).
 */
export function decodeMembCommitToken(bytes: Uint8Array): MembCommitToken {
  const r = new Reader(bytes, detectByteOrder(bytes), 'commit-token')
  r.need(COMMIT_TOKEN_BYTES, 'memb_commit_token')
  const { nodeid, targetNodeid } = readHeaderFields(r, MessageType.MembCommitToken)
  const tokenSeq = r.u32('token_seq')
  const ringId = readRingId(r)
  const retransFlg = r.u32('retrans_flg')
  const membIndex = r.i32('memb_index')
  const addrEntries = r.i32('addr_entries')
  if (addrEntries < 0 || addrEntries > NODES_MAX) {
    wireError('ERR_WIRE_TOO_MANY', 'addr_entries out of range', { addrEntries, max: NODES_MAX })
  }
  if (membIndex < 0 || membIndex > addrEntries) {
    wireError('ERR_WIRE_INCONSISTENT', 'memb_index beyond the member list', {
      membIndex,
      addrEntries,
    })
  }
  r.need(COMMIT_MEMBER_BYTES * addrEntries, 'addr/memb_list')
  const addrs: number[] = new Array(addrEntries)
  for (let i = 0; i < addrEntries; i++) addrs[i] = r.u32('addr')
  const members: CommitMember[] = new Array(addrEntries)
  for (let i = 0; i < addrEntries; i++) {
    const old = readRingId(r, 'memb_list.ring_id')
    const aru = r.u32('memb_list.aru')
    const highDelivered = r.u32('memb_list.high_delivered')
    const receivedFlg = r.u32('memb_list.received_flg')
    members[i] = { nodeid: addrs[i] as number, ringId: old, aru, highDelivered, receivedFlg }
  }
  r.end()
  return {
    type: 'commit-token',
    nodeid,
    targetNodeid,
    tokenSeq,
    ringId,
    retransFlg,
    membIndex,
    members,
  }
}

/** Encodes a commit token. */
export function encodeMembCommitToken(
  t: Omit<MembCommitToken, 'type'>,
  littleEndian = true,
): Uint8Array {
  const n = t.members.length
  if (n > NODES_MAX)
    invalidArgument('commit token has more members than the processor limit', { n })
  checkUint(t.tokenSeq, 32, 'tokenSeq')
  checkUint(t.retransFlg, 32, 'retransFlg')
  checkInt32(t.membIndex, 'membIndex')
  const w = new Writer(COMMIT_TOKEN_BYTES + COMMIT_MEMBER_BYTES * n, littleEndian)
  writeHeader(w, MessageType.MembCommitToken, 0, t)
  w.u32(t.tokenSeq)
  writeRingId(w, t.ringId)
  w.u32(t.retransFlg)
  w.i32(t.membIndex)
  w.i32(n)
  for (const m of t.members) {
    checkUint(m.nodeid, 32, 'members[].nodeid')
    w.u32(m.nodeid)
  }
  for (const m of t.members) {
    checkUint(m.aru, 32, 'members[].aru')
    checkUint(m.highDelivered, 32, 'members[].highDelivered')
    checkUint(m.receivedFlg, 32, 'members[].receivedFlg')
    writeRingId(w, m.ringId, 'members[].ringId')
    w.u32(m.aru)
    w.u32(m.highDelivered)
    w.u32(m.receivedFlg)
  }
  return w.done()
}
