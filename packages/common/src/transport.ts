import type { NodeId } from './ids.ts'

/** Where a datagram goes: one node, or every member (udpu: one unicast per member). */
export type Destination = { readonly node: NodeId } | 'all'

/** Receives one datagram; `ringNo` is the redundant-ring index it came in on (0 without rrp). */
export type DatagramHandler = (bytes: Uint8Array, ringNo: number) => void

/** Counters every transport keeps. Layers may extend this with their own fields. */
export interface TransportStats {
  datagramsTx: number
  datagramsRx: number
  bytesTx: number
  bytesRx: number
  /** Sends that failed locally (no route, buffer full, unknown node). */
  sendErrors: number
  /** Received datagrams dropped, by error code. */
  rxDropped: Record<string, number>
}

/** A fresh zeroed {@link TransportStats}. */
export function createTransportStats(): TransportStats {
  return { datagramsTx: 0, datagramsRx: 0, bytesTx: 0, bytesRx: 0, sendErrors: 0, rxDropped: {} }
}

/** Counts one dropped datagram under `code`. */
export function countDrop(stats: { rxDropped: Record<string, number> }, code: string): void {
  stats.rxDropped[code] = (stats.rxDropped[code] ?? 0) + 1
}

/**
 * Unreliable, unordered datagrams, like UDP. `send()` never throws on network faults; it counts
 * them. The real UDP transport, `withCrypto`, `createRrp` and the simulator's network all
 * implement this, so layers compose by wrapping.
 *
 * Buffers: a sender must not mutate `bytes` after `send`; a receiver must not mutate what it is
 * given and copies (`slice()`) whatever it keeps past the callback.
 */
export interface Transport {
  /** Largest datagram this transport carries. */
  readonly mtuBytes: number
  send(to: Destination, bytes: Uint8Array): void
  /** Sets the one receive handler; call before `start()`. */
  onDatagram(handler: DatagramHandler): void
  /** The udpu peer list; membership changes it. */
  setMembers(members: readonly NodeId[]): void
  start(): Promise<void>
  stop(): Promise<void>
  stats(): Readonly<TransportStats>
}
