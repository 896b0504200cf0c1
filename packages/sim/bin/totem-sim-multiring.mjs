#!/usr/bin/env node
// Launcher for totem-sim-multiring. In a source checkout (src/ and tsx present) it runs the TypeScript
// sources through tsx, resolving workspace packages to their sources (@totem-ts/source
// condition), so no build step is needed and what runs is what you read. In an installed package
// it runs the compiled dist/.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const src = fileURLToPath(new URL('../src/multiring-main.ts', import.meta.url))
let tsx
try {
  tsx = import.meta.resolve('tsx/esm')
} catch {
  tsx = undefined
}
if (existsSync(src) && tsx !== undefined) {
  const r = spawnSync(
    process.execPath,
    ['--conditions=@totem-ts/source', '--import', tsx, src, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  )
  if (r.error) throw r.error
  process.exit(r.status ?? 1)
} else {
  await import('../dist/multiring-main.js')
}
