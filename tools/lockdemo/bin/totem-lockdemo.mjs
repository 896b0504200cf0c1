#!/usr/bin/env node
// Launcher for totem-lockdemo. In a source checkout (src/ and tsx present) it runs the TypeScript
// sources through tsx, resolving workspace packages to their sources (@totem-ts/source
// condition), so no build step is needed and what runs is what you read. In an installed package
// it runs the compiled dist/ in this process.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { fileURLToPath } from 'node:url'

const src = fileURLToPath(new URL('../src/main.ts', import.meta.url))
let tsx
try {
  tsx = import.meta.resolve('tsx/esm')
} catch {
  tsx = undefined
}
if (existsSync(src) && tsx !== undefined) {
  const child = spawn(
    process.execPath,
    ['--conditions=@totem-ts/source', '--import', tsx, src, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  )
  // The child shares the terminal's process group, so Ctrl-C reaches it directly; this process
  // outlives it. SIGTERM and SIGHUP sent to this process alone are passed on, so a supervisor
  // stopping the launcher's pid stops the tool too instead of leaving it orphaned.
  process.on('SIGINT', () => {})
  for (const sig of ['SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig))
  child.on('error', (e) => {
    process.stderr.write(`totem-lockdemo: cannot start: ${e.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)))
  })
} else {
  await import('../dist/main.js')
}
