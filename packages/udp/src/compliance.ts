import { isTotemError, type NodeId, type Transport } from '@totem-ts/common'

/**
 * The parts of a test runner the suite needs; vitest's `describe`, `it` and `afterEach` fit.
 * Taken as a parameter so that this module imports no test framework (vitest is a
 * devDependency), and the suite's own assertions throw plain `Error`s, so any runner works.
 */
export interface ComplianceTestApi {
  describe(name: string, fn: () => void): void
  it(name: string, fn: () => Promise<void>): void
  afterEach(fn: () => Promise<void>): void
}

/** A network of transports under test, made fresh for each test by the factory. */
export interface ComplianceNetwork {
  /** At least three node ids; each may be given to `create` once per test. */
  readonly nodes: readonly NodeId[]
  /** A new, not yet started transport for `node`. */
  create(node: NodeId): Transport
  /** Releases what `create` could not (called after the suite stopped the transports). */
  close?(): Promise<void>
}

/** Options of {@link transportComplianceSuite}. */
export interface ComplianceOptions {
  /**
   * Whether `send('all')` reaches the sender too (udpu: yes).
   * @defaultValue true
   */
  readonly selfDelivery?: boolean
  /**
   * How long to wait for a datagram before failing. Generous on purpose: no test asserts speed.
   * @defaultValue 10000
   */
  readonly timeoutMs?: number
}

interface Received {
  readonly bytes: Uint8Array
  readonly ringNo: number
}

interface Node {
  readonly id: NodeId
  readonly t: Transport
  readonly got: Received[]
}

function fail(msg: string): never {
  throw new Error(`transport compliance: ${msg}`)
}

function check(cond: boolean, msg: string): void {
  if (!cond) fail(msg)
}

async function rejectsWith(p: Promise<unknown>, code: string, what: string): Promise<void> {
  try {
    await p
  } catch (e) {
    check(isTotemError(e) && e.code === code, `${what}: expected ${code}, got ${String(e)}`)
    return
  }
  fail(`${what}: expected a rejection with ${code}`)
}

function throwsWith(fn: () => void, code: string, what: string): void {
  try {
    fn()
  } catch (e) {
    check(isTotemError(e) && e.code === code, `${what}: expected ${code}, got ${String(e)}`)
    return
  }
  fail(`${what}: expected a throw with ${code}`)
}

/** A payload that names its sender and a tag: [sender u32 LE, tag u32 LE, filler…]. */
function payload(from: NodeId, tag: number, length = 16): Uint8Array {
  const b = new Uint8Array(Math.max(8, length))
  const v = new DataView(b.buffer)
  v.setUint32(0, from, true)
  v.setUint32(4, tag, true)
  for (let i = 8; i < b.length; i++) b[i] = (i * 31 + tag) & 0xff
  return b
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function tags(n: Node): string[] {
  return n.got.map((r) => {
    const v = new DataView(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength)
    return `${v.getUint32(0, true)}:${v.getUint32(4, true)}`
  })
}

/**
 * Registers the contract every {@link Transport} must keep (STYLE.md, after libp2p's transport
 * compliance tests): handler before start, one start and one stop, `'all'` and unicast delivery of
 * the exact bytes as a plain `Uint8Array`, `send` that never throws on network faults but counts
 * them, counters that add up, nothing delivered after `stop`, and sends from inside a handler.
 *
 * @example
 * ```ts
 * import { afterEach, describe, it } from 'vitest'
 * transportComplianceSuite('memory', () => {
 *   const net = createMemoryNetwork({ nodes: [1, 2, 3] })
 *   return { nodes: net.nodes, create: (n) => net.transport(n) }
 * }, { describe, it, afterEach })
 * ```
 */
export function transportComplianceSuite(
  name: string,
  factory: () => ComplianceNetwork | Promise<ComplianceNetwork>,
  api: ComplianceTestApi,
  options: ComplianceOptions = {},
): void {
  const selfDelivery = options.selfDelivery ?? true
  const timeoutMs = options.timeoutMs ?? 10_000
  let net: ComplianceNetwork | undefined
  let running: Transport[] = []

  async function waitFor(cond: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!cond()) {
      if (Date.now() > deadline) fail(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 2))
    }
  }

  async function setup(count = 3, start = true): Promise<Node[]> {
    net = await factory()
    check(net.nodes.length >= count, `the factory must offer at least ${count} nodes`)
    const nodes = net.nodes.slice(0, count).map((id): Node => {
      const got: Received[] = []
      const t = (net as ComplianceNetwork).create(id)
      t.onDatagram((bytes, ringNo) => got.push({ bytes: bytes.slice(), ringNo }))
      return { id, t, got }
    })
    if (start) for (const n of nodes) await startNode(n.t)
    return nodes
  }

  async function startNode(t: Transport): Promise<void> {
    await t.start()
    running.push(t)
  }

  async function stopNode(t: Transport): Promise<void> {
    running = running.filter((r) => r !== t)
    await t.stop()
  }

  api.describe(`Transport compliance: ${name}`, () => {
    api.afterEach(async () => {
      const toStop = running
      running = []
      await Promise.allSettled(toStop.map((t) => t.stop()))
      await net?.close?.()
      net = undefined
    })

    api.it('has a positive integer mtuBytes', async () => {
      const [a] = await setup(1, false)
      check(Number.isInteger(a?.t.mtuBytes) && (a?.t.mtuBytes ?? 0) > 0, 'mtuBytes > 0')
    })

    api.it('start() without a handler rejects with ERR_INVALID_STATE', async () => {
      net = await factory()
      const t = net.create(net.nodes[0] as NodeId)
      await rejectsWith(t.start(), 'ERR_INVALID_STATE', 'start() without onDatagram()')
    })

    api.it('start and stop once each; onDatagram only before start', async () => {
      const [a] = (await setup(1)) as [Node]
      throwsWith(() => a.t.onDatagram(() => {}), 'ERR_INVALID_STATE', 'onDatagram() after start()')
      await rejectsWith(a.t.start(), 'ERR_INVALID_STATE', 'second start()')
      await stopNode(a.t)
      await rejectsWith(a.t.stop(), 'ERR_INVALID_STATE', 'second stop()')
    })

    api.it(
      `'all' reaches every member${selfDelivery ? ', the sender included,' : ''} with the exact bytes`,
      async () => {
        const nodes = await setup(3)
        for (const n of nodes) n.t.send('all', payload(n.id, 1, 100 + n.id))
        const per = selfDelivery ? 3 : 2
        await waitFor(
          () => nodes.every((n) => n.got.length >= per),
          `${per} datagrams at each node`,
        )
        for (const n of nodes) {
          const expected = nodes
            .filter((m) => selfDelivery || m !== n)
            .map((m) => `${m.id}:1`)
            .sort()
          check(
            JSON.stringify(tags(n).sort()) === JSON.stringify(expected),
            `node ${n.id} got ${tags(n)}`,
          )
          for (const r of n.got) {
            const from = new DataView(r.bytes.buffer, r.bytes.byteOffset).getUint32(
              0,
              true,
            ) as NodeId
            check(sameBytes(r.bytes, payload(from, 1, 100 + from)), 'bytes arrive unchanged')
            check(r.ringNo === 0, 'ringNo is 0')
          }
        }
      },
    )

    api.it('a unicast reaches its destination only', async () => {
      const [a, b, c] = (await setup(3)) as [Node, Node, Node]
      a.t.send({ node: b.id }, payload(a.id, 2))
      await waitFor(() => b.got.length === 1, 'the unicast')
      // Markers to the others: once they arrive, the first unicast had its chance to go astray.
      a.t.send({ node: c.id }, payload(a.id, 3))
      a.t.send({ node: a.id }, payload(a.id, 4))
      await waitFor(() => c.got.length >= 1 && a.got.length >= 1, 'the markers')
      check(JSON.stringify(tags(b)) === JSON.stringify([`${a.id}:2`]), `b got ${tags(b)}`)
      check(JSON.stringify(tags(c)) === JSON.stringify([`${a.id}:3`]), `c got ${tags(c)}`)
      check(JSON.stringify(tags(a)) === JSON.stringify([`${a.id}:4`]), `a got ${tags(a)}`)
    })

    api.it('hands up a plain Uint8Array, never a Buffer or other subclass', async () => {
      const seen: Uint8Array[] = []
      net = await factory()
      const [idA, idB] = net.nodes as [NodeId, NodeId]
      const a = net.create(idA)
      const b = net.create(idB)
      a.onDatagram(() => {})
      b.onDatagram((bytes) => seen.push(bytes))
      await startNode(a)
      await startNode(b)
      a.send({ node: idB }, payload(idA, 5))
      await waitFor(() => seen.length === 1, 'the datagram')
      check(Object.getPrototypeOf(seen[0]) === Uint8Array.prototype, 'a plain Uint8Array')
    })

    api.it('counts datagrams and bytes on both sides', async () => {
      const [a, b, c] = (await setup(3)) as [Node, Node, Node]
      const before = { a: { ...a.t.stats() }, b: { ...b.t.stats() }, c: { ...c.t.stats() } }
      const p = payload(a.id, 6, 200)
      a.t.send('all', p)
      a.t.send({ node: b.id }, p)
      const toA = selfDelivery ? 1 : 0
      await waitFor(
        () => b.got.length === 2 && c.got.length === 1 && a.got.length === toA,
        'all datagrams',
      )
      const sa = a.t.stats()
      const sb = b.t.stats()
      const sc = c.t.stats()
      const fanout = selfDelivery ? 3 : 2
      check(sa.datagramsTx - before.a.datagramsTx === fanout + 1, `a datagramsTx ${sa.datagramsTx}`)
      check(sa.bytesTx - before.a.bytesTx === (fanout + 1) * 200, `a bytesTx ${sa.bytesTx}`)
      check(sb.datagramsRx - before.b.datagramsRx === 2, `b datagramsRx ${sb.datagramsRx}`)
      check(sb.bytesRx - before.b.bytesRx === 400, `b bytesRx ${sb.bytesRx}`)
      check(sc.datagramsRx - before.c.datagramsRx === 1, `c datagramsRx ${sc.datagramsRx}`)
      check(sa.datagramsRx - before.a.datagramsRx === toA, `a datagramsRx ${sa.datagramsRx}`)
      check(sa.sendErrors === 0 && sb.sendErrors === 0, 'no send errors')
    })

    api.it('send never throws on faults; it counts them and delivers nothing', async () => {
      net = await factory()
      const [idA, idB] = net.nodes as [NodeId, NodeId]
      const gotB: Uint8Array[] = []
      const gotA: Uint8Array[] = []
      const a = net.create(idA)
      const b = net.create(idB)
      a.onDatagram((x) => gotA.push(x.slice()))
      b.onDatagram((x) => gotB.push(x.slice()))
      a.send({ node: idB }, payload(idA, 7)) // before start
      check(a.stats().sendErrors === 1, 'a send before start() is counted')
      await startNode(a)
      await startNode(b)
      const unknown = (Math.max(...net.nodes) + 1000) as NodeId
      a.send({ node: unknown }, payload(idA, 8))
      check(a.stats().sendErrors === 2, 'a send to an unknown node is counted')
      a.send({ node: idB }, new Uint8Array(a.mtuBytes + 1))
      a.send('all', new Uint8Array(a.mtuBytes + 1))
      check(a.stats().sendErrors === 4, 'a send over mtuBytes is counted')
      a.send({ node: idB }, payload(idA, 9, a.mtuBytes)) // exactly mtuBytes is fine
      await waitFor(() => gotB.length === 1, 'the mtu-sized datagram')
      check(gotB[0]?.length === a.mtuBytes, 'an mtuBytes datagram arrives whole')
      await stopNode(a)
      a.send('all', payload(idA, 10)) // after stop
      check(a.stats().sendErrors === 5, 'a send after stop() is counted')
      check(gotA.length === 0, 'nothing reached the sender')
    })

    api.it('a stopped transport delivers nothing more', async () => {
      const [a, b, c] = (await setup(3)) as [Node, Node, Node]
      await stopNode(b.t)
      a.t.send('all', payload(a.id, 11))
      a.t.send({ node: b.id }, payload(a.id, 12))
      await waitFor(() => c.got.length === 1, 'the datagram at a live node')
      if (selfDelivery) await waitFor(() => a.got.length === 1, 'the self copy')
      check(b.got.length === 0, `stopped node got ${tags(b)}`)
    })

    api.it('a handler may send from inside the callback', async () => {
      const [a, b] = (await setup(2)) as [Node, Node]
      const idC = (net as ComplianceNetwork).nodes[2] as NodeId
      const c = (net as ComplianceNetwork).create(idC)
      c.onDatagram((bytes) => {
        const from = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) as NodeId
        c.send({ node: from }, payload(idC, 100))
      })
      await startNode(c)
      a.t.send({ node: idC }, payload(a.id, 13))
      b.t.send({ node: idC }, payload(b.id, 14))
      await waitFor(() => a.got.length === 1 && b.got.length === 1, 'both replies')
      check(tags(a)[0] === `${idC}:100`, `a got ${tags(a)}`)
      check(tags(b)[0] === `${idC}:100`, `b got ${tags(b)}`)
    })
  })
}
