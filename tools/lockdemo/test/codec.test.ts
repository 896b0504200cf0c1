import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeMessage,
  encodeCheck,
  encodeDigest,
  encodeSnapshot,
  encodeStatus,
  OpCode,
  OpsWriter,
  type SnapshotBody,
} from '../src/codec.ts'
import { LockError } from '../src/errors.ts'

const utf8 = new TextEncoder()

describe('lock-service messages', () => {
  it('round-trip', () => {
    const w = new OpsWriter(16)
    w.push(OpCode.Lock, utf8.encode('a'))
    w.push(OpCode.Unlock, utf8.encode('ünï'))
    w.push(OpCode.Lock, utf8.encode('x'.repeat(64)))
    expect(decodeMessage(w.take())).toEqual({
      type: 1,
      ops: [
        [1, 'a'],
        [2, 'ünï'],
        [1, 'x'.repeat(64)],
      ],
    })
    expect(decodeMessage(encodeStatus(0xdeadbeef, false, '0123456789abcdef'))).toEqual({
      type: 2,
      tag: 0xdeadbeef,
      synced: false,
      nonce: '0123456789abcdef',
    })
    expect(decodeMessage(encodeCheck(7))).toEqual({ type: 4, id: 7 })
    const digest = 'ab'.repeat(32)
    expect(decodeMessage(encodeDigest(9, '3:4567', digest))).toEqual({
      type: 5,
      id: 9,
      origin: '3:4567',
      digest,
    })
    const snap: SnapshotBody = {
      tag: 5,
      target: '2:9',
      nonce: 'ffeeddccbbaa9988',
      synced: ['1:1', '4294967295:4294967295'],
      locks: [
        ['l1', { holder: '1:1', queue: ['2:2', '3:3'] }],
        ['l2', { holder: '2:2', queue: [] }],
      ],
    }
    expect(decodeMessage(encodeSnapshot(snap))).toEqual({ type: 3, ...snap })
  })

  it('reject truncated, mutated and random bytes with ERR_LOCK_MALFORMED only', () => {
    const w = new OpsWriter(64)
    w.push(OpCode.Lock, utf8.encode('lock-1'))
    const samples = [
      w.take(),
      encodeStatus(1, true, '0000000000000000'),
      encodeCheck(1),
      encodeDigest(1, '1:1', '00'.repeat(32)),
      encodeSnapshot({
        tag: 1,
        target: '1:1',
        nonce: '0000000000000001',
        synced: ['1:1'],
        locks: [['n', { holder: '1:1', queue: ['2:2'] }]],
      }),
    ]
    for (const s of samples)
      for (let n = 0; n < s.length; n++) {
        if (s[2] === 1 && n >= 3) continue // an OPS message cut between ops is still valid
        expect(() => decodeMessage(s.subarray(0, n))).toThrow(
          expect.objectContaining({ code: 'ERR_LOCK_MALFORMED' }),
        )
      }
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.uint8Array({ maxLength: 300 }),
        fc.nat(),
        (base, noise, at) => {
          const b = base.slice()
          for (let i = 0; i < noise.length && i < b.length; i++)
            b[(at + i) % b.length] = noise[i] as number
          for (const input of [b, noise]) {
            try {
              decodeMessage(input)
            } catch (e) {
              if (!(e instanceof LockError) || e.code !== 'ERR_LOCK_MALFORMED') throw e
            }
          }
        },
      ),
      { numRuns: 2000 },
    )
  })
})
