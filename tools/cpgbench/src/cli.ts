/**
 * `totem-cpgbench`: CPG throughput and self-delivery latency against a running totemd, like
 * corosync's cpgbench. Exit status: 0 ok, 1 the run failed (daemon not running or lost, a
 * timeout, I/O), 2 usage error.
 */

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, hostname } from 'node:os'
import { dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { type Guarantee, isTotemError } from '@totem-ts/common'
import { checkConfig, DEFAULT_STATE_DIR, formatConfigErrors } from '@totem-ts/config'
import { CONTROL_SOCKET_NAME, defaultCpgSocketPath } from '@totem-ts/stack'
import { type BenchResult, type Progress, runBench, type StepResult } from './bench.ts'
import { HEADER_BYTES } from './payload.ts'
import { openBenchTrace } from './trace.ts'

/** The CPG socket totemd listens on with the default state dir. */
export const DEFAULT_CPG_SOCKET: string = defaultCpgSocketPath(DEFAULT_STATE_DIR)
/** The default sizes: 64 B doubling to 64 KiB. */
export const DEFAULT_SIZES: readonly number[] = Array.from({ length: 11 }, (_, i) => 64 << i)
/** Largest message size (the CPG limit, 1 MiB). */
export const SIZE_MAX: number = 1024 * 1024

const HELP = `Usage: totem-cpgbench [options]

Joins a CPG group on a running totemd and, for each message size, multicasts
for a while with a window of outstanding messages; reports messages/s, MB/s
(10^6 bytes) and the self-delivery latency p50/p90/p99 of its own messages, and
counts what it delivers from every sender. Run one instance per node with
--members N to measure N senders; steps are aligned across instances.

Options:
  -c, --config FILE       find the sockets from this corosync.conf's state_dir
  -S, --socket PATH       totemd's CPG socket (default ${DEFAULT_CPG_SOCKET})
      --control-socket P  totemd's control socket, for --trace's first ring
                          (default: ${CONTROL_SOCKET_NAME} next to the CPG socket)
  -g, --group NAME        the group (default cpgbench)
      --sizes LIST        sizes in bytes: 'A-B' doubles from A to B, or 'A,B,C';
                          k/K suffix = 1024 (default 64-64k, minimum ${HEADER_BYTES})
  -d, --duration SEC      seconds per size (default 3)
  -w, --window N          own messages in flight (sent, not yet delivered
                          back) (default 64)
      --guarantee G       agreed | safe (default agreed)
      --members N         wait for N members in the group before starting
                          (default 1)
      --receive-only      send no load; count deliveries (and take part in
                          the barriers)
      --timeout SEC       bound on every wait: members, barriers, a
                          self-delivery (default 30)
      --trace FILE        write this instance's EVS trace (JSON Lines)
      --out DIR           write the results as JSON to DIR (default bench-results)
      --no-save           do not write the JSON file
      --json              print the results as JSON on stdout instead of a table
  -q, --quiet             no progress lines on stderr
  -h, --help              show this help
      --version           print the version

Exit status: 0 ok, 1 the run failed (totemd not running or lost, a timeout),
2 usage error.
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

/** A bad command line (exit 2). */
export class UsageError extends Error {
  readonly code = 'ERR_CPGBENCH_USAGE'
}

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

function parseSize(s: string): number {
  const m = /^(\d+)([kK]?)$/.exec(s.trim())
  if (m === null) throw new UsageError(`--sizes: '${s}' is not a size`)
  const n = Number(m[1]) * (m[2] === '' ? 1 : 1024)
  if (!Number.isSafeInteger(n) || n < HEADER_BYTES || n > SIZE_MAX)
    throw new UsageError(`--sizes: ${s} is outside ${HEADER_BYTES}..${SIZE_MAX} bytes`)
  return n
}

/** Parses `--sizes`: `A-B` (doubling from A while ≤ B) or a comma list. At most 64 sizes. */
export function parseSizes(text: string): number[] {
  let sizes: number[]
  const range = /^([^,-]+)-([^,-]+)$/.exec(text)
  if (range !== null) {
    const a = parseSize(range[1] as string)
    const b = parseSize(range[2] as string)
    if (b < a) throw new UsageError(`--sizes: ${text} is an empty range`)
    sizes = []
    for (let s = a; s <= b; s *= 2) sizes.push(s)
  } else sizes = text.split(',').map(parseSize)
  if (sizes.length === 0 || sizes.length > 64) throw new UsageError('--sizes: give 1 to 64 sizes')
  return sizes
}

function num(
  name: string,
  v: string | undefined,
  dflt: number,
  min: number,
  max: number,
  int: boolean,
): number {
  if (v === undefined) return dflt
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max || (int && !Number.isInteger(n)))
    throw new UsageError(
      `--${name}: expected ${int ? 'an integer' : 'a number'} in ${min}..${max}, got '${v}'`,
    )
  return n
}

/** The parsed command line. */
export interface Args {
  readonly socket?: string
  readonly controlSocket?: string
  readonly config?: string
  readonly group: string
  readonly sizes: readonly number[]
  readonly durationMs: number
  readonly window: number
  readonly guarantee: Guarantee
  readonly members: number
  readonly send: boolean
  readonly timeoutMs: number
  readonly trace?: string
  readonly out?: string
  readonly json: boolean
  readonly quiet: boolean
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
      sizes: { type: 'string' },
      duration: { type: 'string', short: 'd' },
      window: { type: 'string', short: 'w' },
      guarantee: { type: 'string' },
      members: { type: 'string' },
      'receive-only': { type: 'boolean' },
      timeout: { type: 'string' },
      trace: { type: 'string' },
      out: { type: 'string' },
      'no-save': { type: 'boolean' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  })
}

/** Parses and checks the command line; throws {@link UsageError}. */
export function parseCommandLine(argv: readonly string[]): Args {
  let v: ReturnType<typeof parseRaw>['values']
  try {
    v = parseRaw(argv).values
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  if (v.socket !== undefined && v.config !== undefined)
    throw new UsageError('give --socket or --config, not both')
  if (v.out !== undefined && v['no-save']) throw new UsageError('give --out or --no-save, not both')
  for (const k of ['socket', 'control-socket', 'config', 'group', 'trace', 'out'] as const)
    if (v[k] === '') throw new UsageError(`--${k}: expected a value`)
  const g = v.guarantee ?? 'agreed'
  if (g !== 'agreed' && g !== 'safe')
    throw new UsageError(`--guarantee: expected agreed or safe, got '${g}'`)
  const group = v.group ?? 'cpgbench'
  if (Buffer.byteLength(group) > 128) throw new UsageError('--group: at most 128 bytes of UTF-8')
  return {
    ...(v.socket === undefined ? {} : { socket: v.socket }),
    ...(v['control-socket'] === undefined ? {} : { controlSocket: v['control-socket'] }),
    ...(v.config === undefined ? {} : { config: v.config }),
    group,
    sizes: v.sizes === undefined ? DEFAULT_SIZES : parseSizes(v.sizes),
    durationMs: Math.round(num('duration', v.duration, 3, 0.1, 3600, false) * 1000),
    window: num('window', v.window, 64, 1, 100_000, true),
    guarantee: g,
    members: num('members', v.members, 1, 1, 1024, true),
    send: v['receive-only'] !== true,
    timeoutMs: Math.round(num('timeout', v.timeout, 30, 1, 3600, false) * 1000),
    ...(v.trace === undefined ? {} : { trace: v.trace }),
    ...(v['no-save'] ? {} : { out: v.out ?? 'bench-results' }),
    json: v.json === true,
    quiet: v.quiet === true,
    help: v.help === true,
    version: v.version === true,
  }
}

function fmtSize(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / 1024 / 1024} MiB`
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`
  return `${n} B`
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US')
const us = (n: number | undefined): string => (n === undefined ? '-' : int(n))

/** The results as a text table (one line per size). */
export function renderTable(r: BenchResult): string {
  const head = [
    'size',
    'sent msg/s',
    'deliv msg/s',
    'deliv MB/s',
    'p50 µs',
    'p90 µs',
    'p99 µs',
    'try-again',
  ]
  const rows = r.steps.map((s: StepResult) => [
    fmtSize(s.size),
    int(s.sentPerS),
    int(s.deliveredPerS),
    s.deliveredMBps.toFixed(2),
    us(s.latencyUs?.p50),
    us(s.latencyUs?.p90),
    us(s.latencyUs?.p99),
    int(s.tryAgain),
  ])
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(w[i] as number) : c.padStart(w[i] as number)))
      .join('  ')
  return (
    `node ${r.node} pid ${r.pid}, group ${r.group}, ${r.guarantee}, window ${r.window}, ` +
    `${r.durationS} s per size, ${r.members} member(s)${r.send ? '' : ', receive only'}\n` +
    `${[line(head), ...rows.map(line)].join('\n')}\n`
  )
}

function progressLine(p: Progress): string {
  const l = p.latencyUs
  return (
    `cpgbench ${fmtSize(p.size).padStart(7)} ${p.elapsedS.toFixed(1).padStart(5)} s: ` +
    `sent ${int(p.sentPerS)}/s, delivered ${int(p.deliveredPerS)}/s, ` +
    `${p.deliveredMBps.toFixed(2)} MB/s` +
    (l === null ? '' : `, p50 ${int(l.p50)} µs, p99 ${int(l.p99)} µs`) +
    '\n'
  )
}

/** `nproc` and the CPU model, recorded with the results. */
export function machine(): { nproc: number; cpu: string; host: string } {
  return { nproc: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', host: hostname() }
}

/** Runs the tool; resolves with the exit status. */
export async function main(argv: readonly string[], io: Output = stdio): Promise<number> {
  let args: Args
  try {
    args = parseCommandLine(argv)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    io.err(`totem-cpgbench: ${e.message}\nTry 'totem-cpgbench --help'.\n`)
    return 2
  }
  if (args.help) {
    io.out(HELP)
    return 0
  }
  if (args.version) {
    io.out(`totem-cpgbench ${version()}\n`)
    return 0
  }
  let socket = args.socket ?? DEFAULT_CPG_SOCKET
  if (args.config !== undefined) {
    let bytes: Uint8Array
    try {
      bytes = readFileSync(args.config)
    } catch (e) {
      io.err(`totem-cpgbench: cannot read ${args.config} (${(e as NodeJS.ErrnoException).code})\n`)
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
  const startedAt = new Date()
  const tracePath = args.trace
  let result: BenchResult
  try {
    result = await runBench({
      socket,
      controlSocket,
      group: args.group,
      sizes: args.sizes,
      durationMs: args.durationMs,
      window: args.window,
      guarantee: args.guarantee,
      members: args.members,
      send: args.send,
      waitTimeoutMs: args.timeoutMs,
      ...(tracePath === undefined
        ? {}
        : { openTrace: (node: number) => openBenchTrace(tracePath, node) }),
      ...(args.quiet ? {} : { onProgress: (p: Progress) => io.err(progressLine(p)) }),
    })
  } catch (e) {
    if (!isTotemError(e)) throw e
    if (args.json)
      io.out(`${JSON.stringify({ ok: false, error: { code: e.code, message: e.message } })}\n`)
    io.err(`totem-cpgbench: ${e.message}\n`)
    return 1
  }
  const doc = {
    ok: true,
    tool: 'totem-cpgbench',
    version: version(),
    startedAt: startedAt.toISOString(),
    machine: machine(),
    ...result,
  }
  if (args.out !== undefined) {
    const stamp = startedAt.toISOString().replace(/[:.]/g, '-')
    const file = join(args.out, `cpgbench-${stamp}-n${result.node}-p${result.pid}.json`)
    try {
      mkdirSync(args.out, { recursive: true })
      writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`)
    } catch (e) {
      io.err(`totem-cpgbench: cannot write ${file} (${(e as NodeJS.ErrnoException).code})\n`)
      return 1
    }
    if (!args.quiet) io.err(`cpgbench: results in ${file}\n`)
  }
  io.out(args.json ? `${JSON.stringify(doc)}\n` : renderTable(result))
  return 0
}
