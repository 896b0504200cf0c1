/**
 * The Totem multiple-ring protocol (Agarwal, Moser, Melliar-Smith, Budhia, ACM TOCS 16(2), 1998):
 * several LANs, each its own ring run by the single-ring protocol, joined by gateways, with one
 * total order across all of them. Every message carries a Lamport timestamp and its source ring;
 * a processor keeps one receive list per ring and delivers the lowest key once no ring could still
 * send a lower one; gateways forward each message once onto every other ring and send guarantee
 * vectors so quiet rings do not stall delivery and safe messages are known to be everywhere; ring
 * configuration changes are timestamped messages delivered in key order at every processor.
 * `createMultiring` returns a `Broadcast`, so the process-group layer runs on it unchanged.
 *
 * @example
 * ```ts
 * import { createMultiring, resolveMultiringOptions } from '@totem-ts/multiring'
 *
 * const mr = createMultiring(resolveMultiringOptions(), {
 *   nodeId, runtime, listener,
 *   rings: [{ lan: 0, create: (l) => createSrp(srpConfig, { nodeId, runtime, transport, listener: l }) }],
 * })
 * await mr.start()
 * mr.send(new TextEncoder().encode('hello'), 'agreed')
 * ```
 *
 * @packageDocumentation
 */
export {
  badMessage,
  MultiringErrorCode,
  MultiringWireError,
} from './errors.ts'
export { compareKey, formatKey, type MessageKey, Rank, ringKey } from './key.ts'
export {
  type AttachedRing,
  createMultiring,
  type Multiring,
  type MultiringDeps,
  type MultiringObserver,
  type RingBroadcast,
} from './multiring.ts'
export { type MultiringConfig, type MultiringOptions, resolveMultiringOptions } from './options.ts'
export { createMultiringStats, type MultiringStats } from './stats.ts'
export {
  type AckMessage,
  type CcMessage,
  decodeMrMessage,
  encodeMrMessage,
  type GvMessage,
  HEADER_BYTES,
  MrKind,
  type MrMessage,
  NO_PRED,
  type NtMessage,
  PREDS_MAX,
  type RegularMessage,
  RINGS_MAX,
  type RingNonce,
  type RingTs,
  type StartMessage,
  type TcMessage,
  type ViewRing,
} from './wire.ts'
