/**
 * CPG against real daemons: the real-daemon twin of packages/cpg/test/service.test.ts's seed 000
 * scenario (five totemd behind @totem-ts/udp's fault proxy; node 4 stops receiving mcast
 * datagrams, a safe M8 is sent, node 4 is killed: the survivors deliver M8 between the
 * transitional and the regular configuration), and the daemon's CPG socket facing bad clients
 * (garbage, bad frame lengths, unknown frame types, wrong protocol version, the library's typed
 * errors, a 1 MiB message) while it keeps serving the well-behaved ones.
 */
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import {
  CpgErrorCode,
  type CpgEvent,
  type CpgHandle,
  FrameReader,
  FrameType,
  initialize,
} from '@totem-ts/cpg'
import { createUdpFaultProxy, type UdpFaultProxy } from '@totem-ts/udp'
import { describe, expect, it } from 'vitest'
import { Cluster, sleep, waitFor } from './harness.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = new TextDecoder()

/** Byte 3 of a totem datagram (after the 2-byte magic and the version) is its message type. */
const TOTEM_TYPE_OFFSET = 3
const TOTEM_MCAST = 1

const cpgSocket = (c: Cluster, id: number): string => join(c.stateDir(id), 'cpg.sock')

/** One process's handle and what it saw of one group, in seed 000's notation. */
interface Proc {
  readonly handle: CpgHandle
  readonly log: string[]
  readonly events: CpgEvent[]
}

const members = (ms: readonly { nodeId: number; pid: number }[]): string =>
  ms.map((m) => `(P${m.nodeId},${m.pid})`).join('')

/** A handle on node `id`'s daemon with pid `pid`, logging group `group` (retried until the socket is up). */
async function proc(c: Cluster, id: number, pid: number, group: string): Promise<Proc> {
  const handle = await waitFor(
    () => initialize({ socketPath: cpgSocket(c, id), pid }),
    `the CPG socket of node ${id}`,
    30_000,
  )
  const log: string[] = []
  const events: CpgEvent[] = []
  handle.on('deliver', (e) => {
    if (e.group !== group) return
    events.push(e)
    log.push(dec.decode(e.payload))
  })
  handle.on('confchg', (e) => {
    if (e.group !== group) return
    events.push(e)
    log.push(`${e.kind === 'transitional' ? 'CTA' : 'CRA'}${members(e.members)}`)
  })
  return { handle, log, events }
}

const clear = (ps: readonly Proc[]): void => {
  for (const p of ps) {
    p.log.length = 0
    p.events.length = 0
  }
}

/** Waits until every proc's log contains `entry`. */
const deliveredEverywhere = (ps: readonly Proc[], entry: string, ms = 20_000): Promise<true> =>
  waitFor(() => ps.every((p) => p.log.includes(entry)), `${entry} delivered everywhere`, ms)

/** A raw client connection speaking frames.ts by hand. */
class RawClient {
  readonly frames: { type: number; body: Uint8Array }[] = []
  readonly closed: Promise<void>
  readonly #sock: Socket
  readonly #reader = new FrameReader()
  #isClosed = false

  constructor(path: string) {
    this.#sock = connect(path)
    this.#sock.on('error', () => {})
    this.#sock.on('data', (chunk: Buffer) => {
      this.#reader.push(new Uint8Array(chunk))
      for (let f = this.#reader.next(); f !== undefined; f = this.#reader.next())
        this.frames.push({ type: f.type, body: f.body.slice() })
    })
    this.closed = new Promise((resolve) =>
      this.#sock.once('close', () => {
        this.#isClosed = true
        resolve()
      }),
    )
  }

  get isClosed(): boolean {
    return this.#isClosed
  }

  write(bytes: Uint8Array): void {
    this.#sock.write(bytes)
  }

  /** The first frame (from `from` on) of type `type`. */
  async frame(type: number, from = 0, ms = 10_000): Promise<{ index: number; body: Uint8Array }> {
    return waitFor(
      () => {
        const index = this.frames.findIndex((f, i) => i >= from && f.type === type)
        return index < 0
          ? undefined
          : { index, body: (this.frames[index] as { body: Uint8Array }).body }
      },
      `a frame of type ${type}`,
      ms,
    )
  }

  destroy(): void {
    this.#sock.destroy()
  }
}

/** `u32le length` (of type + body), `u8 type`, body. */
function frameBytes(type: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const b = new Uint8Array(5 + body.length)
  new DataView(b.buffer).setUint32(0, 1 + body.length, true)
  b[4] = type
  b.set(body, 5)
  return b
}

function hello(version: number, pid: number): Uint8Array {
  const body = new Uint8Array(8)
  const v = new DataView(body.buffer)
  v.setUint32(0, version, true)
  v.setUint32(4, pid, true)
  return frameBytes(FrameType.Hello, body)
}

function reqFrame(type: number, req: number, text: string): Uint8Array {
  const t = enc(text)
  const body = new Uint8Array(4 + t.length)
  new DataView(body.buffer).setUint32(0, req, true)
  body.set(t, 4)
  return frameBytes(type, body)
}

function mcastFrame(group: string, payload: Uint8Array): Uint8Array {
  const g = enc(group)
  const body = new Uint8Array(2 + g.length + payload.length)
  body[0] = 0
  body[1] = g.length
  body.set(g, 2)
  body.set(payload, 2 + g.length)
  return frameBytes(FrameType.Mcast, body)
}

const json = (body: Uint8Array): Record<string, unknown> =>
  JSON.parse(dec.decode(body)) as Record<string, unknown>

/** Sends `bytes` on a new raw connection and expects a Fatal ERR_CPG_PROTOCOL frame, then close. */
async function expectFatal(
  path: string,
  bytes: readonly Uint8Array[],
  what: string,
): Promise<RawClient> {
  const r = new RawClient(path)
  try {
    for (const b of bytes) r.write(b)
    await Promise.race([
      r.closed,
      sleep(10_000).then(() => {
        throw new Error(`${what}: the daemon did not close the connection`)
      }),
    ])
    const last = r.frames.at(-1)
    expect(last?.type, what).toBe(FrameType.Fatal)
    expect(json((last as { body: Uint8Array }).body), what).toMatchObject({
      code: CpgErrorCode.Protocol,
    })
    return r
  } finally {
    r.destroy()
  }
}

describe('CPG on real daemons', () => {
  it('seed 000: P4 fails and the safe M8 is delivered after the transitional configuration, at every survivor', async () => {
    const c = await new Cluster({ nodes: [1, 2, 3, 4, 5], token: 500, proxied: true }).init()
    let proxy: UdpFaultProxy | undefined
    const procs: Proc[] = []
    try {
      proxy = createUdpFaultProxy({
        port: c.port,
        nodes: c.nodes.map((n) => ({
          nodeId: n,
          address: `127.0.0.${n}`,
          proxyAddress: `127.0.1.${n}`,
        })),
      })
      await proxy.start()
      for (const id of [1, 2, 3, 4]) c.start(id)
      for (const id of [1, 2, 3, 4]) await c.ready(id)
      await c.ring([1, 2, 3, 4], 30_000)

      // P1 pid 5 on node 1, P2 pid 6 on node 2, P3 pid 7 on node 3, P4 pid 12 on node 4.
      const pids = [5, 6, 7, 12]
      for (const [i, pid] of pids.entries()) procs.push(await proc(c, i + 1, pid, 'A'))
      for (const p of procs) await p.handle.join('A')
      const all = '(P1,5)(P2,6)(P3,7)(P4,12)'
      await waitFor(
        () => procs.every((p) => p.log.at(-1) === `CRA${all}`),
        'every process to see the group of four',
        20_000,
      )
      clear(procs)

      for (const [i, m] of ['M1', 'M2', 'M3', 'M4'].entries()) {
        procs[i]?.handle.mcast('A', enc(m))
        await deliveredEverywhere(procs, m)
      }
      // Node 5 (no process) joins the ring: a configuration change that does not change the group.
      c.start(5)
      await c.ready(5)
      await c.ring([1, 2, 3, 4, 5], 30_000)
      await waitFor(() => procs.every((p) => p.log.length >= 6), 'CTA and CRA everywhere', 20_000)
      await sleep(500) // nothing more may come
      for (const [i, p] of procs.entries())
        expect(p.log, `P${i + 1}`).toEqual(['M1', 'M2', 'M3', 'M4', `CTA${all}`, `CRA${all}`])
      clear(procs)

      for (const [i, m] of ['M5', 'M6', 'M7'].entries()) {
        procs[i]?.handle.mcast('A', enc(m))
        await deliveredEverywhere(procs, m)
      }
      // Node 4 stops receiving messages (tokens still pass): a safe M8 sent now reaches the
      // others but cannot become safe while node 4 is in the ring.
      const p = proxy
      const droppedBefore = p.stats().dropped
      p.setPolicy(({ to, bytes }) =>
        to === 4 && bytes[TOTEM_TYPE_OFFSET] === TOTEM_MCAST ? 'drop' : 'pass',
      )
      procs[0]?.handle.mcast('A', enc('M8'), { guarantee: 'safe' })
      await sleep(300)
      // Either nothing was delivered yet, or srp's fail-to-receive rule already excluded node 4
      // (then the survivors are past the transitional configuration); never M8 at node 4.
      expect(procs[3]?.log).toEqual(['M5', 'M6', 'M7'])
      expect(p.stats().dropped).toBeGreaterThan(droppedBefore)
      await c.crash(4)

      const three = '(P1,5)(P2,6)(P3,7)'
      const survivors = procs.slice(0, 3)
      await waitFor(
        () => survivors.every((x) => x.log.includes(`CRA${three}`)),
        'the regular configuration without P4 at P1-P3',
        30_000,
      )
      await c.ring([1, 2, 3, 5], 30_000)
      await sleep(500)
      for (const [i, x] of survivors.entries())
        expect(x.log, `P${i + 1}`).toEqual(['M5', 'M6', 'M7', `CTA${three}`, 'M8', `CRA${three}`])
      expect(procs[3]?.log).toEqual(['M5', 'M6', 'M7'])
      for (const x of survivors) {
        const cta = x.events.find((e) => e.type === 'confchg' && e.kind === 'transitional')
        expect(cta).toMatchObject({ left: [{ nodeId: 4, pid: 12, reason: 'nodedown' }] })
        const m8 = x.events.find((e) => e.type === 'deliver' && dec.decode(e.payload) === 'M8')
        expect(m8).toMatchObject({ nodeId: 1, pid: 5, guarantee: 'safe' })
      }
    } finally {
      for (const x of procs) x.handle.removeAllListeners()
      await c.destroy()
      await proxy?.stop().catch(() => {})
    }
  }, 120_000)

  it('bad client input closes only the offending connection; the daemon keeps serving', async () => {
    const c = await new Cluster({ nodes: [1, 2], token: 500 }).init()
    const raws: RawClient[] = []
    try {
      for (const id of [1, 2]) c.start(id)
      for (const id of [1, 2]) await c.ready(id)
      await c.ring([1, 2], 30_000)
      const path = cpgSocket(c, 1)
      const a = await proc(c, 1, 100, 'G')
      const b = await proc(c, 2, 200, 'G')
      await a.handle.join('G')
      await b.handle.join('G')
      a.handle.mcast('G', enc('before'))
      await deliveredEverywhere([a, b], 'before')

      // Raw connections that break the protocol: each gets a Fatal frame and is closed.
      await expectFatal(path, [new Uint8Array(16).fill(0xff)], 'garbage')
      await expectFatal(path, [enc('GET / HTTP/1.1\r\n\r\n')], 'text garbage')
      await expectFatal(path, [new Uint8Array([0, 0, 0, 0, FrameType.Hello])], 'length 0')
      await expectFatal(
        path,
        [new Uint8Array([0x00, 0x00, 0x00, 0x80, FrameType.Mcast, 0, 1, 0x41])],
        'a 2 GiB frame',
      )
      const unknown = await expectFatal(
        path,
        [hello(1, 900), frameBytes(63, enc('what is this'))],
        'an unknown frame type after HELLO',
      )
      expect(unknown.frames.map((f) => f.type)).toEqual([FrameType.Welcome, FrameType.Fatal])
      const wrongVersion = await expectFatal(path, [hello(2, 901)], 'protocol version 2')
      expect(wrongVersion.frames.map((f) => f.type)).toEqual([FrameType.Fatal])
      await expectFatal(path, [reqFrame(FrameType.Join, 1, 'G')], 'a JOIN before HELLO')
      const stats = await c.result(1, 'stats')
      const clients = (stats.daemon as { cpgClients: { protocolErrors: number } }).cpgClients
      expect(clients.protocolErrors).toBe(7)

      // The daemon's own checks (a client that skips the library's): typed answers, and the
      // connection stays open.
      const raw = new RawClient(path)
      raws.push(raw)
      raw.write(hello(1, 902))
      await raw.frame(FrameType.Welcome)
      raw.write(reqFrame(FrameType.Join, 7, 'x'.repeat(129)))
      const r7 = await raw.frame(FrameType.Result)
      expect(dec.decode(r7.body.subarray(4))).toContain(CpgErrorCode.NameTooLong)
      raw.write(mcastFrame('nope', enc('to a group not joined')))
      const e1 = await raw.frame(FrameType.McastError)
      expect(json(e1.body)).toMatchObject({ code: CpgErrorCode.NotExist })
      raw.write(reqFrame(FrameType.Groups, 8, ''))
      const r8 = await raw.frame(FrameType.Result, r7.index + 1)
      expect(JSON.parse(dec.decode(r8.body.subarray(4)))).toMatchObject({ ok: true })
      expect(raw.isClosed).toBe(false)

      // Through the library: typed errors, nothing sent.
      await expect(a.handle.join('x'.repeat(129))).rejects.toMatchObject({
        code: CpgErrorCode.NameTooLong,
      })
      expect(() => a.handle.mcast('G', new Uint8Array(1024 * 1024 + 1))).toThrow(
        expect.objectContaining({ code: CpgErrorCode.TooBig }),
      )
      expect(() => a.handle.mcast('not-joined', enc('x'))).toThrow(
        expect.objectContaining({ code: CpgErrorCode.NotExist }),
      )
      const gone = await proc(c, 1, 300, 'G')
      await gone.handle.join('G')
      await gone.handle.finalize()
      expect(() => gone.handle.mcast('G', enc('after finalize'))).toThrow(
        expect.objectContaining({ code: CpgErrorCode.BadHandle }),
      )
      await expect(gone.handle.join('H')).rejects.toMatchObject({ code: CpgErrorCode.BadHandle })
      await expect(gone.handle.flush()).rejects.toMatchObject({ code: CpgErrorCode.BadHandle })

      // A message of exactly 1 MiB goes through and arrives byte-identical.
      const big = new Uint8Array(1024 * 1024)
      for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >>> 8)) & 0xff
      a.handle.mcast('G', big)
      a.handle.mcast('G', enc('after big'))
      await deliveredEverywhere([a, b], 'after big', 60_000)
      const bigAtB = b.events.filter(
        (e): e is Extract<CpgEvent, { type: 'deliver' }> =>
          e.type === 'deliver' && e.payload.length === big.length,
      )
      expect(bigAtB).toHaveLength(1)
      expect(
        Buffer.from(big).equals(Buffer.from((bigAtB[0] as { payload: Uint8Array }).payload)),
      ).toBe(true)
      expect(bigAtB[0]).toMatchObject({ nodeId: 1, pid: 100 })

      // The well-behaved client still delivers, and a new client can join.
      a.handle.mcast('G', enc('still here'))
      await deliveredEverywhere([a, b], 'still here')
      const late = await proc(c, 1, 400, 'G')
      await late.handle.join('G')
      const trio = '(P1,100)(P1,400)(P2,200)'
      await waitFor(
        () => [a, b, late].every((x) => x.log.at(-1) === `CRA${trio}`),
        'the new client in the group everywhere',
      )
      late.handle.mcast('G', enc('from the new one'))
      await deliveredEverywhere([a, b, late], 'from the new one')
      expect(a.log.filter((l) => !l.startsWith('C'))).toEqual(
        b.log.filter((l) => !l.startsWith('C')),
      )
      await late.handle.finalize()
      await a.handle.finalize()
      await b.handle.finalize()
    } finally {
      for (const r of raws) r.destroy()
      await c.destroy()
    }
  }, 120_000)
})
