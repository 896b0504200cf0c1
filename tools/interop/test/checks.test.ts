/**
 * The interop suite's parsers and sequence comparison, on tool output captured from the lab
 * (corosync 3.1.7 on Debian 12), and the C client's message ids against @totem-ts/evs-checker's.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { messageId } from '@totem-ts/evs-checker'
import { describe, expect, it } from 'vitest'
import {
  compareSeq,
  parseCfgtoolStatus,
  parseCpgtool,
  parseQuorumtoolMembers,
  parseQuorumtoolQuorate,
  parseQuorumtoolRingId,
  parseQuorumtoolVotes,
  parseSeq,
  parseTotemCfgtool,
} from './checks.ts'
import { C_CLIENT_SRC } from './lab.ts'

const QUORUMTOOL_S = `Quorum information
------------------
Date:             Mon Nov 23 17:32:18 2026
Quorum provider:  corosync_votequorum
Nodes:            3
Node ID:          1
Ring ID:          1.d
Quorate:          Yes

Membership information
----------------------
    Nodeid      Votes Name
         1          1  (local)
         2          1 
         3          0 
`
const CFGTOOL_S = `Local node ID 1, transport udpu
LINK ID 0 
\taddr\t= 10.213.0.3
\tstatus:
\t\tnodeid:          1:\tlocalhost
\t\tnodeid:          2:\tconnected
\t\tnodeid:          3:\tconnected
`
const CPGTOOL = `Group Name\t       PID\t   Node ID
g1
\t\t      5320\t         1 (10.213.0.1)
\t\t      5337\t         3 (10.213.0.3)
\t\t      5323\t         2 (10.213.0.2)
`

describe('tool output parsers', () => {
  it('corosync-quorumtool: members and the ring id in hex → EVS-TRACE decimal', () => {
    expect(parseQuorumtoolMembers(QUORUMTOOL_S)).toEqual([1, 2, 3])
    expect(parseQuorumtoolRingId(QUORUMTOOL_S)).toBe('1.13')
    expect(parseQuorumtoolRingId('Ring ID:          2.1f0\n')).toBe('2.496')
    expect(parseQuorumtoolRingId('no ring here')).toBeUndefined()
    expect([...parseQuorumtoolVotes(QUORUMTOOL_S)]).toEqual([
      [1, 1],
      [2, 1],
      [3, 0],
    ])
    expect(parseQuorumtoolQuorate(QUORUMTOOL_S)).toBe(true)
    expect(
      parseQuorumtoolQuorate(QUORUMTOOL_S.replace('Quorate:          Yes', 'Quorate:          No')),
    ).toBe(false)
    expect(parseQuorumtoolQuorate('')).toBeUndefined()
  })
  it('corosync-cfgtool -s: connected nodes', () => {
    expect(parseCfgtoolStatus(CFGTOOL_S)).toEqual([1, 2, 3])
    expect(parseCfgtoolStatus(CFGTOOL_S.replace('3:\tconnected', '3:\tdisconnected'))).toEqual([
      1, 2,
    ])
  })
  it('totem-cfgtool -s: ring id and members', () => {
    const out =
      'Local node ID 3, cluster tti\nRing ID 1.13\nState operational\nMembers (3): 1 2 3\n'
    expect(parseTotemCfgtool(out)).toEqual({ ringId: '1.13', members: [1, 2, 3] })
    expect(parseTotemCfgtool('nothing')).toEqual({ members: [] })
  })
  it('corosync-cpgtool: (group, pid, node) rows', () => {
    expect(parseCpgtool(CPGTOOL)).toEqual([
      { group: 'g1', pid: 5320, nodeId: 1 },
      { group: 'g1', pid: 5337, nodeId: 3 },
      { group: 'g1', pid: 5323, nodeId: 2 },
    ])
  })
})

describe('compareSeq', () => {
  const a = parseSeq('C 1:10\nD x\nC 1:10,2:20\nD y\nD z\nC 1:10\n')
  it('compares from the first configuration with both; a prefix is fine', () => {
    expect(compareSeq(a, '1:10', parseSeq('C 1:10,2:20\nD y\n'), '2:20')).toEqual({ overlap: 2 })
  })
  it('finds a message or a configuration change in another place', () => {
    expect(compareSeq(a, '1:10', parseSeq('C 1:10,2:20\nD z\nD y\n'), '2:20').diff).toMatch(
      /line 1 after both joined/,
    )
    expect(compareSeq(a, '1:10', parseSeq('C 1:10,2:20\nD y\nC 1:10\nD z\n'), '2:20').diff).toMatch(
      /line 2/,
    )
  })
  it('clients never in the group together are not compared; one-sided is a difference', () => {
    expect(compareSeq(a, '1:10', parseSeq('C 3:30\n'), '3:30')).toEqual({ overlap: 0 })
    expect(compareSeq(a, '1:10', parseSeq('C 1:10,2:20\n'), '2:20').diff).toBeUndefined()
    expect(
      compareSeq(parseSeq('C 1:10\n'), '1:10', parseSeq('C 1:10,2:20\n'), '2:20').diff,
    ).toMatch(/only 2:20/)
  })
})

const canBuild =
  spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('sh', ['-c', 'test -e /usr/include/corosync/cpg.h'], { stdio: 'ignore' }).status === 0

describe.skipIf(!canBuild)('the C client (needs gcc and libcpg-dev)', () => {
  it('computes the EVS-TRACE message id as @totem-ts/evs-checker does', () => {
    const bin = join(mkdtempSync(join(tmpdir(), 'tti-c-')), 'tti-cpgclient')
    execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', bin, C_CLIENT_SRC, '-lcpg'])
    // Lengths around the SHA-256 block and padding boundaries (4-byte prefix + payload).
    for (const len of [0, 1, 51, 52, 55, 56, 59, 60, 63, 64, 119, 200]) {
      const payload = 'x'
        .repeat(len)
        .replace(/x/g, (_, i: number) => String.fromCharCode(97 + (i % 26)))
      for (const node of [1, 0x01020304, 0xffffffff]) {
        const out = execFileSync(bin, ['--message-id', String(node), payload], { encoding: 'utf8' })
        expect(out.trim()).toBe(messageId(node, new TextEncoder().encode(payload)))
      }
    }
  })
})
