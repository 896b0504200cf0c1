/**
 * The Totem single-ring protocol (Amir et al., ACM TOCS 1995) as corosync 3.1.7 runs it on the
 * wire, with the paper's semantics where corosync falls short (safe delivery): token-ring total
 * order, retransmission, flow control, agreed and safe delivery, the membership protocol (gather,
 * commit, recovery) and extended virtual synchrony. A synchronous, deterministic state machine:
 * time, timers, randomness and the network come in through `Runtime` and `Transport`, so the
 * simulator drives the same code the daemon runs.
 *
 * @example
 * ```ts
 * import { createSrp, resolveSrpOptions } from '@totem-ts/srp'
 *
 * const srp = createSrp(resolveSrpOptions({ tokenTimeoutMs: 1000 }, 3), {
 *   nodeId, runtime, transport,
 *   listener: {
 *     onDeliver: (d) => console.log('from', d.sender, d.payload),
 *     onConfigurationChange: (c) => console.log(c.kind, c.members),
 *   },
 * })
 * await srp.start()
 * srp.send(new TextEncoder().encode('lock A'), 'agreed')
 * ```
 *
 * @packageDocumentation
 */
export { resolveSrpOptions, type SrpConfig, type SrpOptions } from './options.ts'
export { createSrp } from './srp.ts'
export type { TimeoutName } from './timer.ts'
export {
  createMemoryRingIdStore,
  type RingIdStore,
  type Srp,
  type SrpDeps,
  type SrpState,
  type SrpStats,
  type SrpTestFaults,
} from './types.ts'
