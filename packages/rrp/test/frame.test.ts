import { isTotemError } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import { createDuplicateFilter } from '../src/dedup.ts'
import {
  type FrameHeader,
  type HeartbeatBody,
  RRP_HEADER_BYTES,
  readHeader,
  readHeartbeat,
  seqDiff,
  writeHeader,
  writeHeartbeat,
} from '../src/frame.ts'

const codeOf = (f: () => void): string => {
  try {
    f()
  } catch (e) {
    if (isTotemError(e)) return e.code
    throw e
  }
  return 'none'
}

describe('frame', () => {
  it('round-trips a header and a heartbeat body', () => {
    const b = new Uint8Array(40)
    writeHeader(b, { kind: 2, sender: 0xffff_fffe, epoch: 7, seq: 0xffff_ffff, netSeq: 3 })
    writeHeartbeat(b, { reenableGen: 9, faultyMask: 0b101, ringNo: 2, networks: 3, standbyMask: 4 })
    const h: FrameHeader = { kind: 0, sender: 0, epoch: 0, seq: 0, netSeq: 0 }
    const hb: HeartbeatBody = {
      reenableGen: 0,
      faultyMask: 0,
      ringNo: 0,
      networks: 0,
      standbyMask: 0,
    }
    readHeader(b, h)
    readHeartbeat(b, hb)
    expect(h).toEqual({ kind: 2, sender: 0xffff_fffe, epoch: 7, seq: 0xffff_ffff, netSeq: 3 })
    expect(hb).toEqual({
      reenableGen: 9,
      faultyMask: 0b101,
      ringNo: 2,
      networks: 3,
      standbyMask: 4,
    })
  })

  it('rejects what is not an RRP frame with a typed error', () => {
    const h: FrameHeader = { kind: 0, sender: 0, epoch: 0, seq: 0, netSeq: 0 }
    expect(codeOf(() => readHeader(new Uint8Array(RRP_HEADER_BYTES - 1), h))).toBe(
      'ERR_RRP_BAD_FRAME',
    )
    const b = new Uint8Array(RRP_HEADER_BYTES)
    writeHeader(b, { kind: 0, sender: 1, epoch: 1, seq: 1, netSeq: 1 })
    for (const [i, v] of [
      [0, 0xc0],
      [2, 2],
      [3, 3],
    ] as const) {
      const c = b.slice()
      c[i] = v
      expect(
        codeOf(() => readHeader(c, h)),
        `byte ${i}`,
      ).toBe('ERR_RRP_BAD_FRAME')
    }
    const z = b.slice()
    z.fill(0, 4, 8)
    expect(codeOf(() => readHeader(z, h))).toBe('ERR_RRP_BAD_FIELD')
    expect(
      codeOf(() =>
        readHeartbeat(b, { reenableGen: 0, faultyMask: 0, ringNo: 0, networks: 0, standbyMask: 0 }),
      ),
    ).toBe('ERR_RRP_BAD_FIELD')
    // Random bytes: only typed errors, never anything else.
    let x = 12345
    for (let n = 0; n < 2000; n++) {
      const r = new Uint8Array(n % 48)
      for (let i = 0; i < r.length; i++) {
        x = (x * 1103515245 + 12345) >>> 0
        r[i] = x >>> 24
      }
      if (n % 3 === 0 && r.length >= 2) {
        r[0] = 0x52
        r[1] = 0x52
      }
      try {
        readHeader(r, h)
      } catch (e) {
        expect(isTotemError(e)).toBe(true)
      }
    }
  })

  it('compares sequence numbers across the u32 wrap', () => {
    expect(seqDiff(1, 0xffff_ffff)).toBe(2)
    expect(seqDiff(0xffff_ffff, 1)).toBe(-2)
  })
})

describe('duplicate filter', () => {
  it('passes each (sender, seq) once, across the wrap and out of order', () => {
    const f = createDuplicateFilter(64, 4)
    const seqs = [0xffff_fffe, 0xffff_ffff, 0, 1, 5, 3, 2, 4]
    for (const s of seqs) expect(f.accept(1, 9, s), `first ${s}`).toBe(true)
    for (const s of seqs) expect(f.accept(1, 9, s), `again ${s}`).toBe(false)
    // Another sender and another epoch are separate.
    expect(f.accept(2, 9, 5)).toBe(true)
    expect(f.accept(1, 10, 5)).toBe(true)
    expect(f.accept(1, 10, 5)).toBe(false)
  })

  it('forgets beyond its window and bounds the number of senders', () => {
    const f = createDuplicateFilter(64, 2)
    expect(f.accept(1, 1, 100)).toBe(true)
    expect(f.accept(1, 1, 100 + 63)).toBe(true)
    expect(f.accept(1, 1, 100)).toBe(false) // still inside (63 back)
    expect(f.accept(1, 1, 100 + 64)).toBe(true)
    expect(f.accept(1, 1, 100)).toBe(false) // 64 back: outside, dropped as too old
    expect(f.accept(1, 1, 101)).toBe(true) // 63 back and never seen: a late first copy passes
    expect(f.accept(1, 1, 101)).toBe(false)
    for (let s = 200; s < 1000; s += 37) expect(f.accept(1, 1, s)).toBe(true)
    expect(f.accept(2, 1, 1)).toBe(true)
    expect(f.accept(3, 1, 1)).toBe(false)
    expect(f.senders).toBe(2)
  })
})
