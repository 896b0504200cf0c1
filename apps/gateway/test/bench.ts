/**
 * `pnpm bench` (this package's `bench` script): cross-ring delivery against one ring, with real
 * processes on loopback, measured in the same run and reported as ratios (STYLE.md §11).
 *
 * - single ring: totemd nodes 1–4 on one ring (no multiring);
 * - two LANs: nodes 1, 2 on LAN 0 and 3, 4 on LAN 1, joined by totem-gateway 10.
 *
 * CPG clients in this process on node 1 (the sender), node 2 (its own LAN) and node 4 (the
 * receiver: on the other LAN in the two-LAN system). Latency: a message mcast on node 1 until node 4's client delivers it
 * (one clock, one process), sent one at a time. Throughput: node 1 keeps `WINDOW` messages in
 * flight (sent, not yet delivered at node 4) for `SECONDS`; messages/s delivered at node 4.
 * Results are printed and written as JSON to bench-results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus, hostname } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type CpgHandle, initialize } from '@totem-ts/cpg'
import { type Lan, MultiLan, waitFor } from './harness.ts'

const SECONDS = Number(process.env.GATEWAY_BENCH_SECONDS ?? 5)
const WINDOW = 32
const PINGS = 200
const PAYLOAD_BYTES = 100
const GROUP = 'gwbench'

interface Figures {
  /** To node 2: the sender's own LAN (in the two-LAN system too). */
  sameLanP50Ms: number
  latencyP50Ms: number
  latencyP99Ms: number
  latencyMeanMs: number
  msgsPerSec: number
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0
}
const r2 = (x: number): number => Math.round(x * 100) / 100

async function measure(name: string, lans: readonly Lan[], multiring: boolean): Promise<Figures> {
  const sys = await new MultiLan(lans, 500, multiring).init()
  const handles: CpgHandle[] = []
  try {
    for (const id of sys.ids) sys.start(id)
    for (const id of sys.ids) await sys.ready(id)
    await sys.topology(sys.ids, sys.ids)
    const open = async (node: number): Promise<CpgHandle> => {
      const h = await waitFor(
        () => initialize({ socketPath: sys.cpgSocket(node), pid: 7000 + node }),
        `CPG on node ${node}`,
      )
      handles.push(h)
      return h
    }
    const tx = await open(1)
    const near = await open(2)
    const rx = await open(4)
    const sentAt = new Map<number, number>()
    const pingAt = new Map<number, number>()
    const lat: number[] = []
    const nearLat: number[] = []
    near.on('deliver', (e) => {
      if (e.group !== GROUP || e.payload.length !== PAYLOAD_BYTES) return
      const seq = new DataView(e.payload.buffer, e.payload.byteOffset).getUint32(0)
      const t = pingAt.get(seq)
      if (t !== undefined) nearLat.push(performance.now() - t)
    })
    let delivered = 0
    let wake: (() => void) | undefined
    rx.on('deliver', (e) => {
      if (e.group !== GROUP || e.payload.length !== PAYLOAD_BYTES) return
      const seq = new DataView(e.payload.buffer, e.payload.byteOffset).getUint32(0)
      const t = sentAt.get(seq)
      if (t === undefined) return
      sentAt.delete(seq)
      lat.push(performance.now() - t)
      delivered++
      wake?.()
    })
    await tx.join(GROUP)
    await near.join(GROUP)
    await rx.join(GROUP)
    await waitFor(
      async () => (await rx.membership(GROUP)).length === 3,
      'the three clients in the group',
    )
    let seq = 0
    const send = async (ping = false): Promise<void> => {
      const p = new Uint8Array(PAYLOAD_BYTES)
      new DataView(p.buffer).setUint32(0, ++seq)
      await tx.writable()
      const now = performance.now()
      sentAt.set(seq, now)
      if (ping) pingAt.set(seq, now)
      tx.mcast(GROUP, p)
    }
    const until = (cond: () => boolean, ms: number): Promise<void> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no delivery in ${ms} ms`)), ms)
        wake = () => {
          if (!cond()) return
          clearTimeout(timer)
          wake = undefined
          resolve()
        }
        wake()
      })
    // Latency: one at a time.
    for (let i = 0; i < PINGS; i++) {
      const want = delivered + 1
      await send(true)
      await until(() => delivered >= want, 10_000)
    }
    const pingLat = lat.splice(0)
    pingAt.clear()
    // Throughput: a window of WINDOW in flight.
    const d0 = delivered
    const t0 = performance.now()
    const end = t0 + SECONDS * 1000
    while (performance.now() < end) {
      while (sentAt.size < WINDOW) await send()
      await until(() => sentAt.size < WINDOW, 10_000)
    }
    const msgsPerSec = ((delivered - d0) * 1000) / (performance.now() - t0)
    const f: Figures = {
      sameLanP50Ms: r2(pct(nearLat, 0.5)),
      latencyP50Ms: r2(pct(pingLat, 0.5)),
      latencyP99Ms: r2(pct(pingLat, 0.99)),
      latencyMeanMs: r2(pingLat.reduce((a, b) => a + b, 0) / pingLat.length),
      msgsPerSec: Math.round(msgsPerSec),
    }
    process.stdout.write(
      `${name.padEnd(34)} to node 2 p50 ${f.sameLanP50Ms} ms; to node 4 p50 ${f.latencyP50Ms} ms, p99 ${f.latencyP99Ms} ms, mean ${f.latencyMeanMs} ms; ${f.msgsPerSec} msgs/s (window ${WINDOW}, ${PAYLOAD_BYTES} B)\n`,
    )
    return f
  } finally {
    for (const h of handles) await h.finalize().catch(() => undefined)
    await sys.destroy()
  }
}

const single = await measure('single ring (4 totemd)', [{ lan: 0, nodes: [1, 2, 3, 4] }], false)
const cross = await measure(
  'two LANs + gateway, node 1 -> node 4',
  [
    { lan: 0, nodes: [1, 2, 10] },
    { lan: 1, nodes: [3, 4, 10] },
  ],
  true,
)
const ratio = {
  sameLanP50: r2(cross.sameLanP50Ms / single.sameLanP50Ms),
  latencyP50: r2(cross.latencyP50Ms / single.latencyP50Ms),
  latencyP99: r2(cross.latencyP99Ms / single.latencyP99Ms),
  throughput: r2(cross.msgsPerSec / single.msgsPerSec),
}
process.stdout.write(
  `cross-ring vs single ring (same run): latency p50 ${ratio.latencyP50}x (same LAN in the two-LAN system: ${ratio.sameLanP50}x), p99 ${ratio.latencyP99}x; throughput ${ratio.throughput}x\n`,
)
const root = fileURLToPath(new URL('../../../', import.meta.url))
const dir = join(root, 'bench-results')
mkdirSync(dir, { recursive: true })
const file = join(dir, `gateway-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(
  file,
  `${JSON.stringify(
    {
      bench: 'gateway',
      date: new Date().toISOString(),
      host: hostname(),
      cpus: cpus().length,
      setup: {
        seconds: SECONDS,
        window: WINDOW,
        pings: PINGS,
        payloadBytes: PAYLOAD_BYTES,
        token: 500,
      },
      single,
      cross,
      ratio,
    },
    null,
    2,
  )}\n`,
)
process.stdout.write(`written ${file}\n`)
