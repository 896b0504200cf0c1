/**
 * votequorum NODEINFO (issue 9), against the bytes corosync 3.1.7 (Debian 12) sent in the
 * votequorum round of a sync: captured on the interop lab's bridge port (tcpdump, node 2 joining
 * node 1, `quorum { provider: corosync_votequorum }`, 3-node nodelist), frame 17, the body after
 * the 5-byte group `a` header.
 */
import { describe, expect, it } from 'vitest'
import {
  decodeAppMessage,
  decodeVotequorumNodeinfo,
  encodeAppMessage,
  encodeVotequorumNodeinfo,
  isWireError,
  VOTEQUORUM_NODEINFO_BYTES,
  VotequorumFlag,
} from '../src/index.ts'

const hex = (s: string): Uint8Array =>
  Uint8Array.from(s.match(/../g) ?? [], (b) => Number.parseInt(b, 16))
/** Node 2: 1 vote, expected 3, flags FIRST (its first sync). */
const NODE2 = hex('0000050000000000200000000000000002000000010000000300000008000000')
/** The quorum device's entry (node id 0), all zero. */
const QDEVICE = hex('0000050000000000200000000000000000000000000000000000000000000000')

describe('votequorum NODEINFO', () => {
  it('decodes what corosync 3.1.7 sent and encodes it back byte for byte', () => {
    const m = decodeVotequorumNodeinfo(NODE2, true)
    expect(m).toEqual({ nodeId: 2, votes: 1, expectedVotes: 3, flags: VotequorumFlag.First })
    expect(encodeVotequorumNodeinfo(m)).toEqual(NODE2)
    expect(decodeVotequorumNodeinfo(QDEVICE, true)).toEqual({
      nodeId: 0,
      votes: 0,
      expectedVotes: 0,
      flags: 0,
    })
    expect(NODE2.length).toBe(VOTEQUORUM_NODEINFO_BYTES)
  })

  it('travels in group a as a raw service 5 message', () => {
    const body = encodeVotequorumNodeinfo({ nodeId: 3, votes: 1, expectedVotes: 3, flags: 0 })
    const app = encodeAppMessage({ kind: 'service-raw', service: 5, fn: 0, bytes: body })
    expect([...app.subarray(0, 5)]).toEqual([1, 0, 1, 0, 0x61])
    const back = decodeAppMessage(app, true).message
    expect(back).toMatchObject({ kind: 'service-raw', service: 5, fn: 0 })
    expect(decodeVotequorumNodeinfo((back as { bytes: Uint8Array }).bytes, true).nodeId).toBe(3)
  })

  it('rejects truncated, oversized and foreign messages with WireError codes', () => {
    const codes: string[] = []
    for (const bad of [
      NODE2.subarray(0, 20),
      Uint8Array.from([...NODE2, 0, 0, 0, 0]),
      hex('0000020000000000200000000000000002000000010000000300000008000000'),
    ]) {
      try {
        decodeVotequorumNodeinfo(bad, true)
      } catch (e) {
        if (!isWireError(e)) throw e
        codes.push(e.code)
      }
    }
    expect(codes).toEqual(['ERR_WIRE_INCONSISTENT', 'ERR_WIRE_INCONSISTENT', 'ERR_WIRE_BAD_TYPE'])
    expect(() =>
      encodeVotequorumNodeinfo({ nodeId: -1, votes: 1, expectedVotes: 1, flags: 0 }),
    ).toThrow()
  })
})
