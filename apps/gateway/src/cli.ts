/**
 * `totem-gateway`'s command line: parsing, `--help`, `--version`, `--check`, and the foreground
 * run with its signal handling. Exit status: 0 ok (also after SIGTERM/SIGINT), 1 config or
 * runtime error, 2 usage error.
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
import { type Gateway, startGateway } from './gateway.ts'

/** Most rings one gateway joins (one `-c` each). */
export const GATEWAY_RINGS_MAX = 8

/** The package version (from package.json, next to src/ and dist/ alike). */
export function gatewayVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string
    }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

const HELP = `Usage: totem-gateway -c RING_A.conf -c RING_B.conf [...] [options]

Runs one totem-ts gateway in the foreground: a processor on two or more rings
(LANs), one corosync.conf per ring, joined by the Totem multiple-ring protocol.
It forwards every message between its rings so that every processor of every
ring delivers one total order. Each config needs totem { multiring: on } and its
own multiring_lan; the gateway has the same node id in every nodelist, and node
ids are unique across all rings. Nodes of each ring run totemd with the same
config (multiring: on). Logs are JSON lines on stderr (pino).

Options:
  -c, --config FILE         a ring's corosync.conf; give one per ring (2..${GATEWAY_RINGS_MAX})
  -n, --nodeid N            this gateway's node id (default: corosync 2's
                            totem.nodeid, else the node whose ring0_addr is local
                            in the first config)
  -t, --check               validate the configs and print the effective settings;
                            start nothing (exit 0 valid, 1 invalid)
      --evs-trace FILE      append the EVS trace with the multiring extension
                            (JSON Lines) to FILE
      --control-socket PATH control socket for totem-cfgtool (default
                            <state_dir of the first config>/totemd.sock)
      --cpg-socket PATH     CPG client socket (default <state_dir>/cpg.sock)
  -l, --log-level LEVEL     error, warn, info, debug, trace or silent
                            (default: info, or debug when logging.debug is on)
  -h, --help                show this help
  -v, --version             print the version

Status: totem-cfgtool -s -S <control socket> shows the rings, forwarding
counters and delivery lag; --stats shows every counter.

Signals: SIGTERM or SIGINT leave every ring in an orderly way and exit 0; a
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
export interface GatewayArgs {
  readonly help: boolean
  readonly version: boolean
  readonly check: boolean
  readonly configs: readonly string[]
  readonly nodeId?: number
  readonly evsTrace?: string
  readonly controlSocket?: string
  readonly cpgSocket?: string
  readonly logLevel?: LogLevel | 'silent'
}

/** Parses argv (without node and the script). Throws on a usage error. */
export function parseGatewayArgs(argv: readonly string[]): GatewayArgs {
  let v: ReturnType<typeof parse>['values']
  function parse(a: string[]) {
    return parseArgs({
      args: a,
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c', multiple: true },
        nodeid: { type: 'string', short: 'n' },
        check: { type: 'boolean', short: 't' },
        'evs-trace': { type: 'string' },
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
    -readonly [K in keyof GatewayArgs]: GatewayArgs[K]
  } = {
    help: v.help === true,
    version: v.version === true,
    check: v.check === true,
    configs: v.config ?? [],
  }
  if (out.help || out.version) return out
  if (out.configs.length < 2)
    throw new UsageError(`a gateway joins two or more rings: give -c FILE once per ring`)
  if (out.configs.length > GATEWAY_RINGS_MAX)
    throw new UsageError(`at most ${GATEWAY_RINGS_MAX} rings (-c), got ${out.configs.length}`)
  if (new Set(out.configs).size !== out.configs.length)
    throw new UsageError('the same config file is given twice')
  if (v.nodeid !== undefined) {
    const n = Number(v.nodeid)
    if (!/^\d+$/.test(v.nodeid) || !Number.isSafeInteger(n) || n < 1 || n > 0xffffffff)
      throw new UsageError(`--nodeid: expected an integer 1..4294967295, got '${v.nodeid}'`)
    out.nodeId = n
  }
  if (v['log-level'] !== undefined) {
    const l = v['log-level'] as LogLevel | 'silent'
    if (!LOG_LEVELS.includes(l))
      throw new UsageError(`--log-level: expected one of ${LOG_LEVELS.join(', ')}, got '${l}'`)
    out.logLevel = l
  }
  for (const [opt, key] of [
    ['evs-trace', 'evsTrace'],
    ['control-socket', 'controlSocket'],
    ['cpg-socket', 'cpgSocket'],
  ] as const) {
    const s = v[opt]
    if (s === undefined) continue
    if (s === '') throw new UsageError(`--${opt}: expected a path`)
    out[key] = s
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
 * The rules across the configs of one gateway, checked before anything opens: multiring on in
 * each, distinct LAN numbers, the node in every nodelist. Returns an error message or undefined.
 */
export function checkGatewayConfigs(
  configs: readonly TotemNodeConfig[],
  nodeId: number | undefined,
): string | undefined {
  const lans = new Map<number, string>()
  for (const c of configs) {
    if (c.multiring === undefined)
      return `${c.file}: totem: multiring is not on (a gateway joins multiring rings only: add 'multiring: on')`
    const other = lans.get(c.multiring.lan)
    if (other !== undefined)
      return `${c.file}: totem.multiring_lan: LAN ${c.multiring.lan} is also the LAN of ${other} (each ring needs its own multiring_lan)`
    lans.set(c.multiring.lan, c.file)
  }
  const id = nodeId ?? configs.find((c) => c.localNodeId !== undefined)?.localNodeId
  if (id !== undefined)
    for (const c of configs)
      if (!c.nodes.some((n) => n.nodeId === id))
        return `${c.file}: nodelist: node id ${id} is not in the nodelist (a gateway has the same node id on every ring)`
  return undefined
}

/**
 * Runs `totem-gateway` with `argv`. With `--help`, `--version`, `--check` or an error it resolves
 * with the exit status; a running gateway resolves when it has stopped (signal), with 0.
 */
export async function main(argv: readonly string[], io: Output = stdio): Promise<number> {
  let args: GatewayArgs
  try {
    args = parseGatewayArgs(argv)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    io.err(`totem-gateway: ${e.message}\nTry 'totem-gateway --help'.\n`)
    return 2
  }
  if (args.help) {
    io.out(HELP)
    return 0
  }
  if (args.version) {
    io.out(`totem-gateway ${gatewayVersion()}\n`)
    return 0
  }
  const configs: TotemNodeConfig[] = []
  const warnings: string[] = []
  for (const file of args.configs) {
    const loaded = await load(file, io)
    if (loaded === undefined) return 1
    configs.push(loaded.config)
    if (loaded.warnings !== '') warnings.push(loaded.warnings)
  }
  const bad = checkGatewayConfigs(configs, args.nodeId)
  if (bad !== undefined) {
    io.err(`${bad}\n`)
    return 1
  }
  if (args.check) {
    for (const c of configs) io.out(`# ${c.file}\n${formatEffectiveConfig(c)}\n`)
    for (const w of warnings) io.err(`${w}\n`)
    io.err(`totem-gateway: ${configs.length} configurations are valid\n`)
    return 0
  }
  const first = configs[0] as TotemNodeConfig
  const subsystems: Record<string, LogLevel> = {}
  for (const s of first.logging.subsystems) subsystems[s.subsys] = debugLevel(s.debug)
  const level = args.logLevel ?? debugLevel(first.logging.debug)
  const logger = createPinoLogger({ level, subsystems })
  for (const w of warnings) for (const line of w.split('\n')) logger.warn(line)
  return run(args, configs, logger, level, io)
}

async function run(
  args: GatewayArgs,
  configs: readonly TotemNodeConfig[],
  logger: DaemonLogger,
  level: LogLevel | 'silent',
  io: Output,
): Promise<number> {
  const fail = (e: unknown): number => {
    if (!isTotemError(e)) throw e
    logger.error(e.message, { code: e.code, ...e.details })
    logger.flush()
    io.err(`totem-gateway: ${e.code}: ${e.message}\n`)
    return 1
  }
  let gw: Gateway
  try {
    gw = await startGateway({
      configs,
      logger,
      version: gatewayVersion(),
      logLevel: level,
      ...(args.nodeId === undefined ? {} : { nodeId: args.nodeId }),
      ...(args.evsTrace === undefined ? {} : { evsTrace: args.evsTrace }),
      ...(args.controlSocket === undefined ? {} : { controlSocket: args.controlSocket }),
      ...(args.cpgSocket === undefined ? {} : { cpgSocket: args.cpgSocket }),
    })
  } catch (e) {
    return fail(e)
  }
  return runUntilSignalled({ logger, stop: () => gw.stop(), leaving: 'leaving every ring' })
}
