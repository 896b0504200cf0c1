/**
 * Issue 7 acceptance 2: redundant rings over real networks. Three network namespaces, each with
 * two veth links into a hub namespace holding one bridge per network (10.77.0.0/24 and
 * 10.77.1.0/24; the addresses exist only inside the namespaces). Three totemd run with two rings
 * (`rrp_mode`, `ring0_addr`/`ring1_addr`), --evs-trace and --burn-in. Under that load network 1 is
 * cut (its bridge goes down): no configuration change, the fault reported by every node within the
 * configured time (`totem-cfgtool -s` prints `ring 1: FAULTY`), then the bridge comes back and the
 * network recovers by itself. The merged traces pass the EVS checker (no loss, no reordering).
 *
 * Needs root and iproute2 (`ip`); skips with that reason otherwise. Every namespace is removed in
 * afterAll, also when a test fails.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkTrace, parseTrace, type TraceEvent } from '@totem-ts/evs-checker'
import { controlRequest } from '@totem-ts/stack'
import { afterAll, describe, expect, it } from 'vitest'
import { TOTEMD, waitFor } from './harness.ts'

const CFGTOOL = fileURLToPath(
  new URL('../../../tools/cfgtool/bin/totem-cfgtool.mjs', import.meta.url),
)
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
const hasIp = spawnSync('ip', ['-V']).status === 0
const skipReason = !isRoot
  ? 'needs root (network namespaces)'
  : !hasIp
    ? 'needs iproute2 (`ip`)'
    : undefined
if (skipReason !== undefined) console.warn(`rrp.int.test.ts skipped: ${skipReason}`)

const TAG = `t7${process.pid.toString(36)}`
const HUB = `${TAG}h`
const ns = (id: number): string => `${TAG}n${id}`
const NODES = [1, 2, 3]
const created: string[] = []
const procs: ChildProcess[] = []

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

function setupNetworks(): void {
  ip('netns', 'add', HUB)
  created.push(HUB)
  for (const r of [0, 1]) {
    ip('-n', HUB, 'link', 'add', `br${r}`, 'type', 'bridge')
    ip('-n', HUB, 'link', 'set', `br${r}`, 'up')
  }
  for (const id of NODES) {
    ip('netns', 'add', ns(id))
    created.push(ns(id))
    ip('-n', ns(id), 'link', 'set', 'lo', 'up')
    for (const r of [0, 1]) {
      // Created inside the node's namespace, the peer moved to the hub: nothing in the host's.
      ip('-n', ns(id), 'link', 'add', `eth${r}`, 'type', 'veth', 'peer', 'name', `h${id}r${r}`)
      ip('-n', ns(id), 'link', 'set', `h${id}r${r}`, 'netns', HUB)
      ip('-n', ns(id), 'addr', 'add', `10.77.${r}.${id}/24`, 'dev', `eth${r}`)
      ip('-n', ns(id), 'link', 'set', `eth${r}`, 'up')
      ip('-n', HUB, 'link', 'set', `h${id}r${r}`, 'master', `br${r}`)
      ip('-n', HUB, 'link', 'set', `h${id}r${r}`, 'up')
    }
  }
}

afterAll(async () => {
  for (const p of procs) {
    try {
      p.kill('SIGKILL')
    } catch {
      // gone
    }
  }
  for (const n of created.reverse()) spawnSync('ip', ['netns', 'del', n])
})

function conf(dir: string, id: number, mode: string): string {
  const nodes = NODES.map(
    (n) =>
      `  node {\n    nodeid: ${n}\n    ring0_addr: 10.77.0.${n}\n    ring1_addr: 10.77.1.${n}\n  }\n`,
  ).join('')
  return `system {
  state_dir: ${join(dir, `s${id}`)}
}
totem {
  version: 2
  cluster_name: rrptest
  transport: udpu
  token: 1000
  token_coefficient: 0
  rrp_mode: ${mode}
  rrp_token_expired_timeout: 200
  rrp_problem_count_threshold: 5
  rrp_problem_count_timeout: 2000
  rrp_autorecovery_check_timeout: 500
  crypto_cipher: aes256
  crypto_hash: sha256
  keyfile: ${join(dir, 'authkey')}
  interface {
    linknumber: 0
    mcastport: 5405
  }
  interface {
    linknumber: 1
    mcastport: 5407
  }
}
nodelist {
${nodes}}
logging {
  to_stderr: yes
}
`
}

interface RingView {
  ringNo: number
  state: string
  inUse: boolean
}

describe.skipIf(skipReason !== undefined)('redundant rings over two veth networks', () => {
  it.each(['passive', 'active'])(
    '%s: one network cut under load, no membership change, fault reported, automatic recovery',
    {
      timeout: 180_000,
    },
    async (mode) => {
      if (created.length === 0) setupNetworks()
      const dir = mkdtempSync(join(tmpdir(), 'totemd-rrp-'))
      const running = new Map<
        number,
        { proc: ChildProcess; stderr: string; exited: Promise<number | null> }
      >()
      const sock = (id: number): string => join(dir, `s${id}`, 'totemd.sock')
      const status = async (id: number): Promise<Record<string, unknown>> => {
        const r = await controlRequest(sock(id), 'status', { timeoutMs: 2000 })
        if (!r.ok) throw new Error(r.error.message)
        return r.result as Record<string, unknown>
      }
      const ring1 = async (id: number): Promise<RingView | undefined> =>
        ((await status(id)).rings as RingView[] | undefined)?.[1]
      try {
        writeFileSync(
          join(dir, 'authkey'),
          new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff),
          {
            mode: 0o400,
          },
        )
        for (const id of NODES) {
          mkdirSync(join(dir, `s${id}`), { recursive: true })
          writeFileSync(join(dir, `n${id}.conf`), conf(dir, id, mode))
          const proc = spawn(
            'ip',
            [
              'netns',
              'exec',
              ns(id),
              process.execPath,
              TOTEMD,
              '-c',
              join(dir, `n${id}.conf`),
              '--nodeid',
              String(id),
              '--evs-trace',
              join(dir, `trace-${id}.jsonl`),
              '--burn-in',
              '100',
            ],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          )
          procs.push(proc)
          const r = {
            proc,
            stderr: '',
            exited: new Promise<number | null>((res) => proc.once('exit', res)),
          }
          proc.stderr?.on('data', (b: Buffer) => {
            if (r.stderr.length < 1_000_000) r.stderr += b.toString()
          })
          running.set(id, r)
        }
        // One ring of three, both networks in use.
        await waitFor(
          async () => {
            for (const id of NODES) {
              const s = await status(id)
              if (s.state !== 'operational' || JSON.stringify(s.members) !== '[1,2,3]') return false
              if ((s.rings as RingView[]).some((r) => !r.inUse)) return false
            }
            return true
          },
          'one ring of three over two networks',
          30_000,
        )
        const traces = (): TraceEvent[] =>
          NODES.flatMap((id) => {
            try {
              return parseTrace(readFileSync(join(dir, `trace-${id}.jsonl`), 'utf8'))
            } catch {
              return []
            }
          })
        const confsBefore = traces().filter((e) => e.ev === 'conf').length
        // Cut network 1 under load.
        ip('-n', HUB, 'link', 'set', 'br1', 'down')
        const cutAt = Date.now()
        await waitFor(
          async () => {
            for (const id of NODES) if ((await ring1(id))?.state !== 'faulty') return false
            return true
          },
          'ring 1 FAULTY on every node',
          20_000,
        )
        const detectMs = Date.now() - cutAt
        // threshold 5 silences of 200 ms against a leak of one per 2 s: about 1.1 s, plus polling.
        expect(detectMs).toBeLessThan(5000)
        const tool = spawnSync(process.execPath, [CFGTOOL, '-s', '-S', sock(1)], {
          encoding: 'utf8',
        })
        expect(tool.status).toBe(0)
        expect(tool.stdout).toContain('ring 1: FAULTY')
        expect(tool.stdout).toContain('ring 0: active with no faults')
        await new Promise((r) => setTimeout(r, 3000)) // load on one network only
        // Repair: back in use by itself.
        ip('-n', HUB, 'link', 'set', 'br1', 'up')
        const healAt = Date.now()
        await waitFor(
          async () => {
            for (const id of NODES) if ((await ring1(id))?.state !== 'ok') return false
            return true
          },
          'ring 1 back in use on every node',
          60_000,
        )
        const recoverMs = Date.now() - healAt
        expect(recoverMs).toBeLessThan(30_000)
        // No configuration change from the cut to now.
        expect(traces().filter((e) => e.ev === 'conf').length).toBe(confsBefore)
        // Orderly stop; the merged traces pass the EVS checker.
        for (const r of running.values()) r.proc.kill('SIGTERM')
        const codes = await Promise.all([...running.values()].map((r) => r.exited))
        expect(codes).toEqual([0, 0, 0])
        // totemd's CPG service (b6693bd) also sends srp messages (sync, joins) that its trace
        // shows as deliveries with no send event; the check keeps the burn-in's messages, whose
        // sends are traced: integrity, self delivery, order and virtual synchrony hold on those.
        const all = traces()
        const sent = new Set(all.flatMap((e) => (e.ev === 'send' ? [e.id] : [])))
        const r = checkTrace(
          all
            .filter((e) => e.ev !== 'deliver' || sent.has(e.id))
            .map((e, i) => ({ e, i }))
            .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
            .map((x) => x.e),
        )
        expect(r.violations.slice(0, 3).map((v) => `${v.property}: ${v.message}`)).toEqual([])
        expect(r.stats.sends).toBeGreaterThan(500)
        console.log(
          `rrp ${mode}: fault reported after ${detectMs} ms, recovered ${recoverMs} ms after the repair`,
        )
      } catch (e) {
        for (const [id, r] of running)
          console.error(`node ${id} stderr tail:\n${r.stderr.slice(-3000)}`)
        throw e
      } finally {
        for (const r of running.values()) r.proc.kill('SIGKILL')
        await Promise.all([...running.values()].map((r) => r.exited))
        if (process.env['RRP_KEEP'] === undefined) rmSync(dir, { recursive: true, force: true })
        else console.log('kept', dir)
      }
    },
  )
})
