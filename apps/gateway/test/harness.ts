/**
 * Integration harness for multi-ring systems on loopback: LANs of totemd processes (each LAN its
 * own UDP port and 127.0.0.N addresses, `totem { multiring: on, multiring_lan: L }`) joined by
 * totem-gateway processes, all through their bin launchers, in one temp dir; control-socket
 * polling; the harness's own trace events (crash); every trace merged for the checker.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type MultiringTraceEvent, parseMultiringTrace } from '@totem-ts/evs-checker'
import {
  freePort,
  waitFor as kitWaitFor,
  mergeTraceFiles,
  ProcessHarness,
  type Running,
} from '@totem-ts/testkit'

export const GATEWAY = fileURLToPath(new URL('../bin/totem-gateway.mjs', import.meta.url))
/** totemd through the workspace root's node_modules (apps never import each other; they run). */
export const TOTEMD = fileURLToPath(
  new URL('../../../node_modules/@totem-ts/daemon/bin/totemd.mjs', import.meta.url),
)

/** Polls `cond` until it holds (or throws after `ms`, naming `what`), every 100 ms. */
export const waitFor = <T>(
  cond: () => Promise<T | undefined | false> | T | undefined | false,
  what: string,
  ms = 30_000,
): Promise<T> => kitWaitFor(cond, what, { ms, everyMs: 100 })

/** One LAN: its number and the node ids on it (node N is 127.0.0.N). Gateways are listed too. */
export interface Lan {
  readonly lan: number
  readonly nodes: readonly number[]
}

/** Several LANs, their totemd nodes and gateways, in one temp dir. */
export class MultiLan extends ProcessHarness {
  readonly lans: readonly Lan[]
  readonly ports = new Map<number, number>()
  readonly token: number
  /** False: one plain ring (no `multiring: on`), the single-ring baseline of the bench. */
  readonly multiring: boolean
  /** True: aes256 + sha256, one key file per LAN ({@link MultiLan.keyPath}). */
  readonly crypto: boolean

  constructor(lans: readonly Lan[], token = 500, multiring = true, crypto = false) {
    super('totem-gw-int-', 2_000_000)
    if (!multiring && lans.length !== 1) throw new Error('without multiring there is one LAN')
    this.lans = lans
    this.token = token
    this.multiring = multiring
    this.crypto = crypto
  }

  /** The key file every node of `lan` (its gateways too) reads for that ring. */
  keyPath(lan: number): string {
    return join(this.dir, `lan${lan}.key`)
  }

  /** Writes a fresh random key (256 bytes, as corosync-keygen) to `lan`'s key file. */
  writeKey(lan: number): void {
    writeFileSync(this.keyPath(lan), randomBytes(256), { mode: 0o600 })
  }

  async init(): Promise<this> {
    if (this.crypto) for (const l of this.lans) this.writeKey(l.lan)
    for (const l of this.lans)
      this.ports.set(
        l.lan,
        await freePort(
          l.nodes.map((n) => `127.0.0.${n}`),
          [...this.ports.values()],
        ),
      )
    return this
  }

  /** Every node id, gateways included, ascending. */
  get ids(): number[] {
    return [...new Set(this.lans.flatMap((l) => l.nodes))].sort((a, b) => a - b)
  }
  /** Nodes on two or more LANs. */
  get gateways(): number[] {
    return this.ids.filter((id) => this.lans.filter((l) => l.nodes.includes(id)).length > 1)
  }
  lansOf(id: number): Lan[] {
    return this.lans.filter((l) => l.nodes.includes(id))
  }
  confPath(id: number, lan: number): string {
    return join(this.dir, `node${id}-lan${lan}.conf`)
  }

  /** corosync.conf of node `id` on `lan` (a gateway's rings keep their ring ids apart by LAN). */
  conf(id: number, lan: Lan): string {
    const nodes = lan.nodes
      .map((n) => `  node {\n    nodeid: ${n}\n    ring0_addr: 127.0.0.${n}\n  }\n`)
      .join('')
    return `system {
  state_dir: ${this.stateDir(id)}
}
totem {
  version: 2
  cluster_name: lan${lan.lan}
  transport: udpu
  token: ${this.token}
  token_coefficient: 0
${this.crypto ? `  crypto_cipher: aes256\n  crypto_hash: sha256\n  keyfile: ${this.keyPath(lan.lan)}\n` : ''}${this.multiring ? `  multiring: on\n  multiring_lan: ${lan.lan}\n` : ''}  interface {
    linknumber: 0
    mcastport: ${this.ports.get(lan.lan)}
  }
}
nodelist {
${nodes}}
logging {
  to_stderr: yes
}
`
  }

  /** Starts node `id`: totemd on its one LAN, or totem-gateway with one config per LAN. */
  start(id: number): Running {
    mkdirSync(this.stateDir(id), { recursive: true })
    const confs: string[] = []
    for (const l of this.lansOf(id)) {
      writeFileSync(this.confPath(id, l.lan), this.conf(id, l))
      confs.push('-c', this.confPath(id, l.lan))
    }
    const bin = confs.length > 2 ? GATEWAY : TOTEMD
    return this.spawnNode(id, [
      process.execPath,
      bin,
      ...confs,
      '--nodeid',
      String(id),
      '--evs-trace',
      this.tracePath(id),
    ])
  }

  /**
   * Waits until every node of `ids` is in one multiring topology (one ring without multiring)
   * with exactly `members`.
   */
  async topology(ids: readonly number[], members: readonly number[], ms = 60_000): Promise<string> {
    return waitFor(
      async () => {
        const seen = new Set<string>()
        for (const id of ids) {
          const s = await this.result(id, 'status')
          if (!this.multiring) {
            if (s.state !== 'operational' || JSON.stringify(s.members) !== JSON.stringify(members))
              return undefined
            seen.add(String(s.ringId))
            continue
          }
          const m = s.multiring as { topologyId: string | null } | undefined
          if (m?.topologyId == null) return undefined
          if (JSON.stringify(s.members) !== JSON.stringify(members)) return undefined
          seen.add(m.topologyId)
        }
        return seen.size === 1 ? [...seen][0] : undefined
      },
      `one topology of ${members.join(',')} at ${ids.join(',')}`,
      ms,
    )
  }

  /** Every trace merged, stable by `t` (per-file order kept). */
  traces(): MultiringTraceEvent[] {
    return mergeTraceFiles(
      [...this.ids.map((n) => this.tracePath(n)), this.harnessTrace],
      parseMultiringTrace,
    )
  }
}

/**
 * The trace without the messages whose id is ambiguous: a trace id is a hash of the sender and
 * the payload (EVS-TRACE.md), so a node that sends the same bytes twice (the CPG service's
 * joinlist after each configuration change, when its processes have not changed) makes two
 * messages with one id, which the checker cannot tell apart. Their `send` and `deliver` events go;
 * every other message is checked in full.
 */
export function withoutAmbiguousIds(events: readonly MultiringTraceEvent[]): {
  events: MultiringTraceEvent[]
  ambiguous: string[]
} {
  const sends = new Map<string, number>()
  for (const e of events) if (e.ev === 'send') sends.set(e.id, (sends.get(e.id) ?? 0) + 1)
  const ambiguous = [...sends].filter(([, n]) => n > 1).map(([id]) => id)
  const drop = new Set(ambiguous)
  return {
    events: events.filter((e) => !((e.ev === 'send' || e.ev === 'deliver') && drop.has(e.id))),
    ambiguous,
  }
}
