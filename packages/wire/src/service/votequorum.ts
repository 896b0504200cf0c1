import { checkUint, Reader, Writer } from '../cursor.ts'
import { wireError } from '../errors.ts'
import {
  peekRequestId,
  readRequestHeader,
  ServiceId,
  serviceMessageId,
  writeRequestHeader,
} from './request.ts'

/**
 * Size of votequorum's NODEINFO exec message (service 5, function 0): the 16-byte request header,
 * then nodeid, votes, expected_votes and flags, each a u32, packed. Layout observed in corosync
 * 3.1.7's sync traffic (Debian 12; tools/interop lab capture, see test/votequorum.test.ts).
 */
export const VOTEQUORUM_NODEINFO_BYTES = 32

/** Flags of a votequorum NODEINFO (corosync 3.1's `NODE_FLAGS_*`). */
export const VotequorumFlag = {
  Quorate: 1,
  Leaving: 2,
  WaitForAllStatus: 4,
  First: 8,
  QdeviceRegistered: 16,
  QdeviceAlive: 32,
  QdeviceCastVote: 64,
  QdeviceMasterWins: 128,
} as const

/**
 * votequorum's NODEINFO: what a node announces about itself in every sync (and the quorum device's
 * entry, node id 0). Receivers record `votes` for the node; `expectedVotes` counts only when
 * `flags` has {@link VotequorumFlag}.Quorate.
 */
export interface VotequorumNodeinfo {
  readonly nodeId: number
  readonly votes: number
  readonly expectedVotes: number
  readonly flags: number
}

/** Encodes a NODEINFO body (request header included; goes in group `a`). */
export function encodeVotequorumNodeinfo(m: VotequorumNodeinfo, littleEndian = true): Uint8Array {
  checkUint(m.nodeId, 32, 'nodeId')
  checkUint(m.votes, 32, 'votes')
  checkUint(m.expectedVotes, 32, 'expectedVotes')
  checkUint(m.flags, 32, 'flags')
  const w = new Writer(VOTEQUORUM_NODEINFO_BYTES, littleEndian)
  writeRequestHeader(w, serviceMessageId(ServiceId.Votequorum, 0), VOTEQUORUM_NODEINFO_BYTES)
  w.u32(m.nodeId)
  w.u32(m.votes)
  w.u32(m.expectedVotes)
  w.u32(m.flags)
  return w.done()
}

/** Decodes a NODEINFO body. Throws `WireError` on anything else or a wrong size. */
export function decodeVotequorumNodeinfo(
  body: Uint8Array,
  littleEndian: boolean,
): VotequorumNodeinfo {
  const id = peekRequestId(body, littleEndian, 'votequorum nodeinfo')
  if (id !== serviceMessageId(ServiceId.Votequorum, 0))
    wireError('ERR_WIRE_BAD_TYPE', 'not a votequorum nodeinfo', { id })
  const r = new Reader(body, littleEndian, 'votequorum nodeinfo')
  readRequestHeader(r, body.length)
  if (body.length !== VOTEQUORUM_NODEINFO_BYTES)
    wireError('ERR_WIRE_INCONSISTENT', 'votequorum nodeinfo: wrong size', {
      length: body.length,
      expected: VOTEQUORUM_NODEINFO_BYTES,
    })
  const nodeId = r.u32('nodeid')
  const votes = r.u32('votes')
  const expectedVotes = r.u32('expected_votes')
  const flags = r.u32('flags')
  r.end()
  return { nodeId, votes, expectedVotes, flags }
}
