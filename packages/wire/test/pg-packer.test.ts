/**
 * totempg packing and fragmentation (reference §5.2–5.3), checked against what corosync 3.1.7 was
 * observed to send (§5.3, §10.9) and against the rules of §5.1–5.3 stated independently here.
 */
import { isTotemError, MESSAGE_BYTES_MAX } from '@totem-ts/common'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createPacker,
  decodePgPacket,
  PG_HEADER_BYTES,
  type PgPacket,
  pgPacketBytesForNetmtu,
} from '../src/index.ts'

/** Bytes `0, 1, 2, …` offset by `seed`, so every message and every position differ. */
function pattern(n: number, seed = 0): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed * 13 + (i >>> 8)) & 0xff
  return b
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')
}

interface Harness {
  readonly raw: Uint8Array[]
  readonly packets: PgPacket[]
  readonly packer: ReturnType<typeof createPacker>
}

function harness(pgPacketBytesMax?: number, littleEndian = true): Harness {
  const raw: Uint8Array[] = []
  const packets: PgPacket[] = []
  const packer = createPacker({
    ...(pgPacketBytesMax === undefined ? {} : { pgPacketBytesMax }),
    littleEndian,
    onPacket: (p) => {
      raw.push(p)
      packets.push(decodePgPacket(p, littleEndian))
    },
  })
  return { raw, packets, packer }
}

/** corosync's group header for group `a` (reference §5.5). */
const GROUP_A_HEADER = Uint8Array.of(0x01, 0x00, 0x01, 0x00, 0x61)
const NET_MTU_1500 = 1500 - 90
const NET_MTU_9000 = 9000 - 90

function expectThrowsInvalidArgument(f: () => unknown): void {
  let caught: unknown
  try {
    f()
  } catch (e) {
    caught = e
  }
  expect(isTotemError(caught)).toBe(true)
  expect((caught as { code: string }).code).toBe('ERR_INVALID_ARGUMENT')
}

describe('pgPacketBytesForNetmtu', () => {
  it('is netmtu − 90 (§5.2: net_mtu 1410 for netmtu 1500)', () => {
    expect(pgPacketBytesForNetmtu(1500)).toBe(NET_MTU_1500)
    expect(pgPacketBytesForNetmtu(9000)).toBe(NET_MTU_9000)
  })
})

describe('corosync captures (§5.3, §10.9)', () => {
  it('a 1 573-byte downlist [5 + 1 568] → [frag 1, 1400] then at once [cont 1, 173]', () => {
    const body = pattern(1568, 1)
    const h = harness(pgPacketBytesForNetmtu(1500))
    h.packer.add([GROUP_A_HEADER, body])
    // Both packets leave during add(): nothing waits for the token.
    expect(h.packets).toHaveLength(2)
    expect(h.packer.pending).toBe(0)
    const [p1, p2] = h.packets as [PgPacket, PgPacket]
    expect([p1.fragmented, p1.continuation, p1.pieces.map((p) => p.length)]).toEqual([1, 0, [1400]])
    expect([p2.fragmented, p2.continuation, p2.pieces.map((p) => p.length)]).toEqual([0, 1, [173]])
    // Frame 79 is 1 455 bytes and frame 81 is 228 bytes, each a 45-byte mcast header + payload.
    expect(h.raw.map((r) => r.length)).toEqual([1455 - 45, 228 - 45])
    // Hex walk of frame 79 / 81: `00 00 00 00 | 01 00 | 01 00 | 78 05` and `… 00 01 | 01 00 | ad 00`.
    expect(hex((h.raw[0] as Uint8Array).subarray(0, 10))).toBe('00000000010001007805')
    expect(hex((h.raw[1] as Uint8Array).subarray(0, 10))).toBe('0000000000010100ad00')
    // frame 79's app head: the group header then the downlist id.
    expect(hex(p1.pieces[0]!.subarray(0, 5))).toBe('0100010061')
    expect(hex(concat([...p1.pieces, ...p2.pieces]))).toBe(hex(concat([GROUP_A_HEADER, body])))
    h.packer.flush()
    expect(h.packets).toHaveLength(2)
  })

  it('a 3 189-byte CPG mcast [5 + 3 184] → [frag 1, 1400] [frag 2 cont 1, 1400] [cont 2, 389]', () => {
    const body = pattern(3184, 2)
    const h = harness(NET_MTU_1500)
    h.packer.add([GROUP_A_HEADER, body])
    expect(
      h.packets.map((p) => [p.fragmented, p.continuation, p.pieces.map((x) => x.length)]),
    ).toEqual([
      [1, 0, [1400]],
      [2, 1, [1400]],
      [0, 2, [389]],
    ])
    expect(h.packer.pending).toBe(0)
    expect(hex(concat(h.packets.flatMap((p) => p.pieces)))).toBe(
      hex(concat([GROUP_A_HEADER, body])),
    )
    expect(h.packer.stats()).toEqual({
      messagesIn: 1,
      bytesIn: 3189,
      packetsOut: 3,
      fragmentsOut: 2,
    })
  })

  it('the default packet limit is the one for netmtu 1500', () => {
    const h = harness()
    h.packer.add([GROUP_A_HEADER, pattern(1568)])
    expect(h.raw.map((r) => r.length)).toEqual([1410, 183])
  })
})

describe('packing small messages (§5.2)', () => {
  it('packs messages together until flush, lengths as given', () => {
    const h = harness(NET_MTU_1500)
    const msgs = [pattern(10, 1), pattern(200, 2), pattern(37, 3), pattern(1, 4)]
    for (const m of msgs) h.packer.add(m)
    h.packer.add([GROUP_A_HEADER, pattern(40, 5)])
    expect(h.packets).toHaveLength(0)
    expect(h.packer.pending).toBe(5)
    h.packer.flush()
    expect(h.packets).toHaveLength(1)
    const p = h.packets[0] as PgPacket
    expect(p.fragmented).toBe(0)
    expect(p.continuation).toBe(0)
    expect(p.pieces.map((x) => x.length)).toEqual([10, 200, 37, 1, 45])
    expect(hex(concat(p.pieces))).toBe(hex(concat([...msgs, GROUP_A_HEADER, pattern(40, 5)])))
    expect((h.raw[0] as Uint8Array).length).toBe(PG_HEADER_BYTES + 2 * 5 + 10 + 200 + 37 + 1 + 45)
    expect(h.packer.pending).toBe(0)
  })

  it('flush() emits nothing when nothing is pending', () => {
    const h = harness(NET_MTU_1500)
    h.packer.flush()
    expect(h.packets).toHaveLength(0)
    h.packer.add(pattern(5))
    h.packer.flush()
    h.packer.flush()
    expect(h.packets).toHaveLength(1)
    expect(h.packer.stats().packetsOut).toBe(1)
  })

  it('a message that fits with room to spare (< space left − 2) waits; one more byte goes at once', () => {
    // Empty packet: P = 1410 − 8 = 1402, space left for the first piece 1402 − 2 = 1400.
    const wait = harness(NET_MTU_1500)
    wait.packer.add(pattern(1397))
    expect(wait.packets).toHaveLength(0)
    expect(wait.packer.pending).toBe(1)

    const now = harness(NET_MTU_1500)
    now.packer.add(pattern(1398))
    expect(now.packets.map((p) => [p.fragmented, p.continuation, p.pieces.length])).toEqual([
      [0, 0, 1],
    ])
    expect(now.packer.pending).toBe(0)

    const full = harness(NET_MTU_1500)
    full.packer.add(pattern(1400))
    expect(full.raw.map((r) => r.length)).toEqual([1410])
    expect(full.packets[0]?.fragmented).toBe(0)

    const over = harness(NET_MTU_1500)
    over.packer.add(pattern(1401))
    expect(
      over.packets.map((p) => [p.fragmented, p.continuation, p.pieces.map((x) => x.length)]),
    ).toEqual([
      [1, 0, [1400]],
      [0, 1, [1]],
    ])
  })

  it('space left shrinks by the bytes and the length slot of each packed message', () => {
    // One 100-byte message packed: space for the second piece is 1402 − 2·2 − 100 = 1298.
    const wait = harness(NET_MTU_1500)
    wait.packer.add(pattern(100))
    wait.packer.add(pattern(1295))
    expect(wait.packets).toHaveLength(0)
    expect(wait.packer.pending).toBe(2)

    const now = harness(NET_MTU_1500)
    now.packer.add(pattern(100))
    now.packer.add(pattern(1298, 9))
    expect(now.packets.map((p) => p.pieces.map((x) => x.length))).toEqual([[100, 1298]])
    expect(now.raw.map((r) => r.length)).toEqual([1410])

    const over = harness(NET_MTU_1500)
    over.packer.add(pattern(100))
    over.packer.add(pattern(1299, 9))
    // The fit test compares the whole part (1 299 bytes, < 1 398) with the fresh packet, so the
    // 1-byte tail waits for the next flush like a small message.
    expect(over.packer.pending).toBe(1)
    over.packer.flush()
    expect(
      over.packets.map((p) => [p.fragmented, p.continuation, p.pieces.map((x) => x.length)]),
    ).toEqual([
      [1, 0, [100, 1298]],
      [0, 1, [1]],
    ])
    expect(hex(over.packets[1]!.pieces[0]!)).toBe(hex(pattern(1299, 9).subarray(1298)))
  })

  it('a message after a fragmented one shares the tail packet only if that tail waited', () => {
    // A tail emitted at once leaves the packet empty: the next message starts a fresh packet.
    const h = harness(NET_MTU_1500)
    h.packer.add([GROUP_A_HEADER, pattern(1568)])
    h.packer.add(pattern(50))
    h.packer.flush()
    expect(h.packets.map((p) => [p.continuation, p.pieces.map((x) => x.length)])).toEqual([
      [0, [1400]],
      [1, [173]],
      [0, [50]],
    ])
  })

  it('jumbo netmtu 9000: full packets carry 8 900 data bytes', () => {
    const h = harness(NET_MTU_9000)
    h.packer.add([GROUP_A_HEADER, pattern(20_000)])
    expect(
      h.packets.map((p) => [p.fragmented, p.continuation, p.pieces.map((x) => x.length)]),
    ).toEqual([
      [1, 0, [8900]],
      [2, 1, [8900]],
      [0, 2, [2205]],
    ])
    expect(Math.max(...h.raw.map((r) => r.length))).toBe(NET_MTU_9000)
  })

  it('big-endian packets carry big-endian lengths', () => {
    const h = harness(NET_MTU_1500, false)
    h.packer.add([GROUP_A_HEADER, pattern(1568)])
    expect(hex((h.raw[0] as Uint8Array).subarray(0, 10))).toBe('00000000010000010578')
    expect(hex((h.raw[1] as Uint8Array).subarray(0, 10))).toBe('000000000001000100ad')
  })
})

describe('packing limits (property)', () => {
  const message = fc.record({
    size: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 120 }) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 3000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }) },
    ),
    headerBytes: fc.constantFrom(0, 5, 8),
    flushAfter: fc.boolean(),
  })

  it('no packet exceeds pgPacketBytesMax, and 8 + 2·count + Σ len = length ≤ max', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(NET_MTU_1500, NET_MTU_9000),
          fc.integer({ min: PG_HEADER_BYTES + 64, max: 65_535 }),
        ),
        fc.array(message, { minLength: 1, maxLength: 40 }),
        (max, msgs) => {
          const h = harness(max)
          let bytesIn = 0
          for (const m of msgs) {
            const body = pattern(m.size)
            h.packer.add(m.headerBytes === 0 ? body : [pattern(m.headerBytes, 3), body])
            bytesIn += m.size + m.headerBytes
            if (m.flushAfter) h.packer.flush()
          }
          h.packer.flush()
          expect(h.packer.pending).toBe(0)
          let data = 0
          h.packets.forEach((p, i) => {
            const raw = h.raw[i] as Uint8Array
            const lens = p.pieces.map((x) => x.length)
            const sum = lens.reduce((a, b) => a + b, 0)
            expect(raw.length).toBeLessThanOrEqual(max)
            expect(PG_HEADER_BYTES + 2 * lens.length + sum).toBe(raw.length)
            expect(lens.length).toBeGreaterThan(0)
            for (const n of lens) expect(n).toBeGreaterThan(0)
            data += sum
          })
          expect(data).toBe(bytesIn)
          const st = h.packer.stats()
          expect(st.messagesIn).toBe(msgs.length)
          expect(st.bytesIn).toBe(bytesIn)
          expect(st.packetsOut).toBe(h.packets.length)
          expect(st.fragmentsOut).toBe(h.packets.filter((p) => p.fragmented !== 0).length)
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('chain ids (§5.3)', () => {
  it('wrap 255 → 1, are never 0, and each continuation names the previous fragment', () => {
    const h = harness(NET_MTU_1500)
    const n = 600 * 1400 + 17 // 601 packets: 600 fragments + the tail
    const msg = pattern(n, 7)
    h.packer.add(msg)
    expect(h.packets).toHaveLength(601)
    const frags = h.packets.map((p) => p.fragmented)
    for (let i = 0; i < 600; i++) expect(frags[i]).toBe((i % 255) + 1)
    expect(frags[600]).toBe(0)
    expect(frags).toContain(255)
    expect(h.packets[0]?.continuation).toBe(0)
    for (let i = 1; i < h.packets.length; i++)
      expect(h.packets[i]?.continuation).toBe(h.packets[i - 1]?.fragmented)
    expect(hex(concat(h.packets.flatMap((p) => p.pieces)))).toBe(hex(msg))
  })

  it('restart at 1 after a message that fits whole, and only then', () => {
    const h = harness(NET_MTU_1500)
    h.packer.add(pattern(3000)) // frag 1, frag 2, tail at once
    h.packer.add(pattern(3000)) // no message fitted in between: the counter goes on, 3, 4
    h.packer.add(pattern(10)) // fits
    h.packer.add(pattern(3000)) // 1 again
    h.packer.flush()
    expect(h.packets.map((p) => [p.fragmented, p.continuation])).toEqual([
      [1, 0],
      [2, 1],
      [0, 2],
      [3, 0],
      [4, 3],
      [0, 4],
      [1, 0],
      [2, 1],
      [0, 2],
    ])
  })
})

describe('bad arguments', () => {
  it('an empty message throws ERR_INVALID_ARGUMENT and changes nothing', () => {
    const h = harness(NET_MTU_1500)
    h.packer.add(pattern(3))
    expectThrowsInvalidArgument(() => h.packer.add(new Uint8Array(0)))
    expectThrowsInvalidArgument(() => h.packer.add([]))
    expectThrowsInvalidArgument(() => h.packer.add([new Uint8Array(0), new Uint8Array(0)]))
    expect(h.packer.stats()).toEqual({ messagesIn: 1, bytesIn: 3, packetsOut: 0, fragmentsOut: 0 })
    expect(h.packer.pending).toBe(1)
  })

  it('empty parts inside a message are skipped', () => {
    const h = harness(NET_MTU_1500)
    h.packer.add([new Uint8Array(0), pattern(4, 1), new Uint8Array(0), pattern(3, 2)])
    h.packer.flush()
    expect(h.packets.map((p) => p.pieces.map((x) => hex(x)))).toEqual([
      [hex(concat([pattern(4, 1), pattern(3, 2)]))],
    ])
  })

  it('a message over 1 MiB + 4 KiB throws; exactly 1 MiB + 4 KiB is accepted', () => {
    const h = harness(NET_MTU_9000)
    const limit = MESSAGE_BYTES_MAX + 4096
    expect(limit).toBe(1024 * 1024 + 4096)
    expectThrowsInvalidArgument(() => h.packer.add(new Uint8Array(limit + 1)))
    expectThrowsInvalidArgument(() =>
      h.packer.add([GROUP_A_HEADER, new Uint8Array(limit + 1 - GROUP_A_HEADER.length)]),
    )
    expect(h.packets).toHaveLength(0)
    h.packer.add([GROUP_A_HEADER, new Uint8Array(limit - GROUP_A_HEADER.length)])
    h.packer.flush()
    expect(h.packets.reduce((n, p) => n + p.pieces[0]!.length, 0)).toBe(limit)
  })

  it('pgPacketBytesMax must be an integer in [72, 65535]', () => {
    for (const bad of [0, -1, 71, 65_536, 1410.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectThrowsInvalidArgument(() =>
        createPacker({ pgPacketBytesMax: bad, onPacket: () => undefined }),
      )
    }
    for (const good of [72, 1410, 8910, 65_535]) {
      const h = harness(good)
      h.packer.add(pattern(good * 2))
      h.packer.flush()
      for (const r of h.raw) expect(r.length).toBeLessThanOrEqual(good)
    }
  })
})
