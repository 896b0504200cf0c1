/**
 * totem-cfgtool against three real totemd (issue 5 acceptance 3): `-s` on each node shows the same
 * ring id and members. The daemons run as `totemd` from the repository root's bins (the way
 * `pnpm exec totemd` runs them); the tool runs through its own bin.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const TOTEMD = join(ROOT, 'node_modules/.bin/totemd')
const CFGTOOL = fileURLToPath(new URL('../bin/totem-cfgtool.mjs', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'cfgtool-int-'))
const procs: ChildProcess[] = []

afterAll(async () => {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((r) => {
          if (p.exitCode !== null || p.signalCode !== null) return r()
          p.once('exit', () => r())
          p.kill('SIGKILL')
        }),
    ),
  )
  rmSync(dir, { recursive: true, force: true })
})

function cfgtool(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CFGTOOL, ...args], { encoding: 'utf8', timeout: 20_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

async function freePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 40_000)
    const ok = await Promise.all(
      [1, 2, 3].map(
        (n) =>
          new Promise<boolean>((resolve) => {
            const s = createSocket('udp4')
            s.once('error', () => resolve(false))
            s.bind(port, `127.0.0.${n}`, () => s.close(() => resolve(true)))
          }),
      ),
    )
    if (ok.every(Boolean)) return port
  }
}

function conf(id: number, port: number): string {
  const nodes = [1, 2, 3]
    .map((n) => `  node {\n    nodeid: ${n}\n    ring0_addr: 127.0.0.${n}\n  }\n`)
    .join('')
  return `system {
  state_dir: ${join(dir, `s${id}`)}
}
totem {
  version: 2
  cluster_name: cfgtest
  transport: udpu
  token: 500
  token_coefficient: 0
  crypto_cipher: none
  crypto_hash: none
  interface {
    linknumber: 0
    mcastport: ${port}
  }
}
nodelist {
${nodes}}
`
}

describe('totem-cfgtool', () => {
  it('says clearly that totemd is not running', () => {
    const sock = join(dir, 'nothing.sock')
    const r = cfgtool(['-s', '--socket', sock])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`totem-cfgtool: totemd is not running (no socket at ${sock})\n`)
    const j = cfgtool(['-m', '--json', '--socket', sock])
    expect(j.status).toBe(1)
    expect(JSON.parse(j.stdout)).toMatchObject({
      ok: false,
      error: { code: 'ERR_CONTROL_NOT_RUNNING' },
    })
    expect(cfgtool(['-s', '-m']).status).toBe(2)
    expect(cfgtool([]).status).toBe(2)
    expect(cfgtool(['--help']).stdout).toContain('--reload-key')
  })

  it('-s on each node shows the same ring id and members; -m, --stats, --json', async () => {
    const port = await freePort()
    for (const id of [1, 2, 3]) {
      mkdirSync(join(dir, `s${id}`), { recursive: true })
      writeFileSync(join(dir, `n${id}.conf`), conf(id, port))
      procs.push(
        spawn(
          TOTEMD,
          ['-c', join(dir, `n${id}.conf`), '--nodeid', String(id), '--log-level', 'warn'],
          {
            stdio: 'ignore',
          },
        ),
      )
    }
    // Poll with the tool itself until all three agree on one ring of three.
    const end = Date.now() + 20_000
    let views: { ringId: string; members: number[]; state: string }[] = []
    for (;;) {
      views = [1, 2, 3].map((id) => {
        const r = cfgtool(['-s', '--json', '-c', join(dir, `n${id}.conf`)])
        return r.status === 0 ? JSON.parse(r.stdout) : { ringId: '', members: [], state: '' }
      })
      const same = new Set(views.map((v) => `${v.ringId} ${v.members.join(',')} ${v.state}`))
      if (same.size === 1 && views[0]?.members.length === 3 && views[0].state === 'operational')
        break
      if (Date.now() > end) throw new Error(`no common ring: ${JSON.stringify(views)}`)
      await new Promise((r) => setTimeout(r, 200))
    }
    // The text form says the same on every node.
    const texts = [1, 2, 3].map((id) => cfgtool(['-s', '-c', join(dir, `n${id}.conf`)]))
    for (const [i, t] of texts.entries()) {
      expect(t.status).toBe(0)
      expect(t.stdout).toContain(`Local node ID ${i + 1}`)
      expect(t.stdout).toContain(`Ring ID ${views[0]?.ringId}\n`)
      expect(t.stdout).toContain('Members (3): 1 2 3\n')
      expect(t.stdout).toContain('Crypto off\n')
    }
    const sock = join(dir, 's2', 'totemd.sock')
    const m = cfgtool(['-m', '--socket', sock])
    expect(m.stdout).toMatch(/nodeid +3 +127\.0\.0\.3/)
    const stats = cfgtool(['--stats', '--socket', sock])
    expect(stats.status).toBe(0)
    for (const name of [
      'orf_token_tx',
      'mcast_retx',
      'memb_join_tx',
      'gather_entered',
      'operational_token_lost',
      'consensus_timeouts',
      'rx_msg_dropped',
    ])
      expect(stats.stdout).toMatch(new RegExp(`^${name}: \\d+$`, 'm'))
    const sj = JSON.parse(cfgtool(['--stats', '--json', '--socket', sock]).stdout)
    expect(sj.srp.orf_token_tx).toBeGreaterThan(0)
    expect(sj.ring_id).toBe(views[0]?.ringId)
    const rk = cfgtool(['--reload-key', '--socket', sock])
    expect(rk.status).toBe(1)
    expect(rk.stderr).toContain('ERR_CONTROL_COMMAND_FAILED')
  }, 90_000)
})
