/**
 * A reader for classic pcap files (not pcapng), enough to find UDP datagrams: Ethernet (with VLAN
 * tags), Linux cooked captures v1 and v2, BSD loopback and raw IP link types; IPv4 and IPv6.
 * Bounded and safe on damaged files: every length is checked, and problems become a
 * {@link PcapError} or a per-frame `skip` reason, never an exception of another kind.
 */
import { TotemError } from '@totem-ts/common'

/** Stable codes of {@link PcapError}. */
export type PcapErrorCode = 'ERR_PCAP_FORMAT' | 'ERR_PCAP_TRUNCATED' | 'ERR_PCAP_LINKTYPE'

/** A file that is not a usable classic pcap. */
export class PcapError extends TotemError<PcapErrorCode> {}

/** Link-layer types we can read. */
export const LinkType = {
  Null: 0,
  Ethernet: 1,
  Raw: 101,
  Loop: 108,
  LinuxSll: 113,
  Ipv4: 228,
  Ipv6: 229,
  LinuxSll2: 276,
} as const

/** One captured frame. */
export interface PcapFrame {
  /** 1-based frame number, as Wireshark counts. */
  readonly frame: number
  /** Capture time in microseconds since the epoch (as a float). */
  readonly timeUs: number
  readonly data: Uint8Array
  /** Length on the wire (may exceed `data.length` when the capture was cut by the snaplen). */
  readonly origLength: number
}

/** A UDP datagram found in a frame. */
export interface UdpDatagram {
  readonly frame: number
  readonly timeUs: number
  readonly src: string
  readonly dst: string
  readonly srcPort: number
  readonly dstPort: number
  readonly payload: Uint8Array
}

/** What a frame turned out to be when it is not a complete UDP datagram. */
export interface SkippedFrame {
  readonly frame: number
  readonly reason: 'not-ip' | 'not-udp' | 'ip-fragment' | 'truncated'
}

/** The global header of a pcap file. */
export interface PcapHeader {
  readonly littleEndian: boolean
  readonly nanoseconds: boolean
  readonly versionMajor: number
  readonly versionMinor: number
  readonly snaplen: number
  readonly linkType: number
}

const GLOBAL_HEADER_BYTES = 24
const RECORD_HEADER_BYTES = 16
/** A record longer than this is treated as file damage (pcap's own maximum snaplen). */
const RECORD_BYTES_MAX = 262_144

/** Parses the global header. */
export function readPcapHeader(file: Uint8Array): PcapHeader {
  if (file.length >= 4) {
    const m = new DataView(file.buffer, file.byteOffset, 4).getUint32(0, false)
    if (m === 0x0a0d0d0a) {
      throw new PcapError(
        'ERR_PCAP_FORMAT',
        'this is a pcapng file; convert it with `editcap -F pcap in.pcapng out.pcap`',
      )
    }
  }
  if (file.length < GLOBAL_HEADER_BYTES) {
    throw new PcapError('ERR_PCAP_TRUNCATED', 'file shorter than a pcap header', {
      details: { length: file.length },
    })
  }
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength)
  const magicLe = v.getUint32(0, true)
  let littleEndian: boolean
  let nanoseconds: boolean
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) {
    littleEndian = true
    nanoseconds = magicLe === 0xa1b23c4d
  } else {
    const magicBe = v.getUint32(0, false)
    if (magicBe !== 0xa1b2c3d4 && magicBe !== 0xa1b23c4d) {
      throw new PcapError('ERR_PCAP_FORMAT', 'not a pcap file (bad magic)', {
        details: { magic: magicBe },
      })
    }
    littleEndian = false
    nanoseconds = magicBe === 0xa1b23c4d
  }
  const linkType = v.getUint32(20, littleEndian) & 0x0fff_ffff
  if (!(Object.values(LinkType) as number[]).includes(linkType)) {
    throw new PcapError('ERR_PCAP_LINKTYPE', `unsupported link type ${linkType}`, {
      details: { linkType },
    })
  }
  return {
    littleEndian,
    nanoseconds,
    versionMajor: v.getUint16(4, littleEndian),
    versionMinor: v.getUint16(6, littleEndian),
    snaplen: v.getUint32(16, littleEndian),
    linkType,
  }
}

/** Iterates over the frames of a pcap file. A cut-off last record throws `ERR_PCAP_TRUNCATED`. */
export function* readPcapFrames(file: Uint8Array): Generator<PcapFrame, void, undefined> {
  const h = readPcapHeader(file)
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength)
  let at = GLOBAL_HEADER_BYTES
  let frame = 0
  while (at < file.length) {
    frame++
    if (file.length - at < RECORD_HEADER_BYTES) {
      throw new PcapError('ERR_PCAP_TRUNCATED', `frame ${frame}: record header cut off`, {
        details: { frame, offset: at },
      })
    }
    const sec = v.getUint32(at, h.littleEndian)
    const frac = v.getUint32(at + 4, h.littleEndian)
    const incl = v.getUint32(at + 8, h.littleEndian)
    const orig = v.getUint32(at + 12, h.littleEndian)
    if (incl > RECORD_BYTES_MAX) {
      throw new PcapError(
        'ERR_PCAP_FORMAT',
        `frame ${frame}: record length ${incl} is not plausible`,
        {
          details: { frame, length: incl },
        },
      )
    }
    at += RECORD_HEADER_BYTES
    if (file.length - at < incl) {
      throw new PcapError('ERR_PCAP_TRUNCATED', `frame ${frame}: record data cut off`, {
        details: { frame, offset: at },
      })
    }
    yield {
      frame,
      timeUs: sec * 1e6 + (h.nanoseconds ? frac / 1000 : frac),
      data: file.subarray(at, at + incl),
      origLength: orig,
    }
    at += incl
  }
}

function ipv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`
}

function ipv6(v: DataView, at: number): string {
  const parts: string[] = []
  for (let i = 0; i < 8; i++) parts.push(v.getUint16(at + 2 * i, false).toString(16))
  return parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')
}

/** Finds the IP packet in a frame: its ethertype-like version and offset, or undefined. */
function ipStart(
  linkType: number,
  d: Uint8Array,
  v: DataView,
): { at: number; version: 4 | 6 } | undefined {
  const fromEthertype = (type: number, at: number): { at: number; version: 4 | 6 } | undefined =>
    type === 0x0800 ? { at, version: 4 } : type === 0x86dd ? { at, version: 6 } : undefined
  switch (linkType) {
    case LinkType.Ethernet: {
      if (d.length < 14) return undefined
      let at = 12
      let type = v.getUint16(at, false)
      while ((type === 0x8100 || type === 0x88a8) && d.length >= at + 6) {
        at += 4
        type = v.getUint16(at, false)
      }
      return fromEthertype(type, at + 2)
    }
    case LinkType.LinuxSll:
      return d.length < 16 ? undefined : fromEthertype(v.getUint16(14, false), 16)
    case LinkType.LinuxSll2:
      return d.length < 20 ? undefined : fromEthertype(v.getUint16(0, false), 20)
    case LinkType.Null:
    case LinkType.Loop: {
      if (d.length < 4) return undefined
      const fam = linkType === LinkType.Loop ? v.getUint32(0, false) : v.getUint32(0, true)
      if (fam === 2) return { at: 4, version: 4 }
      if (fam === 10 || fam === 24 || fam === 28 || fam === 30) return { at: 4, version: 6 }
      return undefined
    }
    case LinkType.Raw:
    case LinkType.Ipv4:
    case LinkType.Ipv6: {
      if (d.length < 1) return undefined
      const ver = (d[0] as number) >> 4
      return ver === 4 ? { at: 0, version: 4 } : ver === 6 ? { at: 0, version: 6 } : undefined
    }
    default:
      return undefined
  }
}

/** Extracts the UDP datagram of a frame, or says why there is none. */
export function udpOf(linkType: number, f: PcapFrame): UdpDatagram | SkippedFrame {
  const d = f.data
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength)
  const ip = ipStart(linkType, d, v)
  if (ip === undefined) return { frame: f.frame, reason: 'not-ip' }
  let at = ip.at
  let src: string
  let dst: string
  let udpEnd: number
  if (ip.version === 4) {
    if (d.length < at + 20) return { frame: f.frame, reason: 'truncated' }
    const ihl = ((d[at] as number) & 0x0f) * 4
    const total = v.getUint16(at + 2, false)
    const flagsFrag = v.getUint16(at + 6, false)
    if ((d[at + 9] as number) !== 17) return { frame: f.frame, reason: 'not-udp' }
    if ((flagsFrag & 0x2000) !== 0 || (flagsFrag & 0x1fff) !== 0)
      return { frame: f.frame, reason: 'ip-fragment' }
    if (ihl < 20 || total < ihl) return { frame: f.frame, reason: 'truncated' }
    src = ipv4(d, at + 12)
    dst = ipv4(d, at + 16)
    udpEnd = at + total
    at += ihl
  } else {
    if (d.length < at + 40) return { frame: f.frame, reason: 'truncated' }
    let next = d[at + 6] as number
    const payloadLen = v.getUint16(at + 4, false)
    src = ipv6(v, at + 8)
    dst = ipv6(v, at + 24)
    udpEnd = at + 40 + payloadLen
    at += 40
    // Skip hop-by-hop, routing and destination-options headers.
    while (next === 0 || next === 43 || next === 60) {
      if (d.length < at + 8) return { frame: f.frame, reason: 'truncated' }
      next = d[at] as number
      at += ((d[at + 1] as number) + 1) * 8
    }
    if (next === 44) return { frame: f.frame, reason: 'ip-fragment' }
    if (next !== 17) return { frame: f.frame, reason: 'not-udp' }
  }
  if (d.length < at + 8) return { frame: f.frame, reason: 'truncated' }
  const udpLen = v.getUint16(at + 4, false)
  if (udpLen < 8 || at + udpLen > d.length || at + udpLen > udpEnd)
    return { frame: f.frame, reason: 'truncated' }
  return {
    frame: f.frame,
    timeUs: f.timeUs,
    src,
    dst,
    srcPort: v.getUint16(at, false),
    dstPort: v.getUint16(at + 2, false),
    payload: d.subarray(at + 8, at + udpLen),
  }
}

/** Every UDP datagram of a pcap file, with the frames that were skipped and why. */
export function readUdpDatagrams(file: Uint8Array): {
  datagrams: UdpDatagram[]
  skipped: SkippedFrame[]
} {
  const h = readPcapHeader(file)
  const datagrams: UdpDatagram[] = []
  const skipped: SkippedFrame[] = []
  for (const f of readPcapFrames(file)) {
    const u = udpOf(h.linkType, f)
    if ('payload' in u) datagrams.push(u)
    else skipped.push(u)
  }
  return { datagrams, skipped }
}
