#!/usr/bin/env node
// Launcher for totem-gateway. In a source checkout (src/ and tsx present) it runs the TypeScript
// sources through tsx, resolving workspace packages to their sources (@totem-ts/source
// condition), so no build step is needed and what runs is what you read. In an installed package
// it runs the compiled dist/ in this process.
//
// Unlike the other bins (tools/dissect/bin/totem-dissect.mjs, whose child shares the terminal's
// process group), the gateway runs in its own process group, and this process forwards SIGTERM,
// SIGINT and SIGHUP to it exactly once (a terminal's Ctrl-C reaches only this group, so the
// gateway never sees it twice).
// SIGKILL cannot be forwarded: the gateway watches its IPC channel to this process and, when it
// breaks, kills itself with SIGKILL too, so `kill -9 <launcher pid>` is a crash of the gateway.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
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
    { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: true },
  )
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
    process.on(sig, () => {
      child.kill(sig)
    })
  }
  child.on('error', (e) => {
    process.stderr.write(`totem-gateway: cannot start: ${e.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    process.exit(code ?? (signal === null ? 1 : 128 + (signal === 'SIGKILL' ? 9 : 15)))
  })
} else {
  await import('../dist/main.js')
}
