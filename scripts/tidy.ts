/**
 * Bans what lint cannot express (TigerBeetle's tidy), run by `pnpm lint`:
 * - `.only(` in tests (a focused test silently skips the rest);
 * - stub markers (`TODO: implement`, `not implemented`);
 * - `console.log` in library packages (use the Logger);
 * - `Math.random`, `Date.now`, `new Date(`, `performance.now` in deterministic cores.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { listPackages, listSources, root } from './workspace.ts'

const CORES = [
  'packages/common',
  'packages/wire',
  'packages/srp',
  'packages/multiring',
  'packages/rrp',
  'packages/evs-checker',
  'packages/cpg/src/service',
]

interface Rule {
  re: RegExp
  why: string
  applies: (file: string) => boolean
}
const isTest = (f: string): boolean => /\/test\/|\.test\.ts$|\.test-d\.ts$/.test(f)
const inLibSrc = (f: string): boolean => /^packages\/[^/]+\/src\//.test(f)
const inCoreSrc = (f: string): boolean => inLibSrc(f) && CORES.some((c) => f.startsWith(c))

const RULES: Rule[] = [
  { re: /\b(?:it|test|describe)\.only\(/, why: 'focused test (.only)', applies: isTest },
  {
    re: /TODO: implement|not implemented|NotImplemented/i,
    why: 'stub marker',
    applies: () => true,
  },
  { re: /\bconsole\.log\(/, why: 'console.log in a library (use the Logger)', applies: inLibSrc },
  {
    re: /\bMath\.random\(|\bDate\.now\(|\bnew Date\(|\bperformance\.now\(/,
    why: 'nondeterminism in a core (use Runtime)',
    applies: inCoreSrc,
  },
]

const problems: string[] = []
let files = 0
for (const p of listPackages()) {
  for (const f of listSources(p.dir)) {
    files++
    const lines = readFileSync(join(root, f), 'utf8').split('\n')
    lines.forEach((line, i) => {
      // Doc comments may name what they ban; only code counts.
      if (/^\s*(?:\*|\/\/|\/\*)/.test(line) && !/TODO: implement/i.test(line)) return
      for (const r of RULES)
        if (r.applies(f) && r.re.test(line)) problems.push(`${f}:${i + 1}: ${r.why}`)
    })
  }
}
if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`tidy: ${p}\n`)
  process.exitCode = 1
} else {
  process.stdout.write(`tidy: ${files} files clean\n`)
}
