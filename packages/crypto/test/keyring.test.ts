import { isTotemError, nodeId } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import { createKeyring, formatKeyId, keyIdOf, withCrypto } from '../src/index.ts'
import { LoopbackNetwork } from './support/loopback.ts'
import { cluster, drops, payload } from './support/pair.ts'
import { manualClock, testKey, testRuntime } from './support/runtime.ts'

const code = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    return isTotemError(e) ? e.code : 'not a TotemError'
  }
  return undefined
}

describe('key ids', () => {
  it('are a stable fingerprint of the key bytes', () => {
    expect(keyIdOf(testKey(0))).toBe(keyIdOf(testKey(0)))
    expect(keyIdOf(testKey(0))).not.toBe(keyIdOf(testKey(1)))
    expect(formatKeyId(0xab)).toBe('0x000000ab')
  })

  it('need 32..4096 key bytes', () => {
    expect(code(() => keyIdOf(new Uint8Array(31)))).toBe('ERR_CRYPTO_KEY_SIZE')
    expect(code(() => createKeyring(new Uint8Array(4097), { clock: manualClock() }))).toBe(
      'ERR_CRYPTO_KEY_SIZE',
    )
    expect(code(() => createKeyring('key' as never, { clock: manualClock() }))).toBe(
      'ERR_INVALID_ARGUMENT',
    )
    expect(code(() => createKeyring(testKey(0), { clock: manualClock(), graceMs: -1 }))).toBe(
      'ERR_INVALID_ARGUMENT',
    )
    expect(code(() => keyIdOf(new Uint8Array(32)))).toBeUndefined()
    expect(code(() => keyIdOf(new Uint8Array(4096)))).toBeUndefined()
  })
})

describe('keyring', () => {
  it('rotates: new key current at once, old one kept for the grace period', () => {
    const clock = manualClock(100)
    const k = createKeyring(testKey(0), { clock, graceMs: 5000 })
    const s = k.rotate(testKey(1))
    expect(s).toEqual({
      currentKeyId: keyIdOf(testKey(1)),
      previousKeyId: keyIdOf(testKey(0)),
      previousExpiresAtMs: 5100,
      stagedKeyId: null,
    })
    clock.advance(4999)
    expect(k.state().previousKeyId).toBe(keyIdOf(testKey(0)))
    clock.advance(1)
    expect(k.state().previousKeyId).toBeNull()
    expect(k.rotate(testKey(1)).previousKeyId).toBeNull() // rotating to the current key: no change
  })

  it('stages a key for receive only, and promotes it on rotate', () => {
    const clock = manualClock()
    const k = createKeyring(testKey(0), { clock })
    expect(k.stage(testKey(1))).toBe(keyIdOf(testKey(1)))
    expect(k.state()).toMatchObject({
      currentKeyId: keyIdOf(testKey(0)),
      stagedKeyId: keyIdOf(testKey(1)),
    })
    expect(k.stage(testKey(0))).toBe(keyIdOf(testKey(0))) // already current: no change
    expect(k.state().stagedKeyId).toBe(keyIdOf(testKey(1)))
    k.rotate(testKey(1))
    expect(k.state()).toMatchObject({
      currentKeyId: keyIdOf(testKey(1)),
      previousKeyId: keyIdOf(testKey(0)),
      stagedKeyId: null,
    })
    // Rolling back to the previous key swaps them.
    k.rotate(testKey(0))
    expect(k.state()).toMatchObject({
      currentKeyId: keyIdOf(testKey(0)),
      previousKeyId: keyIdOf(testKey(1)),
    })
  })

  it('with graceMs 0 drops the old key at once', () => {
    const k = createKeyring(testKey(0), { clock: manualClock(), graceMs: 0 })
    expect(k.rotate(testKey(1)).previousKeyId).toBeNull()
  })
})

describe('key rotation under traffic', () => {
  /** Every node sends one numbered datagram to every other node; returns how many were sent. */
  const round = (c: ReturnType<typeof cluster>, seq: { n: number }): number => {
    let sent = 0
    for (const from of c.nodes)
      for (const to of c.nodes)
        if (from !== to) {
          from.t.send({ node: nodeId(to.id) }, Uint8Array.of(from.id, seq.n & 0xff, seq.n >> 8))
          sent++
        }
    seq.n++
    return sent
  }
  const delivered = (c: ReturnType<typeof cluster>): number =>
    c.nodes.reduce((s, n) => s + n.got.length, 0)

  it('loses no datagram when every node stages, then rotates one by one, with old-key datagrams in flight', () => {
    const c = cluster(3, { graceMs: 2000 })
    const seq = { n: 0 }
    let sent = 0
    for (let i = 0; i < 5; i++) sent += round(c, seq)
    // Hold back one round sealed with the old key, as if delayed in the network.
    c.net.filter = () => false
    const start = c.net.wire.length
    sent += round(c, seq)
    const inFlight = c.net.wire.slice(start)
    c.net.filter = undefined
    for (const n of c.nodes) n.keyring.stage(testKey(7))
    for (const n of c.nodes) {
      n.keyring.rotate(testKey(7))
      for (let i = 0; i < 3; i++) {
        sent += round(c, seq)
        c.rt.clock.advance(100)
      }
    }
    for (const d of inFlight) c.net.inject(d.to, d.bytes) // 300 ms after the first rotation
    for (let i = 0; i < 3; i++) sent += round(c, seq)
    expect(delivered(c)).toBe(sent)
    for (const n of c.nodes) {
      expect(drops(n.t)).toEqual({})
      expect(n.t.stats()).toMatchObject({
        cryptoKeyId: keyIdOf(testKey(7)),
        cryptoPreviousKeyId: keyIdOf(testKey(0)),
      })
      // Every message from every other node arrived exactly once.
      const seen = new Set(
        n.got.map((g) => `${g[0]}:${(g[1] as number) + ((g[2] as number) << 8)}`),
      )
      expect(seen.size).toBe(n.got.length)
    }
    c.rt.clock.advance(2000)
    for (const n of c.nodes) expect(n.t.stats().cryptoPreviousKeyId).toBeNull()
  })

  it('drops datagrams sealed with the old key after the grace period as ERR_CRYPTO_KEY_ID', () => {
    const c = cluster(2, { graceMs: 1000 })
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    c.net.filter = () => false
    c.nodes[0]?.t.send({ node: nodeId(2) }, payload(3))
    c.nodes[0]?.t.send({ node: nodeId(2) }, payload(3))
    c.net.filter = undefined
    const [early, late] = c.net.wire.map((d) => d.bytes)
    for (const n of c.nodes) n.keyring.rotate(testKey(7))
    c.rt.clock.advance(999)
    c.net.inject(2, early as Uint8Array)
    expect(b.got).toHaveLength(1)
    c.rt.clock.advance(1)
    c.net.inject(2, late as Uint8Array)
    expect(b.got).toHaveLength(1)
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_KEY_ID: 1 })
  })

  it('without staging, a node that has not rotated yet drops the new key (why stage exists)', () => {
    const c = cluster(2)
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    c.nodes[0]?.keyring.rotate(testKey(7))
    c.nodes[0]?.t.send({ node: nodeId(2) }, payload(3))
    expect(drops(b.t)).toEqual({ ERR_CRYPTO_KEY_ID: 1 })
    b.t.send({ node: nodeId(1) }, payload(3)) // the old key is still accepted by node 1
    expect(c.nodes[0]?.got).toHaveLength(1)
  })

  it('one keyring shared by two wrappers (redundant rings) rotates both', () => {
    const rt = testRuntime(5)
    const net0 = new LoopbackNetwork()
    const net1 = new LoopbackNetwork()
    const ringA = createKeyring(testKey(0), { clock: rt.clock, logger: rt.logger })
    const ringB = createKeyring(testKey(0), { clock: rt.clock })
    const mk = (net: LoopbackNetwork, id: number, k: typeof ringA, channel: number) =>
      withCrypto(net.endpoint(id), k, { nodeId: nodeId(id), runtime: rt, channel })
    const a0 = mk(net0, 1, ringA, 0)
    const a1 = mk(net1, 1, ringA, 1)
    const b0 = mk(net0, 2, ringB, 0)
    const b1 = mk(net1, 2, ringB, 1)
    const got: number[] = []
    b0.onDatagram((x) => got.push(x[0] as number))
    b1.onDatagram((x) => got.push(x[0] as number))
    ringB.stage(testKey(3))
    ringA.rotate(testKey(3))
    expect(a0.stats().cryptoKeyId).toBe(keyIdOf(testKey(3)))
    expect(a1.stats().cryptoKeyId).toBe(keyIdOf(testKey(3)))
    a0.send({ node: nodeId(2) }, Uint8Array.of(0))
    a1.send({ node: nodeId(2) }, Uint8Array.of(1))
    expect(got).toEqual([0, 1])
    expect(drops(b0)).toEqual({})
    expect(drops(b1)).toEqual({})
    expect(rt.logger.records.some((r) => r.msg === 'key rotated' && r.level === 'info')).toBe(true)
  })
})
