/**
 * Integration harness: totemd daemons as child processes through the bin launcher, on
 * 127.0.0.1/.2/.3 (optionally behind @totem-ts/udp's fault proxy on 127.0.1.N), temp state dirs,
 * control-socket polling, and the harness's own EVS trace file (crash, heal).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseTrace, type TraceEvent } from '@totem-ts/evs-checker'
import { type ControlResponse, controlRequest } from '@totem-ts/stack'

export const TOTEMD = fileURLToPath(new URL('../bin/totemd.mjs', import.meta.url))

/** Options of one cluster. */
export interface ClusterOptions {
  readonly nodes?: readonly number[]
  readonly token?: number
  readonly crypto?: boolean
  /** Nodelists point at the fault proxy's addresses (127.0.1.N) instead of the nodes'. */
  readonly proxied?: boolean
  readonly extraTotem?: string
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

/** A random high port free on every address the test will use (retried on EADDRINUSE). */
export async function freePort(addresses: readonly string[]): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000)
    let ok = true
    for (const a of addresses) if (!(await bindable(a, port))) ok = false
    if (ok) return port
  }
  throw new Error('no free UDP port found on loopback')
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
  readonly running = new Map<number, Running>()
  readonly harnessTrace: string
  readonly keyFile: string
  port = 0
  private readonly o: ClusterOptions

  constructor(o: ClusterOptions = {}) {
    this.o = o
    this.nodes = o.nodes ?? [1, 2, 3]
    this.dir = mkdtempSync(join(tmpdir(), 'totemd-int-'))
    this.harnessTrace = join(this.dir, 'harness.jsonl')
    this.keyFile = join(this.dir, 'authkey')
    writeFileSync(this.harnessTrace, '')
  }

  async init(): Promise<this> {
    const addrs = this.nodes.map((n) => `127.0.0.${n}`)
    if (this.o.proxied) addrs.push(...this.nodes.map((n) => `127.0.1.${n}`))
    this.port = await freePort(addrs)
    return this
  }

  stateDir(id: number): string {
    return join(this.dir, `s${id}`)
  }
  socket(id: number): string {
    return join(this.stateDir(id), 'totemd.sock')
  }
  tracePath(id: number): string {
    return join(this.dir, `trace-${id}.jsonl`)
  }
  confPath(id: number): string {
    return join(this.dir, `node${id}.conf`)
  }

  /** corosync.conf of node `id` (each key on its own line, as corosync writes them). */
  conf(id: number): string {
    const crypto = this.o.crypto === true
    const addr = (n: number): string =>
      this.o.proxied && n !== id ? `127.0.1.${n}` : `127.0.0.${n}`
    const nodes = this.nodes
      .map((n) => `  node {\n    nodeid: ${n}\n    ring0_addr: ${addr(n)}\n  }\n`)
      .join('')
    return `system {
  state_dir: ${this.stateDir(id)}
}
totem {
  version: 2
  cluster_name: inttest
  transport: udpu
  token: ${this.o.token ?? 500}
  token_coefficient: 0
  crypto_cipher: ${crypto ? 'aes256' : 'none'}
  crypto_hash: ${crypto ? 'sha256' : 'none'}
  keyfile: ${this.keyFile}
${this.o.extraTotem ?? ''}  interface {
    linknumber: 0
    mcastport: ${this.port}
  }
}
nodelist {
${nodes}}
logging {
  to_stderr: yes
}
`
  }

  /** Starts node `id` through bin/totemd.mjs with `--evs-trace` and any extra arguments. */
  start(id: number, extra: readonly string[] = []): Running {
    mkdirSync(this.stateDir(id), { recursive: true })
    writeFileSync(this.confPath(id), this.conf(id))
    const proc = spawn(
      process.execPath,
      [
        TOTEMD,
        '-c',
        this.confPath(id),
        '--nodeid',
        String(id),
        '--evs-trace',
        this.tracePath(id),
        ...extra,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
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
  async ready(id: number): Promise<void> {
    const r = this.running.get(id)
    const res = await waitFor(async () => {
      if (r?.proc.exitCode !== null) throw new Error(`node ${id} exited:\n${r?.stderr}`)
      return (await this.result(id, 'ping')) as { pid: number }
    }, `node ${id} to answer`)
    if (r) r.pid = res.pid
  }

  /** Waits until every listed node is OPERATIONAL in one ring with exactly `members`. */
  async ring(members: readonly number[], ms = 15_000): Promise<string> {
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

  /** kill -9 of the daemon process (a crash), with a `crash` event in the harness trace. */
  async crash(id: number): Promise<void> {
    const r = this.running.get(id)
    if (r?.pid === undefined) throw new Error(`node ${id} is not running`)
    process.kill(r.pid, 'SIGKILL')
    this.event({ ev: 'crash', node: id, t: Date.now() })
    await r.exited
    this.running.delete(id)
  }

  /** SIGTERM to the launcher (forwarded to the daemon): orderly leave; resolves with the exit code. */
  async stop(id: number): Promise<number | null> {
    const r = this.running.get(id)
    if (!r) return null
    r.proc.kill('SIGTERM')
    const code = await r.exited
    this.running.delete(id)
    return code
  }

  heal(): void {
    this.event({ ev: 'heal', t: Date.now() })
  }

  private event(e: Record<string, unknown>): void {
    appendFileSync(this.harnessTrace, `${JSON.stringify(e)}\n`)
  }

  /** Every trace file, merged: per node in file order (stable by `t` with the harness's events). */
  traces(): TraceEvent[] {
    const all: TraceEvent[] = []
    for (const f of [...this.nodes.map((n) => this.tracePath(n)), this.harnessTrace]) {
      let text = ''
      try {
        text = readFileSync(f, 'utf8')
      } catch {
        continue
      }
      all.push(...parseTrace(text))
    }
    return all
      .map((e, i) => ({ e, i }))
      .sort((a, b) => a.e.t - b.e.t || a.i - b.i)
      .map((x) => x.e)
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
