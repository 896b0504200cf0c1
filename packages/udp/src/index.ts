/**
 * corosync's `udpu` transport over `node:dgram` — the only code in totem-ts that opens sockets.
 * One socket bound to `<own address>:<port>` (default 5405) receives every totem datagram;
 * a "multicast" is one unicast per nodelist member, the sender included; datagrams from addresses
 * outside the nodelist are dropped and counted (`block_unlisted_ips`). IPv4 and IPv6. Send errors
 * are counted, never thrown.
 *
 * Also here, because they open sockets or serve every `Transport`: a loss-injecting loopback
 * proxy for integration tests ({@link createUdpFaultProxy}), an in-memory transport
 * ({@link createMemoryNetwork}) and the compliance suite every `Transport` must pass
 * ({@link transportComplianceSuite}).
 *
 * @example
 * ```ts
 * import { nodeId } from '@totem-ts/common'
 * import { createUdpTransport } from '@totem-ts/udp'
 *
 * const udp = createUdpTransport({
 *   nodeId: 1,
 *   nodelist: [
 *     { nodeId: 1, address: '127.0.0.1' },
 *     { nodeId: 2, address: '127.0.0.2' },
 *   ],
 *   port: 5405,
 * })
 * udp.onDatagram((bytes, ringNo) => console.log(`${bytes.length} bytes on ring ${ringNo}`))
 * await udp.start() // rejects with ERR_UDP_BIND if the address is taken or not local
 * udp.send('all', new Uint8Array([1, 2, 3])) // to 127.0.0.1 and 127.0.0.2
 * udp.send({ node: nodeId(2) }, new Uint8Array([4]))
 * console.log(udp.stats().datagramsTx) // 3
 * await udp.stop()
 * ```
 *
 * @packageDocumentation
 */

export {
  type ComplianceNetwork,
  type ComplianceOptions,
  type ComplianceTestApi,
  transportComplianceSuite,
} from './compliance.ts'
export { UdpError, UdpErrorCode } from './errors.ts'
export {
  createMemoryNetwork,
  type MemoryNetwork,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
} from './memory.ts'
export {
  type IpVersion,
  parseIpLiteral,
  resolveUdpOptions,
  SOCKET_BUFFER_BYTES_DEFAULT,
  UDP_PAYLOAD_BYTES_MAX,
  UDP_PORT_DEFAULT,
  type UdpConfig,
  type UdpNodeAddress,
  type UdpOptions,
  type UdpPeer,
} from './options.ts'
export {
  createUdpFaultProxy,
  type FaultDecision,
  type FaultPolicy,
  type FaultProxyNode,
  type ProxiedDatagram,
  type RandomFaultsOptions,
  randomFaults,
  type UdpFaultProxy,
  type UdpFaultProxyOptions,
  type UdpFaultProxyStats,
} from './proxy.ts'
export { createUdpStats, type UdpPeerStats, type UdpStats } from './stats.ts'
export { createUdpTransport, type UdpTransport } from './transport.ts'
