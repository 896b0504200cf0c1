/**
 * Real processes, two LANs on loopback joined by one totem-gateway (issue 8): LAN 0 = nodes 1, 2
 * (127.0.0.1/.2) and the gateway 5 (127.0.0.5) on one UDP port, LAN 1 = nodes 3, 4 and the
 * gateway on another. CPG clients on nodes 1–4 join one group and send; every member delivers the
 * same sequence. Killing the gateway gives each side its own configuration change; restarting it
 * merges them again. Every process's EVS trace (multiring extension) passes checkMultiringTrace.
 * Crypto is on (aes256 + sha256, one key file per LAN), and LAN 1's key is rotated online
 * (`totem-cfgtool --stage-key`, then `--reload-key`, on its totemds and the gateway).
 */

import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type CpgHandle, initialize } from '@totem-ts/cpg'
import { checkMultiringTrace } from '@totem-ts/evs-checker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MultiLan, waitFor, withoutAmbiguousIds } from './harness.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = new TextDecoder()
const GROUP = 'mr'
const SIDE_A = [1, 2]
const SIDE_B = [3, 4]
const GW = 5

interface Client {
  readonly node: number
  readonly handle: CpgHandle
  /** Deliveries (payload text) and confchgs (`C:<member nodes>`) of the group, in order. */
  readonly log: string[]
}

async function client(sys: MultiLan, node: number): Promise<Client> {
  const handle = await waitFor(
    () => initialize({ socketPath: sys.cpgSocket(node), pid: 1000 + node }),
    `the CPG socket of node ${node}`,
  )
  const log: string[] = []
  handle.on('deliver', (e) => {
    if (e.group === GROUP) log.push(dec.decode(e.payload))
  })
  handle.on('confchg', (e) => {
    if (e.group !== GROUP || e.kind === 'transitional') return
    log.push(`C:${[...new Set(e.members.map((m) => m.nodeId))].sort((a, b) => a - b).join(',')}`)
  })
  await handle.join(GROUP)
  return { node, handle, log }
}

const deliveries = (c: Client, tag: string): string[] => c.log.filter((l) => l.startsWith(tag))
const lastConf = (c: Client): string | undefined => {
  const cs = c.log.filter((l) => l.startsWith('C:'))
  return cs[cs.length - 1]
}

async function sendRound(cs: readonly Client[], tag: string, perClient: number): Promise<string[]> {
  const sent: string[] = []
  for (let i = 0; i < perClient; i++)
    for (const c of cs) {
      const m = `${tag}-${c.node}-${i}`
      await c.handle.writable()
      c.handle.mcast(GROUP, enc(m))
      sent.push(m)
    }
  return sent
}

/** Sends a round from every client; waits until all of it is delivered everywhere, in one order. */
async function roundInOneOrder(
  cs: readonly Client[],
  tag: string,
  perClient: number,
  what: string,
): Promise<void> {
  const sent = await sendRound(cs, tag, perClient)
  await waitFor(() => cs.every((c) => deliveries(c, `${tag}-`).length === sent.length), what)
  const seq = deliveries(cs[0] as Client, `${tag}-`)
  for (const c of cs) expect(deliveries(c, `${tag}-`), `node ${c.node}`).toEqual(seq)
}

/** totem-cfgtool (a tool: run, never imported), found in the workspace root's node_modules. */
const CFGTOOL = fileURLToPath(
  new URL('../../../node_modules/@totem-ts/cfgtool/bin/totem-cfgtool.mjs', import.meta.url),
)
function cfgtool(args: readonly string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CFGTOOL, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    p.stdout.on('data', (b: Buffer) => (out += b.toString()))
    p.once('exit', (code) => resolve({ code, out }))
  })
}

/** On failure: what each client saw last and what each node reports. */
async function dump(sys: MultiLan, cs: readonly Client[]): Promise<void> {
  for (const c of cs) process.stderr.write(`client ${c.node}: ${c.log.slice(-6).join(' | ')}\n`)
  for (const id of sys.running.keys()) {
    const s = await sys.result(id, 'status').catch((e: unknown) => ({ error: String(e) }))
    process.stderr.write(`node ${id}: ${JSON.stringify(s)}\n`)
  }
}

describe('totem-gateway between two LANs (real processes on loopback)', () => {
  let sys: MultiLan
  let clients: Client[] = []

  beforeAll(async () => {
    sys = await new MultiLan(
      [
        { lan: 0, nodes: [...SIDE_A, GW] },
        { lan: 1, nodes: [...SIDE_B, GW] },
        // token 500, multiring on, crypto on
      ],
      500,
      true,
      true,
    ).init()
  })

  afterAll(async () => {
    for (const c of clients) await c.handle.finalize().catch(() => undefined)
    await sys.destroy()
  })

  it('one total order across both LANs; gateway crash splits, restart merges; traces check', async () => {
    for (const id of [...SIDE_A, ...SIDE_B, GW]) sys.start(id)
    for (const id of [...SIDE_A, ...SIDE_B, GW]) await sys.ready(id)
    const all = [1, 2, 3, 4, 5]
    await sys.topology(all, all)

    // The gateway's status: both rings, forwarding counters, lag.
    const st = (await sys.result(GW, 'status')).multiring as {
      isGateway: boolean
      lans: { lan: number; members: number[] }[]
      forwarding: Record<string, number>
      lag: { lan: number }[]
    }
    expect(st.isGateway).toBe(true)
    expect(st.lans.map((l) => [l.lan, l.members])).toEqual([
      [0, [1, 2, 5]],
      [1, [3, 4, 5]],
    ])

    clients = []
    for (const n of [...SIDE_A, ...SIDE_B]) clients.push(await client(sys, n))
    await waitFor(
      () => clients.every((c) => lastConf(c) === 'C:1,2,3,4'),
      'a group of the four clients everywhere',
    )

    // 1. Same sequence everywhere.
    const sent1 = await sendRound(clients, 'r1', 25)
    await waitFor(
      () => clients.every((c) => deliveries(c, 'r1-').length === sent1.length),
      'round 1 delivered everywhere',
    )
    const seq = deliveries(clients[0] as Client, 'r1-')
    expect([...seq].sort()).toEqual([...sent1].sort())
    for (const c of clients) expect(deliveries(c, 'r1-'), `node ${c.node}`).toEqual(seq)
    const fw = ((await sys.result(GW, 'status')).multiring as typeof st).forwarding
    expect(fw['0->1'] ?? 0).toBeGreaterThan(0)
    expect(fw['1->0'] ?? 0).toBeGreaterThan(0)

    // totem-cfgtool -s against the gateway: rings, forwarding counters, lag.
    const cfg = await cfgtool(['-s', '-S', sys.socket(GW)])
    expect(cfg.code).toBe(0)
    expect(cfg.out).toContain('Multiring gateway, topology ')
    expect(cfg.out).toMatch(
      /^LAN 0: ring \S+ operational on 127\.0\.0\.5:\d+, members 1 2 5, key id 0x[0-9a-f]+$/m,
    )
    expect(cfg.out).toMatch(
      /^LAN 1: ring \S+ operational on 127\.0\.0\.5:\d+, members 3 4 5, key id 0x[0-9a-f]+$/m,
    )
    expect(cfg.out).toMatch(/^Forwarded: LAN 0->1 \d+, LAN 1->0 \d+$/m)
    expect(cfg.out).toMatch(/^Lag from LAN 0: mean [\d.]+ ms/m)
    expect(cfg.out).toMatch(/^Lag from LAN 1: mean [\d.]+ ms/m)

    // 2. Kill the gateway: each side gets its own configuration change.
    await sys.crash(GW)
    await waitFor(
      () =>
        clients.every((c) =>
          SIDE_A.includes(c.node) ? lastConf(c) === 'C:1,2' : lastConf(c) === 'C:3,4',
        ),
      'each side in its own group configuration',
    ).catch(async (e: unknown) => {
      await dump(sys, clients)
      throw e
    })
    await sys.topology(SIDE_A, SIDE_A)
    await sys.topology(SIDE_B, SIDE_B)
    const sent2 = await sendRound(clients, 'r2', 5)
    await waitFor(
      () => clients.every((c) => deliveries(c, 'r2-').length === 10),
      'round 2 delivered on each side',
    )
    for (const c of clients) {
      const side = SIDE_A.includes(c.node) ? SIDE_A : SIDE_B
      const expected = sent2.filter((m) => side.includes(Number(m.split('-')[1])))
      expect([...deliveries(c, 'r2-')].sort(), `node ${c.node}`).toEqual([...expected].sort())
    }
    expect(deliveries(clients[0] as Client, 'r2-')).toEqual(deliveries(clients[1] as Client, 'r2-'))
    expect(deliveries(clients[2] as Client, 'r2-')).toEqual(deliveries(clients[3] as Client, 'r2-'))

    // 3. Restart it: merged again, one order again.
    sys.start(GW)
    await sys.ready(GW)
    await sys.topology(all, all)
    await waitFor(
      () => clients.every((c) => lastConf(c) === 'C:1,2,3,4'),
      'the four clients in one group again',
    )
    await roundInOneOrder(clients, 'r3', 10, 'round 3 delivered everywhere')

    // 4. Rotate LAN 1's key online: a new key file on LAN 1, staged on its nodes and the gateway
    // (which re-reads each of its rings' key files; LAN 0's did not change), then reloaded.
    const keysOf = async (id: number): Promise<(string | null)[]> =>
      (
        (await sys.result(id, 'status')).multiring as { lans: { cryptoKeyId: string | null }[] }
      ).lans.map((l) => l.cryptoKeyId)
    const [lan0Key, lan1Key] = await keysOf(GW)
    expect(lan0Key).toMatch(/^0x[0-9a-f]+$/)
    expect((await sys.result(3, 'status')).cryptoKeyId).toBe(lan1Key)
    sys.writeKey(1)
    for (const id of [...SIDE_B, GW]) {
      const r = await cfgtool(['--stage-key', '-S', sys.socket(id)])
      expect(r.code, `--stage-key on node ${id}`).toBe(0)
      if (id === GW) expect(r.out).toMatch(/^LAN 1: key staged from \S+lan1\.key \(key id 0x/m)
    }
    for (const id of [...SIDE_B, GW])
      expect((await cfgtool(['--reload-key', '-S', sys.socket(id)])).code, `node ${id}`).toBe(0)
    const [lan0After, lan1After] = await keysOf(GW)
    expect(lan0After).toBe(lan0Key)
    expect(lan1After).not.toBe(lan1Key)
    for (const id of SIDE_B) expect((await sys.result(id, 'status')).cryptoKeyId).toBe(lan1After)
    await roundInOneOrder(clients, 'r4', 10, 'round 4 (after the key change) delivered everywhere')

    // 5. Orderly stop of everything, then the traces.
    for (const c of clients) await c.handle.finalize()
    clients = []
    for (const id of [GW, ...SIDE_A, ...SIDE_B]) expect(await sys.stop(id)).toBe(0)
    const { events, ambiguous } = withoutAmbiguousIds(sys.traces())
    // Each of nodes 1–4 sends its CPG joinlist (pid 100N in group mr) at the split and again at
    // the merge: the same bytes, so the same trace id. Nothing else may be ambiguous.
    expect(ambiguous.length).toBeLessThanOrEqual(8)
    const r = checkMultiringTrace(events)
    expect(r.violations).toEqual([])
    expect(r.ok).toBe(true)
    expect(r.counts.forwards).toBeGreaterThan(0)
    expect(r.counts.topologies).toBeGreaterThan(0)
  }, 180_000)
})
