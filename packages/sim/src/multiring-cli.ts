/**
 * `totem-sim-multiring` (`pnpm sim:multiring`): replays one multiring seed or runs many. The
 * sibling of `totem-sim` for worlds of several LANs joined by gateways. See `--help`.
 * Exit status: 0 when every run converged with no violation; 1 otherwise; 2 on a usage error.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { isTotemError } from '@totem-ts/common'
import { formatMultiringTraceEvent } from '@totem-ts/evs-checker'
import {
  type MultiringRunOptions,
  type MultiringRunResult,
  MultiringShape,
  runMultiringSeed,
} from './multiring-run.ts'
import { PROFILE_PRESETS } from './profile.ts'
import { parseSeed } from './regressions.ts'

const HELP = `Usage: totem-sim-multiring --seed S [options]     replay one seed
       totem-sim-multiring --seeds N [options]    run seeds F … F+N-1

Deterministic simulation of the Totem multiple-ring protocol (@totem-ts/multiring): 2–4 LANs in
a chain, a star or a cycle, each running srp, joined by 1–2 gateways per pair. Each seed draws
the layout and a fault profile (the single-ring faults on every LAN, gateway crashes and
restarts), runs a fault phase with load, heals, waits for one topology of all live nodes and
checks the multiring EVS trace: the nine EVS properties plus key order, key identity, Lamport
causality and forwarding hygiene.

Options:
  --seed S           replay seed S (decimal or 0x hex)
  --seeds N          run N seeds
  --first-seed F     first seed of --seeds (default 0)
  --shape NAME       chain, star or cycle (default: drawn)
  --rings N          LANs, 2–4 (default: drawn)
  --members N        ordinary nodes per LAN (default: drawn 1–3)
  --gateways N       gateways per joined pair, 1 or 2 (default: drawn)
  --profile NAME     ${Object.keys(PROFILE_PRESETS).join(', ')} (default swarm)
  --trace FILE       with --seed: write the multiring EVS trace as JSON Lines
  --debug            with --seed: print every live node's multiring state at the end (its
                     topology, clock, what it last delivered, why delivery stops, ring table)
  --record           append failing seeds to packages/sim/multiring-regressions.json
  --verbose          one line per run
  -h, --help         show this help
`

/** A recorded multiring seed (multiring-regressions.json). */
export interface MultiringRegression {
  readonly seed: string
  readonly shape?: string
  readonly rings?: number
  readonly members?: number
  readonly gatewaysPerPair?: number
  readonly preset?: string
  readonly property: string
  readonly note: string
}

/** Where multiring regressions live (next to package.json). */
export const MULTIRING_REGRESSIONS_PATH: string = fileURLToPath(
  new URL('../multiring-regressions.json', import.meta.url),
)

/** Reads the multiring regressions (an empty list when the file is absent). */
export function loadMultiringRegressions(
  path: string = MULTIRING_REGRESSIONS_PATH,
): MultiringRegression[] {
  if (!existsSync(path)) return []
  return JSON.parse(readFileSync(path, 'utf8')) as MultiringRegression[]
}

/** Run options of a recorded seed. */
export function regressionOptions(r: MultiringRegression): MultiringRunOptions {
  return {
    seed: parseSeed(r.seed),
    ...(r.shape !== undefined ? { shape: r.shape as MultiringShape } : {}),
    ...(r.rings !== undefined ? { rings: r.rings } : {}),
    ...(r.members !== undefined ? { members: r.members } : {}),
    ...(r.gatewaysPerPair !== undefined ? { gatewaysPerPair: r.gatewaysPerPair } : {}),
    ...(r.preset !== undefined ? { preset: r.preset } : {}),
  }
}

class UsageError extends Error {}

const keyText = (k: unknown): string => {
  const x = k as { ts?: number; ring?: { rep: number; seq: bigint | string }; rank?: number }
  return x?.ring === undefined ? '-' : `${x.ts}@${x.ring.rep}.${x.ring.seq}/${x.rank}`
}

/**
 * Every node's multiring state (`debugState()`) as text: one header line per node (topology,
 * clock, last delivered key, why delivery stops) and one line per ring of its table.
 */
export function formatDebugStates(states: Readonly<Record<number, unknown>>): string {
  const lines: string[] = []
  for (const [id, raw] of Object.entries(states)) {
    const s = raw as {
      topo?: string[]
      clock?: number
      lastDelivered?: unknown
      blocked?: string
      pending?: number
      table?: {
        k: string
        lan: number
        members: number[]
        list: number
        head?: unknown
        maxTs: number
        ended: boolean
        endTs: number
        closed: boolean
      }[]
    }
    lines.push(
      `node ${id}: topology [${(s.topo ?? []).join(' ')}] clock ${s.clock} last ${keyText(s.lastDelivered)} pending ${s.pending ?? 0}`,
      `  blocked: ${s.blocked ?? '?'}`,
    )
    for (const e of s.table ?? [])
      lines.push(
        `  ring ${e.k} lan ${e.lan} [${e.members.join(',')}] held ${e.list}${e.list > 0 ? ` from ${keyText(e.head)}` : ''} max ${e.maxTs}${e.ended ? ` ended at ${e.endTs}` : ''}${e.closed ? ' closed' : ''}`,
      )
  }
  return `${lines.join('\n')}\n`
}

const int = (v: string | undefined, name: string, min: number, max: number): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`${name} must be ${min}..${max}`)
  return n
}

function report(r: MultiringRunResult, verbose: boolean): string {
  const l = r.layout
  const head = `${r.ok ? 'ok  ' : 'FAIL'} seed 0x${r.seed.toString(16)} ${l.shape} ${l.lans.length} rings ${l.lans.map((x) => x.length).join('+')} nodes, ${l.gateways.length} gateways, ${r.counts.sent} sent, ${r.counts.delivered} delivered, ${r.counts.topologies} topology changes, ${r.counts.gatewayCrashes}/${r.counts.crashes} gateway crashes, max latency ${r.counts.maxLatencyMs.toFixed(0)} ms`
  if (r.ok && !verbose) return `${head}\n`
  const lines = [head]
  for (const v of r.violations.slice(0, 5))
    lines.push(`  ${v.property}: ${v.message} ${JSON.stringify(v.details)}`)
  if (!r.ok) {
    for (const e of r.tail) lines.push(`  | ${formatMultiringTraceEvent(e)}`)
    lines.push(`replay: ${r.replay}`)
  }
  return `${lines.join('\n')}\n`
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        seed: { type: 'string' },
        seeds: { type: 'string' },
        'first-seed': { type: 'string' },
        shape: { type: 'string' },
        rings: { type: 'string' },
        members: { type: 'string' },
        gateways: { type: 'string' },
        profile: { type: 'string' },
        trace: { type: 'string' },
        debug: { type: 'boolean' },
        record: { type: 'boolean' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    })
    if (values.help === true) {
      process.stdout.write(HELP)
      return 0
    }
    const shape = values.shape
    if (shape !== undefined && !Object.values(MultiringShape).includes(shape as MultiringShape))
      throw new UsageError('--shape must be chain, star or cycle')
    const preset = values.profile ?? 'swarm'
    if (PROFILE_PRESETS[preset] === undefined) throw new UsageError(`unknown profile ${preset}`)
    const rings = int(values.rings, '--rings', 2, 8)
    const members = int(values.members, '--members', 0, 16)
    const gatewaysPerPair = int(values.gateways, '--gateways', 1, 2)
    const base = {
      ...(shape !== undefined ? { shape: shape as MultiringShape } : {}),
      ...(rings !== undefined ? { rings } : {}),
      ...(members !== undefined ? { members } : {}),
      ...(gatewaysPerPair !== undefined ? { gatewaysPerPair } : {}),
      preset,
    }
    const failures: MultiringRegression[] = []
    const note = (o: MultiringRunOptions, r: MultiringRunResult): void => {
      if (r.ok) return
      failures.push({
        seed: `0x${o.seed.toString(16)}`,
        ...(o.shape !== undefined ? { shape: o.shape } : {}),
        ...(o.rings !== undefined ? { rings: o.rings } : {}),
        ...(o.members !== undefined ? { members: o.members } : {}),
        ...(o.gatewaysPerPair !== undefined ? { gatewaysPerPair: o.gatewaysPerPair } : {}),
        ...(preset !== 'swarm' ? { preset } : {}),
        property: r.violations[0]?.property ?? 'liveness',
        note: r.violations[0]?.message ?? 'did not converge',
      })
    }
    let status = 0
    if (values.seed !== undefined) {
      const o = {
        ...base,
        seed: parseSeed(values.seed),
        keepTrace: values.trace !== undefined,
        ...(values.debug === true ? { debug: true } : {}),
      }
      const r = await runMultiringSeed(o)
      if (values.trace !== undefined)
        writeFileSync(
          values.trace,
          `${(r.trace ?? []).map(formatMultiringTraceEvent).join('\n')}\n`,
        )
      process.stdout.write(report(r, values.verbose === true))
      if (r.debug !== undefined) process.stdout.write(formatDebugStates(r.debug))
      note(o, r)
      status = r.ok ? 0 : 1
    } else if (values.seeds !== undefined) {
      if (values.debug === true) throw new UsageError('--debug goes with --seed')
      const n = int(values.seeds, '--seeds', 1, 10_000_000) as number
      const first = values['first-seed'] === undefined ? 0 : parseSeed(values['first-seed'])
      let ok = 0
      const props = new Map<string, number>()
      for (let i = 0; i < n; i++) {
        const o = { ...base, seed: first + i }
        const r = await runMultiringSeed(o)
        if (r.ok) ok++
        else {
          const p = r.violations[0]?.property ?? 'liveness'
          props.set(p, (props.get(p) ?? 0) + 1)
        }
        if (!r.ok || values.verbose === true) process.stdout.write(report(r, false))
        note(o, r)
      }
      process.stdout.write(
        `${n} seeds from 0x${first.toString(16)}: ${ok} ok, ${n - ok} failed${props.size > 0 ? ` (${[...props].map(([p, c]) => `${p} ${c}`).join(', ')})` : ''}\n`,
      )
      status = ok === n ? 0 : 1
    } else throw new UsageError('give --seed or --seeds (see --help)')
    if (values.record === true && failures.length > 0) {
      const all = loadMultiringRegressions()
      const known = new Set(all.map((r) => JSON.stringify({ ...r, property: '', note: '' })))
      for (const f of failures)
        if (!known.has(JSON.stringify({ ...f, property: '', note: '' }))) all.push(f)
      writeFileSync(MULTIRING_REGRESSIONS_PATH, `${JSON.stringify(all, null, 2)}\n`)
    }
    return status
  } catch (e) {
    if (e instanceof UsageError || (isTotemError(e) && e.code === 'ERR_INVALID_ARGUMENT')) {
      process.stderr.write(`totem-sim-multiring: ${(e as Error).message}\n`)
      return 2
    }
    if (
      e instanceof TypeError &&
      String((e as { code?: string }).code).startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`totem-sim-multiring: ${e.message}\n`)
      return 2
    }
    throw e
  }
}
