/**
 * The interop lab: network namespaces joined by one bridge, each holding one node, with private
 * addresses 10.213.0.N/24 that exist only inside them. A corosync runs in its namespace under its
 * own mount namespace (tmpfs on /run, /dev/shm, /var/lib/corosync, /var/log/corosync), so nothing
 * it writes or locks is shared with the host or another node; totemd runs in its namespace through
 * the repository's bin launcher. Every namespace and process the lab creates is removed by
 * `destroy()`, which the suite calls in afterAll (and a failed `create()` calls itself).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor as kitWaitFor, sleep } from '@totem-ts/testkit'

const repo = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url))
export const TOTEMD: string = repo('apps/daemon/bin/totemd.mjs')
export const CFGTOOL: string = repo('tools/cfgtool/bin/totem-cfgtool.mjs')
export const CPGTOOL: string = repo('tools/cpgtool/bin/totem-cpgtool.mjs')
export const CLIENT: string = repo('tools/interop/bin/totem-interop-client.mjs')
export const C_CLIENT_SRC: string = repo('tools/interop/c/tti-cpgclient.c')

const has = (cmd: string, args: string[]): boolean => {
  try {
    return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0
  } catch {
    return false
  }
}

/** Why the suite cannot run here, or undefined when it can. */
export function missingPrerequisite(): string | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0)
    return 'needs root (network namespaces)'
  if (!has('ip', ['-V'])) return 'needs iproute2 (`ip`)'
  if (!has('corosync', ['-v'])) return 'needs corosync (apt-get install -y corosync libcpg-dev gcc)'
  if (!has('gcc', ['--version'])) return 'needs gcc'
  if (!has('sh', ['-c', 'test -e /usr/include/corosync/cpg.h'])) return 'needs libcpg-dev'
  return undefined
}

export { sleep }

/** Polls `cond` until it returns a value (or throws after `ms`, naming `what`), every 100 ms. */
export const waitFor = <T>(
  cond: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  ms = 20_000,
): Promise<T> => kitWaitFor(cond, what, { ms, everyMs: 100 })

export type NodeKind = 'corosync' | 'totemd'

interface Proc {
  readonly proc: ChildProcess
  readonly exited: Promise<number | null>
  log: string
}

function track(proc: ChildProcess, logFile: string): Proc {
  const p: Proc = {
    proc,
    log: '',
    exited: new Promise((r) => proc.once('exit', (code) => r(code))),
  }
  const add = (b: Buffer): void => {
    const s = b.toString()
    p.log += s
    if (p.log.length > 200_000) p.log = p.log.slice(-100_000)
    appendFileSync(logFile, s)
  }
  proc.stdout?.on('data', add)
  proc.stderr?.on('data', add)
  return p
}

/** One lab: namespaces, configs, daemons and clients. */
export class Lab {
  readonly tag: string
  readonly dir: string
  readonly kinds: ReadonlyMap<number, NodeKind>
  /** The C client, built by `create()`. */
  readonly cClient: string
  readonly #namespaces: string[] = []
  readonly #daemons = new Map<number, Proc>()
  readonly #clients = new Set<Proc>()
  #destroyed = false

  constructor(name: string, kinds: ReadonlyMap<number, NodeKind>) {
    // Unique per run and lab, short (interface names), prefixed `tti` for this suite.
    this.tag = `tti${name}${process.pid.toString(36)}`
    this.kinds = kinds
    this.dir = mkdtempSync(join(tmpdir(), `tti-${name}-`))
    this.cClient = join(this.dir, 'tti-cpgclient')
  }

  get nodes(): number[] {
    return [...this.kinds.keys()].sort((a, b) => a - b)
  }
  ns(id: number): string {
    return `${this.tag}n${id}`
  }
  address(id: number): string {
    return `10.213.0.${id}`
  }
  stateDir(id: number): string {
    return join(this.dir, `s${id}`)
  }
  confPath(id: number): string {
    return join(this.dir, `node${id}.conf`)
  }
  controlSocket(id: number): string {
    return join(this.stateDir(id), 'totemd.sock')
  }
  cpgSocket(id: number): string {
    return join(this.stateDir(id), 'cpg.sock')
  }
  ringTrace(id: number): string {
    return join(this.dir, `ring-${id}.jsonl`)
  }

  /** Namespaces, bridge, veths, configs, and the C client built with gcc. */
  create(): void {
    try {
      const hub = `${this.tag}h`
      this.#ip('netns', 'add', hub)
      this.#namespaces.push(hub)
      this.#ip('-n', hub, 'link', 'add', 'br0', 'type', 'bridge')
      this.#ip('-n', hub, 'link', 'set', 'br0', 'up')
      for (const id of this.nodes) {
        const ns = this.ns(id)
        this.#ip('netns', 'add', ns)
        this.#namespaces.push(ns)
        this.#ip('-n', ns, 'link', 'set', 'lo', 'up')
        // Created inside the node's namespace and the peer moved to the hub: nothing in the host's.
        this.#ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `h${id}`)
        this.#ip('-n', ns, 'link', 'set', `h${id}`, 'netns', hub)
        this.#ip('-n', ns, 'addr', 'add', `${this.address(id)}/24`, 'dev', 'eth0')
        this.#ip('-n', ns, 'link', 'set', 'eth0', 'up')
        this.#ip('-n', hub, 'link', 'set', `h${id}`, 'master', 'br0')
        this.#ip('-n', hub, 'link', 'set', `h${id}`, 'up')
        mkdirSync(this.stateDir(id), { recursive: true })
        writeFileSync(this.confPath(id), this.conf(id))
      }
      execFileSync('gcc', ['-O2', '-Wall', '-o', this.cClient, C_CLIENT_SRC, '-lcpg'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      })
    } catch (e) {
      void this.destroy()
      throw e
    }
  }

  #ip(...args: string[]): void {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  }

  /**
   * The same corosync.conf for every node: udpu, crypto off, a short token so failures are found
   * in about two seconds, votequorum (so `corosync-quorumtool` has something to show), and
   * `interop: corosync3` (totemd's compatibility mode; corosync ignores the key).
   */
  conf(id: number): string {
    const nodes = this.nodes
      .map((n) => `  node {\n    nodeid: ${n}\n    ring0_addr: ${this.address(n)}\n  }\n`)
      .join('')
    return `system {
  state_dir: ${this.stateDir(id)}
}
totem {
  version: 2
  cluster_name: tti
  transport: udpu
  crypto_cipher: none
  crypto_hash: none
  ip_version: ipv4
  token: 1000
  token_coefficient: 0
  interop: corosync3
}
nodelist {
${nodes}}
quorum {
  provider: corosync_votequorum
}
logging {
  to_stderr: yes
  to_logfile: no
  to_syslog: no
  timestamp: hires
}
`
  }

  /** Starts node `id` (corosync or totemd, by its kind). */
  start(id: number): void {
    if (this.#daemons.has(id)) throw new Error(`node ${id} is already running`)
    const log = join(this.dir, `daemon-${id}.log`)
    appendFileSync(log, `--- start ${new Date().toISOString()}\n`)
    let proc: ChildProcess
    if (this.kinds.get(id) === 'corosync') {
      // `ip netns exec` and `unshare` exec, and so does the shell: the child is corosync itself.
      const mounts = ['/run', '/dev/shm', '/var/lib/corosync', '/var/log/corosync']
        .map((m) => `mount -t tmpfs tmpfs ${m}`)
        .join(' && ')
      proc = spawn(
        'ip',
        [
          'netns',
          'exec',
          this.ns(id),
          'unshare',
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          `${mounts} && mkdir -p /run/corosync && exec corosync -f -c ${this.confPath(id)}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
    } else {
      proc = spawn(
        'ip',
        [
          'netns',
          'exec',
          this.ns(id),
          process.execPath,
          TOTEMD,
          '-c',
          this.confPath(id),
          '-n',
          String(id),
          '--evs-trace',
          this.ringTrace(id),
          '-l',
          'info',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
    }
    this.#daemons.set(id, track(proc, log))
  }

  /**
   * SIGKILL of node `id`: corosync itself, or totemd's launcher and the daemon it runs (killed
   * together, and awaited until both are gone, so nothing of the dead node is written after).
   */
  async kill(id: number): Promise<void> {
    const d = this.#daemons.get(id)
    if (d === undefined) return
    const children = d.proc.pid === undefined ? [] : childPids(d.proc.pid)
    d.proc.kill('SIGKILL')
    for (const c of children) killPid(c)
    await d.exited
    await waitFor(() => children.every((c) => !alive(c)), `node ${id}'s processes gone`, 10_000)
    this.#daemons.delete(id)
  }

  /** SIGTERM (orderly leave) and wait. */
  async stop(id: number): Promise<void> {
    const d = this.#daemons.get(id)
    if (d === undefined) return
    d.proc.kill('SIGTERM')
    const t = setTimeout(() => d.proc.kill('SIGKILL'), 10_000)
    await d.exited
    clearTimeout(t)
    this.#daemons.delete(id)
  }

  running(id: number): boolean {
    return this.#daemons.has(id)
  }

  daemonLog(id: number): string {
    return this.#daemons.get(id)?.log ?? ''
  }

  /** Runs a command inside corosync `id`'s network and mount namespaces (its IPC lives there). */
  inCorosync(id: number, cmd: string, args: string[]): string {
    const d = this.#daemons.get(id)
    if (d?.proc.pid === undefined || this.kinds.get(id) !== 'corosync')
      throw new Error(`corosync ${id} is not running`)
    // Not execFileSync: corosync-quorumtool exits non-zero when the partition is not quorate.
    const r = spawnSync('nsenter', ['-t', String(d.proc.pid), '-m', '-n', cmd, ...args], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    if (r.error !== undefined) throw r.error
    if (r.status !== 0 && r.stdout.trim() === '')
      throw new Error(
        `${cmd} ${args.join(' ')} on node ${id}: exit ${r.status}: ${r.stderr.trim()}`,
      )
    return r.stdout
  }

  /** Runs one of our tools (a bin launcher) inside node `id`'s network namespace. */
  ourTool(id: number, bin: string, args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.ns(id), process.execPath, bin, ...args], {
      encoding: 'utf8',
      timeout: 20_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  }

  /** Starts a CPG client on node `id`: the C client on corosync, ours on totemd. */
  startClient(id: number, c: ClientSpec): Client {
    const trace = join(this.dir, `cpg-${c.name}.jsonl`)
    const seq = join(this.dir, `seq-${c.name}.txt`)
    const common = ['--group', c.group, '--members', String(c.members), '--count', String(c.count)]
    common.push('--interval', String(c.intervalMs), '--trace', trace, '--seq', seq)
    let proc: ChildProcess
    if (this.kinds.get(id) === 'corosync') {
      const d = this.#daemons.get(id)
      if (d?.proc.pid === undefined) throw new Error(`corosync ${id} is not running`)
      proc = spawn('nsenter', ['-t', String(d.proc.pid), '-m', '-n', this.cClient, ...common], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    } else {
      proc = spawn(
        'ip',
        [
          'netns',
          'exec',
          this.ns(id),
          process.execPath,
          CLIENT,
          '--cpg-socket',
          this.cpgSocket(id),
          ...common,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
    }
    const p = track(proc, join(this.dir, `client-${c.name}.log`))
    this.#clients.add(p)
    void p.exited.then(() => this.#clients.delete(p))
    return { name: c.name, node: id, trace, seq, proc: p.proc, exited: p.exited }
  }

  /** SIGKILL of a client and (ours) the process its launcher runs; resolves once both are gone. */
  async killClient(c: Client): Promise<void> {
    const children = c.proc.pid === undefined ? [] : childPids(c.proc.pid)
    c.proc.kill('SIGKILL')
    for (const pid of children) killPid(pid)
    await c.exited
    await waitFor(() => children.every((pid) => !alive(pid)), `client ${c.name} gone`, 10_000)
  }

  /** `"nodeid:pid"` of a client once it has joined (it prints both), else undefined. */
  clientKey(c: Client): string | undefined {
    const m = /node (\d+) pid (\d+) joined/.exec(
      this.readText(join(this.dir, `client-${c.name}.log`)),
    )
    return m ? `${m[1]}:${m[2]}` : undefined
  }

  /** Ends a killed totemd's ring-level trace with a `crash` event. */
  appendRingCrash(id: number): void {
    appendFileSync(
      this.ringTrace(id),
      `${JSON.stringify({ ev: 'crash', node: id, t: Date.now() })}\n`,
    )
  }

  /** Ends a killed client's trace with a `crash` event (written by the harness, EVS-TRACE). */
  appendCrash(c: Client): void {
    appendFileSync(c.trace, `${JSON.stringify({ ev: 'crash', node: c.node, t: Date.now() })}\n`)
  }

  readText(path: string): string {
    try {
      return readFileSync(path, 'utf8')
    } catch {
      return ''
    }
  }

  /** Kills every process the lab started and removes every namespace it created. */
  async destroy(): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    const all = [...this.#clients, ...this.#daemons.values()]
    for (const p of all) {
      try {
        p.proc.kill('SIGKILL')
      } catch {
        // already gone
      }
    }
    await Promise.race([Promise.all(all.map((p) => p.exited)), sleep(5000)])
    this.#daemons.clear()
    for (const n of this.#namespaces.reverse()) spawnSync('ip', ['netns', 'del', n])
    this.#namespaces.length = 0
  }
}

/** Direct children of `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number)
  } catch {
    return []
  }
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // already gone
  }
}

/** False once `pid` is gone or a zombie (its parent, the killed launcher, cannot reap it). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** What a CPG client does (see client.ts and c/tti-cpgclient.c). */
export interface ClientSpec {
  /** Unique in the lab: names its files. */
  readonly name: string
  readonly group: string
  readonly members: number
  readonly count: number
  readonly intervalMs: number
}

/** A running CPG client. */
export interface Client {
  readonly name: string
  readonly node: number
  readonly trace: string
  readonly seq: string
  readonly proc: ChildProcess
  readonly exited: Promise<number | null>
}
