#!/usr/bin/env node
// Launcher for totem-demo. In a source checkout (src/ and tsx present) it runs the TypeScript
// sources through tsx, resolving workspace packages to their sources (@totem-ts/source
// condition), so no build step is needed and what runs is what you read. In an installed package
// it runs the compiled dist/ in this process.
//
// The child is in the terminal's process group, so Ctrl-C reaches it directly; this process
// ignores SIGINT/SIGTERM itself (forwarding SIGTERM) and waits for the demo to clean up.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const src = fileURLToPath(new URL('../src/demo-main.ts', import.meta.url))
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
  process.on('SIGINT', () => {})
  process.on('SIGTERM', () => child.kill('SIGTERM'))
  child.on('error', (e) => {
    process.stderr.write(`totem-demo: cannot start: ${e.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal === null ? 1 : 130))
  })
} else {
  await import('../dist/demo-main.js')
}
