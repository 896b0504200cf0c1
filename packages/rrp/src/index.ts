/**
 * The redundant ring protocol (RRP): several networks at once under one Totem ring.
 * `createRrp(transports, { mode, nodeId }, runtime)` is itself a `Transport`, so srp runs over it
 * unchanged. Active mode sends every datagram on every network in use (the first copy wins);
 * passive mode round-robins datagrams over them. Every node measures every (peer, network) pair
 * with a decaying problem count, the members agree on the networks in use through heartbeats,
 * faulty networks are probed with MTU-sized heartbeats and taken back after consecutive clean
 * checks (more of them when a network flaps), and `reenable()` is corosync-cfgtool's `-r`.
 *
 * @example
 * ```ts
 * import { createRrp } from '@totem-ts/rrp'
 *
 * const net = createRrp([udp0, udp1], { mode: 'active', nodeId, tokenRetransmitTimeoutMs: 714 }, runtime)
 * net.onDatagram((bytes, ringNo) => srpReceive(bytes))
 * await net.start()
 * net.networks() // [{ ringNo: 0, state: 'ok', inUse: true, … }, { ringNo: 1, … }]
 * ```
 *
 * @packageDocumentation
 */

export { RrpError, RrpErrorCode } from './errors.ts'
export { RRP_HEADER_BYTES, RRP_HEARTBEAT_BODY_BYTES, RRP_MAGIC } from './frame.ts'
export {
  RRP_NETWORKS_MAX,
  RRP_TIMEOUT_MIN_MS,
  type RrpConfig,
  RrpMode,
  type RrpOptions,
  resolveRrpOptions,
} from './options.ts'
export { type CreateRrpOptions, createRrp, type Rrp } from './rrp.ts'
export type { RrpEvent, RrpNetworkState, RrpNetworkStats, RrpStats } from './stats.ts'
