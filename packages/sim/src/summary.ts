/**
 * Aggregates many runs into the numbers `totem-sim --seeds` prints: outcomes, the fault mix the
 * seeds drew, and convergence times.
 */
import { type FaultProfile, profileFeatures } from './profile.ts'
import type { RunResult } from './run.ts'

/** What one run contributes to a summary (small and structured-clone safe, for workers). */
export interface RunDigest {
  readonly seed: number
  readonly ok: boolean
  readonly converged: boolean
  readonly profile: FaultProfile
  readonly features: readonly string[]
  readonly property: string | undefined
  readonly message: string | undefined
  readonly sent: number
  readonly delivered: number
  readonly configurations: number
  readonly crashes: number
  readonly stops: number
  readonly partitions: number
  readonly clogs: number
  readonly events: number
  readonly convergeMs: number
  readonly virtualMs: number
  readonly replay: string
  /** Formatted report (only for failures). */
  readonly report: string | undefined
}

/** The digest of one run; `report` is the failure text. */
export function digest(r: RunResult, report: string | undefined): RunDigest {
  const v = r.violations[0]
  const c = r.counts
  return {
    seed: r.seed,
    ok: r.ok,
    converged: r.converged,
    profile: r.profile,
    features: profileFeatures(r.profile),
    property: v?.property,
    message: v?.message,
    sent: c.sent,
    delivered: c.delivered,
    configurations: c.configurations,
    crashes: c.crashes,
    stops: c.stops,
    partitions: c.partitions.isolate + c.partitions.split + c.partitions.asymmetric,
    clogs: c.clogs,
    events: c.events,
    convergeMs: c.convergeMs,
    virtualMs: c.endMs,
    replay: r.replay,
    report,
  }
}

/** Running totals over many {@link RunDigest}s. */
export interface Summary {
  runs: number
  ok: number
  violations: number
  notConverged: number
  /** Seeds drawing each fault (see `profileFeatures`), plus `calm` for none. */
  readonly faultMix: Map<string, number>
  /** Runs per cluster size. */
  readonly nodes: Map<number, number>
  readonly byProperty: Map<string, number>
  sent: number
  delivered: number
  configurations: number
  crashes: number
  stops: number
  partitions: number
  clogs: number
  events: number
  virtualMs: number
  readonly convergeMs: number[]
  readonly failures: RunDigest[]
}

/** An empty {@link Summary}. */
export function emptySummary(): Summary {
  return {
    runs: 0,
    ok: 0,
    violations: 0,
    notConverged: 0,
    faultMix: new Map(),
    nodes: new Map(),
    byProperty: new Map(),
    sent: 0,
    delivered: 0,
    configurations: 0,
    crashes: 0,
    stops: 0,
    partitions: 0,
    clogs: 0,
    events: 0,
    virtualMs: 0,
    convergeMs: [],
    failures: [],
  }
}

const bump = <K>(m: Map<K, number>, k: K): void => {
  m.set(k, (m.get(k) ?? 0) + 1)
}

/** Adds one run to `s`. */
export function addRun(s: Summary, d: RunDigest): void {
  s.runs++
  if (d.ok) s.ok++
  if (!d.converged) s.notConverged++
  if (d.property !== undefined) {
    s.violations++
    bump(s.byProperty, d.property)
  }
  if (!d.ok) s.failures.push(d)
  const faults = d.features.filter((f) => f !== 'token-hold' && f !== 'fragment')
  if (faults.length === 0) bump(s.faultMix, 'calm')
  for (const f of d.features) bump(s.faultMix, f)
  bump(s.nodes, d.profile.nodes)
  s.sent += d.sent
  s.delivered += d.delivered
  s.configurations += d.configurations
  s.crashes += d.crashes
  s.stops += d.stops
  s.partitions += d.partitions
  s.clogs += d.clogs
  s.events += d.events
  s.virtualMs += d.virtualMs
  if (d.converged) s.convergeMs.push(d.convergeMs)
}

const FEATURE_ORDER = [
  'calm',
  'loss',
  'dup',
  'reorder',
  'partition:isolate',
  'partition:split',
  'partition:asymmetric',
  'crash',
  'stop',
  'keep-down',
  'clog',
  'token-hold',
  'fragment',
]

const pct = (xs: number[], p: number): number => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number
}

/** The summary block `totem-sim --seeds` prints at the end. */
export function formatSummary(s: Summary, wallMs: number): string {
  const lines: string[] = []
  const rate = wallMs > 0 ? (s.runs * 1000) / wallMs : 0
  lines.push(`runs: ${s.runs} in ${(wallMs / 1000).toFixed(1)} s (${rate.toFixed(2)} runs/s)`)
  lines.push(
    `result: ${s.ok} ok, ${s.violations} with violations, ${s.notConverged} not converged after the heal`,
  )
  if (s.byProperty.size > 0)
    lines.push(`violated: ${[...s.byProperty].map(([k, v]) => `${k} ${v}`).join(', ')}`)
  lines.push(
    `fault mix (seeds): ${FEATURE_ORDER.map((f) => `${f} ${s.faultMix.get(f) ?? 0}`).join(', ')}`,
  )
  lines.push(
    `nodes: ${[...s.nodes.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => `${k}:${v}`)
      .join(' ')}`,
  )
  lines.push(
    `totals: ${s.sent} messages sent, ${s.delivered} deliveries, ${s.configurations} configurations, ${s.crashes} crashes, ${s.stops} stops, ${s.partitions} partitions, ${s.clogs} clogs, ${s.events} events, ${(s.virtualMs / 1000).toFixed(0)} s virtual`,
  )
  lines.push(
    `convergence after heal: p50 ${pct(s.convergeMs, 50).toFixed(0)} ms, p99 ${pct(s.convergeMs, 99).toFixed(0)} ms, max ${Math.max(0, ...s.convergeMs).toFixed(0)} ms`,
  )
  lines.push(
    s.runs > 0 && s.ok === s.runs
      ? 'every run converged after the heal with no violation'
      : `FAILED: ${s.runs - s.ok} of ${s.runs} runs`,
  )
  for (const f of [...s.failures].sort((a, b) => a.seed - b.seed).slice(0, 50))
    lines.push(`  ${f.replay}   # ${f.property ?? 'liveness'}: ${f.message ?? 'not converged'}`)
  if (s.failures.length > 50) lines.push(`  … and ${s.failures.length - 50} more`)
  return `${lines.join('\n')}\n`
}
