import type { Socket } from 'node:dgram'
import { createMemoryLogger, isTotemError, type NodeId, nodeId, TotemError } from '@totem-ts/common'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createUdpTransport,
  transportComplianceSuite,
  type UdpOptions,
  type UdpTransport,
} from '../src/index.ts'
import { closeSocket, freePort, hasIpv6Loopback, rawSocket, sendRaw, waitFor } from './helpers.ts'

const ADDR = ['127.0.0.1', '127.0.0.2', '127.0.0.3']
const NODELIST = ADDR.map((address, i) => ({ nodeId: i + 1, address }))

for (const sendMode of ['connected', 'bound'] as const) {
  let port = 0
  transportComplianceSuite(
    `udpu over loopback (sendMode ${sendMode})`,
    async () => {
      port = await freePort(ADDR)
      return {
        nodes: [1, 2, 3].map(nodeId),
        create: (node: NodeId) =>
          createUdpTransport({ nodeId: node, nodelist: NODELIST, port, sendMode }),
      }
    },
    { describe, it, afterEach },
  )
}

/** Transports and sockets of the current test, released in afterEach even when it fails. */
const open: UdpTransport[] = []
const sockets: Socket[] = []
afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((t) => t.stop()))
  await Promise.all(sockets.splice(0).map(closeSocket))
})

interface Node {
  readonly t: UdpTransport
  readonly got: Uint8Array[]
}

async function node(o: UdpOptions, start = true): Promise<Node> {
  const got: Uint8Array[] = []
  const t = createUdpTransport(o)
  t.onDatagram((b) => got.push(b.slice()))
  if (start) {
    await t.start()
    open.push(t)
  }
  return { t, got }
}

async function raw(address: string): Promise<Socket> {
  const s = await rawSocket(address)
  sockets.push(s)
  return s
}

async function ring(extra: Partial<UdpOptions> = {}): Promise<{ port: number; nodes: Node[] }> {
  const port = await freePort(ADDR)
  const nodes: Node[] = []
  for (let i = 1; i <= 3; i++)
    nodes.push(await node({ nodeId: i, nodelist: NODELIST, port, ...extra }))
  return { port, nodes }
}

describe('udpu transport on loopback', () => {
  it("'all' sends one datagram per nodelist member, to each node's own address, self included", async () => {
    const { nodes } = await ring()
    const [a, b, c] = nodes as [Node, Node, Node]
    a.t.send('all', new Uint8Array([1, 2, 3]))
    await waitFor(() => a.got.length === 1 && b.got.length === 1 && c.got.length === 1, 'copies')
    for (const x of nodes) expect([...(x.got[0] as Uint8Array)]).toEqual([1, 2, 3])
    const s = a.t.stats()
    expect(s.datagramsTx).toBe(3)
    expect(s.peers.map((p) => [p.nodeId, p.address, p.datagramsTx])).toEqual([
      [1, '127.0.0.1', 1],
      [2, '127.0.0.2', 1],
      [3, '127.0.0.3', 1],
    ])
    // The receivers attribute the datagram to node 1 by its source address.
    expect(b.t.stats().peers.map((p) => p.datagramsRx)).toEqual([1, 0, 0])
    expect(a.t.stats().peers.map((p) => p.datagramsRx)).toEqual([1, 0, 0])
  })

  it('reports the socket buffer sizes the kernel granted', async () => {
    const { nodes } = await ring({ sendBufferBytes: 256 * 1024, receiveBufferBytes: 256 * 1024 })
    const s = (nodes[0] as Node).t.stats()
    // Linux reports twice the granted size; the grant is capped by net.core.[rw]mem_max.
    expect(s.receiveBufferBytes).toBeGreaterThanOrEqual(65_536)
    expect(s.sendBufferBytes).toBeGreaterThanOrEqual(65_536)
    expect(s.receiveBufferBytes).toBeLessThanOrEqual(2 * 256 * 1024)
    expect(s.sendBufferBytes).toBeLessThanOrEqual(2 * 256 * 1024)
  })

  it('drops and counts datagrams from an address outside the nodelist (block_unlisted_ips)', async () => {
    const log = createMemoryLogger('debug')
    const port = await freePort(ADDR)
    const a = await node({ nodeId: 1, nodelist: NODELIST, port, logger: log })
    const stranger = await raw('127.0.0.9')
    const listed = await raw('127.0.0.2') // a listed address, from any port, is accepted
    await sendRaw(stranger, new Uint8Array([6, 6, 6]), port, '127.0.0.1')
    await sendRaw(listed, new Uint8Array([7]), port, '127.0.0.1')
    await waitFor(() => a.got.length === 1, 'the listed datagram')
    await waitFor(() => a.t.stats().rxDropped['ERR_UDP_UNLISTED_SOURCE'] === 1, 'the drop')
    expect([...(a.got[0] as Uint8Array)]).toEqual([7])
    expect(a.t.stats().datagramsRx).toBe(1)
    expect(
      log.records.some((r) => r.msg === 'datagram dropped' && r.fields?.['from'] === '127.0.0.9'),
    ).toBe(true)
  })

  it('accepts unlisted sources when blockUnlistedIps is false', async () => {
    const port = await freePort(ADDR)
    const a = await node({ nodeId: 1, nodelist: NODELIST, port, blockUnlistedIps: false })
    const stranger = await raw('127.0.0.9')
    await sendRaw(stranger, new Uint8Array([6]), port, '127.0.0.1')
    await waitFor(() => a.got.length === 1, 'the datagram')
    expect(a.t.stats().rxDropped).toEqual({})
    expect(a.t.stats().peers.every((p) => p.datagramsRx === 0)).toBe(true)
  })

  it('drops and counts received datagrams longer than rxDatagramBytesMax', async () => {
    const port = await freePort(ADDR)
    const a = await node({ nodeId: 1, nodelist: NODELIST, port, rxDatagramBytesMax: 1500 })
    const b = await raw('127.0.0.2')
    await sendRaw(b, new Uint8Array(1501), port, '127.0.0.1')
    await sendRaw(b, new Uint8Array(1500), port, '127.0.0.1')
    await waitFor(() => a.got.length === 1, 'the 1500-byte datagram')
    await waitFor(() => a.t.stats().rxDropped['ERR_UDP_OVERSIZE'] === 1, 'the drop')
    expect(a.got[0]?.length).toBe(1500)
  })

  it('hands up a Uint8Array view that is not a Buffer', async () => {
    const port = await freePort(ADDR)
    const seen: Uint8Array[] = []
    const t = createUdpTransport({ nodeId: 1, nodelist: NODELIST, port })
    t.onDatagram((bytes) => seen.push(bytes))
    await t.start()
    open.push(t)
    t.send({ node: nodeId(1) }, new Uint8Array([1, 2]))
    await waitFor(() => seen.length === 1, 'the datagram')
    expect(Buffer.isBuffer(seen[0])).toBe(false)
    expect(Object.getPrototypeOf(seen[0])).toBe(Uint8Array.prototype)
  })

  it('counts send errors by cause: unknown node, oversize, not running', async () => {
    const port = await freePort(ADDR)
    const a = await node({ nodeId: 1, nodelist: NODELIST, port }, false)
    a.t.send('all', new Uint8Array(1)) // before start
    await a.t.start()
    open.push(a.t)
    a.t.send({ node: nodeId(99) }, new Uint8Array(1))
    a.t.send('all', new Uint8Array(1501))
    expect(a.t.stats().sendErrors).toBe(3)
    expect(a.t.stats().sendErrorsByCode).toEqual({
      ERR_UDP_NOT_RUNNING: 1,
      ERR_UDP_UNKNOWN_NODE: 1,
      ERR_UDP_OVERSIZE: 1,
    })
    expect(a.t.stats().datagramsTx).toBe(0)
  })

  it('counts ICMP port-unreachable for a peer that is down (connected sockets), without throwing', async () => {
    const port = await freePort(ADDR)
    const a = await node({ nodeId: 1, nodelist: NODELIST, port, sendMode: 'connected' })
    // Nothing listens at 127.0.0.2:port: the kernel answers with ICMP port unreachable, which a
    // connected socket reports as ECONNREFUSED on a later operation.
    await waitFor(() => {
      a.t.send({ node: nodeId(2) }, new Uint8Array([1]))
      return (a.t.stats().sendErrorsByCode['ECONNREFUSED'] ?? 0) > 0
    }, 'ECONNREFUSED')
    const peer2 = a.t.stats().peers.find((p) => p.nodeId === 2)
    expect(peer2?.sendErrors).toBeGreaterThan(0)
    expect(a.t.stats().peers.find((p) => p.nodeId === 3)?.sendErrors).toBe(0)
  })

  it('start() rejects with ERR_UDP_BIND when the address is taken, and can be retried', async () => {
    const port = await freePort(ADDR)
    await node({ nodeId: 1, nodelist: NODELIST, port })
    const again = await node({ nodeId: 1, nodelist: NODELIST, port }, false)
    const e = await again.t.start().then(
      () => undefined,
      (x: unknown) => x,
    )
    expect(isTotemError(e) && e.code).toBe('ERR_UDP_BIND')
    expect((e as TotemError).details).toEqual({ address: '127.0.0.1', port, errno: 'EADDRINUSE' })
    // A failed start leaves the transport startable.
    await expect(again.t.stop()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' })
  })

  it('start() rejects with ERR_UDP_BIND (EADDRNOTAVAIL) for an address that is not local', async () => {
    // 192.0.2.1 (TEST-NET-1) is never configured here; binding fails before any packet is sent.
    const t = createUdpTransport({
      nodeId: 1,
      nodelist: [{ nodeId: 1, address: '192.0.2.1' }],
      port: 5405,
    })
    t.onDatagram(() => {})
    await expect(t.start()).rejects.toMatchObject({
      code: 'ERR_UDP_BIND',
      details: { address: '192.0.2.1', port: 5405, errno: 'EADDRNOTAVAIL' },
    })
  })

  it('stop() releases the port, lets queued sends out first, and cannot be repeated', async () => {
    const port = await freePort(ADDR)
    const a = await node({ nodeId: 1, nodelist: NODELIST, port })
    const b = await node({ nodeId: 2, nodelist: NODELIST, port })
    for (let i = 0; i < 50; i++) a.t.send({ node: nodeId(2) }, new Uint8Array([i]))
    await a.t.stop() // srp sends its leave message just before stop()
    open.splice(open.indexOf(a.t), 1)
    await waitFor(() => b.got.length === 50, 'the 50 datagrams sent before stop()')
    await expect(a.t.stop()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' })
    await expect(a.t.start()).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' })
    const a2 = await node({ nodeId: 1, nodelist: NODELIST, port })
    a2.t.send({ node: nodeId(2) }, new Uint8Array([200]))
    await waitFor(() => b.got.length === 51, 'a datagram from the restarted node')
  })

  it('catches a TotemError thrown by the handler and counts it as a drop under its code', async () => {
    const port = await freePort(ADDR)
    const t = createUdpTransport({ nodeId: 1, nodelist: NODELIST, port })
    let calls = 0
    t.onDatagram(() => {
      calls++
      throw new TotemError('ERR_WIRE_BAD_TYPE', 'bad type')
    })
    await t.start()
    open.push(t)
    t.send('all', new Uint8Array([1]))
    await waitFor(() => t.stats().rxDropped['ERR_WIRE_BAD_TYPE'] === 1, 'the counted drop')
    expect(calls).toBe(1)
    expect(t.stats().datagramsRx).toBe(1)
  })

  it('with a bindAddress override listens there and still sends from the node address', async () => {
    const port = await freePort(ADDR)
    const b = await node({ nodeId: 2, nodelist: NODELIST, port })
    const a = await node({ nodeId: 1, nodelist: NODELIST, port, bindAddress: '127.0.0.1' })
    a.t.send({ node: nodeId(2) }, new Uint8Array([3]))
    await waitFor(() => b.got.length === 1, 'the datagram')
    expect(b.t.stats().peers.find((p) => p.nodeId === 1)?.datagramsRx).toBe(1)
  })

  it('onDatagram after start and bad send arguments throw at the edge', async () => {
    const { nodes } = await ring()
    const a = nodes[0] as Node
    expect(() => a.t.onDatagram(() => {})).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_STATE' }),
    )
    expect(() => a.t.send('all', 'x' as unknown as Uint8Array)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })

  it('setMembers keeps the list for stats and changes nothing on the wire', async () => {
    const { nodes } = await ring()
    const [a, b, c] = nodes as [Node, Node, Node]
    a.t.setMembers([nodeId(1), nodeId(2)])
    expect(a.t.stats().members).toEqual([1, 2])
    a.t.send('all', new Uint8Array([1]))
    await waitFor(
      () => b.got.length === 1 && c.got.length === 1,
      'udpu sends to the whole nodelist',
    )
  })

  it.runIf(hasIpv6Loopback)('works over IPv6 on ::1', async () => {
    const port = await freePort(['::1'])
    const a = await node({ nodeId: 1, nodelist: [{ nodeId: 1, address: '0:0:0:0:0:0:0:1' }], port })
    a.t.send('all', new Uint8Array([6, 6]))
    a.t.send({ node: nodeId(1) }, new Uint8Array([6]))
    await waitFor(() => a.got.length === 2, 'both datagrams')
    expect(a.t.config.family).toBe('ipv6')
    expect(a.t.stats().peers[0]).toMatchObject({ address: '::1', datagramsRx: 2, datagramsTx: 2 })
    const stranger = await raw('::1')
    // ::1 is listed, so a raw socket on ::1 is accepted too: the filter compares addresses only.
    await sendRaw(stranger, new Uint8Array([1]), port, '::1')
    await waitFor(() => a.got.length === 3, 'the raw datagram')
  })
})
