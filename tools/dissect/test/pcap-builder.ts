/** Builds small classic pcap files in memory for tests. */

export interface BuildOptions {
  linkType: number
  littleEndian?: boolean
  nanoseconds?: boolean
}

export function pcapFile(frames: readonly Uint8Array[], o: BuildOptions): Uint8Array {
  const le = o.littleEndian ?? true
  const size = 24 + frames.reduce((n, f) => n + 16 + f.length, 0)
  const out = new Uint8Array(size)
  const v = new DataView(out.buffer)
  v.setUint32(0, o.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4, le)
  v.setUint16(4, 2, le)
  v.setUint16(6, 4, le)
  v.setUint32(16, 262_144, le)
  v.setUint32(20, o.linkType, le)
  let at = 24
  frames.forEach((f, i) => {
    v.setUint32(at, 1_700_000_000 + i, le)
    v.setUint32(at + 4, 500, le)
    v.setUint32(at + 8, f.length, le)
    v.setUint32(at + 12, f.length, le)
    out.set(f, at + 16)
    at += 16 + f.length
  })
  return out
}

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

export function udp(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  const h = new Uint8Array(8)
  const v = new DataView(h.buffer)
  v.setUint16(0, srcPort)
  v.setUint16(2, dstPort)
  v.setUint16(4, 8 + payload.length)
  return concat(h, payload)
}

export function ipv4(
  src: [number, number, number, number],
  dst: [number, number, number, number],
  l4: Uint8Array,
  proto = 17,
  fragOffset = 0,
): Uint8Array {
  const h = new Uint8Array(20)
  const v = new DataView(h.buffer)
  h[0] = 0x45
  v.setUint16(2, 20 + l4.length)
  v.setUint16(6, fragOffset)
  h[8] = 64
  h[9] = proto
  h.set(src, 12)
  h.set(dst, 16)
  return concat(h, l4)
}

export function ipv6(l4: Uint8Array, next = 17): Uint8Array {
  const h = new Uint8Array(40)
  const v = new DataView(h.buffer)
  h[0] = 0x60
  v.setUint16(4, l4.length)
  h[6] = next
  h[7] = 64
  h[23] = 1 // ::1
  h[39] = 2 // ::2
  return concat(h, l4)
}

export function ethernet(ip: Uint8Array, ethertype = 0x0800, vlan = false): Uint8Array {
  const h = new Uint8Array(vlan ? 18 : 14)
  const v = new DataView(h.buffer)
  if (vlan) {
    v.setUint16(12, 0x8100)
    v.setUint16(14, 7)
    v.setUint16(16, ethertype)
  } else {
    v.setUint16(12, ethertype)
  }
  return concat(h, ip)
}

export function sll(ip: Uint8Array, ethertype = 0x0800): Uint8Array {
  const h = new Uint8Array(16)
  new DataView(h.buffer).setUint16(14, ethertype)
  return concat(h, ip)
}

export function sll2(ip: Uint8Array, ethertype = 0x0800): Uint8Array {
  const h = new Uint8Array(20)
  new DataView(h.buffer).setUint16(0, ethertype)
  return concat(h, ip)
}
