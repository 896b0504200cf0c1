/**
 * The layering check (STYLE.md §3), run by `pnpm lint`:
 * - every package is in the rank table, and its @totem-ts dependencies have lower ranks;
 * - sources import only @totem-ts packages they declare (tests may use devDependencies);
 * - no deep imports (`@totem-ts/x/src/...`; a subpath the package declares in `exports`, such as
 *   `@totem-ts/common/launch`, is an entry point, not a deep import) and no relative imports
 *   that leave the package;
 * - apps and tools import packages, never each other;
 * - the dependency graph has no cycles.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { importsOf, listPackages, listSources, root } from './workspace.ts'

/** Rank of each library package; a package imports only from lower ranks. */
export const RANKS: Readonly<Record<string, number>> = {
  '@totem-ts/common': 0,
  '@totem-ts/wire': 1,
  '@totem-ts/crypto': 2,
  '@totem-ts/udp': 2,
  '@totem-ts/rrp': 3,
  '@totem-ts/srp': 4,
  '@totem-ts/multiring': 5,
  '@totem-ts/cpg': 6,
  '@totem-ts/config': 7,
  '@totem-ts/stack': 8,
  // sim may import ranks 0-8; evs-checker only common.
  '@totem-ts/sim': 9,
  '@totem-ts/evs-checker': 1,
  // testkit: what integration tests share (private); imports stack and evs-checker.
  '@totem-ts/testkit': 9,
  // service: what totemd and totem-gateway share (logger, EVS trace file, orderly stop).
  '@totem-ts/service': 9,
}
const ONLY: Readonly<Record<string, readonly string[]>> = {
  '@totem-ts/evs-checker': ['@totem-ts/common'],
}

const errors: string[] = []
const pkgs = listPackages()
const byName = new Map(pkgs.map((p) => [p.name, p]))
const apps = new Set(pkgs.filter((p) => p.kind !== 'packages').map((p) => p.name))

const internalDeps = (d: Record<string, string>): string[] =>
  Object.keys(d).filter((n) => n.startsWith('@totem-ts/'))

for (const p of pkgs) {
  const deps = internalDeps(p.deps)
  if (p.kind === 'packages') {
    const rank = RANKS[p.name]
    if (rank === undefined) {
      errors.push(`${p.dir}: ${p.name} is not in the rank table of scripts/check-layers.ts`)
      continue
    }
    for (const d of [...deps, ...internalDeps(p.devDeps)]) {
      if (apps.has(d)) errors.push(`${p.dir}: a package may not depend on app/tool ${d}`)
      const dr = RANKS[d]
      if (dr === undefined) errors.push(`${p.dir}: depends on unknown package ${d}`)
      else if (dr >= rank)
        errors.push(`${p.dir}: ${p.name} (rank ${rank}) depends on ${d} (rank ${dr})`)
      const only = ONLY[p.name]
      if (only && !only.includes(d))
        errors.push(`${p.dir}: ${p.name} may import only ${only.join(', ')}`)
    }
  } else {
    for (const d of [...deps, ...internalDeps(p.devDeps)]) {
      if (apps.has(d)) errors.push(`${p.dir}: apps and tools never import each other (${d})`)
    }
  }

  for (const file of listSources(p.dir)) {
    const isTest = !file.startsWith(`${p.dir}/src/`)
    const allowed = new Set([...deps, ...(isTest ? internalDeps(p.devDeps) : []), p.name])
    for (const spec of importsOf(readFileSync(join(root, file), 'utf8'))) {
      if (spec.startsWith('@totem-ts/')) {
        const parts = spec.split('/')
        const target = `${parts[0]}/${parts[1]}`
        const sub = `./${parts.slice(2).join('/')}`
        if (parts.length > 2 && !byName.get(target)?.entries.includes(sub))
          errors.push(`${file}: deep import '${spec}' (import '${target}' only)`)
        if (!allowed.has(target))
          errors.push(`${file}: imports ${target}, not declared in ${p.dir}/package.json`)
      } else if (spec.startsWith('.')) {
        const resolved = normalize(join(dirname(file), spec))
        const rel = relative(p.dir, resolved)
        const leavesPackage = rel.startsWith('..')
        // Package configs may extend the shared root vitest config.
        const sharedConfig = resolved === 'vitest.shared.ts'
        if (leavesPackage && !sharedConfig)
          errors.push(`${file}: relative import '${spec}' leaves ${p.dir}`)
      }
    }
  }
}

// Cycles in the declared graph (dependencies + devDependencies).
const state = new Map<string, 'visiting' | 'done'>()
const visit = (name: string, path: string[]): void => {
  const s = state.get(name)
  if (s === 'done') return
  if (s === 'visiting') {
    errors.push(`dependency cycle: ${[...path.slice(path.indexOf(name)), name].join(' -> ')}`)
    return
  }
  state.set(name, 'visiting')
  const p = byName.get(name)
  if (p) for (const d of internalDeps({ ...p.deps, ...p.devDeps })) visit(d, [...path, name])
  state.set(name, 'done')
}
for (const p of pkgs) visit(p.name, [])

if (errors.length > 0) {
  for (const e of errors) process.stderr.write(`check-layers: ${e}\n`)
  process.exitCode = 1
} else {
  process.stdout.write(`check-layers: ${pkgs.length} workspace packages, layering ok\n`)
}
