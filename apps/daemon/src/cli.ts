/**
 * `totemd`'s command line: parsing, `--help`, `--version`, `--check`, and the foreground run with
 * its signal handling. Exit status: 0 ok (also after SIGTERM/SIGINT), 1 config or runtime error,
 * 2 usage error.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { isTotemError, type LogLevel } from '@totem-ts/common'
import {
  ConfigErrors,
  type DebugLevel,
  formatConfigErrors,
  formatConfigWarnings,
  formatEffectiveConfig,
  readConfigFile,
  type TotemNodeConfig,
} from '@totem-ts/config'
import {
  createPinoLogger,
  type DaemonLogger,
  LOG_LEVELS,
  runUntilSignalled,
} from '@totem-ts/service'
import { findLocalNode } from '@totem-ts/stack'
import { BURN_IN_RATE_MAX } from './burn-in.ts'
import { type Daemon, startDaemon } from './daemon.ts'

/** The default config file, as corosync's. */
export const DEFAULT_CONFIG_FILE = '/etc/corosync/corosync.conf'

/** The package version (from package.json, next to src/ and dist/ alike). */
export function daemonVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string
    }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

const HELP = `Usage: totemd [options]

Runs one totem-ts node in the foreground: the Totem single-ring protocol over
UDP (corosync's udpu), configured by a corosync.conf. Logs are JSON lines on
stderr (pino), with corosync's subsystem names in "subsys".

Options:
  -c, --config FILE         corosync.conf to use (default ${DEFAULT_CONFIG_FILE})
  -n, --nodeid N            which nodelist node this is (default: corosync 2's
                            totem.nodeid, else the node whose ring0_addr is local)
  -t, --check               validate the config and print the effective settings;
                            start nothing (exit 0 valid, 1 invalid)
      --evs-trace FILE      append this node's EVS trace (JSON Lines) to FILE
      --burn-in RATE        send RATE unique messages per second (every tenth
                            safe): a burn-in test of the network
      --control-socket PATH control socket (default <state_dir>/totemd.sock)
      --cpg-socket PATH     CPG client socket (default <state_dir>/cpg.sock)
  -l, --log-level LEVEL     error, warn, info, debug, trace or silent
                            (default: info, or debug when logging.debug is on)
  -h, --help                show this help
  -v, --version             print the version

Signals: SIGTERM or SIGINT leave the ring in an orderly way and exit 0; a
second one exits at once.

Exit status: 0 ok, 1 configuration or runtime error, 2 usage error.
`

/** Where the command writes plain text (tests capture it). */
export interface Output {
  out(text: string): void
  err(text: string): void
}

const stdio: Output = {
  out: (t) => {
    process.stdout.write(t)
  },
  err: (t) => {
    process.stderr.write(t)
  },
}

class UsageError extends Error {}

/** The parsed command line. */
export interface DaemonArgs {
  readonly help: boolean
  readonly version: boolean
  readonly check: boolean
  readonly config: string
  readonly nodeId?: number
  readonly evsTrace?: string
  readonly burnIn?: number
  readonly controlSocket?: string
  readonly cpgSocket?: string
  readonly logLevel?: LogLevel | 'silent'
}

/** Parses argv (without node and the script). Throws on a usage error. */
export function parseDaemonArgs(argv: readonly string[]): DaemonArgs {
  let v: ReturnType<typeof parse>['values']
  function parse(a: string[]) {
    return parseArgs({
      args: a,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' },
        nodeid: { type: 'string', short: 'n' },
        check: { type: 'boolean', short: 't' },
        'evs-trace': { type: 'string' },
        'burn-in': { type: 'string' },
        'control-socket': { type: 'string' },
        'cpg-socket': { type: 'string' },
        'log-level': { type: 'string', short: 'l' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    })
  }
  try {
    v = parse([...argv]).values
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  const out: {
    -readonly [K in keyof DaemonArgs]: DaemonArgs[K]
  } = {
    help: v.help === true,
    version: v.version === true,
    check: v.check === true,
    config: v.config ?? DEFAULT_CONFIG_FILE,
  }
  if (v.nodeid !== undefined) {
    const n = Number(v.nodeid)
    if (!/^\d+$/.test(v.nodeid) || !Number.isSafeInteger(n) || n < 1 || n > 0xffffffff)
      throw new UsageError(`--nodeid: expected an integer 1..4294967295, got '${v.nodeid}'`)
    out.nodeId = n
  }
  if (v['burn-in'] !== undefined) {
    const r = Number(v['burn-in'])
    if (!Number.isFinite(r) || r <= 0 || r > BURN_IN_RATE_MAX)
      throw new UsageError(
        `--burn-in: expected messages per second, 0 < RATE <= ${BURN_IN_RATE_MAX}, got '${v['burn-in']}'`,
      )
    out.burnIn = r
  }
  if (v['log-level'] !== undefined) {
    const l = v['log-level'] as LogLevel | 'silent'
    if (!LOG_LEVELS.includes(l))
      throw new UsageError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got '${l}'`)
    out.logLevel = l
  }
  if (v['evs-trace'] !== undefined) {
    if (v['evs-trace'] === '') throw new UsageError('--evs-trace: expected a file name')
    out.evsTrace = v['evs-trace']
  }
  if (v['control-socket'] !== undefined) {
    if (v['control-socket'] === '') throw new UsageError('--control-socket: expected a path')
    out.controlSocket = v['control-socket']
  }
  if (v['cpg-socket'] !== undefined) {
    if (v['cpg-socket'] === '') throw new UsageError('--cpg-socket: expected a path')
    out.cpgSocket = v['cpg-socket']
  }
  return out
}

const debugLevel = (d: DebugLevel): LogLevel =>
  d === 'trace' ? 'trace' : d === 'on' ? 'debug' : 'info'

async function load(
  file: string,
  io: Output,
): Promise<{ config: TotemNodeConfig; warnings: string } | undefined> {
  try {
    const { config, warnings } = await readConfigFile(file)
    return { config, warnings: formatConfigWarnings(warnings) }
  } catch (e) {
    if (e instanceof ConfigErrors) {
      const w = formatConfigWarnings(e.warnings)
      io.err(`${formatConfigErrors(e.errors, e.omitted)}\n${w === '' ? '' : `${w}\n`}`)
      return undefined
    }
    throw e
  }
}

/**
 * Runs `totemd` with `argv`. With `--help`, `--version`, `--check` or an error it resolves with
 * the exit status; a running daemon resolves when it has stopped (signal), with 0.
 */
export async function main(argv: readonly string[], io: Output = stdio): Promise<number> {
  let args: DaemonArgs
  try {
    args = parseDaemonArgs(argv)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    io.err(`totemd: ${e.message}\nTry 'totemd --help'.\n`)
    return 2
  }
  if (args.help) {
    io.out(HELP)
    return 0
  }
  if (args.version) {
    io.out(`totemd ${daemonVersion()}\n`)
    return 0
  }
  const loaded = await load(args.config, io)
  if (loaded === undefined) return 1
  const { config } = loaded
  if (args.check) {
    if (args.nodeId !== undefined && !config.nodes.some((n) => n.nodeId === args.nodeId)) {
      io.err(`${config.file}: nodelist: --nodeid ${args.nodeId} is not in the nodelist\n`)
      return 1
    }
    io.out(`${formatEffectiveConfig(config)}\n`)
    if (loaded.warnings !== '') io.err(`${loaded.warnings}\n`)
    io.err(`totemd: ${config.file}: configuration is valid\n`)
    return 0
  }
  const subsystems: Record<string, LogLevel> = {}
  for (const s of config.logging.subsystems) subsystems[s.subsys] = debugLevel(s.debug)
  const level = args.logLevel ?? debugLevel(config.logging.debug)
  const logger = createPinoLogger({ level, subsystems })
  if (loaded.warnings !== '') for (const w of loaded.warnings.split('\n')) logger.warn(w)
  return run(args, config, logger, level, io)
}

async function run(
  args: DaemonArgs,
  config: TotemNodeConfig,
  logger: DaemonLogger,
  level: LogLevel | 'silent',
  io: Output,
): Promise<number> {
  const fail = (e: unknown): number => {
    if (!isTotemError(e)) throw e
    logger.error(e.message, { code: e.code, ...e.details })
    logger.flush()
    io.err(`totemd: ${e.code}: ${e.message}\n`)
    return 1
  }
  let daemon: Daemon
  try {
    // Fail before anything opens when the node cannot be found (clear message, exit 1).
    findLocalNode(config, args.nodeId)
    daemon = await startDaemon({
      config,
      logger,
      version: daemonVersion(),
      logLevel: level,
      ...(args.nodeId === undefined ? {} : { nodeId: args.nodeId }),
      ...(args.evsTrace === undefined ? {} : { evsTrace: args.evsTrace }),
      ...(args.burnIn === undefined ? {} : { burnIn: args.burnIn }),
      ...(args.controlSocket === undefined ? {} : { controlSocket: args.controlSocket }),
      ...(args.cpgSocket === undefined ? {} : { cpgSocket: args.cpgSocket }),
    })
  } catch (e) {
    return fail(e)
  }
  return runUntilSignalled({ logger, stop: () => daemon.stop(), leaving: 'leaving the ring' })
}
