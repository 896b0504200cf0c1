/**
 * Scripted scenarios (no randomness): the examples of the seed documents at the ring level, plus
 * partitions, merges, leave, restart and big messages.
 */
import { decodeMcast, decodePgPacket, MessageType } from '@totem-ts/wire'
import { describe, expect, it } from 'vitest'
import { World } from './harness.ts'

const ids = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1)

async function ring(n: number, options = {}): Promise<World> {
  const w = new World(ids(n))
  for (const id of w.ids) await w.add(id, options)
  w.run(3000)
  for (const id of w.ids) expect(w.srp(id).members).toEqual(ids(n))
  return w
}

/** The text of the messages packed in an mcast datagram. */
function texts(bytes: Uint8Array): string[] {
  const m = decodeMcast(bytes)
  if (m.encapsulated !== 2) return []
  return decodePgPacket(m.payload, true).pieces.map((p) => new TextDecoder().decode(p))
}

describe('seed 001: safe delivery waits for every member to hold the message', () => {
  it('P1 sends M1 M2 M3; P2 and P3 miss M3; all deliver M1 M2; M3 only after its recovery', async () => {
    const w = await ring(3)
    const m3Received = new Map<number, number>()
    let m3Dropped = 0
    w.drop = (from, to, type, bytes) => {
      if (type !== MessageType.Mcast || !texts(bytes).includes('M3')) return false
      // The first transmission of M3 reaches nobody but its sender.
      if (from === 1 && m3Dropped < 2) {
        m3Dropped++
        return true
      }
      w.at(w.latencyMs, () => m3Received.set(to, m3Received.get(to) ?? w.now))
      return false
    }
    for (const m of ['M1', 'M2', 'M3']) {
      w.send(1, m, 'safe')
      w.runFor(5)
    }
    w.runFor(2000)
    expect(m3Dropped).toBe(2)
    for (const id of w.ids) {
      expect(w.delivered(id)).toEqual(['M1', 'M2', 'M3'])
      expect(
        w.events
          .filter((e) => e.node === id && e.ev === 'deliver')
          .every((e) => 'g' in e && e.g === 'safe'),
      ).toBe(true)
    }
    // M3 was retransmitted to P2 and P3 before anyone delivered it, and M1 M2 were delivered
    // everywhere before that.
    const at = (text: string) =>
      w.events.flatMap((e) => (e.ev === 'deliver' && e.text === text ? [e.t] : []))
    expect(m3Received.size).toBe(2)
    const recovered = Math.max(...m3Received.values())
    expect(w.srp(1).stats().mcastRetx).toBeGreaterThan(0)
    expect(at('M3')).toHaveLength(3)
    for (const t of at('M3')) expect(t).toBeGreaterThanOrEqual(recovered)
    for (const t of at('M2')) expect(t).toBeLessThan(recovered)
  })

  it('an agreed message is delivered before it is recovered everywhere, a safe one is not', async () => {
    const w = await ring(3)
    let blocked = true
    w.drop = (_from, to, type, bytes) =>
      type === MessageType.Mcast &&
      to === 3 &&
      blocked &&
      texts(bytes).some((t) => t.startsWith('X'))
    w.send(1, 'Xagreed', 'agreed')
    w.runFor(20)
    expect(w.delivered(1)).toEqual(['Xagreed'])
    expect(w.delivered(3)).toEqual([])
    w.send(1, 'Xsafe', 'safe')
    w.runFor(20)
    expect(w.delivered(1)).toEqual(['Xagreed'])
    blocked = false
    w.runFor(500)
    for (const id of w.ids) expect(w.delivered(id)).toEqual(['Xagreed', 'Xsafe'])
  })
})

describe('seed 000: a processor fails; survivors deliver the rest, the transitional configuration, then the regular one', () => {
  it('M1..M7 everywhere; P4 fails; M8 (safe, not held by P4) is delivered in the transitional configuration', async () => {
    const w = await ring(4)
    for (let i = 1; i <= 7; i++) {
      w.send(((i - 1) % 4) + 1, `M${i}`)
      w.runFor(5)
    }
    w.runFor(100)
    for (const id of w.ids)
      expect(w.delivered(id)).toEqual(['M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7'])
    // P4 stops hearing multicasts, so M8 (safe) can never become safe in the old ring; then it fails.
    w.drop = (_from, to, type) => to === 4 && type === MessageType.Mcast
    w.send(1, 'M8', 'safe')
    w.runFor(20)
    expect(w.delivered(1)).not.toContain('M8')
    w.crash(4)
    w.runFor(5000)
    expect(w.delivered(4)).toEqual(['M1', 'M2', 'M3', 'M4', 'M5', 'M6', 'M7'])
    const tail = (id: number) => w.story(id).slice(-4)
    for (const id of [1, 2, 3]) {
      expect(tail(id)).toEqual(['M7', 'trans:1,2,3', 'M8', 'reg:1,2,3'])
      expect(w.srp(id).members).toEqual([1, 2, 3])
    }
    // The configuration changes carry the new ring id, the same on every survivor.
    const regs = w.events.filter(
      (e) => e.ev === 'conf' && e.kind === 'reg' && e.members.length === 3,
    )
    expect(new Set(regs.map((e) => e.ring)).size).toBe(1)
  })
})

describe('partition and merge', () => {
  it('{1,2} and {3,4,5} each keep their own order, then merge into one ring of five', async () => {
    const w = await ring(5)
    const side = (n: number) => (n <= 2 ? 0 : 1)
    w.drop = (from, to) => side(from) !== side(to)
    w.runFor(100)
    w.send(1, 'a1')
    w.send(3, 'b1')
    w.send(5, 'b2', 'safe')
    // Token loss, then the consensus timeout (jittered: up to a quarter longer).
    w.runFor(6000)
    for (const id of [1, 2]) {
      expect(w.srp(id).members).toEqual([1, 2])
      expect(w.confs(id).slice(-2)).toEqual(['trans:1,2', 'reg:1,2'])
    }
    for (const id of [3, 4, 5]) {
      expect(w.srp(id).members).toEqual([3, 4, 5])
      expect(w.confs(id).slice(-2)).toEqual(['trans:3,4,5', 'reg:3,4,5'])
    }
    expect(w.delivered(1)).toEqual(w.delivered(2))
    expect(w.delivered(3)).toEqual(w.delivered(4))
    expect(w.delivered(3)).toEqual(w.delivered(5))
    expect(w.delivered(1)).toContain('a1')
    expect(w.delivered(3)).toEqual(expect.arrayContaining(['b1', 'b2']))
    w.drop = () => false
    w.runFor(8000)
    for (const id of w.ids) expect(w.srp(id).members).toEqual([1, 2, 3, 4, 5])
    expect(w.confs(1).slice(-2)).toEqual(['trans:1,2', 'reg:1,2,3,4,5'])
    expect(w.confs(4).slice(-2)).toEqual(['trans:3,4,5', 'reg:1,2,3,4,5'])
    w.send(2, 'after')
    w.runFor(500)
    for (const id of w.ids) expect(w.delivered(id).at(-1)).toBe('after')
  })
})

describe('membership details', () => {
  it('an orderly leave forms the new ring without waiting for the token timeout', async () => {
    const w = await ring(3, { tokenTimeoutMs: 5000 })
    const t0 = w.now
    await w.srp(3).stop()
    w.runFor(1000)
    expect(w.now - t0).toBeLessThan(5000)
    for (const id of [1, 2]) expect(w.srp(id).members).toEqual([1, 2])
    expect(w.srp(1).stats().operationalTokenLost).toBe(0)
  })

  it('a restarted node comes back with a higher ring seq and rejoins', async () => {
    const w = await ring(3)
    const before = w.stores.get(2)?.seq ?? 0n
    w.crash(2)
    w.runFor(3000)
    expect(w.srp(1).members).toEqual([1, 3])
    await w.add(2)
    w.runFor(3000)
    for (const id of w.ids) expect(w.srp(id).members).toEqual([1, 2, 3])
    expect(w.stores.get(2)?.seq ?? 0n).toBeGreaterThan(before)
    w.send(2, 'back')
    w.runFor(300)
    for (const id of w.ids) expect(w.delivered(id).at(-1)).toBe('back')
  })

  it('a 1 MiB message crosses the ring intact, fragmented to the MTU, in order with others', async () => {
    const w = await ring(3)
    const big = new Uint8Array(1024 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff
    w.send(2, 'small-before')
    expect(w.srp(2).send(big, 'agreed')).toBe('queued')
    w.send(2, 'small-after')
    w.runFor(5000)
    for (const id of w.ids) {
      const d = w.delivered(id)
      expect(d).toHaveLength(3)
      expect(d[0]).toBe('small-before')
      expect(d[2]).toBe('small-after')
      const raw = w.rawDelivered(id)[1] as Uint8Array
      expect(raw.length).toBe(big.length)
      expect(Buffer.compare(Buffer.from(raw), Buffer.from(big))).toBe(0)
    }
    expect(w.srp(2).stats().mcastTx).toBeGreaterThan(700)
  })

  it('lost messages are requested through the token and recovered', async () => {
    const w = await ring(4)
    let n = 0
    w.drop = (_f, _t, type) => type === MessageType.Mcast && ++n % 5 === 0
    for (let i = 0; i < 40; i++) {
      w.send((i % 4) + 1, `r${i}`, i % 3 === 0 ? 'safe' : 'agreed')
      w.runFor(1)
    }
    w.runFor(3000)
    const d1 = w.delivered(1)
    expect(d1).toHaveLength(40)
    for (const id of w.ids) expect(w.delivered(id)).toEqual(d1)
    const retx = w.ids.reduce((a, id) => a + w.srp(id).stats().mcastRetx, 0)
    expect(retx).toBeGreaterThan(0)
  })
})

describe('holdSendsDuringRingChange (corosync compatibility, issue 9)', () => {
  it('holds what was queued across a ring change until syncCompleted, and sends what comes after the regular configuration at once', async () => {
    const w = await ring(3, { holdSendsDuringRingChange: true })
    w.send(1, 'before')
    w.runFor(50)
    for (const id of w.ids) expect(w.delivered(id)).toEqual(['before'])
    // Node 3 dies; node 1 queues M while the token is lost (it cannot be sent on the old ring).
    w.crash(3)
    w.runFor(1)
    w.send(1, 'held')
    w.runFor(5000)
    expect(w.srp(1).members).toEqual([1, 2])
    // The new ring is operational, the layer above has not re-synchronised: M stays held.
    w.send(1, 'sync')
    w.runFor(200)
    for (const id of [1, 2]) expect(w.delivered(id)).toEqual(['before', 'sync'])
    w.srp(1).syncCompleted?.()
    w.runFor(200)
    for (const id of [1, 2]) expect(w.delivered(id)).toEqual(['before', 'sync', 'held'])
  })

  it('is off by default: the queued message goes out on the new ring by itself', async () => {
    const w = await ring(3)
    w.crash(3)
    w.runFor(1)
    w.send(1, 'queued')
    w.runFor(5000)
    for (const id of [1, 2]) expect(w.delivered(id)).toEqual(['queued'])
  })
})
