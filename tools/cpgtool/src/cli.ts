/**
 * `totem-cpgtool`: the closed process groups of a running totemd and their members, like
 * corosync-cpgtool. Exit status: 0 ok, 1 the daemon is not running or did not answer, 2 usage error.
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { isTotemError, TotemError } from '@totem-ts/common'
import { checkConfig, DEFAULT_STATE_DIR, formatConfigErrors } from '@totem-ts/config'
import { type CpgGroupInfo, initialize } from '@totem-ts/cpg'
import {
  CONTROL_SOCKET_NAME,
  ControlCommand,
  controlRequest,
  defaultCpgSocketPath,
} from '@totem-ts/stack'

/** The CPG socket totemd listens on with the default state dir. */
export const DEFAULT_CPG_SOCKET: string = defaultCpgSocketPath(DEFAULT_STATE_DIR)

const HELP = `Usage: totem-cpgtool [options]

Lists the closed process groups of the cluster and their members (pid, node id
and the node's addresses), as a running totemd sees them, like corosync-cpgtool.

Options:
  -c, --config FILE         find the sockets from this corosync.conf's state_dir
  -S, --socket PATH         totemd's CPG socket (default ${DEFAULT_CPG_SOCKET})
      --control-socket PATH totemd's control socket, asked for the nodes' addresses
                            (default: ${CONTROL_SOCKET_NAME} next to the CPG socket)
  -g, --group NAME          only this group
      --json                print the answer as JSON
      --timeout MS          give up after MS milliseconds (default 5000)
  -h, --help                show this help
      --version             print the version

Exit status: 0 ok, 1 totemd not running or no answer, 2 usage error.
`

/** Where the tool writes text (tests capture it). */
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

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string
    }
    return pkg.version ?? '0.0.0'
  } catch {
    return '0.0.0'
  }
}

interface Args {
  readonly socket?: string
  readonly controlSocket?: string
  readonly config?: string
  readonly group?: string
  readonly json: boolean
  readonly timeoutMs: number
  readonly help: boolean
  readonly version: boolean
}

function parseRaw(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string', short: 'c' },
      socket: { type: 'string', short: 'S' },
      'control-socket': { type: 'string' },
      group: { type: 'string', short: 'g' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  })
}

function parse(argv: readonly string[]): Args {
  let v: ReturnType<typeof parseRaw>['values']
  try {
    v = parseRaw(argv).values
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  const timeoutMs = v.timeout === undefined ? 5000 : Number(v.timeout)
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000)
    throw new UsageError(`--timeout: expected 1..600000 ms, got '${v.timeout}'`)
  if (v.socket !== undefined && v.config !== undefined)
    throw new UsageError('give --socket or --config, not both')
  for (const k of ['socket', 'control-socket', 'config', 'group'] as const)
    if (v[k] === '') throw new UsageError(`--${k}: expected a value`)
  return {
    ...(v.socket === undefined ? {} : { socket: v.socket }),
    ...(v['control-socket'] === undefined ? {} : { controlSocket: v['control-socket'] }),
    ...(v.config === undefined ? {} : { config: v.config }),
    ...(v.group === undefined ? {} : { group: v.group }),
    json: v.json === true,
    timeoutMs,
    help: v.help === true,
    version: v.version === true,
  }
}

/** A group member with the addresses of its node (empty when unknown). */
export interface ListedMember {
  readonly nodeId: number
  readonly pid: number
  readonly addresses: readonly string[]
}

/** One listed group. */
export interface ListedGroup {
  readonly group: string
  readonly members: readonly ListedMember[]
}

/**
 * Group names are bytes chosen by applications; corosync-cpgtool escapes what is not printable.
 * So does this: control characters and backslashes become `\xNN`.
 */
export function escapeGroupName(name: string): string {
  let s = ''
  for (const ch of name) {
    const c = ch.codePointAt(0) as number
    s += c < 0x20 || c === 0x7f || ch === '\\' ? `\\x${c.toString(16).padStart(2, '0')}` : ch
  }
  return s
}

/** corosync-cpgtool's layout: the group name, then one indented line per member. */
export function renderGroups(groups: readonly ListedGroup[]): string {
  let s = `${'Group Name'.padEnd(16)}${'PID'.padStart(10)}${'Node ID'.padStart(16)}\n`
  for (const g of groups) {
    s += `${escapeGroupName(g.group)}\n`
    for (const m of g.members) {
      const addr = m.addresses.length > 0 ? ` (${m.addresses.join(', ')})` : ''
      s += `${''.padEnd(16)}${String(m.pid).padStart(10)}${String(m.nodeId).padStart(16)}${addr}\n`
    }
  }
  return s
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string, path: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TotemError('ERR_CPGTOOL_NO_RESPONSE', `no answer from ${path} in ${ms} ms`, {
              details: { path, what },
            }),
          ),
        ms,
      )
    }),
  ]).finally(() => clearTimeout(timer))
}

/** Asks the CPG socket for the groups (a handle that joins nothing, finalized at once). */
async function listGroups(socket: string, timeoutMs: number): Promise<CpgGroupInfo[]> {
  let handle: Awaited<ReturnType<typeof initialize>> | undefined
  try {
    handle = await withTimeout(initialize({ socketPath: socket }), timeoutMs, 'connect', socket)
    return await withTimeout(handle.groups(), timeoutMs, 'groups', socket)
  } finally {
    if (handle !== undefined) await handle.finalize().catch(() => undefined)
  }
}

/** The nodes' addresses from the control socket's `members`; empty when it does not answer. */
async function addresses(controlSocket: string, timeoutMs: number): Promise<Map<number, string[]>> {
  const map = new Map<number, string[]>()
  try {
    const r = await controlRequest(controlSocket, ControlCommand.members, { timeoutMs })
    if (!r.ok) return map
    const members = (r.result as { members?: { nodeId: number; addresses: string[] }[] }).members
    for (const m of members ?? []) map.set(m.nodeId, m.addresses)
  } catch (e) {
    if (!isTotemError(e)) throw e
  }
  return map
}

function notRunning(e: TotemError, socket: string): string {
  const errno = e.details.errno
  if (errno === 'ENOENT' || errno === 'ECONNREFUSED')
    return `totemd is not running (no CPG socket at ${socket})`
  return `${e.code}: ${e.message}`
}

/** Runs the tool; resolves with the exit status. */
export async function main(argv: readonly string[], io: Output = stdio): Promise<number> {
  let args: Args
  try {
    args = parse(argv)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    io.err(`totem-cpgtool: ${e.message}\nTry 'totem-cpgtool --help'.\n`)
    return 2
  }
  if (args.help) {
    io.out(HELP)
    return 0
  }
  if (args.version) {
    io.out(`totem-cpgtool ${version()}\n`)
    return 0
  }
  let socket = args.socket ?? DEFAULT_CPG_SOCKET
  if (args.config !== undefined) {
    let bytes: Uint8Array
    try {
      bytes = readFileSync(args.config)
    } catch (e) {
      io.err(`totem-cpgtool: cannot read ${args.config} (${(e as NodeJS.ErrnoException).code})\n`)
      return 1
    }
    const r = checkConfig(bytes, args.config)
    if (r.config === undefined) {
      io.err(`${formatConfigErrors(r.errors, r.omitted)}\n`)
      return 1
    }
    socket = defaultCpgSocketPath(r.config.stateDir)
  }
  const controlSocket = args.controlSocket ?? join(dirname(socket), CONTROL_SOCKET_NAME)
  let groups: CpgGroupInfo[]
  try {
    groups = await listGroups(socket, args.timeoutMs)
  } catch (e) {
    if (!isTotemError(e)) throw e
    const message = notRunning(e, socket)
    if (args.json) io.out(`${JSON.stringify({ ok: false, error: { code: e.code, message } })}\n`)
    io.err(`totem-cpgtool: ${message}\n`)
    return 1
  }
  const addr = await addresses(controlSocket, args.timeoutMs)
  const listed: ListedGroup[] = groups
    .filter((g) => args.group === undefined || g.group === args.group)
    .sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0))
    .map((g) => ({
      group: g.group,
      members: [...g.members]
        .sort((a, b) => a.nodeId - b.nodeId || a.pid - b.pid)
        .map((m) => ({ nodeId: m.nodeId, pid: m.pid, addresses: addr.get(m.nodeId) ?? [] })),
    }))
  if (args.group !== undefined && listed.length === 0) {
    const message = `no group named ${escapeGroupName(args.group)}`
    if (args.json)
      io.out(`${JSON.stringify({ ok: false, error: { code: 'ERR_CPG_NOT_EXIST', message } })}\n`)
    io.err(`totem-cpgtool: ${message}\n`)
    return 1
  }
  if (args.json) io.out(`${JSON.stringify({ ok: true, groups: listed })}\n`)
  else io.out(renderGroups(listed))
  return 0
}
