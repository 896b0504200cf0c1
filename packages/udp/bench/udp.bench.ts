/**
 * Datagrams/s through the udpu transport against raw node:dgram baselines in the same run
 * (STYLE §11), printed as a ratio table from afterAll.
 *
 * - Send cost: the sink is a stopped child process whose sockets are bound to 127.0.0.2/3 at the
 *   same port, so the kernel queues then drops and only the sender's work is timed. Datagrams go
 *   out in batches of 64 per event-loop turn (TOOLCHAIN.md: many sends per turn).
 * - End to end: transport → transport in this process (both directions of the kernel path and the
 *   receive handler), against a raw dgram socket pair doing the same.
 *
 * Samples are interleaved (every variant once per round, rotating order) and the median is kept.
 */

import { type ChildProcess, spawn } from 'node:child_process'
import { createSocket, type Socket } from 'node:dgram'
import { once } from 'node:events'
import { type NodeId, nodeId } from '@totem-ts/common'
import { afterAll, beforeAll, bench, describe } from 'vitest'
import { createUdpTransport, type UdpTransport } from '../src/index.ts'
import { freePort } from '../test/helpers.ts'

const BATCH = 64
const PER_SAMPLE = 16_384
const SAMPLES = 7
/** Node `self` (at 127.0.0.`self`) with nodes 2 and 3. */
const nodelist = (self: number) =>
  [...new Set([self, 2, 3])].map((n) => ({ nodeId: n, address: `127.0.0.${n}` }))
const TWO: NodeId = nodeId(2)

let port = 0
let sink: ChildProcess | undefined
const closers: (() => Promise<void>)[] = []

const turn = (): Promise<void> => new Promise((r) => setImmediate(r))

async function openSocket(address: string, connectTo?: string): Promise<Socket> {
  const s = createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, address, () => r()))
  if (connectTo !== undefined) await new Promise<void>((r) => s.connect(port, connectTo, () => r()))
  s.setSendBufferSize(4 << 20)
  closers.push(() => new Promise<void>((r) => s.close(() => r())))
  return s
}

async function transport(sendMode: 'connected' | 'bound', id: number): Promise<UdpTransport> {
  const t = createUdpTransport({ nodeId: id, nodelist: nodelist(id), port, sendMode })
  t.onDatagram(() => {})
  await t.start()
  closers.push(() => t.stop())
  return t
}

interface Variant {
  readonly name: string
  /** Sends `datagrams` datagrams per call. */
  readonly send: () => void
  readonly datagrams: number
}

/** ns per datagram for one sample of `PER_SAMPLE` datagrams. */
async function sample(v: Variant): Promise<number> {
  const t0 = process.hrtime.bigint()
  let n = 0
  while (n < PER_SAMPLE) {
    for (let i = 0; i < BATCH; i += v.datagrams) v.send()
    n += BATCH
    await turn()
  }
  await turn() // completions of the last batch
  const ns = Number(process.hrtime.bigint() - t0) / n
  if (process.env['UDP_BENCH_VERBOSE']) process.stderr.write(`${v.name}: ${ns.toFixed(0)} ns\n`)
  return ns
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1] as number
}

async function measure(variants: readonly Variant[]): Promise<number[]> {
  for (const v of variants) await sample(v) // warm up
  const times: number[][] = variants.map(() => [])
  for (let s = 0; s < SAMPLES; s++)
    for (let k = 0; k < variants.length; k++) {
      const j = (k + s) % variants.length
      ;(times[j] as number[]).push(await sample(variants[j] as Variant))
    }
  return times.map(median)
}

function table(
  title: string,
  names: readonly string[],
  ns: readonly number[],
  base: number,
): string {
  const rows = names.map((n, i) => {
    const t = ns[i] as number
    return [
      n,
      `${(t / 1000).toFixed(2)} µs`,
      `${Math.round(1e9 / t / 1000)} k/s`,
      `${(t / base).toFixed(2)}×`,
    ]
  })
  const header = ['operation', 'time/datagram', 'datagrams/s', '÷ raw connected']
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)))
  const line = (r: readonly string[]): string =>
    r.map((c, i) => (i === 0 ? c.padEnd(w[i] as number) : c.padStart(w[i] as number))).join('  ')
  return [`\n${title}`, line(header), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)].join(
    '\n',
  )
}

const reports: (() => Promise<string>)[] = []

/** Send cost per datagram at one payload size. */
function sendTable(bytes: number): () => Promise<string> {
  return async () => {
    const buf = new Uint8Array(bytes)
    const raw = await openSocket('127.0.0.1', '127.0.0.2')
    const rawUnconnected = await openSocket('127.0.0.1')
    const connected = await transport('connected', 1)
    const bound = await transport('bound', 4)
    const noop = (): void => {}
    const variants: Variant[] = [
      {
        name: 'raw dgram: connected socket, send(buf, cb)',
        send: () => raw.send(buf, noop),
        datagrams: 1,
      },
      {
        name: "raw dgram: send(buf, port, '127.0.0.2') (dns.lookup)",
        send: () => rawUnconnected.send(buf, port, '127.0.0.2'),
        datagrams: 1,
      },
      {
        name: "udpu sendMode 'connected': send({ node })",
        send: () => connected.send({ node: TWO }, buf),
        datagrams: 1,
      },
      {
        name: "udpu sendMode 'bound': send({ node })",
        send: () => bound.send({ node: TWO }, buf),
        datagrams: 1,
      },
      {
        name: "udpu sendMode 'connected': send('all'), 3 nodes",
        send: () => connected.send('all', buf),
        datagrams: 3,
      },
      {
        name: "udpu sendMode 'bound': send('all'), 3 nodes",
        send: () => bound.send('all', buf),
        datagrams: 3,
      },
    ]
    const ns = await measure(variants)
    for (const c of closers.splice(0)) await c()
    return table(
      `udpu send cost, ${bytes} B datagrams, ${BATCH} per event-loop turn (sink: stopped process)`,
      variants.map((v) => v.name),
      ns,
      ns[0] as number,
    )
  }
}

/** End to end, 1 KiB: sender and receiver in this process. */
async function endToEnd(): Promise<string> {
  const buf = new Uint8Array(1024)
  const total = 65_536
  async function run(send: () => void, received: () => number): Promise<[number, number]> {
    const start = received()
    const t0 = process.hrtime.bigint()
    for (let n = 0; n < total; n += 32) {
      for (let i = 0; i < 32; i++) send()
      await turn()
    }
    let last = -1
    while (received() !== last) {
      last = received()
      await new Promise((r) => setTimeout(r, 20))
    }
    const ns = Number(process.hrtime.bigint() - t0) - 20e6
    return [ns / (received() - start), (received() - start) / total]
  }
  // Nodes 2 and 3 (the sink is gone): node 3 sends to node 2.
  let rawCount = 0
  const rawRx = createSocket('udp4')
  rawRx.on('message', () => rawCount++)
  await new Promise<void>((r) => rawRx.bind({ port, address: '127.0.0.2' }, () => r()))
  rawRx.setRecvBufferSize(4 << 20)
  const rawTx = await openSocket('127.0.0.3', '127.0.0.2')
  const noop = (): void => {}
  const raw = await run(
    () => rawTx.send(buf, noop),
    () => rawCount,
  )
  await new Promise<void>((r) => rawRx.close(() => r()))
  for (const c of closers.splice(0)) await c()
  const rx = await transport('connected', 2)
  const tx = await transport('connected', 3)
  const udpu = await run(
    () => tx.send({ node: TWO }, buf),
    () => rx.stats().datagramsRx,
  )
  for (const c of closers.splice(0)) await c()
  const names = [
    `raw dgram → raw dgram (delivered ${(raw[1] * 100).toFixed(1)} %)`,
    `udpu → udpu, sendMode 'connected' (delivered ${(udpu[1] * 100).toFixed(1)} %)`,
  ]
  return table(
    'end to end, 1 KiB, 32 per turn, one process (time per delivered datagram)',
    names,
    [raw[0], udpu[0]],
    raw[0],
  )
}

beforeAll(async () => {
  port = await freePort(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'])
  sink = spawn(
    process.execPath,
    [
      '-e',
      `const d = require('node:dgram'); let n = 0
       for (const a of ['127.0.0.2', '127.0.0.3']) {
         const s = d.createSocket('udp4'); s.bind(${port}, a, () => { if (++n === 2) process.stdout.write('up') })
       }`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  await new Promise((r) => sink?.stdout?.once('data', r))
  sink.kill('SIGSTOP') // its sockets stay bound and never read: the kernel drops what overflows
})

afterAll(async () => {
  for (const c of closers.splice(0)) await c()
  const out: string[] = []
  for (const r of reports) out.push(await r())
  if (sink !== undefined && sink.exitCode === null && sink.signalCode === null) {
    const exited = once(sink, 'exit')
    sink.kill('SIGKILL') // frees 127.0.0.2/3:port for the end-to-end run
    await exited
  }
  out.push(await endToEnd())
  console.log(out.join('\n'))
}, 600_000)

describe('udpu', () => {
  // vitest's own ops/s lines: one batch of 64 sends per call, on fresh transports.
  let t: UdpTransport | undefined
  const buf = new Uint8Array(1024)
  bench(
    "udpu 'connected' send({ node }) × 64, 1 KiB",
    async () => {
      t ??= await transport('connected', 5)
      for (let i = 0; i < BATCH; i++) t.send({ node: TWO }, buf)
      await turn()
    },
    { time: 500 },
  )
  reports.push(sendTable(64), sendTable(1400))
})
