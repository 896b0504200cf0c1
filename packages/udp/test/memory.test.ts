import { isTotemError, type NodeId, nodeId, TotemError } from '@totem-ts/common'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryNetwork, transportComplianceSuite } from '../src/index.ts'

transportComplianceSuite(
  'memory network (microtask delivery)',
  () => {
    const net = createMemoryNetwork({ nodes: [1, 2, 3] })
    return { nodes: net.nodes, create: (n) => net.transport(n) }
  },
  { describe, it, afterEach },
)

transportComplianceSuite(
  'memory network without self-delivery',
  () => {
    const net = createMemoryNetwork({ nodes: [4, 5, 6], selfDelivery: false })
    return { nodes: net.nodes, create: (n) => net.transport(n) }
  },
  { describe, it, afterEach },
  { selfDelivery: false },
)

const n = (x: number): NodeId => nodeId(x)

describe('createMemoryNetwork', () => {
  it('in manual mode delivers only on flush(), FIFO, including sends made by handlers', async () => {
    const net = createMemoryNetwork({ nodes: [1, 2], delivery: 'manual', ringNo: 1 })
    const log: string[] = []
    const a = net.transport(1)
    const b = net.transport(2)
    a.onDatagram((bytes, ring) => log.push(`a<${bytes[0]}@${ring}`))
    b.onDatagram((bytes) => {
      log.push(`b<${bytes[0]}`)
      if (bytes[0] === 1) b.send({ node: n(1) }, new Uint8Array([9]))
    })
    await a.start()
    await b.start()
    a.send({ node: n(2) }, new Uint8Array([1]))
    a.send('all', new Uint8Array([2]))
    await Promise.resolve()
    expect(log).toEqual([])
    expect(net.pending).toBe(3)
    expect(net.flush()).toBe(4)
    expect(log).toEqual(['b<1', 'a<2@1', 'b<2', 'a<9@1'])
    expect(net.pending).toBe(0)
    expect(net.stats()).toEqual({ queued: 4, delivered: 4, droppedNotRunning: 0 })
  })

  it('copies each datagram: the sender may reuse its buffer at once', async () => {
    const net = createMemoryNetwork({ nodes: [1, 2], delivery: 'manual' })
    const got: number[] = []
    const a = net.transport(1)
    const b = net.transport(2)
    a.onDatagram(() => {})
    b.onDatagram((bytes) => got.push(bytes[0] as number))
    await a.start()
    await b.start()
    const buf = new Uint8Array([5])
    a.send({ node: n(2) }, buf)
    buf[0] = 6
    net.flush()
    expect(got).toEqual([5])
  })

  it('drops what is queued for a node that stops before delivery; a restarted node gets new traffic', async () => {
    const net = createMemoryNetwork({ nodes: [1, 2], delivery: 'manual' })
    const got: number[] = []
    const a = net.transport(1)
    const b = net.transport(2)
    a.onDatagram(() => {})
    b.onDatagram((x) => got.push(x[0] as number))
    await a.start()
    await b.start()
    a.send({ node: n(2) }, new Uint8Array([1]))
    await b.stop()
    expect(() => net.transport(1)).toThrow(TotemError)
    const b2 = net.transport(2)
    b2.onDatagram((x) => got.push(100 + (x[0] as number)))
    await b2.start()
    a.send({ node: n(2) }, new Uint8Array([2]))
    net.flush()
    expect(got).toEqual([102])
    expect(net.stats().droppedNotRunning).toBe(1)
  })

  it('counts a TotemError thrown by a handler as a drop under its code; other errors propagate', async () => {
    const net = createMemoryNetwork({ nodes: [1], delivery: 'manual' })
    const a = net.transport(1)
    a.onDatagram((x) => {
      if (x[0] === 1) throw new TotemError('ERR_WIRE_TRUNCATED', 'short')
      if (x[0] === 2) throw new RangeError('bug')
    })
    await a.start()
    a.send('all', new Uint8Array([1]))
    net.flush()
    expect(a.stats().rxDropped).toEqual({ ERR_WIRE_TRUNCATED: 1 })
    a.send('all', new Uint8Array([2]))
    expect(() => net.flush()).toThrow(RangeError)
  })

  it('rejects bad options and bad calls with ERR_INVALID_ARGUMENT', async () => {
    const code = (f: () => unknown): unknown => {
      try {
        f()
      } catch (e) {
        return isTotemError(e) ? [e.code, e.details['option']] : e
      }
      return 'no error'
    }
    expect(code(() => createMemoryNetwork({ nodes: [] }))).toEqual([
      'ERR_INVALID_ARGUMENT',
      'nodes',
    ])
    expect(code(() => createMemoryNetwork({ nodes: [1, 1] }))).toEqual([
      'ERR_INVALID_ARGUMENT',
      'nodes',
    ])
    expect(code(() => createMemoryNetwork({ nodes: [1], mtuBytes: 0 }))).toEqual([
      'ERR_INVALID_ARGUMENT',
      'mtuBytes',
    ])
    expect(code(() => createMemoryNetwork({ nodes: [1], delivery: 'later' as 'manual' }))).toEqual([
      'ERR_INVALID_ARGUMENT',
      'delivery',
    ])
    const net = createMemoryNetwork({ nodes: [1] })
    expect(code(() => net.transport(2))).toEqual(['ERR_INVALID_ARGUMENT', undefined])
    const t = net.transport(1)
    expect(code(() => t.send('all', [1] as unknown as Uint8Array))).toEqual([
      'ERR_INVALID_ARGUMENT',
      undefined,
    ])
  })
})
