import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodeMembJoin, encodeOrfToken } from '@totem-ts/wire'
import { describe, expect, it } from 'vitest'
import { dissectCapture, LinkType } from '../src/index.ts'
import { ethernet, ipv4, pcapFile, udp } from './pcap-builder.ts'

const capturesDir = join(import.meta.dirname, '../../../../shared/reference/captures')
const captures = existsSync(capturesDir)
  ? readdirSync(capturesDir)
      .filter((f) => f.endsWith('.pcap'))
      .sort()
  : []

const frameOf = (payload: Uint8Array, srcPort = 5405): Uint8Array =>
  ethernet(ipv4([10, 0, 0, 1], [10, 0, 0, 2], udp(srcPort, 5405, payload)))

describe('dissectCapture on the reference captures', () => {
  it('finds the four reference captures', () => {
    expect(captures.length).toBeGreaterThanOrEqual(4)
  })

  it.each(captures)('%s: every totem datagram decodes and re-encodes byte for byte', (name) => {
    const { records, summary } = dissectCapture(readFileSync(join(capturesDir, name)), {
      verify: true,
    })
    const failed = records
      .filter((r) => r.error !== undefined)
      .map((r) => `${r.datagram.frame}: ${r.error}`)
    expect(failed).toEqual([])
    expect(summary.datagrams).toBeGreaterThan(50)
    expect(summary.decoded).toBe(summary.datagrams)
    expect(summary.verified).toBe(summary.datagrams)
    expect(summary.appFailed).toBe(0)
    // Every capture has at least one sync round, and so a fragmented CPG downlist to reassemble.
    expect(summary.byApp['sync-service-build']).toBeGreaterThan(0)
    expect(summary.byApp['cpg-downlist']).toBeGreaterThan(0)
    expect(summary.reassembled).toBeGreaterThan(0)
    expect(summary.fragmentsIncomplete).toBe(0)
    const byType = Object.values(summary.byType).reduce((a, b) => a + b, 0)
    expect(byType).toBe(summary.datagrams)
  })

  it('reassembles the 3,000-byte CPG message of the join capture from three fragments', () => {
    const { records } = dissectCapture(
      readFileSync(join(capturesDir, 'corosync317-udpu-join-cpg.pcap')),
    )
    const big = records
      .flatMap((r) => r.apps)
      .find((a) => a.decoded?.message?.kind === 'cpg-mcast' && a.reassembledFrom?.length === 3)
    expect(big?.decoded?.message).toMatchObject({ kind: 'cpg-mcast', group: 'wagroup' })
    expect(big?.bytes).toBe(3189)
  })
})

describe('dissectCapture on synthetic captures', () => {
  const ring = { rep: 1, seq: 9n }
  const token = encodeOrfToken({
    nodeid: 1,
    seq: 0,
    tokenSeq: 0,
    aru: 0,
    aruAddr: 0,
    ringId: ring,
    backlog: 0,
    fcc: 0,
    retransFlg: 0,
    rtr: [],
  })
  const join = encodeMembJoin({
    nodeid: 2,
    systemFrom: 2,
    procList: [1, 2],
    failedList: [],
    ringSeq: 9n,
  })

  it('counts undecodable datagrams as failed, with their error code', () => {
    const broken = token.slice(0, 40)
    const badVersion = join.slice()
    badVersion[2] = 2
    const file = pcapFile([frameOf(token), frameOf(broken), frameOf(badVersion), frameOf(join)], {
      linkType: LinkType.Ethernet,
    })
    const { records, summary } = dissectCapture(file, { verify: true })
    expect(summary).toMatchObject({ datagrams: 4, decoded: 2, failed: 2 })
    expect(records.map((r) => r.error)).toEqual([
      undefined,
      'ERR_WIRE_TRUNCATED',
      'ERR_WIRE_BAD_VERSION',
      undefined,
    ])
    expect(summary.byType).toMatchObject({ 'orf-token': 1, join: 1, undecodable: 2 })
  })

  it('only looks at the totem port', () => {
    const file = pcapFile(
      [frameOf(token), ethernet(ipv4([1, 1, 1, 1], [2, 2, 2, 2], udp(53, 53, token)))],
      {
        linkType: LinkType.Ethernet,
      },
    )
    expect(dissectCapture(file).summary).toMatchObject({ datagrams: 1, otherUdp: 1 })
    expect(dissectCapture(file, { port: 53 }).summary).toMatchObject({ datagrams: 1, otherUdp: 1 })
  })

  it('decodes big-endian senders too', () => {
    const be = encodeMembJoin(
      { nodeid: 2, systemFrom: 2, procList: [1, 2], failedList: [], ringSeq: 9n },
      false,
    )
    const { records, summary } = dissectCapture(
      pcapFile([frameOf(be)], { linkType: LinkType.Ethernet }),
      {
        verify: true,
      },
    )
    expect(summary.decoded).toBe(1)
    expect(records[0]?.littleEndian).toBe(false)
    expect(records[0]?.message).toMatchObject({ type: 'join', procList: [1, 2], ringSeq: 9n })
  })
})
