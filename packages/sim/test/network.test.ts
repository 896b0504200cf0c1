import type { NodeId, Transport } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import {
  createEventQueue,
  createSimNetwork,
  createSimRandom,
  type LinkFaults,
  type SimNetwork,
} from '../src/index.ts'

const ids = (n: number): NodeId[] => Array.from({ length: n }, (_, i) => (i + 1) as NodeId)

interface Rx {
  from: number
  at: number
  bytes: Uint8Array
}

function setup(
  n: number,
  link: Partial<LinkFaults> = {},
  extra: { loopback?: boolean; seed?: number } = {},
): {
  net: SimNetwork
  q: ReturnType<typeof createEventQueue>
  tx: Transport[]
  rx: Rx[][]
} {
  const q = createEventQueue()
  const net = createSimNetwork({
    queue: q,
    random: createSimRandom(extra.seed ?? 1),
    nodes: ids(n),
    link,
    ...(extra.loopback !== undefined ? { loopback: extra.loopback } : {}),
  })
  const rx: Rx[][] = []
  const tx = ids(n).map((id, i) => {
    const t = net.attach(id)
    rx[i] = []
    // The first byte of every test datagram names its sender.
    t.onDatagram((bytes) => rx[i]?.push({ from: bytes[0] as number, at: q.nowMs, bytes }))
    void t.start()
    return t
  })
  return { net, q, tx, rx }
}

const dgram = (from: number, k = 0): Uint8Array => Uint8Array.of(from, k & 0xff, k >> 8)

describe('SimNetwork', () => {
  it("sends 'all' to every other node of the nodelist (not itself unless loopback)", () => {
    const { q, tx, rx } = setup(3)
    tx[0]?.send('all', dgram(1))
    q.runUntil(10)
    expect(rx.map((r) => r.length)).toEqual([0, 1, 1])
    const lb = setup(3, {}, { loopback: true })
    lb.tx[0]?.send('all', dgram(1))
    lb.q.runUntil(10)
    expect(lb.rx.map((r) => r.length)).toEqual([1, 1, 1])
  })

  it('copies datagrams on send, so the sender may reuse its buffer', () => {
    const { q, tx, rx } = setup(2)
    const buf = dgram(1, 7)
    tx[0]?.send({ node: 2 as NodeId }, buf)
    buf[1] = 99
    q.runUntil(10)
    expect(rx[1]?.[0]?.bytes[1]).toBe(7)
  })

  it('delivers after the base latency; jitter reorders', () => {
    const calm = setup(2, { delayBaseMs: 2 })
    for (let k = 0; k < 50; k++) calm.tx[0]?.send({ node: 2 as NodeId }, dgram(1, k))
    calm.q.runUntil(100)
    expect(calm.rx[1]?.map((r) => r.bytes[1])).toEqual(Array.from({ length: 50 }, (_, k) => k))
    expect(calm.rx[1]?.every((r) => r.at === 2)).toBe(true)

    const j = setup(2, { delayBaseMs: 1, delayJitterMs: 5 })
    for (let k = 0; k < 50; k++) j.tx[0]?.send({ node: 2 as NodeId }, dgram(1, k))
    j.q.runUntil(100)
    const order = j.rx[1]?.map((r) => r.bytes[1]) ?? []
    expect(order).toHaveLength(50)
    expect(order).not.toEqual([...order].sort((a, b) => (a ?? 0) - (b ?? 0)))
    expect(j.rx[1]?.every((r) => r.at >= 1 && r.at < 6)).toBe(true)
  })

  it('loses and duplicates at roughly the drawn rates', () => {
    const { net, q, tx, rx } = setup(2, { lossRate: 0.2, dupRate: 0.1 })
    const N = 10_000
    for (let k = 0; k < N; k++) tx[0]?.send({ node: 2 as NodeId }, dgram(1, k))
    q.runUntil(100)
    const st = net.stats()
    expect(st.sent).toBe(N)
    expect(st.lost / N).toBeGreaterThan(0.18)
    expect(st.lost / N).toBeLessThan(0.22)
    expect(st.duplicated / (N - st.lost)).toBeGreaterThan(0.08)
    expect(st.duplicated / (N - st.lost)).toBeLessThan(0.12)
    expect(rx[1]?.length).toBe(N - st.lost + st.duplicated)
    expect(st.delivered).toBe(N - st.lost + st.duplicated)
    expect(tx[1]?.stats().datagramsRx).toBe(st.delivered)
    expect(tx[0]?.stats().datagramsTx).toBe(N)
  })

  it('partitions block exactly the pairs across groups, both ways', () => {
    const { net, q, tx, rx } = setup(5)
    net.partition([[1, 2] as NodeId[], [3, 4, 5] as NodeId[]])
    for (const t of tx) t.send('all', dgram(Number(tx.indexOf(t) + 1)))
    q.runUntil(10)
    const heard = rx.map((r) => r.map((x) => x.from).sort())
    expect(heard).toEqual([[2], [1], [4, 5], [3, 5], [3, 4]])
    expect(net.blockedPairs).toBe(12)
    for (const a of ids(5))
      for (const b of ids(5)) {
        const cross = a !== b && a <= 2 !== b <= 2
        expect(net.isBlocked(a, b)).toBe(cross)
      }
    net.clearPartitions()
    tx[0]?.send('all', dgram(1))
    q.runUntil(20)
    expect(rx[4]?.map((x) => x.from)).toContain(1)
  })

  it('isolates one node', () => {
    const { net, q, tx, rx } = setup(3)
    net.isolate(2 as NodeId)
    for (const [i, t] of tx.entries()) t.send('all', dgram(i + 1))
    q.runUntil(10)
    expect(rx.map((r) => r.map((x) => x.from).sort())).toEqual([[3], [], [1]])
    expect(net.stats().blocked).toBe(4)
  })

  it('asymmetric blocks are one-way: 1 hears 2, 2 does not hear 1', () => {
    const { net, q, tx, rx } = setup(2)
    net.block(1 as NodeId, 2 as NodeId)
    tx[0]?.send('all', dgram(1))
    tx[1]?.send('all', dgram(2))
    q.runUntil(10)
    expect(rx[0]?.map((x) => x.from)).toEqual([2])
    expect(rx[1]).toEqual([])
    expect(net.isBlocked(1 as NodeId, 2 as NodeId)).toBe(true)
    expect(net.isBlocked(2 as NodeId, 1 as NodeId)).toBe(false)
  })

  it('clogs delay one side of a node for a while', () => {
    const { net, q, tx, rx } = setup(3, { delayBaseMs: 1 })
    net.clog(1 as NodeId, 'out', 100, 50)
    tx[0]?.send('all', dgram(1))
    tx[1]?.send('all', dgram(2))
    q.runUntil(10)
    // 2's datagrams are on time, 1's are held back.
    expect(rx[2]?.map((x) => x.from)).toEqual([2])
    q.runUntil(300)
    const late = rx[2]?.find((x) => x.from === 1)
    expect(late?.at).toBeGreaterThanOrEqual(51)
    expect(net.stats().clogged).toBe(2)
    // After the clog ends, traffic is on time again.
    const t0 = q.nowMs
    tx[0]?.send({ node: 3 as NodeId }, dgram(1, 5))
    q.runUntil(t0 + 2)
    expect(rx[2]?.at(-1)?.at).toBe(t0 + 1)
    // Incoming clog on 2.
    net.clog(2 as NodeId, 'in', 40, q.nowMs + 100)
    tx[2]?.send('all', dgram(3))
    q.runUntil(q.nowMs + 5)
    expect(rx[0]?.at(-1)?.from).toBe(3)
    expect(rx[1]?.some((x) => x.from === 3)).toBe(false)
  })

  it('drops datagrams for a node that is down or stopped, and sends from a stopped transport', () => {
    const q = createEventQueue()
    const net = createSimNetwork({ queue: q, random: createSimRandom(1), nodes: ids(2) })
    const owner = { alive: true }
    const a = net.attach(1 as NodeId)
    const b = net.attach(2 as NodeId, owner)
    let got = 0
    b.onDatagram(() => got++)
    void a.start()
    void b.start()
    a.send({ node: 2 as NodeId }, dgram(1))
    owner.alive = false
    q.runUntil(10)
    expect(got).toBe(0)
    expect(net.stats().droppedDead).toBe(1)
    // A restart attaches a fresh endpoint that receives again.
    const b2 = net.attach(2 as NodeId)
    b2.onDatagram(() => got++)
    void b2.start()
    a.send({ node: 2 as NodeId }, dgram(1))
    q.runUntil(20)
    expect(got).toBe(1)
    void a.stop()
    a.send({ node: 2 as NodeId }, dgram(1))
    expect(a.stats().sendErrors).toBe(1)
    a.send({ node: 2 as NodeId }, new Uint8Array(2000))
    expect(net.stats().sendErrors).toBe(2)
  })

  it('rejects bad rates and unknown nodes', () => {
    const { net } = setup(2)
    expect(() => net.setLinkFaults({ lossRate: 1.5 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
    expect(() => net.isolate(9 as NodeId)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })

  it('is deterministic: the same seed gives the same fates', () => {
    const run = (): number[] => {
      const { q, tx, rx } = setup(3, { lossRate: 0.3, dupRate: 0.2, delayJitterMs: 3 }, { seed: 5 })
      for (let k = 0; k < 200; k++) tx[k % 3]?.send('all', dgram((k % 3) + 1, k))
      q.runUntil(100)
      return rx.flatMap((r) => r.map((x) => x.bytes[1] as number))
    }
    expect(run()).toEqual(run())
  })
})
