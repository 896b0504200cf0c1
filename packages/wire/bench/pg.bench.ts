/**
 * totempg throughput: packer → packet bytes → decodePgPacket → assembler, for a batch of messages,
 * against a plain concatenation of the same messages into one buffer measured in the same run
 * (STYLE §11). The pipeline copies each byte at least twice (into the packet, and for fragmented
 * messages into the reassembled message), so a ratio near 2–3× means little overhead beyond copies.
 */
import { afterAll, bench, describe } from 'vitest'
import {
  createAssembler,
  createPacker,
  decodePgPacket,
  type Packer,
  pgPacketBytesForNetmtu,
} from '../src/index.ts'
import { printRatios, type Row } from './ratio.ts'

const GROUP_A = Uint8Array.of(1, 0, 1, 0, 0x61)

interface Case {
  readonly name: string
  readonly netmtu: number
  readonly bodies: readonly Uint8Array[]
}

function bodies(count: number, bodyBytes: number): Uint8Array[] {
  return Array.from({ length: count }, (_, k) =>
    new Uint8Array(bodyBytes).map((_, i) => (i + k) & 0xff),
  )
}

const cases: Case[] = [
  { name: '1000 × 100 B messages, netmtu 1500', netmtu: 1500, bodies: bodies(1000, 95) },
  { name: '16 × 64 KiB messages, netmtu 1500', netmtu: 1500, bodies: bodies(16, 65536 - 5) },
  { name: '16 × 64 KiB messages, netmtu 9000', netmtu: 9000, bodies: bodies(16, 65536 - 5) },
]

/** One sender's packer feeding one receiver's assembler; each call moves the whole batch. */
function pipeline(c: Case): () => number {
  const packets: Uint8Array[] = []
  const packer: Packer = createPacker({
    pgPacketBytesMax: pgPacketBytesForNetmtu(c.netmtu),
    onPacket: (p) => packets.push(p),
  })
  let delivered = 0
  let deliveredBytes = 0
  const asm = createAssembler({
    onMessage: (_s, m) => {
      delivered++
      deliveredBytes += m.length
    },
  })
  const expected = c.bodies.reduce((n, b) => n + b.length + GROUP_A.length, 0)
  return () => {
    delivered = 0
    deliveredBytes = 0
    packets.length = 0
    for (const b of c.bodies) packer.add([GROUP_A, b])
    packer.flush()
    for (const p of packets) asm.push(1, decodePgPacket(p, true), true)
    if (delivered !== c.bodies.length || deliveredBytes !== expected)
      throw new Error(`pipeline lost messages: ${delivered}/${c.bodies.length}`)
    return deliveredBytes
  }
}

/** Baseline: the same messages (group header + body) concatenated into one new buffer. */
function concatenation(c: Case): () => Uint8Array {
  const total = c.bodies.reduce((n, b) => n + b.length + GROUP_A.length, 0)
  return () => {
    const out = new Uint8Array(total)
    let at = 0
    for (const b of c.bodies) {
      out.set(GROUP_A, at)
      at += GROUP_A.length
      out.set(b, at)
      at += b.length
    }
    return out
  }
}

const rows: Row[] = cases.map((c) => ({
  name: `pack + reassemble ${c.name}`,
  fn: pipeline(c),
  bytes: c.bodies.reduce((n, b) => n + b.length + GROUP_A.length, 0),
  baselines: { concat: concatenation(c) },
}))

describe('totempg packer + assembler', () => {
  const opts = { time: 200, warmupTime: 50 }
  for (const row of rows) {
    bench(row.name, row.fn, opts)
    bench(`  baseline concat: ${row.name}`, row.baselines['concat'] as () => void, opts)
  }
})

afterAll(() => {
  printRatios('totempg pack + reassemble vs. plain concatenation', rows)
})
