/** Shared helpers for the repository checks: list workspace packages and their source files. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'

export const root: string = join(import.meta.dirname, '..')

export interface WorkspacePackage {
  /** e.g. `@totem-ts/wire` */
  name: string
  /** e.g. `packages/wire` */
  dir: string
  kind: 'packages' | 'apps' | 'tools'
  deps: Record<string, string>
  devDeps: Record<string, string>
  /** Entry points in `exports`: `.` and any declared subpath such as `./launch`. */
  entries: string[]
}

export function listPackages(): WorkspacePackage[] {
  const out: WorkspacePackage[] = []
  for (const kind of ['packages', 'apps', 'tools'] as const) {
    const base = join(root, kind)
    if (!existsSync(base)) continue
    for (const d of readdirSync(base).sort()) {
      const pj = join(base, d, 'package.json')
      if (!existsSync(pj)) continue
      const j = JSON.parse(readFileSync(pj, 'utf8'))
      out.push({
        name: j.name,
        dir: `${kind}/${d}`,
        kind,
        deps: j.dependencies ?? {},
        devDeps: j.devDependencies ?? {},
        entries: Object.keys(j.exports ?? { '.': null }),
      })
    }
  }
  return out
}

/** Every .ts/.mts/.js file under `dir` (relative to the repo root), skipping build output. */
export function listSources(dir: string): string[] {
  const out: string[] = []
  const walk = (abs: string): void => {
    for (const e of readdirSync(abs)) {
      if (e === 'node_modules' || e === 'dist' || e === 'coverage' || e === 'fixtures') continue
      const p = join(abs, e)
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.(ts|mts|js|mjs)$/.test(e)) out.push(relative(root, p))
    }
  }
  const abs = join(root, dir)
  if (existsSync(abs)) walk(abs)
  return out.sort()
}

/** Module specifiers imported or re-exported by a source text. */
export function importsOf(text: string): string[] {
  const out: string[] = []
  const re =
    /(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3]) as string)
  return out
}
