/**
 * The deterministic simulator of totem-ts (TigerBeetle's VOPR, FoundationDB's simulation): the
 * protocol cores run unchanged under one seeded PRNG and one virtual-time event queue, on a
 * simulated network that loses, duplicates, delays, reorders, partitions and clogs datagrams,
 * with nodes that crash, stop and restart. Every seed draws its own fault profile (swarm
 * testing); every run writes an EVS trace (EVS-TRACE.md) that `@totem-ts/evs-checker` judges:
 * safety during the fault phase, liveness after the heal. A failure comes with the seed, the
 * profile, the first violated property, the tail of the trace and a one-line replay command.
 *
 * @example
 * ```ts
 * import { runSeed } from '@totem-ts/sim'
 *
 * const result = await runSeed({ seed: 0x1234, nodes: 3 })
 * if (!result.ok) {
 *   console.error(result.violations[0]?.property, result.replay)
 * }
 * ```
 *
 * @packageDocumentation
 */

export {
  createEventQueue,
  type EventOwner,
  type EventQueue,
  type ScheduledEvent,
} from './event-queue.ts'
export {
  formatDebugStates,
  loadMultiringRegressions,
  MULTIRING_REGRESSIONS_PATH,
  type MultiringRegression,
  regressionOptions,
} from './multiring-cli.ts'
export {
  type MultiringLayout,
  type MultiringRunOptions,
  type MultiringRunResult,
  MultiringShape,
  multiringLayout,
  multiringReplayCommand,
  runMultiringSeed,
} from './multiring-run.ts'
export {
  type ClogDirection,
  createSimNetwork,
  type LinkFaults,
  PERFECT_LINK,
  type SimNetwork,
  type SimNetworkOptions,
  type SimNetworkStats,
} from './network.ts'
export {
  CALM,
  DEFAULT_NODE_RANGE,
  drawProfile,
  type FaultProfile,
  type NodeRange,
  PARTITION_MODES,
  PartitionMode,
  PROFILE_PRESETS,
  parseNodeRange,
  profileFeatures,
} from './profile.ts'
export { createSimRandom, SEED_MAX, type SimRandom } from './random.ts'
export {
  addRegressions,
  loadRegressions,
  parseSeed,
  REGRESSIONS_PATH,
  type Regression,
} from './regressions.ts'
export { formatRunLine, formatRunReport } from './report.ts'
export {
  drawRrpProfile,
  type RrpEpisode,
  type RrpFaultKind,
  type RrpProfile,
  type RrpRunOptions,
  type RrpRunResult,
  type RrpViolation,
  rrpProtocol,
  runRrpSeed,
} from './rrp-run.ts'
export {
  EVENT_BUDGET_DEFAULT,
  formatSeed,
  LIVENESS_CAP_FACTOR,
  profileForSeed,
  type RunCounts,
  type RunOptions,
  type RunResult,
  replayCommand,
  runSeed,
} from './run.ts'
export { createSimRuntime, type SimIncarnation, type SimRuntimeOptions } from './runtime.ts'
export {
  addRun,
  digest,
  emptySummary,
  formatSummary,
  type RunDigest,
  type Summary,
} from './summary.ts'
export {
  createSimWorld,
  type SimNodeInfo,
  type SimProtocol,
  type SimProtocolContext,
  type SimProtocolFactory,
  type SimWorld,
  type SimWorldCounts,
  type SimWorldOptions,
  srpProtocol,
} from './world.ts'
