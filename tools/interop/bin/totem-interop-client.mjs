#!/usr/bin/env node
// Launcher for totem-interop-client. In a source checkout (src/ and tsx present) it runs the
// TypeScript sources through tsx, resolving workspace packages to their sources (@totem-ts/source
// condition); otherwise the compiled dist/. The child gets SIGTERM/SIGINT forwarded (the suite
// stops clients with SIGTERM), and this process exits with the child's status. The child watches
// its IPC channel to this process: when a SIGKILL of the launcher breaks it, the child dies too.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const src = fileURLToPath(new URL('../src/client-main.ts', import.meta.url))
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
    { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] },
  )
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => child.kill(sig))
  child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)))
} else {
  await import('../dist/client-main.js')
}
