/**
 * `totem-cfgtool`: asks a running totemd over its control socket. Exit status: 0 ok, 1 the
 * daemon is not running or the command failed, 2 usage error.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { isTotemError } from '@totem-ts/common'
import { checkConfig, DEFAULT_STATE_DIR, formatConfigErrors } from '@totem-ts/config'
import {
  ControlCommand,
  type ControlResponse,
  controlRequest,
  defaultControlSocketPath,
} from '@totem-ts/stack/control'
import { corosyncStats, flattenCounters } from './names.ts'

/** The socket totemd listens on with the default state dir. */
export const DEFAULT_SOCKET: string = defaultControlSocketPath(DEFAULT_STATE_DIR)

const HELP = `Usage: totem-cfgtool [options] (-s | -m | --stats | --stage-key | --reload-key | --ping | -r)

Shows and changes the state of a running totemd through its control socket,
like corosync-cfgtool.

Queries (exactly one):
  -s, --status          ring status: node id, ring id, state, members, crypto
  -m, --members         members of the current ring with their addresses
      --stats           every counter, under corosync's snake_case names
                        (orf_token_tx, mcast_retx, memb_join_tx, ...)
  -R, --reload-key      make totemd read its key file again and rotate to it
      --stage-key       make totemd read its key file again and accept that key on receive
                        only; run it on every node first, then --reload-key on every node,
                        and the key change drops nothing (a totem-gateway re-reads the
                        key file of each of its rings)
      --ping            check that totemd answers
  -r, --reenable        re-enable every redundant ring (clears the faults, cluster-wide)

Options:
  -c, --config FILE     find the socket from this corosync.conf's state_dir
  -S, --socket PATH     the control socket (default ${DEFAULT_SOCKET})
      --json            print the answer as JSON (every query)
      --timeout MS      give up after MS milliseconds (default 5000)
  -h, --help            show this help
      --version         print the version

Exit status: 0 ok, 1 totemd not running or the command failed, 2 usage error.
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

type Query = 'status' | 'members' | 'stats' | 'stage-key' | 'reload-key' | 'ping' | 'reenable'

interface Args {
  readonly query?: Query
  readonly socket?: string
  readonly config?: string
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
      status: { type: 'boolean', short: 's' },
      members: { type: 'boolean', short: 'm' },
      stats: { type: 'boolean' },
      'reload-key': { type: 'boolean', short: 'R' },
      'stage-key': { type: 'boolean' },
      ping: { type: 'boolean' },
      reenable: { type: 'boolean', short: 'r' },
      config: { type: 'string', short: 'c' },
      socket: { type: 'string', short: 'S' },
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
  const queries: Query[] = []
  if (v.status) queries.push('status')
  if (v.members) queries.push('members')
  if (v.stats) queries.push('stats')
  if (v['stage-key']) queries.push('stage-key')
  if (v['reload-key']) queries.push('reload-key')
  if (v.ping) queries.push('ping')
  if (v.reenable) queries.push('reenable')
  if (queries.length > 1) throw new UsageError(`give one query, not ${queries.join(' and ')}`)
  const timeoutMs = v.timeout === undefined ? 5000 : Number(v.timeout)
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000)
    throw new UsageError(`--timeout: expected 1..600000 ms, got '${v.timeout}'`)
  if (v.socket !== undefined && v.config !== undefined)
    throw new UsageError('give --socket or --config, not both')
  return {
    ...(queries[0] === undefined ? {} : { query: queries[0] }),
    ...(v.socket === undefined ? {} : { socket: v.socket }),
    ...(v.config === undefined ? {} : { config: v.config }),
    json: v.json === true,
    timeoutMs,
    help: v.help === true,
    version: v.version === true,
  }
}

const COMMAND: Readonly<Record<Query, string>> = {
  status: ControlCommand.status,
  members: ControlCommand.members,
  stats: ControlCommand.stats,
  'stage-key': ControlCommand.stageKey,
  'reload-key': ControlCommand.reloadKey,
  ping: ControlCommand.ping,
  reenable: 'ring-reenable',
}

interface RingLine {
  ringNo: number
  address: string
  port: number
  state: string
  inUse: boolean
  reportedFaultyBy?: number[]
}

/** corosync-cfgtool -s's ring block: `ring 1: FAULTY` (id = address, status = text). */
function renderRings(result: Record<string, unknown>): string {
  const rings = (result.rings as RingLine[] | undefined) ?? []
  if (rings.length === 0) return ''
  const text: Record<string, string> = {
    ok: 'active with no faults',
    suspect: 'active, problems counted',
    recovering: 'RECOVERING (probes clean, not yet back in use)',
    faulty: 'FAULTY',
  }
  let s = `Redundant ring mode ${result.rrpMode ?? 'none'}\n`
  for (const r of rings) {
    const by = r.reportedFaultyBy?.length
      ? ` (reported by node ${r.reportedFaultyBy.join(', ')})`
      : ''
    s += `ring ${r.ringNo}: ${r.state === 'faulty' ? 'FAULTY' : (text[r.state] ?? r.state)}${by}\n`
    s += `\tid = ${r.address}:${r.port}\n\tstatus = ${text[r.state] ?? r.state}\n`
  }
  return s
}

interface MultiringBlock {
  isGateway: boolean
  topologyId: string | null
  clock: number
  topology: { ring: string; lan: number; members: number[] }[]
  lans: {
    lan: number
    state: string
    ringId: string
    members: number[]
    /** The ring's key id; null or absent with crypto off (or from an older totem-gateway). */
    cryptoKeyId?: string | null
    rings?: { address: string; port: number }[]
  }[]
  forwarding?: Record<string, number>
  lag?: {
    lan: number
    delivered: number
    waiting: number
    meanMs: number
    maxMs: number
    lastMs: number
  }[]
}

/** The multiring block of `-s` (multiring nodes and gateways): topology, LANs, forwarding, lag. */
function renderMultiring(result: Record<string, unknown>): string {
  const m = result.multiring as MultiringBlock | undefined
  if (m === undefined) return ''
  let s =
    `Multiring ${m.isGateway ? 'gateway' : 'processor'}, topology ${m.topologyId ?? 'none yet'}, ` +
    `clock ${m.clock}\n`
  for (const r of m.topology)
    s += `  topology ring ${r.ring} (LAN ${r.lan}): ${r.members.join(' ')}\n`
  for (const l of m.lans) {
    const at = (l.rings ?? []).map((r) => `${r.address}:${r.port}`).join(' ')
    const key = l.cryptoKeyId == null ? '' : `, key id ${l.cryptoKeyId}`
    s += `LAN ${l.lan}: ring ${l.ringId} ${l.state}${at === '' ? '' : ` on ${at}`}, members ${l.members.join(' ')}${key}\n`
  }
  if (m.forwarding !== undefined) {
    const f = Object.entries(m.forwarding)
    s += `Forwarded: ${f.length === 0 ? 'nothing yet' : f.map(([d, n]) => `LAN ${d} ${n}`).join(', ')}\n`
  }
  for (const g of m.lag ?? [])
    s +=
      `Lag from LAN ${g.lan}: mean ${g.meanMs} ms, max ${g.maxMs} ms, last ${g.lastMs} ms ` +
      `(${g.delivered} delivered, ${g.waiting} waiting)\n`
  return s
}

/** What --stage-key and --reload-key did: one line, or one per ring of a gateway. */
function keyLines(what: string, result: Record<string, unknown>): string {
  const lans = result.lans as { lan: number; file: string; keyId: string }[] | undefined
  if (lans === undefined || lans.length <= 1)
    return `Key ${what} from ${result.file} (key id ${result.keyId})${what === 'staged' ? '; ' : '\n'}`
  return lans.map((l) => `LAN ${l.lan}: key ${what} from ${l.file} (key id ${l.keyId})\n`).join('')
}

function render(query: Query, result: Record<string, unknown>): string {
  switch (query) {
    case 'status': {
      const members = (result.members as number[] | undefined) ?? []
      const keyId = result.cryptoKeyId
      return (
        `Local node ID ${result.nodeId}${result.clusterName ? `, cluster ${result.clusterName}` : ''}\n` +
        `Ring ID ${result.ringId}\n` +
        `State ${result.state}\n` +
        `Members (${members.length}): ${members.join(' ')}\n` +
        `Crypto ${result.crypto ? `on${keyId === null || keyId === undefined ? '' : ` (key id ${keyId})`}` : 'off'}\n` +
        renderRings(result) +
        renderMultiring(result)
      )
    }
    case 'members': {
      const members =
        (result.members as { nodeId: number; addresses: string[] }[] | undefined) ?? []
      let s = `Membership of ring ${result.ringId} (${members.length} nodes):\n`
      for (const m of members)
        s += `  nodeid ${String(m.nodeId).padStart(10)}  ${m.addresses.join(' ')}\n`
      return s
    }
    case 'stats':
      return `${flattenCounters(corosyncStats(result))
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n')}\n`
    case 'stage-key':
      return `${keyLines('staged', result)}now --reload-key on every node\n`
    case 'reload-key':
      return keyLines('reloaded', result)
    case 'ping':
      return `totemd answers (pid ${result.pid})\n`
    case 'reenable':
      return 'Re-enabling all rings (every node clears its ring faults)\n'
  }
}

/** Runs the tool; resolves with the exit status. */
export async function main(argv: readonly string[], io: Output = stdio): Promise<number> {
  let args: Args
  try {
    args = parse(argv)
    if (!args.help && !args.version && args.query === undefined)
      throw new UsageError('give a query: -s, -m, --stats, --stage-key, --reload-key, --ping or -r')
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    io.err(`totem-cfgtool: ${e.message}\nTry 'totem-cfgtool --help'.\n`)
    return 2
  }
  if (args.help) {
    io.out(HELP)
    return 0
  }
  if (args.version) {
    io.out(`totem-cfgtool ${version()}\n`)
    return 0
  }
  let socket = args.socket ?? DEFAULT_SOCKET
  if (args.config !== undefined) {
    let bytes: Uint8Array
    try {
      bytes = readFileSync(args.config)
    } catch (e) {
      io.err(`totem-cfgtool: cannot read ${args.config} (${(e as NodeJS.ErrnoException).code})\n`)
      return 1
    }
    const r = checkConfig(bytes, args.config)
    if (r.config === undefined) {
      io.err(`${formatConfigErrors(r.errors, r.omitted)}\n`)
      return 1
    }
    socket = defaultControlSocketPath(r.config.stateDir)
  }
  const query = args.query as Query
  let r: ControlResponse
  try {
    r = await controlRequest(socket, COMMAND[query], { timeoutMs: args.timeoutMs })
  } catch (e) {
    if (!isTotemError(e)) throw e
    if (args.json)
      io.out(`${JSON.stringify({ ok: false, error: { code: e.code, message: e.message } })}\n`)
    io.err(`totem-cfgtool: ${e.message}\n`)
    return 1
  }
  if (!r.ok) {
    if (args.json) io.out(`${JSON.stringify({ ok: false, error: r.error })}\n`)
    io.err(`totem-cfgtool: ${r.error.code}: ${r.error.message}\n`)
    return 1
  }
  const result = (r.result ?? {}) as Record<string, unknown>
  if (args.json) {
    io.out(`${JSON.stringify(query === 'stats' ? corosyncStats(result) : result)}\n`)
  } else io.out(render(query, result))
  return 0
}
