/**
 * The orderly stop of a daemon process: the first SIGTERM or SIGINT starts `stop()` (leaving the
 * rings), a second one or a stop that takes longer than the limit exits at once with 1. SIGHUP
 * is logged and ignored (no configuration reload yet).
 */
import type { DaemonLogger } from './logger.ts'

/** How long an orderly stop may take before the process exits anyway. */
export const STOP_TIMEOUT_MS = 10_000

/** Options of {@link runUntilSignalled}. */
export interface RunOptions {
  readonly logger: DaemonLogger
  /** Leaves the rings and closes everything; its rejection makes the exit code 1. */
  readonly stop: () => Promise<void>
  /** What the stop does, for the log line (`SIGTERM received: <leaving>`). */
  readonly leaving: string
  /** @defaultValue {@link STOP_TIMEOUT_MS} */
  readonly stopTimeoutMs?: number
  /** Where the signals come from. @defaultValue `process` */
  readonly signals?: Pick<NodeJS.Process, 'on'>
  /** How the process exits at once. @defaultValue `process.exit` */
  readonly exit?: (code: number) => void
}

/** Resolves with the exit code once a signal has stopped the process in order (0) or not (1). */
export function runUntilSignalled(o: RunOptions): Promise<number> {
  const { logger } = o
  const exit = o.exit ?? ((code: number) => process.exit(code))
  const limit = o.stopTimeoutMs ?? STOP_TIMEOUT_MS
  const source = o.signals ?? process
  return new Promise<number>((resolve) => {
    let signals = 0
    const onSignal = (sig: NodeJS.Signals): void => {
      signals++
      if (signals > 1) {
        logger.warn(`${sig} again: exiting at once`)
        logger.flush()
        exit(1)
        return
      }
      logger.info(`${sig} received: ${o.leaving}`)
      const timer = setTimeout(() => {
        logger.error(`orderly stop took more than ${limit} ms: exiting`)
        logger.flush()
        exit(1)
      }, limit)
      timer.unref()
      o.stop().then(
        () => {
          clearTimeout(timer)
          logger.flush()
          resolve(0)
        },
        (e: unknown) => {
          clearTimeout(timer)
          logger.error('orderly stop failed', { error: String(e) })
          logger.flush()
          resolve(1)
        },
      )
    }
    source.on('SIGTERM', onSignal)
    source.on('SIGINT', onSignal)
    source.on('SIGHUP', () => logger.info('SIGHUP ignored (no configuration reload yet)'))
  })
}
