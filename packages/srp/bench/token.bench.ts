/**
 * srp's per-token processing cost, as a ratio against a baseline measured in the same run: the
 * bare wire work a token hop cannot avoid (decode the ORF token, encode the forwarded one).
 *
 * A 3-node ring runs in the scenario harness (virtual time, in-memory network), idle and under
 * load; the cost per hop includes the harness's event queue, which the baseline also pays for one
 * timer per hop.
 */
import { decodeOrfToken, encodeOrfToken } from '@totem-ts/wire'
import { afterAll, bench, describe } from 'vitest'
import { World } from '../test/harness.ts'

const results = new Map<string, number>()

async function ring(): Promise<World> {
  const w = new World([1, 2, 3])
  for (const id of w.ids) await w.add(id)
  w.run(1000)
  return w
}

function hopsOf(w: World): number {
  return w.ids.reduce((n, id) => n + w.srp(id).stats().orfTokenRx, 0)
}

const idle = await ring()
const loaded = await ring()
const payload = new Uint8Array(100)
const token = encodeOrfToken({
  nodeid: 1,
  seq: 1000,
  tokenSeq: 5000,
  aru: 1000,
  aruAddr: 0,
  ringId: { rep: 1, seq: 8n },
  backlog: 0,
  fcc: 0,
  retransFlg: 0,
  rtr: [],
})

function timePerHop(name: string, w: World, load: boolean): void {
  const h0 = hopsOf(w)
  const t0 = process.hrtime.bigint()
  if (load)
    for (let i = 0; i < 30; i++) w.srp((i % 3) + 1).send(payload, i % 5 === 0 ? 'safe' : 'agreed')
  w.runFor(5)
  const ns = Number(process.hrtime.bigint() - t0)
  const hops = hopsOf(w) - h0
  if (hops > 0) results.set(name, ns / hops)
}

describe('srp token processing', () => {
  bench('idle ring: one token hop', () => timePerHop('idle hop', idle, false), { time: 500 })
  bench(
    'loaded ring (30 × 100 B per 5 ms): one token hop',
    () => timePerHop('loaded hop', loaded, true),
    {
      time: 500,
    },
  )
  bench('baseline: decode + encode one ORF token', () => {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < 100; i++) encodeOrfToken(decodeOrfToken(token))
    results.set('baseline', Number(process.hrtime.bigint() - t0) / 100)
  })
})

afterAll(() => {
  const base = results.get('baseline')
  if (base === undefined) return
  const lines = ['srp per-token cost vs. decode+encode of one ORF token (same run)']
  for (const [k, v] of results) {
    if (k !== 'baseline')
      lines.push(
        `  ${k.padEnd(12)} ${(v / 1000).toFixed(2)} µs/hop  = ${(v / base).toFixed(1)}× baseline`,
      )
  }
  lines.push(`  baseline     ${(base / 1000).toFixed(2)} µs`)
  console.log(lines.join('\n'))
})
