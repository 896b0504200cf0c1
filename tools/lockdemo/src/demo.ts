/**
 * `totem-demo`: the one-command demo (and, with `--bench`, the lock benchmark). It starts three
 * totemd on 127.0.0.1/.2/.3 with crypto on, runs the lock service on all three with a live
 * display, kills one daemon with SIGKILL, shows the configurations and the dead node's locks
 * released, restarts it and shows it rejoin with the same table, and cleans up.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus, platform, release, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { type CpgHandle, initialize } from '@totem-ts/cpg'
import { createLocalCluster, type LocalCluster } from './cluster.ts'
import type { Member } from './codec.ts'
import { type Load, startLoad } from './load.ts'
import type { CheckResult, MembershipEvent } from './replica.ts'
import { createLockService, type LockService } from './service.ts'

/** Where the demo writes (tests capture it). */
export interface DemoOutput {
  out(text: string): void
  err(text: string): void
}

const stdio: DemoOutput = {
  out: (t) => {
    process.stdout.write(t)
  },
  err: (t) => {
    process.stderr.write(t)
  },
}

const HELP = `Usage: totem-demo [options]

Starts a 3-node totem-ts cluster on this machine (totemd on 127.0.0.1, .2, .3, crypto on),
runs the replicated lock service (no server) on all three, kills node 3 with SIGKILL,
shows the configuration changes and its locks released, restarts it and shows it rejoin
with the same lock table, then cleans up. About 40 seconds.

Options:
      --window W        outstanding lock requests per node (default 64)
      --locks N         lock names (default 256)
      --seconds S       seconds of load in each phase (default 6; with --bench, per window, default 8)
      --keep            keep the temp dir (configs, key, daemon logs)
      --lans N          instead: N LANs (2 or 3) of two totemd nodes each, joined in a
                        chain by totem-gateway processes (the multiple-ring protocol);
                        the lock service runs on every ordinary node, replicas are
                        compared across the LANs (about 30 seconds)
      --bench           instead: measure locks/s with 3 nodes requesting at window 1 and 64
                        (crypto off, like corosync's figures) and write JSON to bench-results/
      --crypto on|off   (with --bench) default off
      --windows LIST    (with --bench) windows to measure, default 1,64
      --batch-bytes B   lock requests batched into CPG messages of up to B bytes (default 4096)
  -h, --help            show this help

Exit status: 0 ok, 1 a check failed (replica digests differed, a lock of the dead node was
not released) or the cluster did not come up, 2 usage error, 130 interrupted.
`

const GROUP = 'lockdemo'
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
const who = (m: Member): string => `node${m.nodeId}`
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

interface Client {
  readonly id: number
  handle: CpgHandle | undefined
  service: LockService | undefined
  load: Load | undefined
  /** Grants counted before the current load started. */
  base: number
  last: number
}

class Demo {
  readonly o: DemoOutput
  readonly t0 = Date.now()
  cluster: LocalCluster | undefined
  readonly clients = new Map<number, Client>()
  checks = 0
  checksFailed = 0
  failures: string[] = []
  readonly window: number
  readonly locks: number
  batchBytes = 4096

  constructor(o: DemoOutput, window: number, locks: number) {
    this.o = o
    this.window = window
    this.locks = locks
  }

  say(text: string): void {
    const t = ((Date.now() - this.t0) / 1000).toFixed(1).padStart(5)
    this.o.out(`[${t}s] ${text}\n`)
  }

  fail(text: string): void {
    this.failures.push(text)
    this.say(`FAILED: ${text}`)
  }

  async connect(id: number): Promise<Client> {
    const c = this.clients.get(id) ?? {
      id,
      handle: undefined,
      service: undefined,
      load: undefined,
      base: 0,
      last: 0,
    }
    this.clients.set(id, c)
    const cluster = this.cluster as LocalCluster
    c.handle = await initialize({ socketPath: cluster.cpgSocket(id) })
    c.service = await createLockService(c.handle, GROUP, { batchBytes: this.batchBytes })
    return c
  }

  startLoad(c: Client): void {
    if (c.service === undefined) return
    c.load = startLoad(c.service, { window: this.window, locks: this.locks })
  }

  granted(c: Client): number {
    return c.base + (c.load?.granted ?? 0)
  }

  /** A digest check from `from`; counts failures. */
  async check(from: Client, label: string): Promise<CheckResult | undefined> {
    const s = from.service
    if (s === undefined) return undefined
    const r = await Promise.race([s.check(), sleep(10_000).then(() => undefined)])
    this.checks++
    if (r === undefined) {
      this.checksFailed++
      this.fail(`${label}: the digest check got no answer within 10 s`)
      return undefined
    }
    if (!r.equal) {
      this.checksFailed++
      this.fail(
        `${label}: replica digests differ: ${r.digests.map((d) => `${who(d.member)}=${d.digest.slice(0, 12)}`).join(' ')}`,
      )
    }
    return r
  }

  /** Runs the load for `seconds`, printing one line per second. */
  async run(seconds: number, checker: Client): Promise<number> {
    let peak = 0
    for (const c of this.clients.values()) c.last = this.granted(c)
    for (let i = 0; i < seconds; i++) {
      const t = Date.now()
      await sleep(1000)
      const dt = (Date.now() - t) / 1000
      const parts: string[] = []
      let total = 0
      for (const c of [...this.clients.values()].sort((a, b) => a.id - b.id)) {
        if (c.service === undefined) {
          parts.push(`node${c.id}        down`)
          continue
        }
        const g = this.granted(c)
        const rate = (g - c.last) / dt
        c.last = g
        total += rate
        parts.push(`node${c.id} ${fmt(rate).padStart(7)}/s`)
      }
      peak = Math.max(peak, total)
      const r = await this.check(checker, 'live check')
      const d =
        r === undefined
          ? 'no answer'
          : `${r.equal ? 'equal' : 'DIFFER'} (${r.digests.length} replicas, ${r.digests[0]?.digest.slice(0, 12) ?? '-'})`
      this.say(
        `${parts.join('  ')}  total ${fmt(total).padStart(7)} locks/s  table ${String(checker.service?.table().length ?? 0).padStart(3)} held  digests ${d}`,
      )
    }
    return peak
  }

  async stopLoads(): Promise<void> {
    for (const c of this.clients.values()) {
      if (c.load !== undefined) {
        await c.load.stop()
        c.base += c.load.granted
        c.load = undefined
      }
    }
  }

  async cleanup(keep: boolean): Promise<void> {
    for (const c of this.clients.values()) {
      try {
        await c.handle?.finalize()
      } catch {
        // The daemon is gone.
      }
    }
    await this.cluster?.destroy(keep)
  }
}

function describeConfchg(view: number, e: MembershipEvent): string {
  const members = e.members.map(who).join(' ')
  let s = `node${view} sees the ${e.kind} configuration (ring ${e.ringId}): members ${members}`
  if (e.left.length > 0) s += `; left ${e.left.map((m) => `${who(m)} (${m.reason})`).join(' ')}`
  if (e.joined.length > 0)
    s += `; joined ${e.joined.map((m) => `${who(m)} (${m.reason})`).join(' ')}`
  if (e.left.length > 0) {
    const handed = e.released.filter((r) => r.to !== undefined).length
    s += ` — ${e.released.length} locks of the departed released (${handed} handed to the next waiter, ${e.released.length - handed} freed), ${e.dropped} queued requests removed`
  }
  return s
}

/** The one-command demo. Resolves with the exit status. */
export async function runDemo(args: readonly string[], o: DemoOutput = stdio): Promise<number> {
  let v: ReturnType<typeof parse>
  try {
    v = parse(args)
  } catch (e) {
    o.err(`totem-demo: ${(e as Error).message}\n${HELP}`)
    return 2
  }
  if (v.help) {
    o.out(HELP)
    return 0
  }
  if (v.bench) return runBench(v, o)
  if (v.lans > 1) return runMultiringDemo(v, o)
  const demo = new Demo(o, v.window, v.locks)
  demo.batchBytes = v.batchBytes
  let interrupted = false
  const onSignal = (): void => {
    if (interrupted) return
    interrupted = true
    o.out('\ninterrupted: stopping the daemons and removing the temp dir\n')
    void demo.cleanup(v.keep).finally(() => process.exit(130))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    demo.say(
      'totem-ts demo: a lock service with no server, replicated on 3 nodes by Totem (seeds 000-002)',
    )
    const cluster = await createLocalCluster({ crypto: true })
    demo.cluster = cluster
    demo.say(`config and key in ${cluster.dir} (aes256 + sha256, key ${cluster.keyFile})`)
    demo.say(`starting totemd on 127.0.0.1, 127.0.0.2, 127.0.0.3 (udpu port ${cluster.port})`)
    for (const id of cluster.nodes) cluster.start(id)
    await Promise.all(cluster.nodes.map((id) => cluster.ready(id)))
    const ring = await cluster.ring([1, 2, 3])
    demo.say(`ring ${ring} formed with nodes 1 2 3`)
    for (const id of cluster.nodes) await demo.connect(id)
    const c1 = demo.clients.get(1) as Client
    const c2 = demo.clients.get(2) as Client
    demo.say(
      `lock service joined CPG group "${GROUP}" on every node; ${v.window} requests outstanding per node over ${v.locks} lock names`,
    )
    for (const c of demo.clients.values()) demo.startLoad(c)
    const peak1 = await demo.run(v.seconds, c1)

    // ---- crash node 3
    const c3 = demo.clients.get(3) as Client
    const events1: MembershipEvent[] = []
    const events2: MembershipEvent[] = []
    c1.service?.on('membership', (e) => events1.push(e))
    c2.service?.on('membership', (e) => events2.push(e))
    const heldBy3 = (c1.service?.table() ?? []).filter((l) => l.holder.nodeId === 3).length
    demo.say(
      `kill -9 totemd on node 3 (a moment ago node 1's replica showed it holding ${heldBy3} locks)`,
    )
    await cluster.crash(3)
    const deadline = Date.now() + 15_000
    while (!events1.some((e) => e.kind === 'regular' && !e.members.some((m) => m.nodeId === 3))) {
      if (Date.now() > deadline)
        throw new Error('node 1 saw no configuration without node 3 within 15 s')
      await sleep(20)
    }
    await c3.load?.stop().catch(() => {})
    c3.base += c3.load?.granted ?? 0
    c3.load = undefined
    c3.service = undefined
    c3.handle = undefined
    for (const e of events1) demo.say(describeConfchg(1, e))
    const rel = (es: MembershipEvent[]): string =>
      JSON.stringify(es.flatMap((e) => e.released.map((r) => [r.name, r.to?.nodeId ?? 0])))
    if (rel(events1) === rel(events2))
      demo.say('node 2 saw the same configurations and handed the same locks to the same waiters')
    else demo.fail('node 2 released node 3’s locks differently from node 1')
    const left3 = (c1.service?.table() ?? []).filter(
      (l) => l.holder.nodeId === 3 || l.waiters.some((w) => w.nodeId === 3),
    )
    if (left3.length === 0)
      demo.say('no lock is held or waited for by node 3 any more: its locks were released')
    else demo.fail(`${left3.length} locks still name node 3`)
    const peak2 = await demo.run(Math.max(2, Math.ceil(v.seconds / 2)), c1)

    // ---- restart node 3
    demo.say('restarting totemd on node 3')
    cluster.start(3)
    await cluster.ready(3)
    const ring2 = await cluster.ring([1, 2, 3])
    demo.say(`ring ${ring2} formed again with nodes 1 2 3`)
    const before = c1.service?.stats().snapshotsSent ?? 0
    const before2 = c2.service?.stats().snapshotsSent ?? 0
    const n3 = await demo.connect(3)
    const st = n3.service?.stats()
    const sender =
      (c1.service?.stats().snapshotsSent ?? 0) > before
        ? 1
        : (c2.service?.stats().snapshotsSent ?? 0) > before2
          ? 2
          : 0
    demo.say(
      `node 3 rejoined the group: it got the table (${n3.service?.table().length ?? 0} locks held now) by state transfer in agreed order` +
        `${sender > 0 ? ` from node ${sender}` : ''} (${st?.snapshotsInstalled ?? 0} snapshot, ${st?.buffered ?? 0} messages ordered during the transfer replayed)`,
    )
    const r = await demo.check(n3, 'rejoin check')
    if (r?.equal && r.digests.length === 3)
      demo.say(
        `digest check from node 3: all 3 replicas equal (${r.digests[0]?.digest.slice(0, 16)}…)`,
      )
    else if (r !== undefined && r.digests.length !== 3)
      demo.fail(`rejoin check answered by ${r.digests.length} replicas, not 3`)
    demo.startLoad(n3)
    const peak3 = await demo.run(Math.max(2, Math.ceil(v.seconds / 2)), n3)

    // ---- summary
    await demo.stopLoads()
    const final = await demo.check(c1, 'final check')
    // Local tables are read at arbitrary moments: with the load stopped they must converge once
    // the last messages in flight are delivered everywhere (the agreed-position check above is
    // the exact one). Give them up to 3 s.
    let tables = [...demo.clients.values()].map((c) => c.service?.digest())
    for (let i = 0; i < 30 && new Set(tables).size !== 1; i++) {
      await new Promise((r) => setTimeout(r, 100))
      tables = [...demo.clients.values()].map((c) => c.service?.digest())
    }
    const total = [...demo.clients.values()].reduce((a, c) => a + demo.granted(c), 0)
    o.out('\nsummary\n')
    o.out(
      `  locks granted: ${fmt(total)} (${[...demo.clients.values()].map((c) => `node${c.id} ${fmt(demo.granted(c))}`).join(', ')})\n`,
    )
    o.out(
      `  peak: ${fmt(Math.max(peak1, peak2, peak3))} locks/s (3 nodes), ${fmt(peak2)} locks/s with node 3 down\n`,
    )
    o.out(
      `  digest checks: ${demo.checks}, all equal: ${demo.checksFailed === 0 ? 'yes' : `NO (${demo.checksFailed} differed)`}\n`,
    )
    o.out(
      `  final tables: ${final?.equal && new Set(tables).size === 1 ? 'identical on all 3 nodes' : 'DIFFERENT'} (${final?.digests.length ?? 0} replicas answered)\n`,
    )
    if (new Set(tables).size !== 1) demo.fail('final tables differ')
    o.out(
      `  result: ${demo.failures.length === 0 ? 'ok' : `FAILED (${demo.failures.join('; ')})`}\n`,
    )
    return demo.failures.length === 0 ? 0 : 1
  } catch (e) {
    o.err(`totem-demo: ${(e as Error).message}\n`)
    for (const id of demo.cluster?.nodes ?? []) {
      const tail = demo.cluster?.logTail(id, 10)
      if (tail) o.err(`--- node${id} log (last lines) ---\n${tail}\n`)
    }
    return 1
  } finally {
    if (!interrupted) {
      await demo.cleanup(v.keep)
      if (v.keep && demo.cluster !== undefined) o.out(`  kept ${demo.cluster.dir}\n`)
      else o.out('  daemons stopped, temp dir removed\n')
    }
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/**
 * `totem-demo --lans N`: LAN i holds nodes 2i+1 and 2i+2 (127.0.0.x, its own UDP port); gateway
 * 10+i (127.0.0.1x) is on LANs i and i+1. The lock service runs on every ordinary node; digest
 * checks compare every replica, across the LANs, at one agreed position.
 */
async function runMultiringDemo(v: Parsed, o: DemoOutput): Promise<number> {
  const lans = Array.from({ length: v.lans }, (_, i) => ({
    lan: i,
    nodes: [
      2 * i + 1,
      2 * i + 2,
      ...(i > 0 ? [10 + i - 1] : []),
      ...(i < v.lans - 1 ? [10 + i] : []),
    ],
  }))
  const demo = new Demo(o, v.window, v.locks)
  demo.batchBytes = v.batchBytes
  let interrupted = false
  const onSignal = (): void => {
    if (interrupted) return
    interrupted = true
    o.out('\ninterrupted: stopping the daemons and removing the temp dir\n')
    void demo.cleanup(v.keep).finally(() => process.exit(130))
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    demo.say(
      `totem-ts demo: the lock service replicated across ${v.lans} LANs joined by gateways (the Totem multiple-ring protocol)`,
    )
    const cluster = await createLocalCluster({ crypto: true, lans })
    demo.cluster = cluster
    demo.say(`configs and key in ${cluster.dir} (aes256 + sha256)`)
    for (const l of lans)
      demo.say(
        `LAN ${l.lan}: udpu port ${cluster.lanPorts.get(l.lan)}, nodes ${l.nodes.map((n) => `${n} (127.0.0.${n}${cluster.gateways.includes(n) ? ', totem-gateway' : ''})`).join(', ')}`,
      )
    for (const id of cluster.nodes) cluster.start(id)
    await Promise.all(cluster.nodes.map((id) => cluster.ready(id, 60_000)))
    const topo = await cluster.ring(cluster.nodes, 60_000)
    demo.say(`one topology ${topo} of nodes ${cluster.nodes.join(' ')} (every ring, every gateway)`)
    const ordinary = cluster.nodes.filter((id) => !cluster.gateways.includes(id))
    for (const id of ordinary) await demo.connect(id)
    const c1 = demo.clients.get(1) as Client
    demo.say(
      `lock service joined CPG group "${GROUP}" on nodes ${ordinary.join(' ')}; ${v.window} requests outstanding per node over ${v.locks} lock names`,
    )
    for (const c of demo.clients.values()) demo.startLoad(c)
    const peak = await demo.run(v.seconds, c1)
    await demo.stopLoads()
    const last = demo.clients.get(ordinary[ordinary.length - 1] as number) as Client
    const final = await demo.check(last, 'final check')
    let tables = [...demo.clients.values()].map((c) => c.service?.digest())
    for (let i = 0; i < 30 && new Set(tables).size !== 1; i++) {
      await sleep(100)
      tables = [...demo.clients.values()].map((c) => c.service?.digest())
    }
    for (const g of cluster.gateways) {
      const m = (await cluster.status(g)).multiring as {
        forwarding?: Record<string, number>
        lag?: { lan: number; meanMs: number; maxMs: number }[]
      }
      const fw = Object.entries(m.forwarding ?? {})
        .map(([d, n]) => `LAN ${d}: ${fmt(n)}`)
        .join(', ')
      const lag = (m.lag ?? []).map((x) => `LAN ${x.lan} mean ${x.meanMs} ms`).join(', ')
      demo.say(`gateway ${g} forwarded ${fw}; delivery lag from ${lag}`)
    }
    const total = [...demo.clients.values()].reduce((a, c) => a + demo.granted(c), 0)
    const equal = final?.equal === true && final.digests.length === ordinary.length
    o.out('\nsummary\n')
    o.out(
      `  locks granted: ${fmt(total)} (${[...demo.clients.values()].map((c) => `node${c.id} ${fmt(demo.granted(c))}`).join(', ')}), peak ${fmt(peak)} locks/s\n`,
    )
    o.out(
      `  digest checks: ${demo.checks}, all equal: ${demo.checksFailed === 0 ? 'yes' : `NO (${demo.checksFailed} differed)`}\n`,
    )
    o.out(
      `  final check from node ${last.id}: ${equal ? `all ${ordinary.length} replicas on ${v.lans} LANs agree` : `NOT all agree (${final?.digests.length ?? 0} answered)`}; local tables ${new Set(tables).size === 1 ? 'identical' : 'DIFFERENT'}\n`,
    )
    if (!equal) demo.fail('the final check did not find every replica equal')
    if (new Set(tables).size !== 1) demo.fail('final tables differ')
    o.out(
      `  result: ${demo.failures.length === 0 ? 'ok' : `FAILED (${demo.failures.join('; ')})`}\n`,
    )
    return demo.failures.length === 0 ? 0 : 1
  } catch (e) {
    o.err(`totem-demo: ${(e as Error).message}\n`)
    for (const id of demo.cluster?.nodes ?? []) {
      const tail = demo.cluster?.logTail(id, 10)
      if (tail) o.err(`--- node${id} log (last lines) ---\n${tail}\n`)
    }
    return 1
  } finally {
    if (!interrupted) {
      await demo.cleanup(v.keep)
      if (v.keep && demo.cluster !== undefined) o.out(`  kept ${demo.cluster.dir}\n`)
      else o.out('  daemons and gateways stopped, temp dir removed\n')
    }
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

interface Parsed {
  help: boolean
  bench: boolean
  keep: boolean
  window: number
  locks: number
  seconds: number
  crypto: boolean
  windows: number[]
  batchBytes: number
  /** --seconds with --bench (default 8). */
  benchSeconds: number
  /** --lans: 1 (the single-ring demo) or 2–3 LANs joined by gateways. */
  lans: number
}

function int(v: string | undefined, name: string, def: number, min: number, max: number): number {
  if (v === undefined) return def
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name}: expected an integer in ${min}..${max}`)
  return n
}

function parse(args: readonly string[]): Parsed {
  const { values } = parseArgs({
    args: [...args],
    options: {
      help: { type: 'boolean', short: 'h' },
      bench: { type: 'boolean' },
      keep: { type: 'boolean' },
      window: { type: 'string' },
      locks: { type: 'string' },
      seconds: { type: 'string' },
      crypto: { type: 'string' },
      windows: { type: 'string' },
      'batch-bytes': { type: 'string' },
      lans: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  })
  const window = int(values.window, 'window', 64, 1, 4096)
  const locks = int(values.locks, 'locks', 256, 1, 10_000)
  if (window > locks) throw new Error('--window: at most --locks')
  if (values.crypto !== undefined && values.crypto !== 'on' && values.crypto !== 'off')
    throw new Error('--crypto: on or off')
  return {
    help: values.help === true,
    bench: values.bench === true,
    keep: values.keep === true,
    window,
    locks,
    seconds: int(values.seconds, 'seconds', 6, 1, 600),
    benchSeconds: int(values.seconds, 'seconds', 8, 1, 600),
    crypto: values.crypto === 'on',
    windows: (values.windows ?? '1,64').split(',').map((w) => int(w.trim(), 'windows', 0, 1, 1024)),
    batchBytes: int(values['batch-bytes'], 'batch-bytes', 4096, 64, 524_288),
    lans: int(values.lans, 'lans', 1, 1, 3),
  }
}

// ------------------------------------------------------------------ bench

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir
    const up = dirname(dir)
    if (up === dir) return process.cwd()
    dir = up
  }
}

/** `totem-demo --bench`: locks/s with all 3 nodes requesting at window 1 and 64. */
async function runBench(v: Parsed, o: DemoOutput): Promise<number> {
  const demo = new Demo(o, 1, 1024)
  demo.batchBytes = v.batchBytes
  const onSignal = (): void => {
    void demo.cleanup(false).finally(() => process.exit(130))
  }
  process.on('SIGINT', onSignal)
  const seconds = v.benchSeconds
  const results: {
    window: number
    locksPerSec: number
    perNode: Record<string, number>
    messagesPerSec: number
    opsPerMessage: number
  }[] = []
  try {
    const cluster = await createLocalCluster({ crypto: v.crypto })
    demo.cluster = cluster
    for (const id of cluster.nodes) cluster.start(id)
    await Promise.all(cluster.nodes.map((id) => cluster.ready(id)))
    await cluster.ring([1, 2, 3])
    for (const id of cluster.nodes) await demo.connect(id)
    const c1 = demo.clients.get(1) as Client
    for (const window of v.windows) {
      for (const c of demo.clients.values())
        if (c.service !== undefined) c.load = startLoad(c.service, { window, locks: 1024 })
      await sleep(1000) // warm-up
      const start = new Map([...demo.clients.values()].map((c) => [c.id, c.load?.granted ?? 0]))
      const msgs0 = [...demo.clients.values()].map(
        (c) => c.service?.stats() ?? { messagesSent: 0, opsSent: 0 },
      )
      const t = performance.now()
      await sleep(seconds * 1000)
      const dt = (performance.now() - t) / 1000
      const perNode: Record<string, number> = {}
      let total = 0
      for (const c of demo.clients.values()) {
        const r = ((c.load?.granted ?? 0) - (start.get(c.id) ?? 0)) / dt
        perNode[`node${c.id}`] = Math.round(r)
        total += r
      }
      const msgs1 = [...demo.clients.values()].map(
        (c) => c.service?.stats() ?? { messagesSent: 0, opsSent: 0 },
      )
      let msgs = 0
      let ops = 0
      msgs1.forEach((m, i) => {
        msgs += m.messagesSent - (msgs0[i]?.messagesSent ?? 0)
        ops += m.opsSent - (msgs0[i]?.opsSent ?? 0)
      })
      for (const c of demo.clients.values()) await c.load?.stop()
      const r = await demo.check(c1, `bench window ${window}`)
      const opsPerMessage = Math.round((ops / Math.max(1, msgs)) * 10) / 10
      results.push({
        window,
        locksPerSec: Math.round(total),
        perNode,
        messagesPerSec: Math.round(msgs / dt),
        opsPerMessage,
      })
      o.out(
        `window ${String(window).padStart(2)}: ${fmt(total).padStart(8)} locks/s (${Object.entries(
          perNode,
        )
          .map(([k, x]) => `${k} ${fmt(x)}`)
          .join(
            ', ',
          )})  corosync 3.1.7: ${window === 1 ? '11,800' : '38,700'}/s  ${fmt(msgs / dt)} CPG msgs/s, ${opsPerMessage} ops/msg  digests ${r?.equal ? 'equal' : 'DIFFER'}\n`,
      )
    }
    const cpu = cpus()
    const report = {
      bench: 'lockdemo',
      date: new Date().toISOString(),
      machine: {
        cpu: cpu[0]?.model ?? 'unknown',
        cores: cpu.length,
        memGiB: Math.round(totalmem() / 2 ** 30),
        platform: `${platform()} ${release()}`,
        node: process.version,
      },
      setup: { nodes: 3, transport: 'udpu on 127.0.0.1-3', crypto: v.crypto, seconds, locks: 1024 },
      results,
      corosync317: { window1: 11_800, window64: 38_700 },
      digestChecksEqual: demo.checksFailed === 0,
    }
    const dir = join(repoRoot(), 'bench-results')
    mkdirSync(dir, { recursive: true })
    const file = join(dir, `lockdemo-${report.date.replace(/[:.]/g, '-')}.json`)
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`)
    o.out(`wrote ${file}\n`)
    return demo.checksFailed === 0 ? 0 : 1
  } catch (e) {
    o.err(`totem-demo --bench: ${(e as Error).message}\n`)
    return 1
  } finally {
    await demo.cleanup(false)
    process.off('SIGINT', onSignal)
  }
}
