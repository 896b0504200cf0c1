/**
 * (A copy of packages/wire/bench/ratio.ts: bench helpers are not part of any package API.)
 *
 * A small self-timed harness for the ratio tables of STYLE §11: each operation is timed next to its
 * baselines in the same run, in interleaved samples, and reported as a ratio of median times.
 * vitest's `bench` shows ops/s per line; this adds the comparisons.
 */

/** Something to time; the result is kept in a sink so the work cannot be optimised away. */
export type Job = () => void

export interface Row {
  /** What is measured, e.g. `decode ORF token (0 rtr, 57 B)`. */
  readonly name: string
  readonly fn: Job
  /** Bytes processed per call, for a MB/s column (optional). */
  readonly bytes?: number
  /** Baselines by column name; every row of a table should use the same column names. */
  readonly baselines: Readonly<Record<string, Job>>
}

let sink = 0
function keep(v: unknown): void {
  if (v instanceof Uint8Array) sink ^= v.length
  else if (typeof v === 'number') sink ^= v | 0
  else if (v !== undefined) sink ^= 1
}

/** Nanoseconds per call of `fn` over `n` calls. */
function once(fn: Job, n: number): number {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) keep(fn())
  return Number(process.hrtime.bigint() - t0) / n
}

/** Calls per sample so that one sample lasts about `sampleMs`. */
function calibrate(fn: Job, sampleMs: number): number {
  let n = 1
  for (;;) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) keep(fn())
    const ms = Number(process.hrtime.bigint() - t0) / 1e6
    if (ms >= sampleMs / 4 || n >= 1 << 24)
      return Math.max(1, Math.ceil((n * sampleMs) / Math.max(ms, 1e-3)))
    n *= 4
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

export interface Measured {
  readonly name: string
  readonly nsPerOp: number
  readonly bytes: number | undefined
  readonly baselines: Readonly<Record<string, number>>
}

/**
 * Times each row and its baselines: `samples` rounds, each running every job once for about
 * `sampleMs` (in rotating order, so drift and GC spread evenly), then takes the medians.
 */
export function measure(rows: readonly Row[], samples = 7, sampleMs = 15): Measured[] {
  return rows.map((row) => {
    const jobs: [string, Job][] = [['', row.fn], ...Object.entries(row.baselines)]
    const counts = jobs.map(([, fn]) => {
      for (let i = 0; i < 3; i++) once(fn, 200) // warm up the JIT
      return calibrate(fn, sampleMs)
    })
    const times: number[][] = jobs.map(() => [])
    for (let s = 0; s < samples; s++) {
      for (let k = 0; k < jobs.length; k++) {
        const j = (k + s) % jobs.length
        ;(times[j] as number[]).push(once((jobs[j] as [string, Job])[1], counts[j] as number))
      }
    }
    const med = times.map(median)
    const baselines: Record<string, number> = {}
    jobs.forEach(([name], j) => {
      if (j > 0) baselines[name] = med[j] as number
    })
    return { name: row.name, nsPerOp: med[0] as number, bytes: row.bytes, baselines }
  })
}

function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`
  return `${ns.toFixed(0)} ns`
}

/**
 * Formats a table: ns/op, MB/s when bytes are known, and for each baseline the ratio
 * `time(op) / time(baseline)` (2.0× = takes twice as long as the baseline).
 */
export function formatTable(title: string, measured: readonly Measured[]): string {
  const cols = [...new Set(measured.flatMap((m) => Object.keys(m.baselines)))]
  const header = ['operation', 'time/op', 'MB/s', ...cols.map((c) => `÷ ${c}`)]
  const body = measured.map((m) => [
    m.name,
    fmtNs(m.nsPerOp),
    m.bytes === undefined ? '' : ((m.bytes / m.nsPerOp) * 1e3).toFixed(0),
    ...cols.map((c) => {
      const b = m.baselines[c]
      return b === undefined ? '' : `${(m.nsPerOp / b).toFixed(2)}× (${fmtNs(b)})`
    }),
  ])
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((r) => (r[i] as string).length)),
  )
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ')
  return [
    `\n${title}`,
    '  ratio = time per op ÷ the baseline’s time per op, medians of interleaved samples, same run',
    line(header),
    line(header.map((_, i) => '-'.repeat(widths[i] as number))),
    ...body.map(line),
    sink === 0x7fffffff ? '' : '', // keeps the sink alive
  ].join('\n')
}

/** Measures the rows and prints the table (from an `afterAll`). */
export function printRatios(title: string, rows: readonly Row[]): void {
  console.log(formatTable(title, measure(rows)))
}
