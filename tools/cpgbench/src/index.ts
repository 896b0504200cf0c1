/**
 * totem-cpgbench as a library: the command's `main`, the benchmark loop ({@link runBench}) and the
 * payload header. The command measures CPG throughput (messages/s, MB/s) and self-delivery
 * latency against a running totemd, like corosync's cpgbench, and can write an EVS trace of its
 * own sends and deliveries for @totem-ts/evs-checker.
 *
 * @example
 * ```ts
 * import { runBench } from '@totem-ts/cpgbench'
 *
 * const r = await runBench({
 *   socket: '/var/lib/corosync/cpg.sock', controlSocket: '/var/lib/corosync/totemd.sock',
 *   group: 'bench', sizes: [64, 1024], durationMs: 1000, window: 64, guarantee: 'agreed',
 *   members: 1, send: true, waitTimeoutMs: 30_000,
 * })
 * console.log(r.steps.map((s) => s.deliveredPerS))
 * ```
 *
 * @packageDocumentation
 */
export {
  type BenchOptions,
  type BenchResult,
  CpgbenchErrorCode,
  type Progress,
  runBench,
  type StepResult,
} from './bench.ts'
export {
  type Args,
  DEFAULT_CPG_SOCKET,
  DEFAULT_SIZES,
  machine,
  main,
  type Output,
  parseCommandLine,
  parseSizes,
  renderTable,
  SIZE_MAX,
  UsageError,
} from './cli.ts'
export {
  HEADER_BYTES,
  type Header,
  MessageKind,
  readHeader,
  sameNonce,
  writeHeader,
} from './payload.ts'
export { LATENCY_SAMPLES_MAX, type LatencySummary, Samples, summarize } from './stats.ts'
export { type BenchTrace, fastMessageId, openBenchTrace } from './trace.ts'
