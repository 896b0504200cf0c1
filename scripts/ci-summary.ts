/**
 * Ends a CI run with the one line the harness reads: `N passed, N failed[, N skipped]`.
 *
 * Inputs: vitest's JSON report (every test case counts once) and `steps.jsonl`, one line per
 * non-test CI step (`{"name":"lint","ok":true}`): build, lint, typecheck, docs and the demo count
 * as checks too, so a red lint cannot hide behind green tests.
 *
 * Usage: tsx scripts/ci-summary.ts <vitest-report.json> <steps.jsonl>
 */
import { existsSync, readFileSync } from 'node:fs'

interface VitestReport {
  numPassedTests?: number
  numFailedTests?: number
  numPendingTests?: number
  numTodoTests?: number
  numFailedTestSuites?: number
  testResults?: { name: string; status: string; message?: string; assertionResults?: unknown[] }[]
}

const [reportPath, stepsPath] = process.argv.slice(2)
let passed = 0
let failed = 0
let skipped = 0
const problems: string[] = []

if (reportPath && existsSync(reportPath)) {
  const r = JSON.parse(readFileSync(reportPath, 'utf8')) as VitestReport
  passed += r.numPassedTests ?? 0
  failed += r.numFailedTests ?? 0
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
  // A test file that fails to load has no test cases: count it as one failure.
  for (const f of r.testResults ?? []) {
    if (f.status === 'failed' && (f.assertionResults?.length ?? 0) === 0) {
      failed += 1
      problems.push(`test file failed to load: ${f.name}`)
    }
  }
} else {
  failed += 1
  problems.push('no vitest JSON report was written')
}

if (stepsPath && existsSync(stepsPath)) {
  for (const line of readFileSync(stepsPath, 'utf8').split('\n')) {
    if (line.trim() === '') continue
    const s = JSON.parse(line) as { name: string; ok: boolean }
    if (s.ok) passed += 1
    else {
      failed += 1
      problems.push(`CI step failed: ${s.name}`)
    }
  }
}

for (const p of problems) process.stdout.write(`${p}\n`)
process.stdout.write(
  `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`,
)
process.exitCode = failed > 0 ? 1 : 0
