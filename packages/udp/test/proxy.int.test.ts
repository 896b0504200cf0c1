import { isTotemError, type NodeId, nodeId } from '@totem-ts/common'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createUdpFaultProxy,
  createUdpTransport,
  type FaultPolicy,
  type ProxiedDatagram,
  randomFaults,
  type UdpFaultProxy,
  type UdpTransport,
} from '../src/index.ts'
import { freePort, waitFor } from './helpers.ts'

const REAL = ['127.0.0.1', '127.0.0.2', '127.0.0.3']
const PROXY = ['127.0.1.1', '127.0.1.2', '127.0.1.3']

let proxy: UdpFaultProxy | undefined
const open: UdpTransport[] = []
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((t) => t.stop()))
  await proxy?.stop().catch(() => {})
  proxy = undefined
})

interface Node {
  readonly id: NodeId
  readonly t: UdpTransport
  /** Received payload bytes as numbers (payloads here are one byte). */
  readonly got: number[]
}

/** Three nodes behind a proxy; node N's nodelist has the proxy addresses of the others. */
async function setup(policy?: FaultPolicy): Promise<Node[]> {
  const port = await freePort([...REAL, ...PROXY])
  proxy = createUdpFaultProxy({
    port,
    nodes: [1, 2, 3].map((n, i) => ({
      nodeId: n,
      address: REAL[i] as string,
      proxyAddress: PROXY[i] as string,
    })),
    ...(policy === undefined ? {} : { policy }),
  })
  await proxy.start()
  const nodes: Node[] = []
  for (const n of [1, 2, 3]) {
    const got: number[] = []
    const t = createUdpTransport({ nodeId: n, port, nodelist: proxy.nodelistFor(n) })
    t.onDatagram((b) => got.push(b[0] as number))
    await t.start()
    open.push(t)
    nodes.push({ id: nodeId(n), t, got })
  }
  return nodes
}

describe('createUdpFaultProxy', () => {
  it('gives each node its own real address and the proxy addresses of the others', () => {
    const p = createUdpFaultProxy({
      port: 5405,
      nodes: [1, 2].map((n) => ({
        nodeId: n,
        address: `127.0.0.${n}`,
        proxyAddress: `127.0.1.${n}`,
      })),
    })
    expect(p.nodelistFor(1)).toEqual([
      { nodeId: 1, address: '127.0.0.1' },
      { nodeId: 2, address: '127.0.1.2' },
    ])
    expect(p.nodelistFor(2)).toEqual([
      { nodeId: 1, address: '127.0.1.1' },
      { nodeId: 2, address: '127.0.0.2' },
    ])
  })

  it('forwards everything with the default policy, keeping block_unlisted_ips on', async () => {
    const [a, b, c] = (await setup()) as [Node, Node, Node]
    a.t.send('all', new Uint8Array([1]))
    await waitFor(() => a.got.length === 1 && b.got.length === 1 && c.got.length === 1, 'copies')
    // b accepted the datagram as coming from node 1 (source 127.0.1.1, listed for node 1).
    expect(b.t.stats().peers.find((p) => p.nodeId === 1)?.datagramsRx).toBe(1)
    expect(b.t.stats().rxDropped).toEqual({})
    expect(proxy?.stats()).toMatchObject({ received: 2, forwarded: 2, dropped: 0 })
  })

  it('sees who sends to whom, and drops by predicate (a partition)', async () => {
    const seen: string[] = []
    const [a, b, c] = (await setup((d: ProxiedDatagram) => {
      seen.push(`${d.from}>${d.to}:${d.bytes[0]}`)
      return d.from === 3 || d.to === 3 ? 'drop' : 'pass'
    })) as [Node, Node, Node]
    c.t.send('all', new Uint8Array([30]))
    a.t.send('all', new Uint8Array([10]))
    await waitFor(() => b.got.includes(10) && a.got.includes(10), 'the datagram between 1 and 2')
    await waitFor(() => (proxy?.stats().dropped ?? 0) === 3, 'the three drops')
    expect(b.got).toEqual([10])
    expect(c.got).toEqual([30]) // its own copy does not cross the proxy
    expect(seen.sort()).toEqual(['1>2:10', '1>3:10', '3>1:30', '3>2:30'])
  })

  it('duplicates', async () => {
    const [a, b] = (await setup(() => ({ copies: 2 }))) as [Node, Node]
    a.t.send({ node: b.id }, new Uint8Array([5]))
    await waitFor(() => b.got.length === 2, 'two copies')
    expect(b.got).toEqual([5, 5])
    expect(proxy?.stats()).toMatchObject({ received: 1, forwarded: 2, duplicated: 1 })
  })

  it('reorders deterministically by holding and releasing in reverse', async () => {
    const [a, b] = (await setup(() => 'hold')) as [Node, Node]
    for (const x of [1, 2, 3]) a.t.send({ node: b.id }, new Uint8Array([x]))
    await waitFor(() => proxy?.heldCount === 3, 'three held datagrams')
    expect(b.got).toEqual([])
    proxy?.setPolicy(() => 'pass')
    expect(proxy?.release('reverse')).toBe(3)
    await waitFor(() => b.got.length === 3, 'the released datagrams')
    expect(b.got).toEqual([3, 2, 1])
  })

  it('delays by predicate, which reorders a datagram after later ones', async () => {
    const [a, b] = (await setup((d) => (d.bytes[0] === 1 ? { delayMs: 50 } : 'pass'))) as [
      Node,
      Node,
    ]
    a.t.send({ node: b.id }, new Uint8Array([1]))
    a.t.send({ node: b.id }, new Uint8Array([2]))
    await waitFor(() => b.got.length === 2, 'both datagrams')
    // 2 passed at once; 1 waited for a timer, which fires only after this event-loop turn.
    expect(b.got).toEqual([2, 1])
    expect(proxy?.stats().delayed).toBe(1)
  })

  it('drops datagrams from an address that is no node', async () => {
    const [, b] = (await setup()) as [Node, Node]
    const { createSocket } = await import('node:dgram')
    const s = createSocket('udp4')
    await new Promise<void>((r) => s.bind(0, '127.0.0.9', () => r()))
    const port = b.t.config.port
    await new Promise<void>((r) => s.send(new Uint8Array([1]), port, '127.0.1.2', () => r()))
    await waitFor(() => proxy?.stats().unknownSource === 1, 'the unknown source')
    await new Promise<void>((r) => s.close(() => r()))
    expect(b.got).toEqual([])
  })

  it('rejects a second start and reports ERR_UDP_BIND when a proxy address is taken', async () => {
    await setup()
    await expect(proxy?.start()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' })
    const port = (open[0] as UdpTransport).config.port
    const clash = createUdpFaultProxy({
      port,
      nodes: [
        { nodeId: 1, address: '127.0.0.1', proxyAddress: '127.0.2.1' },
        { nodeId: 2, address: '127.0.0.2', proxyAddress: '127.0.1.2' }, // taken by `proxy`
      ],
    })
    const e = await clash.start().then(
      () => undefined,
      (x: unknown) => x,
    )
    expect(isTotemError(e) && [e.code, e.details['errno']]).toEqual(['ERR_UDP_BIND', 'EADDRINUSE'])
  })

  it('rejects bad options with ERR_INVALID_ARGUMENT', () => {
    const n = (i: number, proxyAddress = `127.0.1.${i}`) => ({
      nodeId: i,
      address: `127.0.0.${i}`,
      proxyAddress,
    })
    const bad = [
      { port: 0, nodes: [n(1), n(2)] },
      { port: 5405, nodes: [n(1)] },
      { port: 5405, nodes: [n(1), n(2, '127.0.0.1')] },
      { port: 5405, nodes: [n(1), n(2, '::1')] },
      { port: 5405, nodes: [n(1), { ...n(2), nodeId: 1 }] },
    ]
    for (const o of bad)
      expect(() => createUdpFaultProxy(o)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
  })
})

describe('randomFaults', () => {
  const d = (seq: number): ProxiedDatagram => ({
    from: nodeId(1),
    to: nodeId(2),
    bytes: new Uint8Array([seq]),
    seq,
  })

  it('is a pure function of the seed and the arrival order', () => {
    const o = { seed: 42, lossRate: 0.2, dupRate: 0.2, delayRate: 0.2, delayMaxMs: 10 }
    const run = () => {
      const p = randomFaults(o)
      return Array.from({ length: 200 }, (_, i) => JSON.stringify(p(d(i))))
    }
    expect(run()).toEqual(run())
    const other = randomFaults({ ...o, seed: 43 })
    expect(Array.from({ length: 200 }, (_, i) => JSON.stringify(other(d(i))))).not.toEqual(run())
  })

  it('applies roughly the asked rates and bounds the delay', () => {
    const p = randomFaults({ seed: 7, lossRate: 0.1, dupRate: 0.3, delayRate: 0.5, delayMaxMs: 5 })
    let drop = 0
    let dup = 0
    let delayed = 0
    for (let i = 0; i < 10_000; i++) {
      const r = p(d(i))
      if (r === 'drop') drop++
      else if (typeof r === 'object') {
        if (r.copies === 2) dup++
        if ((r.delayMs ?? 0) > 0) {
          delayed++
          expect(r.delayMs).toBeGreaterThanOrEqual(1)
          expect(r.delayMs).toBeLessThanOrEqual(5)
        }
      }
    }
    expect(drop / 10_000).toBeCloseTo(0.1, 1)
    expect(dup / 9_000).toBeCloseTo(0.3, 1)
    expect(delayed / 9_000).toBeCloseTo(0.5, 1)
  })

  it('passes what the matcher excludes, and rejects bad rates', () => {
    const p = randomFaults({ seed: 1, lossRate: 1, match: (x) => x.seq % 2 === 0 })
    expect([0, 1, 2, 3].map((i) => p(d(i)))).toEqual(['drop', 'pass', 'drop', 'pass'])
    expect(() => randomFaults({ seed: 1, lossRate: 1.5 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })
})
