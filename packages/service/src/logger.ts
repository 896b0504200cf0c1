/**
 * common's `Logger` (STYLE §8) over pino: one JSON line per record on stderr, corosync's subsystem
 * names in a `subsys` field (`MAIN`, `TOTEM`, `CRYPTO`, …), a level per subsystem.
 */
import type { LogFields, Logger, LogLevel } from '@totem-ts/common'
import { type DestinationStream, type Logger as PinoLogger, pino } from 'pino'

/** The levels `--log-level` accepts: common's, plus `silent`. */
export const LOG_LEVELS: readonly (LogLevel | 'silent')[] = [
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
]

/** Options of {@link createPinoLogger}. */
export interface PinoLoggerOptions {
  /** Records below this level are dropped. @defaultValue 'info' */
  readonly level?: LogLevel | 'silent'
  /** Levels of single subsystems (corosync's `logger_subsys { subsys; debug }`). */
  readonly subsystems?: Readonly<Record<string, LogLevel | 'silent'>>
  /** Where lines go. @defaultValue asynchronous stderr (fd 2), flushed by `flush()` */
  readonly destination?: DestinationStream
}

/** A common `Logger` that also flushes its destination (at exit). */
export interface DaemonLogger extends Logger {
  /** Writes out what is still buffered, synchronously. */
  flush(): void
}

/** `p` logs; children always derive from `root`, so `subsys` is bound once. */
function adapt(
  p: PinoLogger,
  root: PinoLogger,
  subsystems: Readonly<Record<string, LogLevel | 'silent'>>,
): Logger {
  return {
    error: (msg: string, fields?: LogFields) => p.error(fields ?? {}, msg),
    warn: (msg: string, fields?: LogFields) => p.warn(fields ?? {}, msg),
    info: (msg: string, fields?: LogFields) => p.info(fields ?? {}, msg),
    debug: (msg: string, fields?: LogFields) => p.debug(fields ?? {}, msg),
    trace: (msg: string, fields?: LogFields) => p.trace(fields ?? {}, msg),
    child: (subsystem: string): Logger => {
      const level = subsystems[subsystem]
      return adapt(
        root.child({ subsys: subsystem }, level === undefined ? undefined : { level }),
        root,
        subsystems,
      )
    },
    isEnabled: (level: LogLevel) => p.isLevelEnabled(level),
  }
}

/**
 * Creates a daemon's logger (totemd, totem-gateway). Its own records carry `subsys: "MAIN"`; `child('TOTEM')` gives the
 * `TOTEM` subsystem, and so on.
 *
 * @example
 * ```ts
 * const logger = createPinoLogger({ level: 'debug' })
 * logger.child('TOTEM').info('A new membership (1.8)', { members: '1 2 3' })
 * logger.flush()
 * ```
 */
export function createPinoLogger(options: PinoLoggerOptions = {}): DaemonLogger {
  const dest = options.destination ?? pino.destination({ dest: 2, sync: false })
  const subsystems = options.subsystems ?? {}
  const root = pino(
    {
      level: options.level ?? 'info',
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label: string) => ({ level: label }) },
    },
    dest,
  )
  const main = adapt(root, root, subsystems).child('MAIN')
  return {
    ...main,
    flush: () => {
      const d = dest as { flushSync?: () => void }
      try {
        d.flushSync?.()
      } catch {
        // sonic-boom throws when nothing was opened yet or the fd is gone: nothing to flush.
      }
    },
  }
}
