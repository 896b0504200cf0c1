import { isIPv4, isIPv6 } from 'node:net'

/** What an address string is. */
export type AddressKind = 'ipv4' | 'ipv6' | 'hostname' | 'invalid'

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?'
const HOSTNAME_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`)

/**
 * Classifies a `ringN_addr`: an IPv4 or IPv6 literal, a host name (RFC 1123; resolved at start,
 * never by `--check`), or invalid. Dotted all-digit strings that are not IPv4 (`10.0.0.300`) are
 * invalid, not host names.
 */
export function classifyAddress(s: string): AddressKind {
  if (isIPv4(s)) return 'ipv4'
  if (isIPv6(s)) return 'ipv6'
  if (s.length > 253 || !HOSTNAME_RE.test(s)) return 'invalid'
  // The last label of a host name is never all digits (RFC 3696 §2), so 10.0.0.300 is a typo.
  const labels = s.replace(/\.$/, '').split('.')
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) return 'invalid'
  return 'hostname'
}

/**
 * corosync's node id for a node without `nodeid`: its IPv4 `ring0_addr` as a big-endian u32,
 * with the top bit cleared when `clear_node_high_bit: yes`.
 */
export function nodeIdFromIPv4(addr: string, clearHighBit: boolean): number {
  const n = addr.split('.').reduce((acc, part) => acc * 256 + Number(part), 0)
  return clearHighBit ? n % 0x8000_0000 : n
}

/** A form for duplicate detection: lower case, IPv6 expanded. */
export function canonicalAddress(s: string): string {
  const lower = s.toLowerCase().replace(/\.$/, '')
  if (!isIPv6(lower)) return lower
  const [addr = '', zone] = lower.split('%')
  let head = addr
  let tail = ''
  const dbl = addr.indexOf('::')
  if (dbl >= 0) {
    head = addr.slice(0, dbl)
    tail = addr.slice(dbl + 2)
  }
  const toGroups = (part: string): string[] => {
    if (part === '') return []
    const out: string[] = []
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const b = g.split('.').map(Number)
        out.push((((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16))
        out.push((((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16))
      } else out.push(Number.parseInt(g, 16).toString(16))
    }
    return out
  }
  const h = toGroups(head)
  const t = toGroups(tail)
  const groups = dbl >= 0 ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h
  return groups.join(':') + (zone === undefined ? '' : `%${zone}`)
}
