#!/usr/bin/env node
// Makes a fresh clone runnable with only Node.js 20 and npm: installs pnpm (pinned) when it is
// missing, then the workspace's dependencies from the lockfile when they are missing or stale.
// corepack cannot verify pnpm's signature against the registry reachable here (TOOLCHAIN.md), so
// we install the exact pinned version with npm instead; `packageManager` pins the same version.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const pnpmVersion = /^pnpm@([^+]+)/.exec(pkg.packageManager)?.[1]
if (!pnpmVersion) throw new Error('package.json has no pnpm packageManager pin')

const env = { ...process.env, COREPACK_ENABLE_DOWNLOAD_PROMPT: '0', COREPACK_INTEGRITY_KEYS: '0' }
const quiet = process.argv.includes('--quiet')
const say = (msg) => {
  if (!quiet) process.stderr.write(`[bootstrap] ${msg}\n`)
}

function pnpmWorks() {
  const r = spawnSync('pnpm', ['--version'], { env, encoding: 'utf8', cwd: root })
  return r.status === 0 ? r.stdout.trim() : undefined
}

let have = pnpmWorks()
if (have !== pnpmVersion) {
  say(`installing pnpm@${pnpmVersion} with npm (found ${have ?? 'none'})`)
  execFileSync('npm', ['install', '--global', '--no-fund', '--no-audit', `pnpm@${pnpmVersion}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
  })
  have = pnpmWorks()
  if (have !== pnpmVersion) {
    process.stderr.write(
      `[bootstrap] pnpm ${pnpmVersion} is not usable after install (got ${have})\n`,
    )
    process.exit(1)
  }
}

// Install when node_modules is missing or older than the lockfile or any package.json.
const marker = join(root, 'node_modules', '.totem-bootstrap')
const lock = join(root, 'pnpm-lock.yaml')
const stale =
  !existsSync(marker) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs)
if (stale) {
  say('installing dependencies (pnpm install --frozen-lockfile)')
  const r = spawnSync('pnpm', ['install', '--frozen-lockfile', '--reporter=append-only'], {
    cwd: root,
    env,
    stdio: ['ignore', quiet ? 'ignore' : 'inherit', 'inherit'],
  })
  if (r.status !== 0) process.exit(r.status ?? 1)
  writeFileSync(marker, `${new Date().toISOString()}\n`)
}
