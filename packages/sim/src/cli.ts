/**
 * `totem-sim`: replays one seed or runs many. See `--help`.
 * Exit status: 0 when every run converged after the heal with no EVS violation; 1 otherwise;
 * 2 on a usage error. Wall-clock time is used for the progress line only; runs are virtual.
 */
import { writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import { isTotemError } from '@totem-ts/common'
import { formatTraceEvent } from '@totem-ts/evs-checker'
import type { SrpTestFaults } from '@totem-ts/srp'
import { DEFAULT_NODE_RANGE, type NodeRange, PROFILE_PRESETS, parseNodeRange } from './profile.ts'
import { addRegressions, parseSeed, type Regression } from './regressions.ts'
import { formatRunReport } from './report.ts'
import { formatSeed, type RunResult, runSeed } from './run.ts'
import { addRun, digest, emptySummary, formatSummary, type RunDigest } from './summary.ts'
import type { WorkerJob } from './worker.ts'

const SRP_FAULTS = ['deliverSafeEarly', 'skipTransitional', 'ignoreDeliverSet'] as const

const HELP = `Usage: totem-sim --seed S [options]        replay one seed
       totem-sim --seeds N [options]       run seeds F, F+1, … F+N-1

Deterministic simulation of the Totem single-ring protocol (@totem-ts/srp): each seed draws
a fault profile (loss, duplication, delay and reordering, partitions: isolate / split /
asymmetric, crashes, orderly stops and restarts, clogging, token hold), runs a fault phase
with load on every node, heals the network, waits for the ring to converge, and checks the
EVS trace (integrity, self delivery, agreed order, FIFO, same view, configuration order,
virtual synchrony, safe delivery, liveness after the heal).

Options:
  --seed S           replay seed S (decimal or 0x hex)
  --seeds N          run N seeds
  --first-seed F     first seed of --seeds (default 0)
  --nodes N|A-B      cluster size, or a range each seed draws from (default 2-9)
  --profile NAME     profile family: ${Object.keys(PROFILE_PRESETS).join(', ')} (default swarm)
  --trace FILE       with --seed: write the run's EVS trace as JSON Lines
  --tail N           trace events shown for a failure (default 40)
  --jobs K           with --seeds: run seeds in K worker threads (default 1)
  --srp-fault NAME   switch on a test-only srp bug (${SRP_FAULTS.join(', ')}); repeatable
  --no-record        do not append failing seeds to packages/sim/regressions.json
  --verbose          with --seed: print the profile and counts; with --seeds: one line per run
  -h, --help         show this help

Exit status: 0 if every run converged after the heal with no violation, 1 if not, 2 on a
usage error.

Examples:
  totem-sim --seed 0x1234 --nodes 3 --trace t.jsonl
  totem-sim --seeds 5000 --nodes 2-9 --jobs 2
`

class UsageError extends Error {}

function usage(msg: string): never {
  throw new UsageError(msg)
}

interface Batch {
  readonly nodes: NodeRange
  readonly nodesGiven: boolean
  readonly preset: string
  readonly testFaults: SrpTestFaults | undefined
  readonly record: boolean
}

function nodesArg(b: Batch): string {
  return b.nodes.min === b.nodes.max ? String(b.nodes.min) : `${b.nodes.min}-${b.nodes.max}`
}

function record(
  b: Batch,
  failures: readonly {
    seed: number
    property?: string | undefined
    message?: string | undefined
  }[],
): void {
  if (!b.record || b.testFaults !== undefined || failures.length === 0) return
  const entries: Regression[] = failures.map((f) => ({
    seed: formatSeed(f.seed),
    nodes: nodesArg(b),
    property: f.property ?? 'liveness',
    note: f.message ?? 'did not converge after the heal',
    ...(b.preset !== 'swarm' ? { preset: b.preset } : {}),
  }))
  const added = addRegressions(entries)
  if (added > 0)
    process.stderr.write(`totem-sim: ${added} seed(s) added to packages/sim/regressions.json\n`)
}

async function one(
  seed: number,
  b: Batch,
  o: { trace?: string; tail: number; verbose: boolean },
): Promise<number> {
  const lines: string[] = []
  const r: RunResult = await runSeed({
    seed,
    ...(b.nodesGiven ? { nodes: b.nodes } : {}),
    preset: b.preset,
    tailEvents: o.tail,
    ...(b.testFaults !== undefined ? { testFaults: b.testFaults } : {}),
    ...(o.trace !== undefined ? { onTrace: (e) => lines.push(formatTraceEvent(e)) } : {}),
  })
  if (o.trace !== undefined) writeFileSync(o.trace, lines.length > 0 ? `${lines.join('\n')}\n` : '')
  process.stdout.write(formatRunReport(r, o.verbose))
  if (o.trace !== undefined)
    process.stdout.write(`trace: ${lines.length} events written to ${o.trace}\n`)
  if (!r.ok)
    record(b, [{ seed, property: r.violations[0]?.property, message: r.violations[0]?.message }])
  return r.ok ? 0 : 1
}

async function many(
  first: number,
  count: number,
  jobs: number,
  b: Batch,
  o: { tail: number; verbose: boolean },
): Promise<number> {
  const summary = emptySummary()
  const t0 = performance.now()
  let lastProgress = t0
  const tty = process.stderr.isTTY === true
  const progress = (force: boolean): void => {
    const now = performance.now()
    if (!force && now - lastProgress < 1000) return
    lastProgress = now
    const rate = (summary.runs * 1000) / Math.max(1, now - t0)
    const left = rate > 0 ? (count - summary.runs) / rate : 0
    const line = `sim: ${summary.runs}/${count} seeds, ${summary.runs - summary.ok} failed, ${rate.toFixed(2)} runs/s, eta ${left.toFixed(0)} s`
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`)
  }
  const take = (d: RunDigest): void => {
    addRun(summary, d)
    if (o.verbose)
      process.stdout.write(`${d.ok ? 'ok  ' : 'FAIL'} ${d.replay}  ${d.features.join(' ')}\n`)
    if (!d.ok && d.report !== undefined) {
      if (tty) process.stderr.write('\n')
      process.stdout.write(d.report)
    }
    progress(false)
  }
  const batchNodes = b.nodesGiven ? b.nodes : DEFAULT_NODE_RANGE
  if (jobs <= 1) {
    for (let i = 0; i < count; i++) {
      const r = await runSeed({
        seed: first + i,
        ...(b.nodesGiven ? { nodes: b.nodes } : {}),
        preset: b.preset,
        tailEvents: o.tail,
        ...(b.testFaults !== undefined ? { testFaults: b.testFaults } : {}),
      })
      take(digest(r, r.ok ? undefined : formatRunReport(r)))
    }
  } else {
    const here = import.meta.url
    const workerUrl = new URL(here.endsWith('.ts') ? './worker.ts' : './worker.js', here)
    let next = 0
    let failed: Error | undefined
    await Promise.all(
      Array.from({ length: Math.min(jobs, count) }, async () => {
        const w = startWorker(workerUrl)
        try {
          while (next < count && failed === undefined) {
            const seed = first + next++
            const job: WorkerJob = {
              seed,
              nodes: batchNodes,
              preset: b.preset,
              testFaults: b.testFaults,
            }
            const reply = await new Promise<{ ok: boolean; digest?: RunDigest; error?: string }>(
              (resolve, reject) => {
                w.once('message', resolve)
                w.once('error', reject)
                w.postMessage(job)
              },
            )
            w.removeAllListeners('error')
            if (!reply.ok || reply.digest === undefined) {
              failed = new Error(`seed ${formatSeed(seed)} threw: ${reply.error ?? 'no result'}`)
              break
            }
            take(reply.digest)
          }
        } finally {
          await w.terminate()
        }
      }),
    )
    if (failed !== undefined) throw failed
  }
  progress(true)
  if (tty) process.stderr.write('\n')
  const wall = performance.now() - t0
  process.stdout.write(
    `seeds ${formatSeed(first)}…${formatSeed(first + count - 1)}, nodes ${nodesArg({ ...b, nodes: batchNodes })}, profile ${b.preset}${b.testFaults !== undefined ? `, srp faults ${Object.keys(b.testFaults).join(',')}` : ''}\n`,
  )
  process.stdout.write(formatSummary(summary, wall))
  record(b, summary.failures)
  return summary.ok === summary.runs ? 0 : 1
}

/**
 * A worker on `worker.js` (built) or `worker.ts` (source checkout: workers do not inherit tsx's
 * loader hooks, so the worker registers tsx itself before importing the TypeScript source).
 */
function startWorker(url: URL): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url)
  const api = import.meta.resolve('tsx/esm/api')
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register() }).then(() => import(${JSON.stringify(url.href)}))`
  return new Worker(code, { eval: true })
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        seed: { type: 'string' },
        seeds: { type: 'string' },
        'first-seed': { type: 'string' },
        nodes: { type: 'string' },
        profile: { type: 'string' },
        trace: { type: 'string' },
        tail: { type: 'string' },
        jobs: { type: 'string' },
        'srp-fault': { type: 'string', multiple: true },
        'no-record': { type: 'boolean' },
        verbose: { type: 'boolean', short: 'v' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    })
    if (values.help === true) {
      process.stdout.write(HELP)
      return 0
    }
    const int = (name: string, s: string | undefined, def: number, min: number): number => {
      if (s === undefined) return def
      if (!/^\d+$/.test(s) || Number(s) < min) usage(`--${name} must be an integer >= ${min}`)
      return Number(s)
    }
    const preset = values.profile ?? 'swarm'
    if (PROFILE_PRESETS[preset] === undefined) usage(`unknown --profile ${preset}`)
    let testFaults: Record<string, boolean> | undefined
    for (const f of values['srp-fault'] ?? []) {
      if (!(SRP_FAULTS as readonly string[]).includes(f)) usage(`unknown --srp-fault ${f}`)
      testFaults = { ...testFaults, [f]: true }
    }
    const batch: Batch = {
      nodes: values.nodes !== undefined ? parseNodeRange(values.nodes) : DEFAULT_NODE_RANGE,
      nodesGiven: values.nodes !== undefined,
      preset,
      testFaults: testFaults as SrpTestFaults | undefined,
      record: values['no-record'] !== true,
    }
    const tail = int('tail', values.tail, 40, 0)
    const verbose = values.verbose === true
    if ((values.seed === undefined) === (values.seeds === undefined))
      usage('give exactly one of --seed S or --seeds N (see --help)')
    if (values.seed !== undefined) {
      if (values.jobs !== undefined || values['first-seed'] !== undefined)
        usage('--jobs and --first-seed go with --seeds')
      return await one(parseSeed(values.seed), batch, {
        ...(values.trace !== undefined ? { trace: values.trace } : {}),
        tail,
        verbose,
      })
    }
    if (values.trace !== undefined) usage('--trace goes with --seed')
    const count = int('seeds', values.seeds, 0, 1)
    const first = values['first-seed'] !== undefined ? parseSeed(values['first-seed']) : 0
    const jobs = int('jobs', values.jobs, 1, 1)
    return await many(first, count, jobs, batch, { tail, verbose })
  } catch (e) {
    if (
      e instanceof UsageError ||
      (isTotemError(e) && e.code === 'ERR_INVALID_ARGUMENT') ||
      (e as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ||
      String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`totem-sim: ${(e as Error).message}\n(see totem-sim --help)\n`)
      return 2
    }
    throw e
  }
}
