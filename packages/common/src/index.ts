/**
 * The interfaces that cross totem-ts layers (STYLE.md §4), the error type with stable codes, node
 * and ring ids, and the declared limits. Rank 0: every other package depends on this one, and it
 * depends on nothing.
 *
 * @example
 * ```ts
 * import { nodeId, ringId, formatRingId, TotemError, isTotemError } from '@totem-ts/common'
 *
 * const ring = ringId(nodeId(1), 13n)
 * formatRingId(ring) // '1.13'
 * try { nodeId(0) } catch (e) { if (isTotemError(e)) console.log(e.code) } // ERR_INVALID_ARGUMENT
 * ```
 *
 * @packageDocumentation
 */

export type {
  Broadcast,
  BroadcastListener,
  ConfigurationChange,
  Delivery,
  Guarantee,
} from './broadcast.ts'
export {
  AssertionError,
  assert,
  CommonErrorCode,
  type ErrorDetails,
  invalidArgument,
  isTotemError,
  TotemError,
  type TotemErrorOptions,
} from './errors.ts'
export {
  compareRingId,
  formatRingId,
  formatRingIdHex,
  isNodeId,
  type NodeId,
  nodeId,
  type RingId,
  ringId,
  ringIdEquals,
  sortedMembers,
} from './ids.ts'
export {
  DATAGRAM_BYTES_MAX,
  GROUP_NAME_BYTES_MAX,
  MESSAGE_BYTES_MAX,
  NETMTU_DEFAULT,
  NETMTU_MAX,
  NETMTU_MIN,
  NETMTU_OVERHEAD,
  NODES_MAX,
  RTR_ENTRIES_MAX,
  SORT_QUEUE_SEQS,
  SYNC_SERVICES_MAX,
  TOKEN_BYTES_MAX,
} from './limits.ts'
export {
  createMemoryLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  type LogRecord,
  type MemoryLogger,
  noopLogger,
} from './logger.ts'
export type { Clock, Random, Runtime, Timer, Timers } from './runtime.ts'
export {
  countDrop,
  createTransportStats,
  type DatagramHandler,
  type Destination,
  type Transport,
  type TransportStats,
} from './transport.ts'
