import { nodeId } from '@totem-ts/common'
import { createMemoryNetwork, transportComplianceSuite } from '@totem-ts/udp'
import { afterEach, describe, expect, it } from 'vitest'
import { createRrp, RRP_HEADER_BYTES, type RrpNetworkStats } from '../src/index.ts'
import { createWorld, rng, type World } from './harness.ts'

// Fast timers: heartbeat 20 ms, silence 60 ms, leak 1 count per 2 s, checks every 200 ms.
const FAST = {
  tokenExpiredTimeoutMs: 60,
  heartbeatIntervalMs: 20,
  autorecoveryCheckTimeoutMs: 200,
  problemCountTimeoutMs: 2000,
} as const

const bytes = (n: number, tag: number): Uint8Array => new Uint8Array(n).fill(tag)

/** Every node sends `count` mcasts and one unicast to its successor, spread over `ms`. */
async function traffic(w: World, count: number, ms: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    for (const x of w.nodes) {
      x.rrp.send('all', bytes(100, i & 0xff))
      const next = w.nodes[(w.nodes.indexOf(x) + 1) % w.nodes.length]
      if (next !== undefined) x.rrp.send({ node: next.id }, bytes(40, i & 0xff))
    }
    await w.run(ms / count)
  }
}

const states = (w: World): string[][] =>
  w.nodes.map((x) => x.rrp.networks().map((n) => `${n.state}${n.inUse ? '' : '-out'}`))

describe('runtime contract', () => {
  const runtime = () => ({
    clock: { nowMs: () => 0 },
    timers: { after: () => ({ cancel() {} }) },
    random: rng(3),
    logger: {
      error() {},
      warn() {},
      info() {},
      debug() {},
      trace() {},
      child() {
        return this
      },
      isEnabled: () => false,
    },
  })
  // The Transport compliance suite (from @totem-ts/udp) over rrp over two memory networks.
  transportComplianceSuite(
    'rrp (active) over two memory networks',
    () => {
      const ids = [1, 2, 3].map((i) => nodeId(i))
      const nets = [0, 1].map((r) => createMemoryNetwork({ nodes: ids, ringNo: r }))
      return {
        nodes: ids,
        create: (id) =>
          createRrp(
            nets.map((n) => n.transport(id)),
            { mode: 'active', nodeId: id, ...FAST },
            runtime(),
          ),
      }
    },
    { describe, it, afterEach },
  )
})

describe.each(['active', 'passive'] as const)('%s mode', (mode) => {
  it('delivers every datagram exactly once, and uses the networks as the mode says', async () => {
    const w = await createWorld(3, 2, { mode, ...FAST })
    await traffic(w, 50, 500)
    await w.run(50)
    for (const x of w.nodes) {
      // 50 × 3 mcasts (own included: udpu loops them back) + 50 unicasts from the predecessor.
      expect(x.received.length, `node ${x.id}`).toBe(200)
      const s = x.rrp.stats()
      const [n0, n1] = s.networks as [RrpNetworkStats, RrpNetworkStats]
      if (mode === 'active') {
        expect(n0.datagramsTx).toBe(100)
        expect(n1.datagramsTx).toBe(100)
        expect(s.duplicatesDropped).toBe(200)
      } else {
        expect(n0.datagramsTx + n1.datagramsTx).toBe(100)
        expect(Math.abs(n0.datagramsTx - n1.datagramsTx)).toBeLessThanOrEqual(2)
        expect(s.duplicatesDropped).toBe(0)
      }
    }
    expect(
      states(w)
        .flat()
        .every((s) => s === 'ok'),
    ).toBe(true)
  })

  it('marks a dead network faulty on every node in time, loses nothing after, and takes it back', async () => {
    const w = await createWorld(3, 2, { mode, ...FAST })
    await traffic(w, 20, 200)
    w.nets[1]?.cut(true)
    const cutAt = w.clock.now
    let detectedAt = 0
    for (let i = 0; i < 300 && detectedAt === 0; i++) {
      await traffic(w, 1, 10)
      if (w.nodes.every((x) => x.rrp.networks()[1]?.inUse === false)) detectedAt = w.clock.now
    }
    // Silence adds one count per 60 ms, the leak takes 0.03 back: threshold 10 → ≈ 0.62 s.
    expect(detectedAt - cutAt).toBeGreaterThan(0)
    expect(detectedAt - cutAt).toBeLessThan(1000)
    expect(states(w)).toEqual(w.nodes.map(() => ['ok', 'faulty-out']))
    expect(
      w.logs.records.some((r) => r.level === 'info' && /Marking ring 1 FAULTY/.test(r.msg)),
    ).toBe(true)
    // From now on nothing is lost: every datagram goes on network 0.
    const before = w.nodes.map((x) => x.received.length)
    await traffic(w, 30, 600)
    await w.run(20)
    for (const [i, x] of w.nodes.entries())
      expect(x.received.length - (before[i] as number)).toBe(120)
    // Probes on the faulty network are padded to its MTU.
    expect(w.nodes[0]?.rrp.networks()[1]?.probesTx).toBeGreaterThan(0)
    // Heal: back in use after 3 clean 200 ms checks (plus the leak below half the threshold).
    w.nets[1]?.cut(false)
    const healAt = w.clock.now
    let backAt = 0
    for (let i = 0; i < 1000 && backAt === 0; i++) {
      await traffic(w, 1, 10)
      if (w.nodes.every((x) => x.rrp.networks()[1]?.inUse === true)) backAt = w.clock.now
    }
    expect(backAt - healAt).toBeGreaterThan(0)
    expect(backAt - healAt).toBeLessThan(15_000)
    expect(states(w)).toEqual(w.nodes.map(() => ['ok', 'ok']))
    for (const x of w.nodes)
      expect(x.rrp.networks()[1]).toMatchObject({ faultyCount: 1, recoveredCount: 1 })
  })

  it('agrees on a one-way fault: every member stops using the network one node cannot hear on', async () => {
    const w = await createWorld(3, 2, { mode, ...FAST })
    await traffic(w, 10, 100)
    const l = w.nets[1]?.link(1, 3)
    if (l) l.cut = true // node 3 no longer hears node 1 on network 1
    for (let i = 0; i < 150; i++) await traffic(w, 1, 10)
    const nets = w.nodes.map((x) => x.rrp.networks()[1])
    expect(nets.map((n) => n?.inUse)).toEqual([false, false, false])
    expect(nets.map((n) => n?.localFaulty)).toEqual([false, false, true])
    expect(nets[0]?.reportedFaultyBy).toEqual([3])
    // Node 3 leaves the ring: its report goes with it, and the others take network 1 back.
    for (const x of w.nodes.slice(0, 2)) x.rrp.setMembers([nodeId(1), nodeId(2)])
    expect(w.nodes.slice(0, 2).map((x) => x.rrp.networks()[1]?.inUse)).toEqual([true, true])
  })

  it('forgives a slightly lossy network for ever, and takes a badly lossy one out without flapping', async () => {
    const w = await createWorld(3, 2, { mode, ...FAST })
    w.nets[1]?.setLoss(0.005)
    for (let i = 0; i < 200; i++) await traffic(w, 10, 100) // 20 s, ≈ 400 datagrams/s per node
    for (const x of w.nodes)
      expect(x.rrp.networks()[1]).toMatchObject({ faultyCount: 0, inUse: true })
    expect(w.nodes[0]?.rrp.networks()[1]?.lost).toBeGreaterThan(10)
    w.nets[1]?.setLoss(0.2)
    for (let i = 0; i < 300; i++) await traffic(w, 10, 100) // 30 s
    for (const x of w.nodes)
      expect(x.rrp.networks()[1]).toMatchObject({ inUse: false, recoveredCount: 0 })
    expect(Math.max(...w.nodes.map((x) => x.rrp.networks()[1]?.faultyCount ?? 0))).toBe(1)
  })

  it('damps a flapping network: each relapse doubles the clean checks the next recovery needs', async () => {
    const w = await createWorld(3, 2, { mode, ...FAST, flapWindowMs: 60_000 })
    const required: number[] = []
    for (let cycle = 0; cycle < 4; cycle++) {
      w.nets[1]?.cut(true)
      for (let i = 0; i < 100; i++) await traffic(w, 1, 10) // 1 s down
      required.push(w.nodes[0]?.rrp.networks()[1]?.recoveryChecksRequired ?? 0)
      w.nets[1]?.cut(false)
      for (let i = 0; i < 400; i++) await traffic(w, 1, 10) // 4 s up
    }
    expect(required).toEqual([3, 6, 12, 24])
    // The last recovery needs 24 × 200 ms: it is still out of use 4 s after the last heal.
    expect(w.nodes[0]?.rrp.networks()[1]?.inUse).toBe(false)
  })
})

describe('passive mode: the token on a dying network', () => {
  it('a token ring of five keeps its rotation below the token timeout while a dead network is not yet out of use', async () => {
    // srp's token, in miniature: a node forwards a newer token to its successor at once, and
    // multicasts a message with it (8-byte tokens, 12-byte messages, both carrying the token's
    // number). It sends its last token again every retransmit period until it sees a newer
    // token or a message sent under one (srp's tokenRetransmit timer), and counts the token
    // lost after 4.2 periods without it. Retransmit period = expiry period (rrp's default
    // derives the one from the other).
    const retransmitMs = FAST.tokenExpiredTimeoutMs
    const lossMs = 4.2 * retransmitMs
    const seen = new Map<number, number>()
    const forwarded = new Map<number, number>()
    const timers = new Map<number, { cancel(): void }>()
    const arrivals: number[] = []
    let w: World | undefined
    const forward = (from: number, token: number): void => {
      const x = w?.nodes[from - 1]
      if (w === undefined || x === undefined) return
      const to = nodeId((from % 5) + 1)
      const bytes = new Uint8Array(8)
      new DataView(bytes.buffer).setUint32(0, token, true)
      const message = new Uint8Array(12)
      new DataView(message.buffer).setUint32(0, token, true)
      x.rrp.send('all', message)
      forwarded.set(from, token)
      timers.get(from)?.cancel()
      const again = (): void => {
        x.rrp.send({ node: to }, bytes)
        timers.set(from, w?.clock.after(retransmitMs, again) ?? { cancel() {} })
      }
      again()
    }
    w = await createWorld(5, 2, { mode: 'passive', ...FAST }, 3, (node, bytes) => {
      if (w === undefined) return
      const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)
      if (n > (forwarded.get(node) ?? 0)) timers.get(node)?.cancel()
      if (bytes.length !== 8 || n <= (seen.get(node) ?? 0)) return
      seen.set(node, n)
      if (node === 1) arrivals.push(w.clock.now)
      w.clock.after(1, () => forward(node, n + 1))
    })
    forward(1, 1)
    await w.run(500)
    w.nets[1]?.cut(true)
    const cutAt = w.clock.now
    await w.run(2000)
    // Network 1 is out of use by now, on every node.
    expect(w.nodes.map((x) => x.rrp.networks()[1]?.inUse)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ])
    let worst = 0
    for (let i = 1; i < arrivals.length; i++) {
      const t = arrivals[i] as number
      if (t > cutAt) worst = Math.max(worst, t - (arrivals[i - 1] as number))
    }
    // Round robin alone: every node switched networks once per rotation, so all ran in phase,
    // and once a rotation's every hop went on the dead network, every later one did too: five
    // retransmit periods per rotation, the token lost.
    expect(worst).toBeGreaterThan(retransmitMs)
    expect(worst).toBeLessThan(lossMs)
    for (const t of timers.values()) t.cancel()
  })
})

describe('manual re-enable and the all-faulty fallback', () => {
  it('reenable() on one node clears the faults on every node', async () => {
    const w = await createWorld(3, 2, { mode: 'passive', ...FAST, recoveryChecks: 1000 })
    w.nets[1]?.cut(true)
    for (let i = 0; i < 100; i++) await traffic(w, 1, 10)
    expect(w.nodes.map((x) => x.rrp.networks()[1]?.inUse)).toEqual([false, false, false])
    w.nets[1]?.cut(false)
    for (let i = 0; i < 100; i++) await traffic(w, 1, 10)
    expect(w.nodes.map((x) => x.rrp.networks()[1]?.inUse)).toEqual([false, false, false])
    w.nodes[1]?.rrp.reenable()
    await w.run(100)
    expect(w.nodes.map((x) => x.rrp.networks()[1]?.inUse)).toEqual([true, true, true])
    expect(w.nodes.map((x) => x.rrp.stats().reenableGen)).toEqual([1, 1, 1])
  })

  it('sends on every network when all are faulty, so nothing stops', async () => {
    const w = await createWorld(3, 2, { mode: 'passive', ...FAST })
    // Node 3 cannot hear node 1 on network 0, nor node 2 on network 1: it judges both faulty.
    const a = w.nets[0]?.link(1, 3)
    const b = w.nets[1]?.link(2, 3)
    if (a) a.cut = true
    if (b) b.cut = true
    for (let i = 0; i < 100; i++) await traffic(w, 1, 10)
    const s = w.nodes[0]?.rrp.stats()
    expect(w.nodes.map((x) => x.rrp.stats().allFaulty)).toEqual([true, true, true])
    expect(s?.allFaultyEntered).toBe(1)
    const tx = s?.networks.map((n) => n.datagramsTx) ?? []
    const before = w.nodes.map((x) => x.received.length)
    await traffic(w, 10, 100)
    await w.run(20)
    const after = w.nodes[0]?.rrp.stats().networks.map((n) => n.datagramsTx) ?? []
    // Passive mode, but both networks carried every one of the 20 datagrams node 1 sent, so
    // node 3 got everything through whichever network still reached it.
    expect(after.map((x, i) => x - (tx[i] as number))).toEqual([20, 20])
    for (const [i, x] of w.nodes.entries())
      expect(x.received.length - (before[i] as number)).toBe(40)
  })
})

describe('hostile input', () => {
  it('drops and counts what is not an RRP frame', async () => {
    const w = await createWorld(2, 2, { mode: 'active', ...FAST })
    const h = w.nets[0]?.handlers.get(2)
    h?.(new Uint8Array(5), 0)
    h?.(new Uint8Array(RRP_HEADER_BYTES + 4), 0)
    const fake = new Uint8Array(RRP_HEADER_BYTES + 12)
    fake.set([0x52, 0x52, 1, 2, 0, 0, 0, 9])
    fake[26] = 1 // a heartbeat claiming network 1, received on network 0
    fake[27] = 2
    h?.(fake, 0)
    expect(w.nodes[1]?.rrp.stats().rxDropped).toEqual({
      ERR_RRP_BAD_FRAME: 2,
      ERR_RRP_BAD_FIELD: 1,
    })
    expect(w.nodes[1]?.received.length).toBe(0)
  })
})
