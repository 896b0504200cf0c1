/**
 * @totem-ts/service — what a long-running totem-ts process (totemd, totem-gateway) shares: the
 * pino adapter for common's `Logger`, the EVS trace file (`--evs-trace`), and the orderly stop on
 * SIGTERM/SIGINT.
 *
 * @packageDocumentation
 */
export {
  createPinoLogger,
  type DaemonLogger,
  LOG_LEVELS,
  type PinoLoggerOptions,
} from './logger.ts'
export { type RunOptions, runUntilSignalled, STOP_TIMEOUT_MS } from './signals.ts'
export { openTraceWriter, type TraceWriter, type TraceWriterOptions } from './trace.ts'
