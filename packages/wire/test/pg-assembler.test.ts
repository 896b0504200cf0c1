/**
 * totempg reassembly (reference §5.4) when the chain breaks: lost fragments, mismatched
 * continuations, a new message while one is open, configuration changes, and the memory bounds.
 * Broken messages are dropped and counted; complete messages in the same packets still arrive.
 */
import { isTotemError } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import {
  type AssemblerOptions,
  createAssembler,
  decodePgPacket,
  encodePgPacket,
  type PgPacket,
} from '../src/index.ts'

/** `n` bytes, all different from those of another `seed`. */
function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n)
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i * 5 + (i >>> 8)) & 0xff
  return b
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')
}

/** A packet as a receiver sees it: encoded, then decoded (pieces are views into the datagram). */
function pkt(fragmented: number, continuation: number, ...pieces: Uint8Array[]): PgPacket {
  return decodePgPacket(encodePgPacket({ fragmented, continuation, pieces }), true)
}

interface Drop {
  readonly sender: number
  readonly code: string
  readonly bytes: number
}

function setup(options: Partial<Omit<AssemblerOptions, 'onMessage' | 'onDrop'>> = {}) {
  const delivered: { sender: number; hex: string; littleEndian: boolean }[] = []
  const messages: Uint8Array[] = []
  const drops: Drop[] = []
  const asm = createAssembler({
    ...options,
    onMessage: (sender, message, littleEndian) => {
      delivered.push({ sender, hex: hex(message), littleEndian })
      messages.push(message)
    },
    onDrop: (sender, code, n) => drops.push({ sender, code, bytes: n }),
  })
  const hexes = (sender?: number): string[] =>
    delivered.filter((d) => sender === undefined || d.sender === sender).map((d) => d.hex)
  return { asm, delivered, messages, drops, hexes }
}

const join = (...parts: Uint8Array[]): string => parts.map(hex).join('')
const byCode = (drops: readonly Drop[]): string[] => drops.map((d) => d.code).sort()

describe('normal reassembly', () => {
  it('delivers whole pieces and chains in order, with counters', () => {
    const s = setup()
    const [m1, m2, a1, a2, a3, m3] = [1, 2, 3, 4, 5, 6].map((k) => bytes(30 + k, k)) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ]
    s.asm.push(7, pkt(1, 0, m1, m2, a1), true)
    s.asm.push(7, pkt(2, 1, a2), true)
    expect(s.asm.stats().bufferedBytes).toBe(a1.length + a2.length)
    s.asm.push(7, pkt(0, 2, a3, m3), true)
    expect(s.hexes()).toEqual([hex(m1), hex(m2), join(a1, a2, a3), hex(m3)])
    expect(s.drops).toEqual([])
    expect(s.asm.stats()).toEqual({
      packetsIn: 3,
      messagesOut: 4,
      reassembled: 1,
      fragmentsDropped: 0,
      partialsDropped: 0,
      bufferedBytes: 0,
    })
  })

  it('keeps one chain per sender, and passes the byte order through', () => {
    const s = setup()
    const a = [bytes(10, 1), bytes(11, 2)] as const
    const b = [bytes(12, 3), bytes(13, 4), bytes(14, 5)] as const
    s.asm.push(1, pkt(1, 0, a[0]), true)
    s.asm.push(2, pkt(1, 0, b[0]), false)
    s.asm.push(2, pkt(2, 1, b[1]), false)
    s.asm.push(1, pkt(0, 1, a[1]), true)
    s.asm.push(2, pkt(0, 2, b[2]), false)
    expect(s.delivered).toEqual([
      { sender: 1, hex: join(...a), littleEndian: true },
      { sender: 2, hex: join(...b), littleEndian: false },
    ])
  })
})

describe('broken chains', () => {
  it('a missing middle fragment drops the message; the rest of the packets still arrive', () => {
    const s = setup()
    const [m1, head, , tail, m2, m3] = [1, 2, 3, 4, 5, 6].map((k) => bytes(20 + k, k)) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ]
    s.asm.push(3, pkt(1, 0, m1, head), true)
    // pkt(2, 1, middle) is lost
    s.asm.push(3, pkt(0, 2, tail, m2, m3), true)
    expect(s.hexes()).toEqual([hex(m1), hex(m2), hex(m3)])
    expect(byCode(s.drops)).toEqual(['ERR_WIRE_BAD_FRAGMENT', 'ERR_WIRE_BAD_FRAGMENT'])
    expect(s.drops.every((d) => d.sender === 3)).toBe(true)
    expect(s.drops.map((d) => d.bytes).sort((x, y) => x - y)).toEqual(
      [head.length, tail.length].sort((x, y) => x - y),
    )
    const st = s.asm.stats()
    expect([st.fragmentsDropped, st.partialsDropped, st.bufferedBytes]).toEqual([1, 1, 0])
    expect([st.messagesOut, st.reassembled]).toEqual([3, 0])
  })

  it('a lost middle fragment that left the chain open on a fragment: every later piece is dropped', () => {
    const s = setup()
    const p = [1, 2, 3, 4, 5].map((k) => bytes(40, k)) as Uint8Array[]
    s.asm.push(3, pkt(1, 0, p[0]!), true)
    // pkt(2, 1, p[1]) is lost
    s.asm.push(3, pkt(3, 2, p[2]!), true)
    s.asm.push(3, pkt(0, 3, p[3]!, p[4]!), true)
    expect(s.hexes()).toEqual([hex(p[4]!)])
    const st = s.asm.stats()
    expect([st.fragmentsDropped, st.partialsDropped, st.bufferedBytes]).toEqual([2, 1, 0])
    expect(new Set(s.drops.map((d) => d.code))).toEqual(new Set(['ERR_WIRE_BAD_FRAGMENT']))
  })

  it('a continuation that does not match the open chain drops both ends', () => {
    const s = setup()
    const [head, tail, m2] = [bytes(50, 1), bytes(60, 2), bytes(70, 3)]
    s.asm.push(9, pkt(5, 0, head), true)
    s.asm.push(9, pkt(0, 7, tail, m2), true)
    expect(s.hexes()).toEqual([hex(m2)])
    expect(byCode(s.drops)).toEqual(['ERR_WIRE_BAD_FRAGMENT', 'ERR_WIRE_BAD_FRAGMENT'])
    const st = s.asm.stats()
    expect([st.fragmentsDropped, st.partialsDropped, st.bufferedBytes]).toEqual([1, 1, 0])
  })

  it('a continuation with no chain open (joined mid-message) drops only that piece', () => {
    const s = setup()
    const [tail, m2, head2, tail2] = [bytes(50, 1), bytes(60, 2), bytes(7, 3), bytes(8, 4)]
    s.asm.push(4, pkt(1, 3, tail, m2, head2), true)
    s.asm.push(4, pkt(0, 1, tail2), true)
    expect(s.hexes()).toEqual([hex(m2), join(head2, tail2)])
    expect(s.drops).toEqual([{ sender: 4, code: 'ERR_WIRE_BAD_FRAGMENT', bytes: tail.length }])
    const st = s.asm.stats()
    expect([st.fragmentsDropped, st.partialsDropped, st.reassembled]).toEqual([1, 0, 1])
  })

  it('a new message starting while one is open drops the open one', () => {
    const s = setup()
    const [m1, head, m2, m3, head2, tail2] = [1, 2, 3, 4, 5, 6].map((k) => bytes(15 + k, k)) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ]
    s.asm.push(2, pkt(1, 0, m1, head), true)
    // The packet with the tail was lost; the sender's next packet starts afresh, with a new chain.
    s.asm.push(2, pkt(1, 0, m2, m3, head2), true)
    s.asm.push(2, pkt(0, 1, tail2), true)
    expect(s.hexes()).toEqual([hex(m1), hex(m2), hex(m3), join(head2, tail2)])
    expect(s.drops).toEqual([{ sender: 2, code: 'ERR_WIRE_BAD_FRAGMENT', bytes: head.length }])
    const st = s.asm.stats()
    expect([st.fragmentsDropped, st.partialsDropped, st.bufferedBytes]).toEqual([0, 1, 0])
  })

  it('clear(sender) at a configuration change drops only that sender’s partial message', () => {
    const s = setup()
    const [headA, tailA, m2, headB, tailB] = [1, 2, 3, 4, 5].map((k) => bytes(25 + k, k)) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ]
    s.asm.push(1, pkt(1, 0, headA), true)
    s.asm.push(2, pkt(1, 0, headB), true)
    expect(s.asm.stats().bufferedBytes).toBe(headA.length + headB.length)
    s.asm.clear(1)
    expect(s.drops).toEqual([{ sender: 1, code: 'ERR_WIRE_BAD_FRAGMENT', bytes: headA.length }])
    expect(s.asm.stats().bufferedBytes).toBe(headB.length)
    s.asm.clear(99) // no partial: nothing happens
    expect(s.asm.stats().partialsDropped).toBe(1)
    // Old-ring leftovers of sender 1 are dropped; sender 2's chain is intact.
    s.asm.push(1, pkt(0, 1, tailA, m2), true)
    s.asm.push(2, pkt(0, 1, tailB), true)
    expect(s.hexes(1)).toEqual([hex(m2)])
    expect(s.hexes(2)).toEqual([join(headB, tailB)])
    const st = s.asm.stats()
    expect([st.fragmentsDropped, st.partialsDropped, st.bufferedBytes]).toEqual([1, 1, 0])
  })

  it('clear() drops every partial message', () => {
    const s = setup()
    for (const sender of [1, 2, 3]) s.asm.push(sender, pkt(1, 0, bytes(10 * sender, sender)), true)
    expect(s.asm.stats().bufferedBytes).toBe(60)
    s.asm.clear()
    expect(s.drops.map((d) => [d.sender, d.code, d.bytes]).sort()).toEqual(
      [
        [1, 'ERR_WIRE_BAD_FRAGMENT', 10],
        [2, 'ERR_WIRE_BAD_FRAGMENT', 20],
        [3, 'ERR_WIRE_BAD_FRAGMENT', 30],
      ].sort(),
    )
    const st = s.asm.stats()
    expect([st.partialsDropped, st.bufferedBytes]).toEqual([3, 0])
    // Afterwards each sender can start again.
    s.asm.push(2, pkt(1, 0, bytes(4, 7)), true)
    s.asm.push(2, pkt(0, 1, bytes(5, 8)), true)
    expect(s.hexes(2)).toEqual([join(bytes(4, 7), bytes(5, 8))])
  })
})

describe('bounds', () => {
  it('a chain growing past messageBytesMax is abandoned (ERR_WIRE_TOO_LONG), memory back to 0', () => {
    const s = setup({ messageBytesMax: 3000 })
    s.asm.push(5, pkt(1, 0, bytes(1400, 1)), true)
    s.asm.push(5, pkt(2, 1, bytes(1400, 2)), true)
    expect(s.asm.stats().bufferedBytes).toBe(2800)
    s.asm.push(5, pkt(3, 2, bytes(1400, 3)), true) // 4 200 > 3 000
    expect(s.asm.stats().bufferedBytes).toBe(0)
    expect(s.drops.map((d) => d.code)).toEqual(['ERR_WIRE_TOO_LONG'])
    // The rest of the chain is dropped piece by piece, the message after it arrives.
    const after = bytes(33, 9)
    s.asm.push(5, pkt(0, 3, bytes(200, 4), after), true)
    expect(s.hexes()).toEqual([hex(after)])
    const st = s.asm.stats()
    expect([st.partialsDropped, st.bufferedBytes, st.messagesOut]).toEqual([1, 0, 1])
    expect(st.fragmentsDropped).toBe(1)
  })

  it('a middle fragment is refused as soon as the buffered bytes would pass the limit', () => {
    const s = setup({ messageBytesMax: 2799 })
    s.asm.push(5, pkt(1, 0, bytes(1400, 1)), true)
    expect(s.drops).toEqual([])
    s.asm.push(5, pkt(2, 1, bytes(1400, 2)), true) // 2 800 > 2 799: dropped now, not at the tail
    expect(s.drops.map((d) => d.code)).toEqual(['ERR_WIRE_TOO_LONG'])
    expect(s.asm.stats().bufferedBytes).toBe(0)

    const t = setup({ messageBytesMax: 2801 })
    t.asm.push(5, pkt(1, 0, bytes(1400, 1)), true)
    t.asm.push(5, pkt(2, 1, bytes(1400, 2)), true)
    t.asm.push(5, pkt(0, 2, bytes(1, 3)), true)
    expect(t.hexes()).toEqual([join(bytes(1400, 1), bytes(1400, 2), bytes(1, 3))])
    expect(t.drops).toEqual([])
  })

  it('a tail that takes the message past messageBytesMax drops it; exactly the limit passes', () => {
    const s = setup({ messageBytesMax: 3000 })
    s.asm.push(5, pkt(1, 0, bytes(1400, 1)), true)
    s.asm.push(5, pkt(0, 1, bytes(1601, 2)), true)
    expect(s.hexes()).toEqual([])
    expect(s.drops.map((d) => d.code)).toEqual(['ERR_WIRE_TOO_LONG'])
    expect(s.asm.stats().bufferedBytes).toBe(0)
    s.asm.push(5, pkt(1, 0, bytes(1400, 3)), true)
    s.asm.push(5, pkt(0, 1, bytes(1600, 4)), true)
    expect(s.hexes()).toEqual([join(bytes(1400, 3), bytes(1600, 4))])
    expect(s.asm.stats().partialsDropped).toBe(1)
  })

  it('the default messageBytesMax takes a 1 MiB + 4 KiB message and refuses one byte more', () => {
    const limit = 1024 * 1024 + 4096
    for (const [size, delivered] of [
      [limit, 1],
      [limit + 1, 0],
    ] as const) {
      const s = setup()
      const msg = bytes(size, 3)
      const frag = 8900
      let off = 0
      let chain = 0
      while (off < size) {
        const n = Math.min(frag, size - off)
        const last = off + n === size
        const next = last ? 0 : (chain % 255) + 1
        s.asm.push(6, pkt(next, chain, msg.subarray(off, off + n)), true)
        chain = next
        off += n
      }
      expect(s.messages.length).toBe(delivered)
      if (delivered === 1) expect(hex(s.messages[0]!)).toBe(hex(msg))
      else expect(s.drops.map((d) => d.code)).toContain('ERR_WIRE_TOO_LONG')
      expect(s.asm.stats().bufferedBytes).toBe(0)
    }
  })

  it('more than sendersMax concurrent partial senders: ERR_WIRE_TOO_MANY', () => {
    const s = setup({ sendersMax: 3 })
    for (const sender of [1, 2, 3]) s.asm.push(sender, pkt(1, 0, bytes(10, sender)), true)
    const whole = bytes(9, 40)
    s.asm.push(4, pkt(1, 0, whole, bytes(10, 4)), true)
    expect(s.drops).toEqual([{ sender: 4, code: 'ERR_WIRE_TOO_MANY', bytes: 10 }])
    expect(s.hexes(4)).toEqual([hex(whole)]) // the complete message in the same packet arrives
    expect(s.asm.stats().bufferedBytes).toBe(30)
    s.asm.push(4, pkt(0, 1, bytes(11, 44)), true) // its tail has no chain to join
    expect(s.hexes(4)).toEqual([hex(whole)])
    // Whole messages from a fifth sender are not affected.
    s.asm.push(5, pkt(0, 0, bytes(3, 50)), true)
    expect(s.hexes(5)).toEqual([hex(bytes(3, 50))])
    // Once a sender completes, there is room again.
    s.asm.push(1, pkt(0, 1, bytes(5, 11)), true)
    s.asm.push(4, pkt(1, 0, bytes(6, 45)), true)
    s.asm.push(4, pkt(0, 1, bytes(7, 46)), true)
    expect(s.hexes(4)).toEqual([hex(whole), join(bytes(6, 45), bytes(7, 46))])
    const st = s.asm.stats()
    expect(st.fragmentsDropped).toBe(2)
    expect(st.bufferedBytes).toBe(20)
    s.asm.clear()
    expect(s.asm.stats().bufferedBytes).toBe(0)
  })

  it('rejects bad options with ERR_INVALID_ARGUMENT', () => {
    for (const bad of [{ messageBytesMax: 0 }, { messageBytesMax: 1.5 }, { sendersMax: 0 }]) {
      let caught: unknown
      try {
        createAssembler({ ...bad, onMessage: () => undefined })
      } catch (e) {
        caught = e
      }
      expect(isTotemError(caught) && caught.code).toBe('ERR_INVALID_ARGUMENT')
    }
  })
})

describe('ownership', () => {
  it('reassembled messages are copies: reusing the datagram buffers does not change them', () => {
    const s = setup()
    const parts = [bytes(100, 1), bytes(100, 2), bytes(100, 3)]
    const expected = join(...parts)
    const datagrams = [
      encodePgPacket({ fragmented: 1, continuation: 0, pieces: [parts[0]!] }),
      encodePgPacket({ fragmented: 2, continuation: 1, pieces: [parts[1]!] }),
      encodePgPacket({ fragmented: 0, continuation: 2, pieces: [parts[2]!] }),
    ]
    for (const d of datagrams) {
      s.asm.push(1, decodePgPacket(d, true), true)
      d.fill(0xee) // the receive buffer is reused for the next datagram
    }
    expect(s.messages).toHaveLength(1)
    expect(hex(s.messages[0]!)).toBe(expected)
  })
})
