/**
 * Local totemd clusters for the demo, the bench and the integration test: a temp dir with a
 * generated corosync.conf per node and a cluster key, daemons on 127.0.0.N started through the
 * repository's `totemd` bin (tools never import the daemon app; they run it), and their control
 * sockets. Everything started here is stopped by {@link LocalCluster.destroy}.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  type WriteStream,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createCryptoRandom, KEY_BYTES_DEFAULT, writeKeyFile } from '@totem-ts/crypto'
import { controlRequest } from '@totem-ts/stack'
import { LockError, LockErrorCode } from './errors.ts'

/** Options of {@link createLocalCluster}. */
export interface LocalClusterOptions {
  /** Node ids; node N listens on 127.0.0.N. @defaultValue [1, 2, 3] */
  readonly nodes?: readonly number[]
  /** Authenticate and encrypt (aes256 + sha256) with a generated key. @defaultValue true */
  readonly crypto?: boolean
  /** totem.token in ms. @defaultValue 1000 */
  readonly tokenMs?: number
  /** The totemd launcher (a .mjs run with this node, or an executable). Found in node_modules by default. */
  readonly totemd?: string
  /**
   * Several LANs joined by gateways (the multiple-ring protocol): each LAN its own UDP port and
   * `multiring_lan`; a node listed on two or more LANs runs `totem-gateway` with one config per
   * LAN, the others `totemd` with `multiring: on`. `nodes` is then every node of every LAN.
   * @defaultValue one ring of `nodes`, no multiring
   */
  readonly lans?: readonly { readonly lan: number; readonly nodes: readonly number[] }[]
  /** The totem-gateway launcher (with `lans`). Found in node_modules by default. */
  readonly gateway?: string
}

/** One daemon of a {@link LocalCluster}. */
export interface LocalNode {
  readonly id: number
  readonly proc: ChildProcess
  readonly exited: Promise<number | null>
  /** The daemon's own pid (not the launcher's), once it answered. */
  pid: number | undefined
}

/** Finds the `totemd` launcher: $TOTEMD, then node_modules up from this file. */
export function findTotemd(): string {
  const env = process.env.TOTEMD
  if (env !== undefined && env !== '') return env
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    for (const rel of [
      'node_modules/@totem-ts/daemon/bin/totemd.mjs',
      'node_modules/.bin/totemd',
    ]) {
      const p = join(dir, rel)
      if (existsSync(p)) return p
    }
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  throw new LockError(
    LockErrorCode.InvalidArgument,
    'cannot find totemd (install @totem-ts/daemon or set TOTEMD)',
  )
}

/** Finds the `totem-gateway` launcher: $TOTEM_GATEWAY, then node_modules up from this file. */
export function findGateway(): string {
  const env = process.env.TOTEM_GATEWAY
  if (env !== undefined && env !== '') return env
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    for (const rel of [
      'node_modules/@totem-ts/gateway/bin/totem-gateway.mjs',
      'node_modules/.bin/totem-gateway',
    ]) {
      const p = join(dir, rel)
      if (existsSync(p)) return p
    }
    const up = dirname(dir)
    if (up === dir) break
    dir = up
  }
  throw new LockError(
    LockErrorCode.InvalidArgument,
    'cannot find totem-gateway (install @totem-ts/gateway or set TOTEM_GATEWAY)',
  )
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** A cluster of totemd daemons on this machine. */
export class LocalCluster {
  readonly dir: string
  readonly nodes: readonly number[]
  readonly keyFile: string
  readonly running: Map<number, LocalNode> = new Map()
  readonly crypto: boolean
  port = 0
  /** UDP port per LAN (with `lans`). */
  readonly lanPorts: Map<number, number> = new Map()
  readonly #o: LocalClusterOptions
  readonly #totemd: string
  readonly #logs = new Map<number, WriteStream>()

  constructor(o: LocalClusterOptions = {}) {
    this.#o = o
    this.nodes =
      o.lans === undefined
        ? (o.nodes ?? [1, 2, 3])
        : [...new Set(o.lans.flatMap((l) => l.nodes))].sort((a, b) => a - b)
    this.crypto = o.crypto ?? true
    this.#totemd = o.totemd ?? findTotemd()
    this.dir = mkdtempSync(join(tmpdir(), 'totem-demo-'))
    this.keyFile = join(this.dir, 'authkey')
  }

  /** Picks a UDP port free on every node address and writes the key (crypto on). */
  async init(): Promise<this> {
    for (let i = 0; i < 50 && this.port === 0; i++) {
      const port = 20_000 + Math.floor(Math.random() * 40_000)
      let ok = true
      for (const n of this.nodes) if (!(await bindable(`127.0.0.${n}`, port))) ok = false
      if (ok) this.port = port
    }
    if (this.port === 0) throw new Error('no free UDP port on 127.0.0.x')
    for (const l of this.#o.lans ?? []) {
      for (let i = 0; i < 50 && !this.lanPorts.has(l.lan); i++) {
        const port = 20_000 + Math.floor(Math.random() * 40_000)
        if (port === this.port || [...this.lanPorts.values()].includes(port)) continue
        let ok = true
        for (const n of l.nodes) if (!(await bindable(`127.0.0.${n}`, port))) ok = false
        if (ok) this.lanPorts.set(l.lan, port)
      }
      if (!this.lanPorts.has(l.lan)) throw new Error(`no free UDP port for LAN ${l.lan}`)
    }
    if (this.crypto) {
      const key = new Uint8Array(KEY_BYTES_DEFAULT)
      createCryptoRandom().fill(key)
      writeKeyFile(this.keyFile, key)
    }
    return this
  }

  stateDir(id: number): string {
    return join(this.dir, `node${id}`)
  }
  controlSocket(id: number): string {
    return join(this.stateDir(id), 'totemd.sock')
  }
  cpgSocket(id: number): string {
    return join(this.stateDir(id), 'cpg.sock')
  }
  confPath(id: number): string {
    return join(this.dir, `node${id}.conf`)
  }
  logPath(id: number): string {
    return join(this.dir, `node${id}.log`)
  }

  /** The LANs node `id` is on (with `lans`), ascending. */
  lansOf(id: number): { readonly lan: number; readonly nodes: readonly number[] }[] {
    return (this.#o.lans ?? []).filter((l) => l.nodes.includes(id))
  }
  /** Nodes on two or more LANs: they run totem-gateway. */
  get gateways(): number[] {
    return this.nodes.filter((id) => this.lansOf(id).length > 1)
  }
  /** The config of node `id` on `lan` (with `lans`). */
  lanConfPath(id: number, lan: number): string {
    return join(this.dir, `node${id}-lan${lan}.conf`)
  }

  /** The generated corosync.conf of node `id` (on `lan`, with `lans`). */
  conf(id: number, lan?: { readonly lan: number; readonly nodes: readonly number[] }): string {
    const nodes = (lan?.nodes ?? this.nodes)
      .map((n) => `  node {\n    nodeid: ${n}\n    ring0_addr: 127.0.0.${n}\n  }\n`)
      .join('')
    return `system {
  state_dir: ${this.stateDir(id)}
}
totem {
  version: 2
  cluster_name: totem-demo
  transport: udpu
  token: ${this.#o.tokenMs ?? 1000}
  token_coefficient: 0
  crypto_cipher: ${this.crypto ? 'aes256' : 'none'}
  crypto_hash: ${this.crypto ? 'sha256' : 'none'}
  keyfile: ${this.keyFile}
${lan === undefined ? '' : `  multiring: on\n  multiring_lan: ${lan.lan}\n`}  interface {
    linknumber: 0
    mcastport: ${lan === undefined ? this.port : this.lanPorts.get(lan.lan)}
  }
}
nodelist {
${nodes}}
logging {
  to_stderr: yes
}
`
  }

  /** Starts node `id` (its stderr goes to `<dir>/node<id>.log`). */
  start(id: number): LocalNode {
    mkdirSync(this.stateDir(id), { recursive: true })
    const args: string[] = []
    const lans = this.lansOf(id)
    if (this.#o.lans === undefined) {
      writeFileSync(this.confPath(id), this.conf(id))
      args.push('-c', this.confPath(id))
    } else
      for (const l of lans) {
        writeFileSync(this.lanConfPath(id, l.lan), this.conf(id, l))
        args.push('-c', this.lanConfPath(id, l.lan))
      }
    args.push('--nodeid', String(id))
    const bin = lans.length > 1 ? (this.#o.gateway ?? findGateway()) : this.#totemd
    const proc = bin.endsWith('.mjs')
      ? spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] })
    let log = this.#logs.get(id)
    if (log === undefined) {
      log = createWriteStream(this.logPath(id), { flags: 'a' })
      this.#logs.set(id, log)
    }
    const l = log
    proc.stderr?.on('data', (b: Buffer) => l.write(b))
    const n: LocalNode = {
      id,
      proc,
      pid: undefined,
      exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))),
    }
    this.running.set(id, n)
    return n
  }

  /** Node `id`'s `status` over its control socket (a gateway's has `multiring.forwarding`, `lag`). */
  status(id: number): Promise<Record<string, unknown>> {
    return this.#result(id, 'status')
  }

  async #result(id: number, cmd: string): Promise<Record<string, unknown>> {
    const r = await controlRequest(this.controlSocket(id), cmd, { timeoutMs: 2000 })
    if (!r.ok) throw new Error(`${cmd} on node ${id}: ${r.error.code} ${r.error.message}`)
    return r.result as Record<string, unknown>
  }

  /** Waits until node `id` answers on its control socket (and notes the daemon's pid). */
  async ready(id: number, ms = 30_000): Promise<void> {
    const n = this.running.get(id)
    const end = Date.now() + ms
    for (;;) {
      if (n?.proc.exitCode !== null && n?.proc.exitCode !== undefined)
        throw new Error(`totemd on node ${id} exited (${n.proc.exitCode}):\n${this.logTail(id)}`)
      try {
        const r = (await this.#result(id, 'ping')) as { pid: number }
        if (n !== undefined) n.pid = r.pid
        if (existsSync(this.cpgSocket(id))) return
      } catch {
        // Not up yet.
      }
      if (Date.now() > end)
        throw new Error(`totemd on node ${id} did not answer in ${ms} ms:\n${this.logTail(id)}`)
      await sleep(100)
    }
  }

  /** Waits until every node of `members` is operational in one ring of exactly those nodes. */
  async ring(members: readonly number[], ms = 30_000): Promise<string> {
    const end = Date.now() + ms
    for (;;) {
      try {
        const ids = new Set<string>()
        let ok = true
        for (const id of members) {
          const s = await this.#result(id, 'status')
          if (s.state !== 'operational' || JSON.stringify(s.members) !== JSON.stringify(members))
            ok = false
          ids.add(String(s.ringId))
        }
        if (ok && ids.size === 1) return [...ids][0] as string
      } catch {
        // A node is busy or restarting.
      }
      if (Date.now() > end)
        throw new Error(
          `no ring of ${members.join(',')} within ${ms} ms:\n${await this.#ringReport(members)}`,
        )
      await sleep(100)
    }
  }

  /** One line per node: what it reports (for a ring that did not form). */
  async #ringReport(members: readonly number[]): Promise<string> {
    const lines: string[] = []
    for (const id of members) {
      try {
        const s = await this.#result(id, 'status')
        const mr = s.multiring as { topology?: { ring: string }[] } | undefined
        const topo =
          mr?.topology === undefined ? '' : ` topology ${mr.topology.map((r) => r.ring).join(' ')}`
        lines.push(
          `  node ${id}: ${String(s.state)} ring ${String(s.ringId)} members ${JSON.stringify(s.members)}${topo}`,
        )
      } catch (e) {
        lines.push(`  node ${id}: ${e instanceof Error ? e.message : String(e)}`)
      }
    }
    return lines.join('\n')
  }

  /** kill -9 of node `id`'s daemon: a crash. */
  async crash(id: number): Promise<void> {
    const n = this.running.get(id)
    if (n?.pid === undefined) throw new Error(`node ${id} is not running`)
    process.kill(n.pid, 'SIGKILL')
    await n.exited
    this.running.delete(id)
  }

  /** The last lines of node `id`'s log. */
  logTail(id: number, lines = 20): string {
    try {
      return readFileSync(this.logPath(id), 'utf8').split('\n').slice(-lines).join('\n')
    } catch {
      return ''
    }
  }

  /** Stops every daemon (SIGTERM, then SIGKILL after 3 s) and removes the temp dir. */
  async destroy(keepDir = false): Promise<void> {
    const all = [...this.running.values()]
    for (const n of all) n.proc.kill('SIGTERM')
    const timeout = sleep(3000).then(() => {
      for (const n of all) {
        try {
          if (n.pid !== undefined) process.kill(n.pid, 'SIGKILL')
        } catch {
          // Gone.
        }
        n.proc.kill('SIGKILL')
      }
    })
    await Promise.race([Promise.all(all.map((n) => n.exited)), timeout])
    await Promise.all(all.map((n) => n.exited))
    this.running.clear()
    for (const l of this.#logs.values()) l.end()
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Creates and initialises a {@link LocalCluster} (nothing is started yet). */
export function createLocalCluster(o: LocalClusterOptions = {}): Promise<LocalCluster> {
  return new LocalCluster(o).init()
}
