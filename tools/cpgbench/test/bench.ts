/**
 * `pnpm bench` for totem-cpgbench (run by turbo in this package; not a vitest bench, it drives
 * processes): three totemd on 127.0.0.1/.2/.3 (or, with `--netns`, in three network namespaces
 * joined by a bridge), totem-cpgbench on all three at 64 B, 1 KiB, 16 KiB and 64 KiB with one
 * sender and with three, a window-1 pass for the unloaded self-delivery latency, and a raw-UDP
 * baseline measured in the same run between two of the same addresses; then (loopback only, skip
 * with `--no-rrp`) the redundant-ring comparison: the same 3-daemon cluster started afresh with
 * 1 network, 2 networks active and 2 networks passive (ring 1 on 127.0.2.1-3, its own port), each
 * measured at 1 KiB and 64 KiB with one sender and three, `--rrp-duration` seconds per size
 * (default 2). Prints markdown tables and writes JSON to bench-results/.
 *
 *   node --conditions=@totem-ts/source --import tsx test/bench.ts [--netns] [--duration S]
 *     [--no-rrp] [--rrp-duration S] [--out DIR]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Cluster, waitFor } from './cluster.ts'

const CPGBENCH = new URL('../bin/totem-cpgbench.mjs', import.meta.url).pathname
const SIZES = [64, 1024, 16384, 65536]
/** corosync 3.1.7's figures from issue 6 (msgs/s; self-delivery p50/p99 µs). */
const COROSYNC: Record<number, { one: number; three: number; p50: number; p99: number }> = {
  64: { one: 44_100, three: 46_600, p50: 141, p99: 307 },
  1024: { one: 29_900, three: 28_600, p50: 163, p99: 342 },
  16384: { one: 2_760, three: 305, p50: 552, p99: 766 },
  65536: { one: 667, three: 21, p50: 1677, p99: 2324 },
}

const { values: v } = parseArgs({
  options: {
    netns: { type: 'boolean' },
    duration: { type: 'string' },
    out: { type: 'string' },
    'no-rrp': { type: 'boolean' },
    'rrp-duration': { type: 'string' },
  },
})
const duration = Number(v.duration ?? 3)
if (!(duration >= 0.5 && duration <= 60)) throw new Error('--duration: 0.5..60 seconds')
const outDir = v.out ?? 'bench-results'
const rrpDuration = Number(v['rrp-duration'] ?? 2)
if (!(rrpDuration >= 0.5 && rrpDuration <= 60)) throw new Error('--rrp-duration: 0.5..60 seconds')
/** The redundant-ring comparison's sizes (a subset, to keep it within ~90 s). */
const RRP_SIZES = [1024, 65536]

// ------------------------------------------------------------------ network namespaces

const tag = `tb${process.pid % 100_000}`
const ns = (i: number): string => `${tag}n${i}`
const NS_BRIDGE = `${tag}br`
let nsCreated = false

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

function createNetns(): void {
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: --netns needs root (it creates network namespaces)\n')
    process.exit(2)
  }
  nsCreated = true
  ip('netns', 'add', NS_BRIDGE)
  ip('-n', NS_BRIDGE, 'link', 'add', 'br0', 'type', 'bridge')
  ip('-n', NS_BRIDGE, 'link', 'set', 'br0', 'up')
  for (const i of [1, 2, 3]) {
    ip('netns', 'add', ns(i))
    ip('-n', ns(i), 'link', 'set', 'lo', 'up')
    ip(
      'link',
      'add',
      'eth0',
      'netns',
      ns(i),
      'type',
      'veth',
      'peer',
      'name',
      `p${i}`,
      'netns',
      NS_BRIDGE,
    )
    ip('-n', NS_BRIDGE, 'link', 'set', `p${i}`, 'master', 'br0', 'up')
    ip('-n', ns(i), 'addr', 'add', `10.231.0.${i}/24`, 'dev', 'eth0')
    ip('-n', ns(i), 'link', 'set', 'eth0', 'up')
  }
}

function removeNetns(): void {
  if (!nsCreated) return
  nsCreated = false
  for (const n of [ns(1), ns(2), ns(3), NS_BRIDGE]) {
    try {
      ip('netns', 'del', n)
    } catch {
      // Not created (setup failed half-way).
    }
  }
}

const addr = (i: number): string => (v.netns ? `10.231.0.${i}` : `127.0.0.${i}`)
const wrap = (i: number): string[] => (v.netns ? ['ip', 'netns', 'exec', ns(i)] : [])

// ------------------------------------------------------------------ raw UDP baseline

/**
 * The baseline's two ends as plain node scripts (no tsx: as little as possible between the
 * socket and the numbers). The server acks each message with its 8-byte sequence number; the
 * client keeps a window of messages in flight (flood, throughput) or one (ping-pong, latency).
 * Messages over 60,000 bytes go as several datagrams, acked after the last.
 */
const UDP_SERVER = `
const dgram = require('node:dgram')
const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20 })
s.on('message', (m, r) => { if (m.length >= 9 && m[8] === 1) s.send(m.subarray(0, 8), r.port, r.address) })
s.bind(Number(process.argv[2]), process.argv[1], () => process.stdout.write('ready\\n'))
`
const UDP_CLIENT = `
const dgram = require('node:dgram')
const [host, port, bind, sizesText, durText] = process.argv.slice(1)
const sizes = sizesText.split(',').map(Number), dur = Number(durText) * 1000
const CHUNK = 60000
const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 })
let onAck = () => {}
s.on('message', (m) => onAck(m.readDoubleLE(0)))
const pct = (a, p) => a.length ? a[Math.min(a.length - 1, Math.max(0, Math.ceil(p * a.length) - 1))] : null
async function phase(size, window, ms) {
  const chunks = []
  for (let off = 0; off < size; off += CHUNK) chunks.push(Buffer.alloc(Math.min(CHUNK, size - off)))
  if (chunks[chunks.length - 1].length < 9) chunks[chunks.length - 1] = Buffer.alloc(9)
  let seq = 0, inflight = new Map(), acked = 0, lost = 0, lat = []
  const start = performance.now(), end = start + ms
  await new Promise((done) => {
    const pump = () => {
      const now = performance.now()
      for (const [q, t] of inflight) if (now - t > 200) { inflight.delete(q); lost++ }
      if (now >= end) { if (inflight.size === 0) return done(); setTimeout(pump, 5); return }
      while (inflight.size < window) {
        const q = seq++
        chunks.forEach((c, i) => { c.writeDoubleLE(q, 0); c[8] = i === chunks.length - 1 ? 1 : 0; s.send(c, Number(port), host) })
        inflight.set(q, performance.now())
      }
      setTimeout(pump, 50)
    }
    onAck = (q) => {
      const t = inflight.get(q)
      if (t === undefined) return
      inflight.delete(q); acked++; lat.push((performance.now() - t) * 1000)
      if (performance.now() < end) {
        const n = seq++
        chunks.forEach((c, i) => { c.writeDoubleLE(n, 0); c[8] = i === chunks.length - 1 ? 1 : 0; s.send(c, Number(port), host) })
        inflight.set(n, performance.now())
      } else if (inflight.size === 0) done()
    }
    pump()
  })
  const secs = (performance.now() - start) / 1000
  lat.sort((a, b) => a - b)
  return { msgsPerS: Math.round(acked / secs), mbPerS: Math.round(acked * size / secs / 1e4) / 100, p50: pct(lat, 0.5), p99: pct(lat, 0.99), lost }
}
s.bind(0, bind, async () => {
  const out = []
  for (const size of sizes) {
    const window = Math.max(1, Math.min(64, Math.floor((1 << 20) / size)))
    const flood = await phase(size, window, dur)
    const ping = await phase(size, 1, Math.min(dur, 1000))
    out.push({ size, window, flood, ping })
  }
  process.stdout.write(JSON.stringify(out) + '\\n')
  s.close()
})
`

interface UdpResult {
  size: number
  window: number
  flood: { msgsPerS: number; mbPerS: number; p50: number | null; p99: number | null; lost: number }
  ping: { msgsPerS: number; mbPerS: number; p50: number | null; p99: number | null; lost: number }
}

function child(argv: string[]): { p: ChildProcess; out: Promise<string> } {
  const p = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  p.stdout?.on('data', (b: Buffer) => {
    out += b.toString()
  })
  return {
    p,
    out: new Promise((resolve, reject) =>
      p.once('close', (code) =>
        code === 0 || code === null
          ? resolve(out)
          : reject(new Error(`${argv.join(' ')}: exit ${code}`)),
      ),
    ),
  }
}

async function udpBaseline(): Promise<UdpResult[]> {
  const port = 40_000 + Math.floor(Math.random() * 20_000)
  const server = child([...wrap(2), process.execPath, '-e', UDP_SERVER, addr(2), String(port)])
  await new Promise<void>((resolve) => {
    const check = (): void => {
      server.p.stdout?.once('data', (b: Buffer) =>
        b.toString().includes('ready') ? resolve() : check(),
      )
    }
    check()
  })
  try {
    const client = child([
      ...wrap(1),
      process.execPath,
      '-e',
      UDP_CLIENT,
      addr(2),
      String(port),
      addr(1),
      SIZES.join(','),
      String(duration),
    ])
    return JSON.parse(await client.out) as UdpResult[]
  } finally {
    server.p.kill('SIGKILL')
  }
}

// ------------------------------------------------------------------ embedded (no daemon, no socket)

const EMBEDDED_NODE = fileURLToPath(new URL('./embedded-node.ts', import.meta.url))
const EMBEDDED_SIZES = [64, 1024]

interface EmbeddedResult {
  size: number
  samples: number
  p50: number | null
  p99: number | null
}

/**
 * Self-delivery latency with `createCpgNode` and the client library in one process per node (no
 * IPC): three such processes on their own port, node 1 sending one message at a time.
 */
async function embeddedLatency(): Promise<EmbeddedResult[]> {
  const out: EmbeddedResult[] = []
  for (const size of EMBEDDED_SIZES) {
    const e = await new Cluster({
      address: addr,
      ...(v.netns ? { portCheckAddresses: [] } : {}),
    }).init()
    try {
      const runs = e.nodes.map((id) => {
        mkdirSync(e.stateDir(id), { recursive: true })
        writeFileSync(e.confPath(id), e.conf(id))
        return child([
          ...wrap(id),
          process.execPath,
          '--conditions=@totem-ts/source',
          '--import',
          'tsx',
          EMBEDDED_NODE,
          e.confPath(id),
          String(id),
          '1',
          String(Math.min(duration, 2)),
          String(size),
        ])
      })
      // Bounded: a node that never sees the group complete is killed and the pass fails.
      const timer = setTimeout(() => {
        for (const r of runs) r.p.kill('SIGKILL')
      }, 60_000)
      const lines = await Promise.all(runs.map((r) => r.out)).finally(() => clearTimeout(timer))
      if (!lines.every((l) => l.trim() !== ''))
        throw new Error(`embedded pass at ${size} B: a node gave no result within 60 s`)
      const r = JSON.parse(lines[0] as string) as Omit<EmbeddedResult, 'size'>
      out.push({ size, samples: r.samples, p50: r.p50, p99: r.p99 })
    } finally {
      await e.destroy()
    }
  }
  return out
}

// ------------------------------------------------------------------ cpgbench runs

interface Step {
  size: number
  sentPerS: number
  deliveredPerS: number
  deliveredMBps: number
  latencyUs: { p50: number; p90: number; p99: number } | null
}
interface BenchDoc {
  node: number
  steps: Step[]
}

async function cpgbenchRun(
  c: Cluster,
  senders: number,
  window: number,
  secs: number,
  sizes: readonly number[] = SIZES,
): Promise<BenchDoc[]> {
  const group = `bench-${senders}-${window}-${Date.now()}`
  const runs = c.nodes.map((id) =>
    child([
      process.execPath,
      CPGBENCH,
      '--socket',
      c.cpgSocket(id),
      '--group',
      group,
      '--members',
      '3',
      '--sizes',
      sizes.join(','),
      '--duration',
      String(secs),
      '--window',
      String(window),
      '--json',
      '-q',
      '--no-save',
      ...(id <= senders ? [] : ['--receive-only']),
    ]),
  )
  return Promise.all(runs.map(async (r) => JSON.parse(await r.out) as BenchDoc))
}

const fmt = (n: number | null | undefined): string =>
  n === null || n === undefined ? '-' : Math.round(n).toLocaleString('en-US')
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : '-')

// ------------------------------------------------------------------ redundant rings

/** Clusters alive right now (the signal handler kills them). */
const live = new Set<Cluster>()

interface RrpVariant {
  readonly name: '1 network' | '2 networks active' | '2 networks passive'
  readonly mode?: 'active' | 'passive'
}
const RRP_VARIANTS: readonly RrpVariant[] = [
  { name: '1 network' },
  { name: '2 networks active', mode: 'active' },
  { name: '2 networks passive', mode: 'passive' },
]

interface RrpCell {
  msgsPerS: number
  mbPerS: number
  /** Self-delivery p50 with window 64 (the worst sender's with three), µs. */
  loadedP50: number | null
}

/** What node 1 says of its rings after the runs (did a network go faulty under the load?). */
interface RingAfter {
  ringNo: number
  address: string
  port: number
  state: string
  inUse: boolean
  faultyCount?: number
  datagramsTx?: number
  datagramsRx?: number
  duplicatesDropped?: number
  lost?: number
}

interface RrpVariantResult {
  name: string
  mode: string
  /** size → senders (1, 3) → cell */
  cells: Record<number, { one: RrpCell; three: RrpCell }>
  ringsAfter: RingAfter[]
  wallS: number
  raw: { one: BenchDoc[]; three: BenchDoc[] }
}

function cell(docs: BenchDoc[], i: number, senders: number): RrpCell {
  if (senders === 1) {
    const s = docs[0]?.steps[i] as Step
    return {
      msgsPerS: s.deliveredPerS,
      mbPerS: s.deliveredMBps,
      loadedP50: s.latencyUs?.p50 ?? null,
    }
  }
  const s3 = docs.map((d) => d.steps[i] as Step)
  const avg = (f: (s: Step) => number): number => s3.reduce((a, s) => a + f(s), 0) / s3.length
  return {
    msgsPerS: Math.round(avg((s) => s.deliveredPerS)),
    mbPerS: Math.round(avg((s) => s.deliveredMBps) * 100) / 100,
    loadedP50: Math.max(...s3.map((s) => s.latencyUs?.p50 ?? 0)),
  }
}

async function rrpVariant(variant: RrpVariant): Promise<RrpVariantResult> {
  const t0 = Date.now()
  const c = await new Cluster(variant.mode === undefined ? {} : { rrpMode: variant.mode }).init()
  live.add(c)
  try {
    for (const id of c.nodes) c.start(id)
    for (const id of c.nodes) await c.ready(id)
    await c.ring([1, 2, 3], 30_000)
    if (variant.mode !== undefined) {
      // Both networks in use on every node before measuring (a redundant ring that quietly runs
      // on one network would compare nothing).
      await waitFor(
        async () => {
          for (const id of c.nodes) {
            const rings = (await c.result(id, 'status')).rings as RingAfter[]
            if (rings.length !== 2 || !rings.every((r) => r.state === 'ok' && r.inUse)) return false
          }
          return true
        },
        `both networks ok and in use (${variant.mode})`,
        15_000,
      )
    }
    const one = await cpgbenchRun(c, 1, 64, rrpDuration, RRP_SIZES)
    const three = await cpgbenchRun(c, 3, 64, rrpDuration, RRP_SIZES)
    const stats = await c.result(1, 'stats')
    const ringsAfter = (stats.rings as Array<RingAfter & { rrp?: Record<string, unknown> }>).map(
      (r) => ({
        ringNo: r.ringNo,
        address: r.address,
        port: r.port,
        state: r.state,
        inUse: r.inUse,
        ...(r.rrp === undefined
          ? {}
          : {
              faultyCount: r.rrp.faultyCount as number,
              datagramsTx: r.rrp.datagramsTx as number,
              datagramsRx: r.rrp.datagramsRx as number,
              duplicatesDropped: r.rrp.duplicatesDropped as number,
              lost: r.rrp.lost as number,
            }),
      }),
    )
    const cells: RrpVariantResult['cells'] = {}
    RRP_SIZES.forEach((size, i) => {
      cells[size] = { one: cell(one, i, 1), three: cell(three, i, 3) }
    })
    return {
      name: variant.name,
      mode: variant.mode ?? 'none',
      cells,
      ringsAfter,
      wallS: (Date.now() - t0) / 1000,
      raw: { one, three },
    }
  } finally {
    await c.destroy()
    live.delete(c)
  }
}

function rrpTable(results: readonly RrpVariantResult[]): string {
  const base = results[0] as RrpVariantResult
  const rest = results.slice(1)
  let md = `Redundant rings: 3 nodes, loopback (ring 0 127.0.0.1-3; ring 1 127.0.2.1-3, own port), a fresh cluster per variant, ${rrpDuration} s per size, window 64; × = msgs/s against 1 network in this run\n\n`
  md += `| size | senders | 1 network msgs/s | MB/s |${rest.map((r) => ` ${r.name} msgs/s | MB/s | × |`).join('')}\n`
  md += `|---|---|---|---|${rest.map(() => '---|---|---|').join('')}\n`
  for (const size of RRP_SIZES) {
    for (const k of ['one', 'three'] as const) {
      const b = base.cells[size]?.[k] as RrpCell
      md += `| ${size >= 1024 ? `${size / 1024} KiB` : `${size} B`} | ${k === 'one' ? 1 : 3} | ${fmt(b.msgsPerS)} | ${b.mbPerS.toFixed(2)} |`
      for (const r of rest) {
        const x = r.cells[size]?.[k] as RrpCell
        md += ` ${fmt(x.msgsPerS)} | ${x.mbPerS.toFixed(2)} | ${ratio(x.msgsPerS, b.msgsPerS)} |`
      }
      md += '\n'
    }
  }
  md += '\nRings of node 1 after each variant:'
  for (const r of results)
    md += ` ${r.name}: ${r.ringsAfter.map((g) => `ring ${g.ringNo} ${g.state}${g.inUse ? '' : ' (out of use)'}${g.faultyCount ? `, faulty ${g.faultyCount}×` : ''}`).join(', ')} (${Math.round(r.wallS)} s);`
  return `${md.slice(0, -1)}.\n`
}

async function main(): Promise<void> {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown'
  const machine = { nproc: availableParallelism(), cpu, netns: v.netns === true }
  if (v.netns) createNetns()
  const c = await new Cluster({
    address: addr,
    wrap,
    ...(v.netns ? { portCheckAddresses: [] } : {}),
  }).init()
  live.add(c)
  const cleanup = (): void => {
    for (const x of live) void x.destroy()
    removeNetns()
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      cleanup()
      process.exit(130)
    })
  try {
    const t0 = Date.now()
    for (const id of c.nodes) c.start(id)
    for (const id of c.nodes) await c.ready(id)
    await c.ring([1, 2, 3], 30_000)
    process.stderr.write(`bench: ring of 3 up (${v.netns ? 'network namespaces' : 'loopback'})\n`)
    const udp = await udpBaseline()
    process.stderr.write('bench: UDP baseline done\n')
    const one = await cpgbenchRun(c, 1, 64, duration)
    process.stderr.write('bench: 1 sender done\n')
    const three = await cpgbenchRun(c, 3, 64, duration)
    process.stderr.write('bench: 3 senders done\n')
    const idle = await cpgbenchRun(c, 1, 1, 1)
    process.stderr.write('bench: window-1 latency done\n')
    // The main cluster goes before the embedded pass and the redundant-ring variants start
    // (their own ports).
    await c.destroy()
    live.delete(c)
    const embedded = await embeddedLatency()
    process.stderr.write('bench: embedded latency done\n')
    removeNetns()
    let rrp: { durationS: number; sizes: number[]; variants: RrpVariantResult[] } | undefined
    let rrpSkipped: string | undefined
    let rrpError: string | undefined
    if (v['no-rrp']) rrpSkipped = '--no-rrp'
    else if (v.netns) rrpSkipped = '--netns (the redundant-ring comparison runs on loopback only)'
    else {
      const t1 = Date.now()
      try {
        const variants: RrpVariantResult[] = []
        for (const variant of RRP_VARIANTS) {
          variants.push(await rrpVariant(variant))
          process.stderr.write(`bench: rrp ${variant.name} done\n`)
        }
        rrp = { durationS: rrpDuration, sizes: RRP_SIZES, variants }
        process.stderr.write(`bench: rrp comparison ${Math.round((Date.now() - t1) / 1000)} s\n`)
      } catch (e) {
        rrpError = e instanceof Error ? e.message : String(e)
        process.stderr.write(`bench: rrp comparison FAILED: ${rrpError}\n`)
        process.exitCode = 1
      }
    }
    if (rrpSkipped !== undefined)
      process.stderr.write(`bench: rrp comparison skipped (${rrpSkipped})\n`)
    const rows = SIZES.map((size, i) => {
      const u = udp[i] as UdpResult
      const s1 = one[0]?.steps[i] as Step
      const s3 = three.map((d) => d.steps[i] as Step)
      const lat1 = idle[0]?.steps[i]?.latencyUs ?? null
      const total3 = s3.reduce((a, s) => a + s.deliveredPerS, 0) / s3.length
      const mb3 = s3.reduce((a, s) => a + s.deliveredMBps, 0) / s3.length
      const p3 = (k: 'p50' | 'p99'): number => Math.max(...s3.map((s) => s.latencyUs?.[k] ?? 0))
      return {
        size,
        oneSender: {
          msgsPerS: s1.deliveredPerS,
          mbPerS: s1.deliveredMBps,
          loadedP50: s1.latencyUs?.p50 ?? null,
          loadedP99: s1.latencyUs?.p99 ?? null,
          idleP50: lat1?.p50 ?? null,
          idleP99: lat1?.p99 ?? null,
        },
        threeSenders: {
          msgsPerS: Math.round(total3),
          mbPerS: Math.round(mb3 * 100) / 100,
          loadedP50: p3('p50'),
          loadedP99: p3('p99'),
        },
        udp: u,
        corosync: COROSYNC[size],
      }
    })
    let md = `cpgbench, 3 nodes (${v.netns ? 'network namespaces + bridge' : 'loopback 127.0.0.1-3'}), ${duration} s per size, window 64; ${machine.nproc} CPUs, ${machine.cpu}\n\n`
    md +=
      '| size | senders | msgs/s | MB/s | p50/p99 µs (window 1) | p50/p99 µs (loaded) | UDP msgs/s | UDP MB/s | UDP RTT p50/p99 µs | × UDP msgs/s | corosync msgs/s | × corosync | corosync p50/p99 |\n' +
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
    for (const r of rows) {
      const cs = r.corosync as { one: number; three: number; p50: number; p99: number }
      md += `| ${r.size} | 1 | ${fmt(r.oneSender.msgsPerS)} | ${r.oneSender.mbPerS.toFixed(2)} | ${fmt(r.oneSender.idleP50)}/${fmt(r.oneSender.idleP99)} | ${fmt(r.oneSender.loadedP50)}/${fmt(r.oneSender.loadedP99)} | ${fmt(r.udp.flood.msgsPerS)} | ${r.udp.flood.mbPerS.toFixed(2)} | ${fmt(r.udp.ping.p50)}/${fmt(r.udp.ping.p99)} | ${ratio(r.oneSender.msgsPerS, r.udp.flood.msgsPerS)} | ${fmt(cs.one)} | ${ratio(r.oneSender.msgsPerS, cs.one)} | ${cs.p50}/${cs.p99} |\n`
      md += `| ${r.size} | 3 | ${fmt(r.threeSenders.msgsPerS)} | ${r.threeSenders.mbPerS.toFixed(2)} | | ${fmt(r.threeSenders.loadedP50)}/${fmt(r.threeSenders.loadedP99)} | | | | ${ratio(r.threeSenders.msgsPerS, r.udp.flood.msgsPerS)} | ${fmt(cs.three)} | ${ratio(r.threeSenders.msgsPerS, cs.three)} | |\n`
    }
    md += `\nEmbedded (createCpgNode + the client library in each node's process, no daemon, no socket), self-delivery one message at a time, µs:`
    for (const e of embedded) {
      const cs = COROSYNC[e.size] as { p50: number } | undefined
      md += ` ${e.size} B p50/p99 ${fmt(e.p50)}/${fmt(e.p99)}${cs === undefined || e.p50 === null ? '' : ` (corosync p50 ${cs.p50}, ${ratio(e.p50, cs.p50)})`};`
    }
    md = `${md.slice(0, -1)}.\n`
    if (rrp !== undefined) md += `\n${rrpTable(rrp.variants)}`
    process.stdout.write(`${md}\n`)
    mkdirSync(outDir, { recursive: true })
    const file = join(
      outDir,
      `cpgbench-suite-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
    )
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          machine: { ...machine, loadavg: loadavg() },
          durationS: duration,
          wallS: (Date.now() - t0) / 1000,
          rows,
          embedded,
          raw: { one, three, idle },
          rrp: rrp ?? { skipped: rrpSkipped ?? null, error: rrpError ?? null },
        },
        null,
        2,
      )}\n`,
    )
    process.stderr.write(`bench: results in ${file} (${Math.round((Date.now() - t0) / 1000)} s)\n`)
  } finally {
    for (const x of live) await x.destroy()
    live.clear()
    removeNetns()
  }
}

await main()
