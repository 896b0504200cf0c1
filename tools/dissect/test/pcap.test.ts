import { describe, expect, it } from 'vitest'
import { LinkType, readPcapFrames, readPcapHeader, readUdpDatagrams } from '../src/index.ts'
import { ethernet, ipv4, ipv6, pcapFile, sll, sll2, udp } from './pcap-builder.ts'

const payload = Uint8Array.from([0x70, 0xc0, 3, 5, 0, 1, 0, 0, 0])
const datagram = ipv4([10, 0, 0, 1], [10, 0, 0, 2], udp(40000, 5405, payload))

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    return (e as { code?: string }).code
  }
  return undefined
}

describe('pcap reader', () => {
  it.each([
    ['Ethernet', LinkType.Ethernet, ethernet(datagram)],
    ['Ethernet with a VLAN tag', LinkType.Ethernet, ethernet(datagram, 0x0800, true)],
    ['Linux cooked v1', LinkType.LinuxSll, sll(datagram)],
    ['Linux cooked v2', LinkType.LinuxSll2, sll2(datagram)],
    ['raw IPv4', LinkType.Raw, datagram],
    ['BSD loopback', LinkType.Null, Uint8Array.from([2, 0, 0, 0, ...datagram])],
  ])('finds the UDP datagram in %s frames', (_name, linkType, frame) => {
    for (const littleEndian of [true, false]) {
      const { datagrams, skipped } = readUdpDatagrams(pcapFile([frame], { linkType, littleEndian }))
      expect(skipped).toEqual([])
      expect(datagrams).toHaveLength(1)
      const d = datagrams[0]
      expect(d).toMatchObject({
        frame: 1,
        src: '10.0.0.1',
        dst: '10.0.0.2',
        srcPort: 40000,
        dstPort: 5405,
      })
      expect([...(d?.payload ?? [])]).toEqual([...payload])
    }
  })

  it('reads IPv6 and nanosecond timestamps', () => {
    const file = pcapFile([ethernet(ipv6(udp(5405, 5405, payload)), 0x86dd)], {
      linkType: LinkType.Ethernet,
      nanoseconds: true,
    })
    const { datagrams } = readUdpDatagrams(file)
    expect(datagrams[0]).toMatchObject({ src: '::1', dst: '::2', srcPort: 5405 })
    expect(datagrams[0]?.timeUs).toBe(1_700_000_000 * 1e6 + 0.5)
    expect(readPcapHeader(file).nanoseconds).toBe(true)
  })

  it('says why a frame carries no datagram', () => {
    const tcp = ipv4([1, 1, 1, 1], [2, 2, 2, 2], new Uint8Array(20), 6)
    const frag = ipv4([1, 1, 1, 1], [2, 2, 2, 2], udp(1, 2, payload), 17, 0x2000)
    const arp = ethernet(new Uint8Array(28), 0x0806)
    const cut = ethernet(datagram).subarray(0, 14 + 20 + 4)
    const { datagrams, skipped } = readUdpDatagrams(
      pcapFile([ethernet(tcp), ethernet(frag), arp, cut], { linkType: LinkType.Ethernet }),
    )
    expect(datagrams).toEqual([])
    expect(skipped.map((s) => s.reason)).toEqual(['not-udp', 'ip-fragment', 'not-ip', 'truncated'])
  })

  it('rejects damaged files with typed errors', () => {
    expect(codeOf(() => readPcapHeader(new Uint8Array(10)))).toBe('ERR_PCAP_TRUNCATED')
    expect(codeOf(() => readPcapHeader(new Uint8Array(24)))).toBe('ERR_PCAP_FORMAT')
    expect(
      codeOf(() =>
        readPcapHeader(Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, ...new Uint8Array(40)])),
      ),
    ).toBe('ERR_PCAP_FORMAT')
    expect(codeOf(() => readPcapHeader(pcapFile([], { linkType: 9999 })))).toBe('ERR_PCAP_LINKTYPE')
    const good = pcapFile([ethernet(datagram)], { linkType: LinkType.Ethernet })
    expect(codeOf(() => [...readPcapFrames(good.subarray(0, good.length - 3))])).toBe(
      'ERR_PCAP_TRUNCATED',
    )
    expect(codeOf(() => [...readPcapFrames(good.subarray(0, 24 + 10))])).toBe('ERR_PCAP_TRUNCATED')
    const huge = good.slice()
    new DataView(huge.buffer).setUint32(24 + 8, 0x7fff_ffff, true)
    expect(codeOf(() => [...readPcapFrames(huge)])).toBe('ERR_PCAP_FORMAT')
  })
})
