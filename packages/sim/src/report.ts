/** Human-readable reports of one run. */
import { formatTraceEvent } from '@totem-ts/evs-checker'
import { profileFeatures } from './profile.ts'
import { formatSeed, type RunResult } from './run.ts'

/** One line: seed, outcome, size, features and the main counts. */
export function formatRunLine(r: RunResult): string {
  const c = r.counts
  const f = profileFeatures(r.profile)
  const what = r.ok ? 'ok' : `FAIL ${r.violations[0]?.property ?? 'liveness'}`
  return (
    `seed ${formatSeed(r.seed)}: ${what}, ${r.profile.nodes} nodes, ` +
    `faults [${f.length > 0 ? f.join(' ') : 'none'}], ${c.sent} sent, ${c.delivered} delivered, ` +
    `${c.configurations} conf, ${c.crashes + c.stops} kills, ` +
    `${r.converged ? `converged ${c.convergeMs.toFixed(0)} ms after heal` : 'NOT converged'}, ` +
    `${c.events} events, ${(c.endMs / 1000).toFixed(1)} s virtual`
  )
}

/**
 * The full report of a run: for a failure, the first violated property with its details, the
 * profile, the counts, the tail of the trace and the replay command.
 */
export function formatRunReport(r: RunResult, verbose = false): string {
  const out: string[] = [formatRunLine(r)]
  if (!r.ok || verbose) {
    out.push(`profile (${r.preset}): ${JSON.stringify(r.profile)}`)
    out.push(`counts: ${JSON.stringify(r.counts)}`)
  }
  if (!r.ok) {
    const v = r.violations[0]
    if (v !== undefined) {
      out.push(`first violated property: ${v.property}: ${v.message}`)
      out.push(`  details: ${JSON.stringify(v.details)}`)
    }
    if (r.violations.length > 1)
      out.push(
        `other violations: ${r.violations
          .slice(1, 6)
          .map((x) => `${x.property} (${x.message})`)
          .join('; ')}${r.violations.length > 6 ? '; …' : ''}`,
      )
    out.push(`last ${r.tail.length} trace events:`)
    for (const e of r.tail) out.push(`  ${formatTraceEvent(e)}`)
    out.push(`replay: ${r.replay}`)
  }
  return `${out.join('\n')}\n`
}
