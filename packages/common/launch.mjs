// The one launcher behind every totem-ts command (bin/*.mjs in apps, tools and sim). Plain
// JavaScript on purpose: it runs before any TypeScript loader exists.
//
// In a source checkout (the command's src/ entry and tsx both present) it runs the TypeScript
// sources in a child through tsx, resolving workspace packages to their sources (the
// @totem-ts/source condition), so no build step is needed and what runs is what you read. In an
// installed package it imports the compiled dist/ entry in this process.
//
// Three kinds of child:
// - a tool (the default) shares the terminal's process group, so Ctrl-C reaches it directly and
//   this process outlives it; SIGTERM and SIGHUP sent to this process alone are passed on, so a
//   supervisor stopping the launcher's pid stops the tool too instead of leaving it orphaned.
// - a service (totemd, totem-gateway) runs in its own process group, and this process forwards
//   SIGTERM, SIGINT and SIGHUP to it exactly once (a terminal's Ctrl-C reaches only this group,
//   so the service never sees it twice). SIGKILL cannot be forwarded: the service watches its IPC
//   channel to this process and, when it breaks, kills itself with SIGKILL too, so
//   `kill -9 <launcher pid>` is a crash of the service.
// - a client (totem-interop-client) shares the process group like a tool but has the IPC
//   channel of a service: SIGTERM and SIGINT are forwarded, and a SIGKILL of the launcher ends
//   the client too.
// The launcher exits with the child's code, or 128 + the signal's number when a signal ended it.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { fileURLToPath } from 'node:url'

/**
 * Runs a command.
 * @param {string} binUrl the bin file's `import.meta.url`
 * @param {{ name: string, entry?: string, kind?: 'tool' | 'service' | 'client' }} o the command's
 *   name (for errors), its entry module's base name under src/ and dist/ (default `main`), and its
 *   kind (default `tool`)
 */
export async function launch(binUrl, o) {
  const entry = o.entry ?? 'main'
  const src = fileURLToPath(new URL(`../src/${entry}.ts`, binUrl))
  let tsx
  try {
    tsx = import.meta.resolve('tsx/esm')
  } catch {
    tsx = undefined
  }
  if (!existsSync(src) || tsx === undefined) {
    await import(new URL(`../dist/${entry}.js`, binUrl).href)
    return
  }
  const kind = o.kind ?? 'tool'
  const child = spawn(
    process.execPath,
    ['--conditions=@totem-ts/source', '--import', tsx, src, ...process.argv.slice(2)],
    kind === 'tool'
      ? { stdio: 'inherit' }
      : { stdio: ['inherit', 'inherit', 'inherit', 'ipc'], detached: kind === 'service' },
  )
  const forwarded = {
    tool: ['SIGTERM', 'SIGHUP'],
    service: ['SIGTERM', 'SIGINT', 'SIGHUP'],
    client: ['SIGTERM', 'SIGINT'],
  }[kind]
  if (forwarded === undefined) throw new Error(`${o.name}: unknown launcher kind ${kind}`)
  if (kind === 'tool') process.on('SIGINT', () => {})
  for (const sig of forwarded) process.on(sig, () => child.kill(sig))
  child.on('error', (e) => {
    process.stderr.write(`${o.name}: cannot start: ${e.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => {
    process.exit(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)))
  })
}
