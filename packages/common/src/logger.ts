/** Log levels, most to least severe. */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace'

/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>

/**
 * The logging interface every layer takes. Packages default to {@link noopLogger}; the daemon
 * plugs in pino. Subsystems follow corosync's names (`TOTEM`, `CRYPTO`, `RRP`, `CPG`, `GW`).
 */
export interface Logger {
  error(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  debug(msg: string, fields?: LogFields): void
  trace(msg: string, fields?: LogFields): void
  /** A logger for a subsystem, e.g. `logger.child('TOTEM')`. */
  child(subsystem: string): Logger
  /** Guard for costly per-packet logging: `if (log.isEnabled('trace')) log.trace(…)`. */
  isEnabled(level: LogLevel): boolean
}

const noop = (): void => {}

/** A logger that drops everything and costs nothing. */
export const noopLogger: Logger = Object.freeze({
  error: noop,
  warn: noop,
  info: noop,
  debug: noop,
  trace: noop,
  child: (): Logger => noopLogger,
  isEnabled: (): boolean => false,
})

/** One captured log line (see {@link createMemoryLogger}). */
export interface LogRecord {
  readonly level: LogLevel
  readonly subsystem: string
  readonly msg: string
  readonly fields: LogFields | undefined
}

/** A logger that keeps its lines in an array; for tests and the simulator. */
export interface MemoryLogger extends Logger {
  readonly records: LogRecord[]
}

const LEVEL_RANK: Readonly<Record<LogLevel, number>> = {
  error: 0,
  warn: 1,
  info: 2,
  debug: 3,
  trace: 4,
}

/** Creates a {@link MemoryLogger} that records lines at `level` and more severe. */
export function createMemoryLogger(level: LogLevel = 'trace', subsystem = ''): MemoryLogger {
  const records: LogRecord[] = []
  const make = (sub: string): MemoryLogger => {
    const at =
      (l: LogLevel) =>
      (msg: string, fields?: LogFields): void => {
        if (LEVEL_RANK[l] <= LEVEL_RANK[level])
          records.push({ level: l, subsystem: sub, msg, fields })
      }
    return {
      records,
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      trace: at('trace'),
      child: (s: string) => make(s),
      isEnabled: (l: LogLevel) => LEVEL_RANK[l] <= LEVEL_RANK[level],
    }
  }
  return make(subsystem)
}
