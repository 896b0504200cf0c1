import { isIPv4, isIPv6, SocketAddress } from 'node:net'
import {
  DATAGRAM_BYTES_MAX,
  invalidArgument,
  isNodeId,
  type Logger,
  NETMTU_DEFAULT,
  NETMTU_MAX,
  NETMTU_MIN,
  NODES_MAX,
  type NodeId,
  noopLogger,
} from '@totem-ts/common'

/** corosync's default `totem.interface.mcastport`. */
export const UDP_PORT_DEFAULT = 5405
/** Default socket buffer size asked of the kernel, both directions (4 MiB). */
export const SOCKET_BUFFER_BYTES_DEFAULT: number = 4 * 1024 * 1024
/** Largest UDP payload over IPv4 (65 535 − 20 − 8); IPv6 allows 20 bytes more, we keep one limit. */
export const UDP_PAYLOAD_BYTES_MAX = 65_507

/**
 * corosync's `totem.ip_version`. Addresses here are literals, so it only says which families are
 * accepted: `ipv4-6` and `ipv6-4` accept either, but one ring is always one family (the own
 * address's), because one socket speaks one family.
 */
export type IpVersion = 'ipv4' | 'ipv6' | 'ipv4-6' | 'ipv6-4'

/** One nodelist entry (`nodelist { node { nodeid, ring0_addr } }`). */
export interface UdpNodeAddress {
  /** The node's id (`nodeid`). */
  readonly nodeId: number
  /** Its `ring0_addr`: an IPv4 or IPv6 literal (names are resolved by `@totem-ts/config`). */
  readonly address: string
}

/** What {@link resolveUdpOptions} accepts; see {@link UdpConfig} for the meaning of each field. */
export interface UdpOptions {
  /** This node's id; must be in `nodelist`. */
  readonly nodeId: number
  /** Every node of the cluster, this one included (its entry is the bind address). */
  readonly nodelist: readonly UdpNodeAddress[]
  /**
   * UDP port every node listens on and sends to (`mcastport`).
   * @defaultValue 5405
   */
  readonly port?: number
  /**
   * Address to bind instead of the own nodelist address (may be `0.0.0.0` / `::`; the source IP of
   * sent datagrams then follows the routing table).
   * @defaultValue the own nodelist address
   */
  readonly bindAddress?: string
  /**
   * Accepted address families (`ip_version`).
   * @defaultValue the own address's family
   */
  readonly ipVersion?: IpVersion
  /**
   * Drop datagrams whose source IP is not a nodelist address (`block_unlisted_ips`).
   * @defaultValue true
   */
  readonly blockUnlistedIps?: boolean
  /**
   * `SO_SNDBUF` asked for every socket; the kernel may grant less (see `stats().sendBufferBytes`).
   * @defaultValue 4 MiB
   */
  readonly sendBufferBytes?: number
  /**
   * `SO_RCVBUF` asked for the listening socket.
   * @defaultValue 4 MiB
   */
  readonly receiveBufferBytes?: number
  /**
   * `totem.netmtu`: the largest datagram sent (`mtuBytes`); longer sends are dropped and counted.
   * @defaultValue 1500
   */
  readonly netmtu?: number
  /**
   * Received datagrams longer than this are dropped as `ERR_UDP_OVERSIZE`.
   * @defaultValue 136 192 (`DATAGRAM_BYTES_MAX`, corosync's receive buffer)
   */
  readonly rxDatagramBytesMax?: number
  /**
   * How datagrams leave: `'connected'` uses one socket per peer, bound to the own address and
   * connected to the peer's `address:port` (no per-send address parsing or route lookup; ICMP
   * errors such as a refused port come back and are counted); `'bound'` sends everything from
   * the listening socket, as corosync sends tokens. Both look the same to a receiver.
   * @defaultValue 'connected'
   */
  readonly sendMode?: 'connected' | 'bound'
  /**
   * Logger; gets the subsystem `TOTEM`.
   * @defaultValue noopLogger
   */
  readonly logger?: Logger
}

/** A resolved nodelist entry: the address normalised, with its family. */
export interface UdpPeer {
  readonly nodeId: NodeId
  /** Canonical text form (`::1`, not `0:0:0:0:0:0:0:1`), as `rinfo.address` reports it. */
  readonly address: string
  readonly family: 'ipv4' | 'ipv6'
}

/** Options after {@link resolveUdpOptions}: checked, normalised, defaults filled in. */
export interface UdpConfig {
  readonly nodeId: NodeId
  /** Sorted by node id. */
  readonly nodelist: readonly UdpPeer[]
  /** The own entry of `nodelist`. */
  readonly self: UdpPeer
  readonly port: number
  readonly bindAddress: string
  readonly family: 'ipv4' | 'ipv6'
  readonly ipVersion: IpVersion
  readonly blockUnlistedIps: boolean
  readonly sendBufferBytes: number
  readonly receiveBufferBytes: number
  readonly netmtu: number
  readonly rxDatagramBytesMax: number
  readonly sendMode: 'connected' | 'bound'
  readonly logger: Logger
}

/** Largest socket buffer we ask for (the kernel caps it anyway, at `net.core.[rw]mem_max`). */
const SOCKET_BUFFER_BYTES_MAX = 1024 * 1024 * 1024
/** Smallest socket buffer we ask for: one full-size datagram. */
const SOCKET_BUFFER_BYTES_MIN = 65_536

const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'nodeId',
  'nodelist',
  'port',
  'bindAddress',
  'ipVersion',
  'blockUnlistedIps',
  'sendBufferBytes',
  'receiveBufferBytes',
  'netmtu',
  'rxDatagramBytesMax',
  'sendMode',
  'logger',
])

function bad(option: string, message: string, value?: unknown): never {
  const details: Record<string, string | number | boolean> = { option }
  if (value !== undefined)
    details['value'] =
      typeof value === 'number' || typeof value === 'boolean' ? value : String(value)
  return invalidArgument(`${option}: ${message}`, details)
}

function int(option: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    bad(option, `must be an integer in ${min}..${max}`, v)
  return v
}

/**
 * Parses an IP literal into its canonical form and family, or returns undefined. Zone ids
 * (`fe80::1%eth0`) are not accepted.
 */
export function parseIpLiteral(
  text: string,
): { address: string; family: 'ipv4' | 'ipv6' } | undefined {
  if (typeof text !== 'string') return undefined
  const family = isIPv4(text) ? 'ipv4' : isIPv6(text) && !text.includes('%') ? 'ipv6' : undefined
  if (family === undefined) return undefined
  return { address: new SocketAddress({ address: text, family }).address, family }
}

/** Unspecified, multicast or broadcast: never a node's address. */
function isNonUnicast(address: string, family: 'ipv4' | 'ipv6'): boolean {
  if (family === 'ipv4') {
    const first = Number(address.split('.')[0])
    return address === '0.0.0.0' || address === '255.255.255.255' || (first >= 224 && first <= 239)
  }
  return address === '::' || address.toLowerCase().startsWith('ff')
}

function familyAllowed(v: IpVersion, f: 'ipv4' | 'ipv6'): boolean {
  return v === 'ipv4-6' || v === 'ipv6-4' || v === (f === 'ipv4' ? 'ipv4' : 'ipv6')
}

/**
 * Checks `options` and fills in corosync 3.1.7's defaults. Throws `ERR_INVALID_ARGUMENT` with
 * `details.option` naming the offending field (`nodelist[2].address` for an entry).
 */
export function resolveUdpOptions(options: UdpOptions): Readonly<UdpConfig> {
  if (typeof options !== 'object' || options === null) bad('options', 'must be an object')
  for (const k of Object.keys(options)) if (!KNOWN_KEYS.has(k)) bad(k, 'unknown option')
  if (!isNodeId(options.nodeId))
    bad('nodeId', 'must be an integer in 1..4294967295', options.nodeId)
  const me = options.nodeId
  if (!Array.isArray(options.nodelist) || options.nodelist.length === 0)
    bad('nodelist', 'must be a non-empty array')
  if (options.nodelist.length > NODES_MAX)
    bad('nodelist', `at most ${NODES_MAX} nodes`, options.nodelist.length)

  const ids = new Set<number>()
  const addresses = new Set<string>()
  const peers: UdpPeer[] = []
  options.nodelist.forEach((e, i) => {
    const at = `nodelist[${i}]`
    if (typeof e !== 'object' || e === null) bad(at, 'must be { nodeId, address }')
    if (!isNodeId(e.nodeId)) bad(`${at}.nodeId`, 'must be an integer in 1..4294967295', e.nodeId)
    if (ids.has(e.nodeId)) bad(`${at}.nodeId`, 'duplicate node id', e.nodeId)
    const ip = parseIpLiteral(e.address)
    if (ip === undefined) bad(`${at}.address`, 'must be an IPv4 or IPv6 literal', e.address)
    if (isNonUnicast(ip.address, ip.family))
      bad(`${at}.address`, 'must be a unicast address', e.address)
    if (addresses.has(ip.address)) bad(`${at}.address`, 'duplicate address', e.address)
    ids.add(e.nodeId)
    addresses.add(ip.address)
    peers.push({ nodeId: e.nodeId, address: ip.address, family: ip.family })
  })
  peers.sort((a, b) => a.nodeId - b.nodeId)
  const self = peers.find((p) => p.nodeId === me)
  if (self === undefined) bad('nodeId', 'is not in the nodelist', me)

  const ipVersion = options.ipVersion ?? self.family
  if (!['ipv4', 'ipv6', 'ipv4-6', 'ipv6-4'].includes(ipVersion))
    bad('ipVersion', "must be 'ipv4', 'ipv6', 'ipv4-6' or 'ipv6-4'", ipVersion)
  peers.forEach((p) => {
    const i = options.nodelist.findIndex((e) => e.nodeId === p.nodeId)
    if (!familyAllowed(ipVersion, p.family))
      bad(`nodelist[${i}].address`, `is ${p.family} but ipVersion is ${ipVersion}`, p.address)
    if (p.family !== self.family)
      bad(`nodelist[${i}].address`, `is ${p.family}; the own address is ${self.family}`, p.address)
  })

  let bindAddress = self.address
  if (options.bindAddress !== undefined) {
    const ip = parseIpLiteral(options.bindAddress)
    if (ip === undefined) bad('bindAddress', 'must be an IP literal', options.bindAddress)
    if (ip.family !== self.family)
      bad('bindAddress', `must be ${self.family} like the own address`, options.bindAddress)
    bindAddress = ip.address
  }

  const port = int('port', options.port ?? UDP_PORT_DEFAULT, 1, 65_535)
  const blockUnlistedIps = options.blockUnlistedIps ?? true
  if (typeof blockUnlistedIps !== 'boolean')
    bad('blockUnlistedIps', 'must be a boolean', blockUnlistedIps)
  const sendBufferBytes = int(
    'sendBufferBytes',
    options.sendBufferBytes ?? SOCKET_BUFFER_BYTES_DEFAULT,
    SOCKET_BUFFER_BYTES_MIN,
    SOCKET_BUFFER_BYTES_MAX,
  )
  const receiveBufferBytes = int(
    'receiveBufferBytes',
    options.receiveBufferBytes ?? SOCKET_BUFFER_BYTES_DEFAULT,
    SOCKET_BUFFER_BYTES_MIN,
    SOCKET_BUFFER_BYTES_MAX,
  )
  const netmtu = int(
    'netmtu',
    options.netmtu ?? NETMTU_DEFAULT,
    NETMTU_MIN,
    Math.min(NETMTU_MAX, UDP_PAYLOAD_BYTES_MAX),
  )
  const rxDatagramBytesMax = int(
    'rxDatagramBytesMax',
    options.rxDatagramBytesMax ?? DATAGRAM_BYTES_MAX,
    netmtu,
    DATAGRAM_BYTES_MAX,
  )
  const sendMode = options.sendMode ?? 'connected'
  if (sendMode !== 'connected' && sendMode !== 'bound')
    bad('sendMode', "must be 'connected' or 'bound'", sendMode)
  const logger = options.logger ?? noopLogger
  if (typeof logger !== 'object' || logger === null || typeof logger.child !== 'function')
    bad('logger', 'must be a Logger')

  return Object.freeze({
    nodeId: self.nodeId,
    nodelist: Object.freeze(peers.map((p) => Object.freeze(p))),
    self,
    port,
    bindAddress,
    family: self.family,
    ipVersion,
    blockUnlistedIps,
    sendBufferBytes,
    receiveBufferBytes,
    netmtu,
    rxDatagramBytesMax,
    sendMode,
    logger,
  })
}
