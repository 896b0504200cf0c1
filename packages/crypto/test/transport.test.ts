import { createMemoryLogger, isTotemError, nodeId } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import {
  createKeyring,
  isSealedDatagram,
  keyIdOf,
  SEALED_OVERHEAD_BYTES,
  SealedOffset,
  withCrypto,
} from '../src/index.ts'
import { LoopbackNetwork } from './support/loopback.ts'
import { cluster, drops, payload } from './support/pair.ts'
import { seededRandom, testKey, testRuntime } from './support/runtime.ts'

/** Seals one datagram from node 1 to node 2 without delivering it; returns its wire bytes. */
function sealedSample(c: ReturnType<typeof cluster>, body: Uint8Array): Uint8Array {
  c.net.filter = () => false
  const before = c.net.wire.length
  ;(c.nodes[0] as (typeof c.nodes)[0]).t.send({ node: nodeId(2) }, body)
  c.net.filter = undefined
  return (c.net.wire[before] as { bytes: Uint8Array }).bytes
}

const codeAt = (offset: number): string => {
  if (offset < SealedOffset.keyId) return 'ERR_CRYPTO_FORMAT'
  if (offset < SealedOffset.sender) return 'ERR_CRYPTO_KEY_ID'
  return 'ERR_CRYPTO_AUTH'
}

describe('withCrypto round trip', () => {
  it('delivers what was sent, sealed on the wire, to one node and to all', () => {
    const c = cluster(3)
    const [a, b, d] = c.nodes as [
      NonNullable<(typeof c.nodes)[0]>,
      (typeof c.nodes)[0],
      (typeof c.nodes)[0],
    ]
    const msg = new TextEncoder().encode('hello ring, this is node one')
    a.t.send({ node: nodeId(2) }, msg)
    expect(b?.got).toEqual([msg])
    const wire = (c.net.wire[0] as { bytes: Uint8Array }).bytes
    expect(wire.length).toBe(msg.length + SEALED_OVERHEAD_BYTES)
    expect(isSealedDatagram(wire)).toBe(true)
    expect(Buffer.from(wire).includes(Buffer.from('hello ring'))).toBe(false)
    a.t.send('all', msg)
    expect(a.got).toEqual([msg])
    expect(b?.got).toHaveLength(2)
    expect(d?.got).toEqual([msg])
    const s = a.t.stats()
    expect(s.cryptoSealed).toBe(2)
    expect(s.cryptoOpened).toBe(1)
    expect(s.datagramsTx).toBe(2)
    expect(s.cryptoKeyId).toBe(keyIdOf(testKey(0)))
    expect(s.cryptoPreviousKeyId).toBeNull()
    expect(drops(a.t)).toEqual({})
  })

  it('delivers empty and MTU-sized datagrams and refuses larger ones', () => {
    const c = cluster(2)
    const [a, b] = c.nodes as [NonNullable<(typeof c.nodes)[0]>, NonNullable<(typeof c.nodes)[0]>]
    expect(a.t.mtuBytes).toBe(1500 - SEALED_OVERHEAD_BYTES)
    a.t.send({ node: nodeId(2) }, new Uint8Array(0))
    a.t.send({ node: nodeId(2) }, payload(a.t.mtuBytes, 7))
    expect(b.got.map((g) => g.length)).toEqual([0, a.t.mtuBytes])
    a.t.send({ node: nodeId(2) }, payload(a.t.mtuBytes + 1))
    expect(b.got).toHaveLength(2)
    expect(a.t.stats()).toMatchObject({ cryptoTxTooLong: 1, sendErrors: 1, cryptoSealed: 2 })
  })

  it('delegates members, start and stop to the inner transport', async () => {
    const rt = testRuntime(3)
    const net = new LoopbackNetwork()
    const inner = net.endpoint(1)
    const t = withCrypto(inner, createKeyring(testKey(0), { clock: rt.clock }), {
      nodeId: nodeId(1),
      runtime: rt,
    })
    t.setMembers([nodeId(1), nodeId(2)])
    expect(inner.members).toEqual([1, 2])
    await t.start()
    expect(inner.started).toBe(true)
    expect(rt.logger.records.some((r) => r.level === 'info' && r.subsystem === 'CRYPTO')).toBe(true)
    await t.stop()
    expect(inner.started).toBe(false)
  })

  it('lets a handler exception propagate (a bug, not a drop)', () => {
    const c = cluster(2)
    const [a, b] = c.nodes as [NonNullable<(typeof c.nodes)[0]>, NonNullable<(typeof c.nodes)[0]>]
    b.t.onDatagram(() => {
      throw new Error('handler bug')
    })
    expect(() => a.t.send({ node: nodeId(2) }, payload(10))).toThrow('handler bug')
  })

  it('rejects bad arguments at the edge', () => {
    const rt = testRuntime(1)
    const keyring = createKeyring(testKey(0), { clock: rt.clock })
    const net = new LoopbackNetwork({ mtuBytes: SEALED_OVERHEAD_BYTES })
    const bad = [
      () => withCrypto(net.endpoint(1), keyring, { nodeId: 0 as never, runtime: rt }),
      () =>
        withCrypto(new LoopbackNetwork().endpoint(1), keyring, {
          nodeId: nodeId(1),
          runtime: rt,
          channel: 256,
        }),
      () => withCrypto(net.endpoint(1), keyring, { nodeId: nodeId(1), runtime: rt }),
      () =>
        withCrypto(
          new LoopbackNetwork().endpoint(1),
          { ...keyring },
          { nodeId: nodeId(1), runtime: rt },
        ),
      () =>
        withCrypto(new LoopbackNetwork().endpoint(1), keyring, {
          nodeId: nodeId(1),
          runtime: rt,
          replayWindow: 100,
        }),
    ]
    for (const f of bad) {
      try {
        f()
        expect.unreachable()
      } catch (e) {
        expect(isTotemError(e) && e.code).toBe('ERR_INVALID_ARGUMENT')
      }
    }
  })
})

describe('hostile datagrams: each counted under its own code, none delivered', () => {
  it('forged: random bytes behind a valid header are ERR_CRYPTO_AUTH', () => {
    const c = cluster(2)
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    const forged = new Uint8Array(200)
    seededRandom(9).fill(forged)
    forged.set([0x54, 0x43, 1, 0], 0)
    new DataView(forged.buffer).setUint32(SealedOffset.keyId, keyIdOf(testKey(0)))
    c.net.inject(2, forged)
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_AUTH: 1 })
    expect(b.got).toEqual([])
    expect(b.t.stats().cryptoOpened).toBe(0)
  })

  it('bit-flipped: every single-bit change of a sealed datagram is dropped by its field', () => {
    const c = cluster(2)
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    const sample = sealedSample(c, payload(40, 0x33))
    const expected: Record<string, number> = {}
    for (let bit = 0; bit < sample.length * 8; bit++) {
      const flipped = sample.slice()
      flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7))
      const before = drops(b.t)
      c.net.inject(2, flipped)
      const code = codeAt(bit >> 3)
      expected[code] = (expected[code] ?? 0) + 1
      expect(drops(b.t), `bit ${bit}`).toEqual({ ...before, [code]: (before[code] ?? 0) + 1 })
    }
    expect(b.got).toEqual([])
    expect(expected).toEqual({
      ERR_CRYPTO_FORMAT: 32,
      ERR_CRYPTO_KEY_ID: 32,
      ERR_CRYPTO_AUTH: (sample.length - 8) * 8,
    })
    // None of the flips touched the replay state: the original still goes through.
    c.net.inject(2, sample)
    expect(b.got).toEqual([payload(40, 0x33)])
  })

  it('truncated: too short for a header is ERR_CRYPTO_FORMAT, a cut ciphertext is ERR_CRYPTO_AUTH', () => {
    const c = cluster(2)
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    const sample = sealedSample(c, payload(100))
    for (let n = 0; n < sample.length; n++) c.net.inject(2, sample.subarray(0, n))
    expect(drops(b.t)).toEqual({
      ERR_CRYPTO_FORMAT: SEALED_OVERHEAD_BYTES,
      ERR_CRYPTO_AUTH: sample.length - SEALED_OVERHEAD_BYTES,
    })
    expect(b.got).toEqual([])
  })

  it('replayed: the second copy of a datagram is ERR_CRYPTO_REPLAY', () => {
    const c = cluster(2)
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    const sample = sealedSample(c, payload(10))
    c.net.inject(2, sample)
    c.net.inject(2, sample)
    c.net.inject(2, sample)
    expect(b.got).toHaveLength(1)
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_REPLAY: 2 })
  })

  it('wrong key: another key is ERR_CRYPTO_KEY_ID; other key material under our key id is ERR_CRYPTO_AUTH', () => {
    const c = cluster(2)
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    const intruder = c.add(3, testKey(99))
    intruder.t.send({ node: nodeId(2) }, payload(10))
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_KEY_ID: 1 })
    c.net.filter = () => false
    intruder.t.send({ node: nodeId(2) }, payload(10))
    c.net.filter = undefined
    const relabelled = (c.net.wire.at(-1) as { bytes: Uint8Array }).bytes.slice()
    new DataView(relabelled.buffer).setUint32(SealedOffset.keyId, keyIdOf(testKey(0)))
    c.net.inject(2, relabelled)
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_KEY_ID: 1, ERR_CRYPTO_AUTH: 1 })
    expect(b.got).toEqual([])
  })

  it('another channel (redundant ring) cannot open the datagram: ERR_CRYPTO_AUTH', () => {
    const rt = testRuntime(4)
    const net = new LoopbackNetwork()
    const keyring = createKeyring(testKey(0), { clock: rt.clock })
    const a = withCrypto(net.endpoint(1), keyring, { nodeId: nodeId(1), runtime: rt, channel: 0 })
    const b = withCrypto(net.endpoint(2), keyring, { nodeId: nodeId(2), runtime: rt, channel: 1 })
    const got: Uint8Array[] = []
    b.onDatagram((x) => got.push(x))
    a.send({ node: nodeId(2) }, payload(5))
    expect(got).toEqual([])
    expect(drops(b)).toEqual({ ERR_CRYPTO_AUTH: 1 })
  })

  it('plaintext totem datagrams are ERR_CRYPTO_FORMAT with a rate-limited warning naming the mismatch', () => {
    const c = cluster(2)
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    const warns = () => c.rt.logger.records.filter((r) => r.level === 'warn')
    const le = Uint8Array.from([0x70, 0xc0, 3, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 9, 9])
    const be = Uint8Array.from([0xc0, 0x70, 3, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
    c.net.inject(2, le)
    c.net.inject(2, be)
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_FORMAT: 2 })
    expect(b.t.stats().cryptoPlaintextRx).toBe(2)
    expect(b.got).toEqual([])
    expect(warns()).toHaveLength(1)
    expect(warns()[0]?.msg).toMatch(/crypto mismatch/)
    expect(warns()[0]?.fields).toMatchObject({ code: 'ERR_CRYPTO_FORMAT' })
    c.rt.clock.advance(9_999)
    c.net.inject(2, le)
    expect(warns()).toHaveLength(1)
    c.rt.clock.advance(1)
    c.net.inject(2, le)
    expect(warns()).toHaveLength(2)
    expect(warns()[1]?.fields).toMatchObject({ suppressed: 2, plaintextRx: 4 })
  })

  it('other garbage is ERR_CRYPTO_FORMAT by reason: magic, version, reserved', () => {
    const c = cluster(2)
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    const sample = sealedSample(c, payload(10))
    for (const [i, v] of [
      [0, 0x00],
      [2, 2],
      [3, 0x80],
    ] as const) {
      const x = sample.slice()
      x[i] = v
      c.net.inject(2, x)
    }
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_FORMAT: 3 })
    expect(b.t.stats().cryptoPlaintextRx).toBe(0)
  })

  it('never logs key bytes or plaintext, and the inner drop counters survive the merge', () => {
    const key = new TextEncoder().encode('KEYMATERIAL-'.repeat(4))
    const c = cluster(2, { key })
    c.rt.logger.records.length = 0
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    const secret = new TextEncoder().encode('PLAINTEXT-SECRET')
    const sample = sealedSample(c, secret)
    for (let i = 0; i < sample.length; i++) {
      const x = sample.slice()
      x[i] = (x[i] as number) ^ 0xff
      c.rt.clock.advance(1000) // let every drop log line through
      c.net.inject(2, x)
    }
    c.net.inject(2, sample)
    c.rt.clock.advance(1000)
    c.net.inject(2, sample)
    c.nodes[0]?.keyring.rotate(testKey(5))
    c.rt.clock.advance(20_000)
    c.nodes[0]?.keyring.state()
    c.net.endpoints.get(nodeId(2))?.countInnerDrop('ERR_UDP_UNLISTED')
    c.net.endpoints.get(nodeId(2))?.countInnerDrop('ERR_CRYPTO_AUTH')
    expect(drops(b.t)).toEqual({
      ERR_UDP_UNLISTED: 1,
      ERR_CRYPTO_FORMAT: 4,
      ERR_CRYPTO_KEY_ID: 4,
      ERR_CRYPTO_AUTH: sample.length - 8 + 1,
      ERR_CRYPTO_REPLAY: 1,
    })
    const text = JSON.stringify(c.rt.logger.records)
    expect(c.rt.logger.records.filter((r) => r.level === 'debug').length).toBeGreaterThan(10)
    expect(text).not.toContain('KEYMATERIAL')
    expect(text).not.toContain(Buffer.from(key.subarray(0, 8)).toString('hex'))
    expect(text).not.toContain('PLAINTEXT')
    expect(text).not.toContain(Buffer.from(secret.subarray(0, 8)).toString('hex'))
  })
})

describe('determinism', () => {
  const run = (seed: number): string[] => {
    const c = cluster(3, { seed })
    for (let i = 0; i < 20; i++) {
      c.nodes[i % 3]?.t.send(
        i % 2 === 0 ? 'all' : { node: nodeId(((i + 1) % 3) + 1) },
        payload(i * 3, i),
      )
      c.rt.clock.advance(5)
    }
    return c.net.wire.map((d) => `${d.from}>${d.to}:${Buffer.from(d.bytes).toString('hex')}`)
  }
  it('gives the same wire bytes for the same seed and different ones for another seed', () => {
    expect(run(42)).toEqual(run(42))
    expect(run(42)).not.toEqual(run(43))
  })

  it('uses the explicit random option over the runtime one', () => {
    const rt = testRuntime(1)
    const net = new LoopbackNetwork()
    const logger = createMemoryLogger()
    const keyring = createKeyring(testKey(0), { clock: rt.clock })
    const mk = (seed: number) =>
      withCrypto(net.endpoint(1), keyring, {
        nodeId: nodeId(1),
        runtime: { ...rt, logger },
        random: seededRandom(seed),
      })
    const one = mk(7)
    one.send('all', payload(3))
    const two = mk(7)
    two.send('all', payload(3))
    expect(net.wire[0]?.bytes).toEqual(net.wire[1]?.bytes)
  })
})
