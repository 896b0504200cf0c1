/**
 * A cluster of totemd daemons for integration tests: child processes through the repository's
 * `totemd` bin launcher, on 127.0.0.N (optionally behind @totem-ts/udp's fault proxy on
 * 127.0.1.N, or inside network namespaces through a command prefix), one temp dir for configs,
 * state and traces, control-socket polling, and the harness's own EVS trace events (crash, heal).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseTrace, type TraceEvent } from '@totem-ts/evs-checker'
import { freePort } from './ports.ts'
import { mergeTraceFiles, ProcessHarness, type Running } from './processes.ts'
import { waitFor } from './wait.ts'

/**
 * totemd's bin launcher, through the workspace root's node_modules (the root depends on every
 * app, and tests run daemons, never import them).
 */
export const TOTEMD: string = fileURLToPath(
  new URL('../../../node_modules/@totem-ts/daemon/bin/totemd.mjs', import.meta.url),
)

/** Options of one {@link DaemonCluster}. */
export interface ClusterOptions {
  /** Node ids. @defaultValue [1, 2, 3] */
  readonly nodes?: readonly number[]
  /** `totem { token }` in ms. @defaultValue 500 */
  readonly token?: number
  /** aes256 + sha256 with the cluster's {@link DaemonCluster.keyFile} (the test writes it). */
  readonly crypto?: boolean
  /** Nodelists point at the fault proxy's addresses (127.0.1.N) instead of the nodes'. */
  readonly proxied?: boolean
  /** The address of node `id`. @defaultValue 127.0.0.id */
  readonly address?: (id: number) => string
  /** A command prefix for node `id`'s daemon (e.g. `ip netns exec ns1`). */
  readonly wrap?: (id: number) => readonly string[]
  /** Checks the port only on these addresses. @defaultValue the nodes' addresses */
  readonly portCheckAddresses?: readonly string[]
  /** Lines added to the `totem` block (each ending in a newline, indented by two spaces). */
  readonly extraTotem?: string
  /**
   * Two networks (redundant ring protocol) in this mode: `ring1_addr` on `ring1Address(id)` and a
   * second `interface` block (linknumber 1) with its own port. Absent: one network.
   */
  readonly rrpMode?: 'active' | 'passive'
  /** Ring 1's address of node `id`. @defaultValue 127.0.2.id (127.0.1.N is the fault proxy's) */
  readonly ring1Address?: (id: number) => string
  /** `cluster_name`, also the temp dir's prefix. @defaultValue 'inttest' */
  readonly name?: string
  /** Starts every daemon with `--evs-trace` into {@link DaemonCluster.tracePath}. */
  readonly evsTrace?: boolean
  /** `--log-level` of every daemon. @defaultValue the daemon's own (info) */
  readonly logLevel?: string
}

/** A cluster of daemons in one temp dir. Call `init()` first and `destroy()` at the end. */
export class DaemonCluster extends ProcessHarness {
  readonly nodes: readonly number[]
  /** Where `crypto` clusters read their key (written by the test). */
  readonly keyFile: string
  /** Ring 0's port, chosen by `init()`. */
  port = 0
  /** Ring 1's port (`rrpMode` only), chosen by `init()`. */
  port1 = 0
  private readonly o: ClusterOptions

  constructor(o: ClusterOptions = {}) {
    super(`${o.name ?? 'inttest'}-int-`)
    this.o = o
    this.nodes = o.nodes ?? [1, 2, 3]
    this.keyFile = join(this.dir, 'authkey')
  }

  /** Chooses free ports on every address the cluster will use. */
  async init(): Promise<this> {
    const addrs = this.o.portCheckAddresses ?? this.nodes.map((n) => this.address(n))
    const all = this.o.proxied ? [...addrs, ...this.nodes.map((n) => `127.0.1.${n}`)] : addrs
    this.port = await freePort(all)
    if (this.o.rrpMode !== undefined)
      this.port1 = await freePort(
        this.nodes.map((n) => this.ring1Address(n)),
        [this.port],
      )
    return this
  }

  address(id: number): string {
    return this.o.address?.(id) ?? `127.0.0.${id}`
  }
  ring1Address(id: number): string {
    return this.o.ring1Address?.(id) ?? `127.0.2.${id}`
  }
  confPath(id: number): string {
    return join(this.dir, `node${id}.conf`)
  }

  /** corosync.conf of node `id` (each key on its own line, as corosync writes them). */
  conf(id: number): string {
    const crypto = this.o.crypto === true
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
  cluster_name: ${this.o.name ?? 'inttest'}
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
${rrpTotem}}
nodelist {
${nodes}}
logging {
  to_stderr: yes
}
`
  }

  /** Writes node `id`'s config and starts its totemd with any extra arguments. */
  start(id: number, extra: readonly string[] = []): Running {
    mkdirSync(this.stateDir(id), { recursive: true })
    writeFileSync(this.confPath(id), this.conf(id))
    const argv = [
      ...(this.o.wrap?.(id) ?? []),
      process.execPath,
      TOTEMD,
      '-c',
      this.confPath(id),
      '--nodeid',
      String(id),
      ...(this.o.evsTrace ? ['--evs-trace', this.tracePath(id)] : []),
      ...(this.o.logLevel === undefined ? [] : ['--log-level', this.o.logLevel]),
      ...extra,
    ]
    return this.spawnNode(id, argv)
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

  /** Every trace file, merged: per node in file order (stable by `t` with the harness's events). */
  traces(): TraceEvent[] {
    return mergeTraceFiles(
      [...this.nodes.map((n) => this.tracePath(n)), this.harnessTrace],
      parseTrace,
    )
  }
}
