/**
 * A small copy of apps/daemon's integration harness (tools never import apps): totemd daemons as
 * child processes through the repository's `totemd` bin, on 127.0.0.N (optionally behind
 * @totem-ts/udp's fault proxy on 127.0.1.N, or inside network namespaces), temp state dirs,
 * control-socket polling, and the harness's own trace events (crash).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type ControlResponse, controlRequest } from '@totem-ts/stack'

export const ROOT: string = fileURLToPath(new URL('../../../', import.meta.url))
export const TOTEMD: string = join(ROOT, 'node_modules/.bin/totemd')

/** Options of one cluster. */
export interface ClusterOptions {
  readonly nodes?: readonly number[]
  readonly token?: number
  /** Nodelists point at the fault proxy's addresses (127.0.1.N) instead of the nodes'. */
  readonly proxied?: boolean
  /** The address of node `id` (default 127.0.0.id). */
  readonly address?: (id: number) => string
  /** A command prefix for node `id`'s daemon (e.g. `ip netns exec ns1`). */
  readonly wrap?: (id: number) => readonly string[]
  /** Checks the port only on these addresses (default: the nodes' addresses). */
  readonly portCheckAddresses?: readonly string[]
  readonly extraTotem?: string
  /**
   * Two networks (redundant ring protocol) in this mode: `ring1_addr` on `ring1Address(id)` and a
   * second `interface` block (linknumber 1) with its own port. Absent: one network, as before.
   */
  readonly rrpMode?: 'active' | 'passive'
  /** Ring 1's address of node `id` (default 127.0.2.id: 127.0.1.N is the fault proxy's). */
  readonly ring1Address?: (id: number) => string
}

function bindable(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4')
    s.once('error', () => {
      s.close()
      resolve(false)
    })
    s.bind(port, address, () => s.close(() => resolve(true)))
  })
}

/** A random high port free on every address the test will use. */
export async function freePort(addresses: readonly string[]): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000)
    let ok = true
    for (const a of addresses) if (!(await bindable(a, port))) ok = false
    if (ok) return port
  }
  throw new Error('no free UDP port found')
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `cond` until it holds (or throws after `ms`, naming `what`). */
export async function waitFor<T>(
  cond: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  ms = 15_000,
): Promise<T> {
  const end = Date.now() + ms
  let last: unknown
  for (;;) {
    try {
      const v = await cond()
      if (v !== undefined && v !== false) return v
    } catch (e) {
      last = e
    }
    if (Date.now() > end)
      throw new Error(
        `timed out after ${ms} ms waiting for ${what}${last ? ` (${String(last)})` : ''}`,
      )
    await sleep(50)
  }
}

/** A daemon started by the harness. */
export interface Running {
  readonly id: number
  readonly proc: ChildProcess
  readonly exited: Promise<number | null>
  stderr: string
  pid?: number
}

/** A cluster of daemons in one temp dir. */
export class Cluster {
  readonly dir: string
  readonly nodes: readonly number[]
  readonly running: Map<number, Running> = new Map()
  port = 0
  /** Ring 1's port (`rrpMode` only). */
  port1 = 0
  private readonly o: ClusterOptions

  constructor(o: ClusterOptions = {}) {
    this.o = o
    this.nodes = o.nodes ?? [1, 2, 3]
    this.dir = mkdtempSync(join(tmpdir(), 'cpgbench-int-'))
  }

  address(id: number): string {
    return this.o.address?.(id) ?? `127.0.0.${id}`
  }

  async init(): Promise<this> {
    const addrs = this.o.portCheckAddresses ?? this.nodes.map((n) => this.address(n))
    const all = this.o.proxied ? [...addrs, ...this.nodes.map((n) => `127.0.1.${n}`)] : addrs
    this.port = await freePort(all)
    if (this.o.rrpMode !== undefined) {
      do this.port1 = await freePort(this.nodes.map((n) => this.ring1Address(n)))
      while (this.port1 === this.port)
    }
    return this
  }

  ring1Address(id: number): string {
    return this.o.ring1Address?.(id) ?? `127.0.2.${id}`
  }

  stateDir(id: number): string {
    return join(this.dir, `s${id}`)
  }
  socket(id: number): string {
    return join(this.stateDir(id), 'totemd.sock')
  }
  cpgSocket(id: number): string {
    return join(this.stateDir(id), 'cpg.sock')
  }
  confPath(id: number): string {
    return join(this.dir, `node${id}.conf`)
  }

  conf(id: number): string {
    const addr = (n: number): string =>
      this.o.proxied && n !== id ? `127.0.1.${n}` : this.address(n)
    const rrp = this.o.rrpMode
    const ring1 = (n: number): string =>
      rrp === undefined ? '' : `    ring1_addr: ${this.ring1Address(n)}\n`
    const nodes = this.nodes
      .map((n) => `  node {\n    nodeid: ${n}\n    ring0_addr: ${addr(n)}\n${ring1(n)}  }\n`)
      .join('')
    const rrpTotem =
      rrp === undefined
        ? ''
        : `  rrp_mode: ${rrp}\n  interface {\n    linknumber: 1\n    mcastport: ${this.port1}\n  }\n`
    return `system {
  state_dir: ${this.stateDir(id)}
}
totem {
  version: 2
  cluster_name: cpgbench
  transport: udpu
  token: ${this.o.token ?? 1000}
  token_coefficient: 0
  crypto_cipher: none
  crypto_hash: none
${this.o.extraTotem ?? ''}  interface {
    linknumber: 0
    mcastport: ${this.port}
  }
${rrpTotem}}
nodelist {
${nodes}}
logging {
  to_stderr: yes
}
`
  }

  /** Starts node `id`'s totemd with any extra arguments. */
  start(id: number, extra: readonly string[] = []): Running {
    mkdirSync(this.stateDir(id), { recursive: true })
    writeFileSync(this.confPath(id), this.conf(id))
    const argv = [
      ...(this.o.wrap?.(id) ?? []),
      TOTEMD,
      '-c',
      this.confPath(id),
      '--nodeid',
      String(id),
      '--log-level',
      'warn',
      ...extra,
    ]
    const proc = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
    const r: Running = {
      id,
      proc,
      stderr: '',
      exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))),
    }
    proc.stderr?.on('data', (b: Buffer) => {
      if (r.stderr.length < 1_000_000) r.stderr += b.toString()
    })
    this.running.set(id, r)
    return r
  }

  async request(id: number, cmd: string): Promise<ControlResponse> {
    return controlRequest(this.socket(id), cmd, { timeoutMs: 2000 })
  }

  async result(id: number, cmd: string): Promise<Record<string, unknown>> {
    const r = await this.request(id, cmd)
    if (!r.ok) throw new Error(`${cmd} on node ${id}: ${r.error.code} ${r.error.message}`)
    return r.result as Record<string, unknown>
  }

  /** Waits until node `id` answers, and notes the daemon's pid (not the launcher's). */
  async ready(id: number, ms = 30_000): Promise<void> {
    const r = this.running.get(id)
    const res = await waitFor(
      async () => {
        if (r?.proc.exitCode !== null) throw new Error(`node ${id} exited:\n${r?.stderr}`)
        return (await this.result(id, 'ping')) as { pid: number }
      },
      `node ${id} to answer`,
      ms,
    )
    if (r) r.pid = res.pid
  }

  /** Waits until every listed node is OPERATIONAL in one ring with exactly `members`. */
  async ring(members: readonly number[], ms = 20_000): Promise<string> {
    return waitFor(
      async () => {
        const ids = new Set<string>()
        for (const id of members) {
          const s = await this.result(id, 'status')
          if (s.state !== 'operational') return undefined
          if (JSON.stringify(s.members) !== JSON.stringify(members)) return undefined
          ids.add(String(s.ringId))
        }
        return ids.size === 1 ? [...ids][0] : undefined
      },
      `one ring of ${members.join(',')}`,
      ms,
    )
  }

  /** kill -9 of the daemon process (a crash); resolves with the kill's wall-clock time. */
  async crash(id: number): Promise<number> {
    const r = this.running.get(id)
    if (r?.pid === undefined) throw new Error(`node ${id} is not running`)
    process.kill(r.pid, 'SIGKILL')
    const t = Date.now()
    await r.exited
    this.running.delete(id)
    return t
  }

  /** Kills whatever still runs (SIGKILL to daemons and launchers) and removes the temp dir. */
  async destroy(): Promise<void> {
    for (const r of this.running.values()) {
      try {
        if (r.pid !== undefined) process.kill(r.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
      r.proc.kill('SIGKILL')
    }
    await Promise.all([...this.running.values()].map((r) => r.exited))
    this.running.clear()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
