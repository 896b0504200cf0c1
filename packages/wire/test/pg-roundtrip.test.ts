/**
 * Packer → bytes → decodePgPacket → Assembler is the identity, per sender and in order, for random
 * message sizes (biased to the fragment boundaries), part splits, flush points, both MTUs, both
 * byte orders and interleaved senders. Bounded runs; `TOTEM_FUZZ_RUNS` scales them up.
 */
import { MESSAGE_BYTES_MAX } from '@totem-ts/common'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  createAssembler,
  createPacker,
  decodePgPacket,
  encodePgPacket,
  type Packer,
  pgPacketBytesForNetmtu,
} from '../src/index.ts'

/** `base` runs, or `TOTEM_FUZZ_RUNS` × `scale` when that is set and larger. */
function runs(base: number, scale: number): number {
  const n = Number(process.env['TOTEM_FUZZ_RUNS'] ?? '')
  return Number.isInteger(n) && n > 0 ? Math.max(base, Math.ceil(n * scale)) : base
}

/** Fills `n` bytes from a seed (xorshift32), so messages differ from each other everywhere. */
function fill(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n)
  let x = seed | 0 || 0x9e3779b9
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    b[i] = x & 0xff
  }
  return b
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(
    Buffer.from(b.buffer, b.byteOffset, b.length),
  )
}

const LIMIT = MESSAGE_BYTES_MAX + 4096

/** Total message size: mostly near the boundaries where a piece stops fitting. */
const sizeArb = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 200 }) },
  // netmtu 1500: 1 400 data bytes per packet, fit test at 1 398 (§5.3)
  { weight: 4, arbitrary: fc.integer({ min: 1395, max: 1405 }) },
  { weight: 3, arbitrary: fc.integer({ min: 2795, max: 2810 }) },
  { weight: 1, arbitrary: fc.integer({ min: 4195, max: 4205 }) },
  // netmtu 9000: 8 900 data bytes per packet
  { weight: 3, arbitrary: fc.integer({ min: 8893, max: 8905 }) },
  { weight: 1, arbitrary: fc.integer({ min: 17_795, max: 17_805 }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 70_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: MESSAGE_BYTES_MAX - 16, max: MESSAGE_BYTES_MAX }) },
  { weight: 1, arbitrary: fc.constant(LIMIT) },
)

/** A message: its size, how it is cut into parts, and whether the token comes right after it. */
const messageArb = fc.record({
  sender: fc.nat({ max: 3 }),
  size: sizeArb,
  /** Part boundaries as fractions of the size (0 and 1 give empty parts, which are skipped). */
  cuts: fc.oneof(
    fc.constant([] as number[]),
    fc.constant([-5]), // corosync's two parts: a 5-byte group header, then the body
    fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
  ),
  seed: fc.integer(),
  flush: fc.boolean(),
})

/** Splits `msg` at `cuts` (a negative cut means "this many bytes from the start"). */
function split(msg: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const at = cuts
    .map((c) => (c < 0 ? Math.min(-c, msg.length) : Math.floor(c * msg.length)))
    .sort((a, b) => a - b)
  const parts: Uint8Array[] = []
  let prev = 0
  for (const c of at) {
    parts.push(msg.subarray(prev, c))
    prev = c
  }
  parts.push(msg.subarray(prev))
  return parts
}

/** Keeps at most two messages over 70 000 bytes per run, so a run stays fast. */
function capHuge<T extends { size: number }>(msgs: readonly T[]): T[] {
  let huge = 0
  return msgs.map((m) => (m.size > 70_000 && ++huge > 2 ? { ...m, size: (m.size % 9000) + 1 } : m))
}

const scenarioArb = fc.record({
  netmtu: fc.constantFrom(1500, 9000),
  littleEndian: fc.boolean(),
  senderIds: fc.uniqueArray(fc.integer({ min: 1, max: 0xffff_ffff }), {
    minLength: 1,
    maxLength: 4,
  }),
  messages: fc.array(messageArb, { minLength: 1, maxLength: 24 }).map(capHuge),
  /** Which sender's queue delivers next (each entry picks among the non-empty queues). */
  schedule: fc.array(fc.nat(), { minLength: 1, maxLength: 64 }),
})

describe('packer → bytes → decode → assembler', () => {
  it('delivers exactly the messages sent, in order per sender, with consistent stats', () => {
    fc.assert(
      fc.property(scenarioArb, ({ netmtu, littleEndian, senderIds, messages, schedule }) => {
        const max = pgPacketBytesForNetmtu(netmtu)
        const queues: Uint8Array[][] = senderIds.map(() => [])
        const packers: Packer[] = senderIds.map((_, i) =>
          createPacker({
            pgPacketBytesMax: max,
            littleEndian,
            onPacket: (p) => (queues[i] as Uint8Array[]).push(p),
          }),
        )
        const sent: Uint8Array[][] = senderIds.map(() => [])
        for (const m of messages) {
          const msg = fill(m.size, m.seed)
          const parts = split(msg, m.cuts)
          const from = m.sender % senderIds.length
          const packer = packers[from] as Packer
          packer.add(parts.length === 1 ? (parts[0] as Uint8Array) : parts)
          ;(sent[from] as Uint8Array[]).push(msg)
          if (m.flush) packer.flush()
        }
        for (const p of packers) p.flush()

        // Interleave the senders' packet streams, each kept in its own order (totem's agreed
        // order is some merge of the senders' FIFO streams).
        const merged: { sender: number; bytes: Uint8Array }[] = []
        const heads = senderIds.map(() => 0)
        let turn = 0
        for (;;) {
          const live = queues.flatMap((q, i) => ((heads[i] as number) < q.length ? [i] : []))
          if (live.length === 0) break
          const pick = live[(schedule[turn++ % schedule.length] as number) % live.length] as number
          const q = queues[pick] as Uint8Array[]
          merged.push({ sender: pick, bytes: q[heads[pick] as number] as Uint8Array })
          heads[pick] = (heads[pick] as number) + 1
        }

        const got: Uint8Array[][] = senderIds.map(() => [])
        const asm = createAssembler({
          onMessage: (sender, message, le) => {
            const i = senderIds.indexOf(sender)
            if (le !== littleEndian || i < 0) expect.fail(`bad delivery ${sender} ${le}`)
            ;(got[i] as Uint8Array[]).push(message)
          },
          onDrop: (sender, code, bytes) => {
            throw new Error(`unexpected drop from ${sender}: ${code} (${bytes} bytes)`)
          },
        })
        let chainsEnded = 0
        for (const { sender, bytes } of merged) {
          if (bytes.length > max) expect.fail(`packet of ${bytes.length} bytes > ${max}`)
          const pg = decodePgPacket(bytes, littleEndian)
          // The decoded packet re-encodes to the same bytes.
          if (!sameBytes(encodePgPacket(pg, littleEndian), bytes))
            expect.fail('packet does not re-encode to the same bytes')
          if (pg.continuation !== 0 && (pg.fragmented === 0 || pg.pieces.length > 1)) chainsEnded++
          asm.push(senderIds[sender] as number, pg, littleEndian)
        }

        for (let i = 0; i < senderIds.length; i++) {
          const want = sent[i] as Uint8Array[]
          const have = got[i] as Uint8Array[]
          expect(have.map((m) => m.length)).toEqual(want.map((m) => m.length))
          want.forEach((m, k) => {
            if (!sameBytes(have[k] as Uint8Array, m))
              expect.fail(`sender ${i} message ${k} (${m.length} bytes) differs`)
          })
        }
        const packerIn = packers.reduce((n, p) => n + p.stats().messagesIn, 0)
        const packetsOut = packers.reduce((n, p) => n + p.stats().packetsOut, 0)
        const st = asm.stats()
        expect(packerIn).toBe(messages.length)
        expect(st.messagesOut).toBe(packerIn)
        expect(st.packetsIn).toBe(packetsOut)
        expect(st.reassembled).toBe(chainsEnded)
        expect(st.bufferedBytes).toBe(0)
        expect(st.fragmentsDropped + st.partialsDropped).toBe(0)
        for (const p of packers) expect(p.pending).toBe(0)
      }),
      { numRuns: runs(100, 0.001) },
    )
  })

  it('corosync-shaped traffic: [group header, body] messages at netmtu 1500 and 9000', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(1500, 9000),
        fc.array(
          fc.record({
            header: fc.constantFrom(
              Uint8Array.of(1, 0, 1, 0, 0x61),
              Uint8Array.of(1, 0, 4, 0, 0x73, 0x79, 0x6e, 0x63),
            ),
            body: sizeArb.map((n) => (n > 70_000 ? (n % 20_000) + 1 : n)),
            seed: fc.integer(),
            flush: fc.boolean(),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (netmtu, msgs) => {
          const packets: Uint8Array[] = []
          const packer = createPacker({
            pgPacketBytesMax: pgPacketBytesForNetmtu(netmtu),
            onPacket: (p) => packets.push(p),
          })
          const got: Uint8Array[] = []
          const asm = createAssembler({ onMessage: (_s, m) => got.push(m) })
          const want: Uint8Array[] = []
          for (const m of msgs) {
            const body = fill(m.body, m.seed)
            packer.add([m.header, body])
            const whole = new Uint8Array(m.header.length + body.length)
            whole.set(m.header)
            whole.set(body, m.header.length)
            want.push(whole)
            if (m.flush) packer.flush()
          }
          packer.flush()
          for (const p of packets) asm.push(1, decodePgPacket(p, true), true)
          expect(got.length).toBe(want.length)
          want.forEach((w, k) => {
            if (!sameBytes(got[k] as Uint8Array, w)) expect.fail(`message ${k} differs`)
          })
          expect(asm.stats().bufferedBytes).toBe(0)
        },
      ),
      { numRuns: runs(100, 0.001) },
    )
  })
})
