import { TotemError } from '@totem-ts/common'

/**
 * Stable codes of {@link ConfigError}. Tests and tools branch on these, never on message text.
 */
export const ConfigErrorCode = {
  /** A line is not `key: value`, `name {` or `}`; a `}` closes nothing; a section is never closed. */
  Syntax: 'ERR_CONFIG_SYNTAX',
  /** The bytes are not text: NUL or other control bytes, or invalid UTF-8. */
  Encoding: 'ERR_CONFIG_ENCODING',
  /** The file holds no section and no key at all. */
  Empty: 'ERR_CONFIG_EMPTY',
  /** A value has the wrong type, is out of range, or is not one of the allowed words. */
  Value: 'ERR_CONFIG_VALUE',
  /** A required section or key is absent (no nodelist, a node without `ring0_addr`…). */
  Missing: 'ERR_CONFIG_MISSING',
  /** Values that are fine alone contradict each other (duplicate node ids, consensus ≤ token…). */
  Conflict: 'ERR_CONFIG_CONFLICT',
  /** A node id is referred to (`totem.nodeid`) that no `nodelist.node` has. */
  UnknownNode: 'ERR_CONFIG_UNKNOWN_NODE',
  /** A declared limit is exceeded: file size, line length, nesting depth, node or link count. */
  Limit: 'ERR_CONFIG_LIMIT',
  /** The file cannot be read (missing, a directory, no permission). */
  Io: 'ERR_CONFIG_IO',
} as const
/** One of {@link ConfigErrorCode}. */
export type ConfigErrorCode = (typeof ConfigErrorCode)[keyof typeof ConfigErrorCode]

/** Code of the aggregate {@link ConfigErrors}. */
export type ConfigErrorsCode = 'ERR_CONFIG_INVALID'

/** Where a problem is: the file, the 1-based line (0 when it concerns the whole file) and the key path. */
export interface ConfigLocation {
  /** File name as given to the loader (`<string>` when none). */
  readonly file: string
  /** 1-based line number, or 0 when the problem is not tied to one line (e.g. no `nodelist`). */
  readonly line: number
  /**
   * Key path in corosync's cmap style: `totem.token`, `nodelist.node.2.ring0_addr` (0-based node
   * index), `totem.interface.1.mcastport` (0-based section index). Empty for file-level problems.
   */
  readonly path: string
}

/** Facts a {@link ConfigError} carries in `details`. */
export interface ConfigErrorInit extends ConfigLocation {
  /** What was expected instead, e.g. `integer 30..3600000` or `udpu | udp | knet`. */
  readonly expected?: string
  /** The offending value as written (truncated to 80 characters). */
  readonly value?: string
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}

/** `FILE:LINE: path: ` (parts left out when unknown). */
export function formatLocation(loc: ConfigLocation): string {
  const where = loc.line > 0 ? `${loc.file}:${loc.line}` : loc.file
  return loc.path === '' ? `${where}: ` : `${where}: ${loc.path}: `
}

/**
 * One problem in a configuration file. `details` holds `file`, `line`, `path` and, when known,
 * `expected` and `value`; the message reads `FILE:LINE: key path: what is wrong`.
 *
 * @example
 * ```ts
 * try { loadConfig(text, 'corosync.conf') } catch (e) {
 *   if (e instanceof ConfigErrors) for (const err of e.errors) console.error(err.message)
 * }
 * ```
 */
export class ConfigError extends TotemError<ConfigErrorCode> {
  /** The file name given to the loader. */
  readonly file: string
  /** 1-based line, 0 for the whole file. */
  readonly line: number
  /** Key path (`totem.token`), empty for file-level problems. */
  readonly path: string
  /** What is wrong, without the location prefix. */
  readonly reason: string

  constructor(code: ConfigErrorCode, reason: string, init: ConfigErrorInit) {
    const details: Record<string, string | number | boolean> = {
      file: init.file,
      line: init.line,
      path: init.path,
    }
    if (init.expected !== undefined) details['expected'] = init.expected
    if (init.value !== undefined) details['value'] = truncate(init.value)
    super(code, `${formatLocation(init)}${reason}`, { details })
    this.file = init.file
    this.line = init.line
    this.path = init.path
    this.reason = reason
  }
}

/** Stable codes of {@link ConfigWarning}. */
export const ConfigWarningCode = {
  /** A key corosync does not know either (probably a typo); it is ignored. */
  UnknownKey: 'WARN_CONFIG_UNKNOWN_KEY',
  /** A section corosync does not know; it and everything in it is ignored. */
  UnknownSection: 'WARN_CONFIG_UNKNOWN_SECTION',
  /** A valid corosync key or section that totem-ts does not use (quorum, knet tuning…). A note. */
  Ignored: 'WARN_CONFIG_IGNORED',
  /** `transport: knet` (or none: knet is corosync 3's default) runs our own UDP transport instead. */
  Knet: 'WARN_CONFIG_KNET',
  /** `transport: udp` (multicast) runs as udpu: one unicast datagram per nodelist member. */
  Multicast: 'WARN_CONFIG_MULTICAST',
  /** The same key twice in one section: the later value wins, as in corosync. */
  DuplicateKey: 'WARN_CONFIG_DUPLICATE_KEY',
  /** A section that should appear once appears again; its keys are merged, as in corosync. */
  RepeatedSection: 'WARN_CONFIG_REPEATED_SECTION',
  /** A value contains ` #`: corosync has no trailing comments, so it is part of the value. */
  TrailingComment: 'WARN_CONFIG_TRAILING_COMMENT',
  /** A value in quotes: corosync keeps the quotes as part of the value. */
  Quoted: 'WARN_CONFIG_QUOTED',
  /** An address is a host name: it is resolved when the node starts, not by `--check`. */
  HostName: 'WARN_CONFIG_HOSTNAME',
  /** The redundant-ring mode was adjusted to the number of rings (e.g. `rrp_mode: none` with two rings). */
  RrpMode: 'WARN_CONFIG_RRP_MODE',
} as const
/** One of {@link ConfigWarningCode}. */
export type ConfigWarningCode = (typeof ConfigWarningCode)[keyof typeof ConfigWarningCode]

/**
 * Something worth telling the operator that does not stop the node: unknown keys, keys totem-ts
 * ignores, transports it replaces. `severity` is `note` for {@link ConfigWarningCode.Ignored}.
 */
export interface ConfigWarning extends ConfigLocation {
  readonly code: ConfigWarningCode
  readonly severity: 'warning' | 'note'
  /** What happened, without the location prefix. */
  readonly message: string
}

/** Most errors collected from one file; the rest are counted in {@link ConfigErrors.omitted}. */
export const CONFIG_ERRORS_MAX = 100

/**
 * Every error found in one file (all of them, not only the first), plus the warnings, thrown by
 * {@link loadConfig}, {@link readConfigFile} and {@link parseCorosyncConf}.
 */
export class ConfigErrors extends TotemError<ConfigErrorsCode> {
  /** The errors in file order (at most {@link CONFIG_ERRORS_MAX}). */
  readonly errors: readonly ConfigError[]
  /** Warnings found on the way; `totemd --check` prints them too. */
  readonly warnings: readonly ConfigWarning[]
  /** Errors left out beyond {@link CONFIG_ERRORS_MAX}. */
  readonly omitted: number

  constructor(
    file: string,
    errors: readonly ConfigError[],
    warnings: readonly ConfigWarning[],
    omitted = 0,
  ) {
    const n = errors.length + omitted
    super(
      'ERR_CONFIG_INVALID',
      `${file}: ${n} error${n === 1 ? '' : 's'}\n${formatConfigErrors(errors, omitted)}`,
      { details: { file, count: n } },
    )
    this.errors = errors
    this.warnings = warnings
    this.omitted = omitted
  }
}

/**
 * `FILE:LINE: key path: what is wrong`, one error per line (no trailing newline), as
 * `totemd --check` prints them.
 */
export function formatConfigErrors(errors: readonly ConfigError[], omitted = 0): string {
  const lines = errors.map((e) => e.message)
  if (omitted > 0) lines.push(`... and ${omitted} more error${omitted === 1 ? '' : 's'}`)
  return lines.join('\n')
}

/** `FILE:LINE: key path: warning: …` (or `note:`), one per line, no trailing newline. */
export function formatConfigWarnings(warnings: readonly ConfigWarning[]): string {
  return warnings.map((w) => `${formatLocation(w)}${w.severity}: ${w.message}`).join('\n')
}
