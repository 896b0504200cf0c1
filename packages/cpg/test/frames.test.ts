import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { decodeDeliver, decodeMcast, encodeDeliver, encodeMcast } from '../src/frames.ts'
import { CPG_FRAME_BYTES_MAX, FrameReader, FrameType } from '../src/index.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('client socket frames', () => {
  test('frames survive any split of the byte stream', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }),
        (payloads, cuts) => {
          const frames = payloads.map((p) => encodeMcast(enc('grp'), p, 'safe'))
          const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0))
          let o = 0
          for (const f of frames) {
            all.set(f, o)
            o += f.length
          }
          const r = new FrameReader()
          const got: Uint8Array[] = []
          let at = 0
          for (let i = 0; at < all.length; i++) {
            const n = cuts[i % cuts.length] as number
            r.push(all.subarray(at, at + n))
            at += n
            for (let f = r.next(); f !== undefined; f = r.next()) {
              expect(f.type).toBe(FrameType.Mcast)
              const m = decodeMcast(f.body)
              expect(m.group).toBe('grp')
              expect(m.guarantee).toBe('safe')
              got.push(m.payload.slice())
            }
          }
          expect(got).toEqual(payloads)
          expect(r.buffered).toBe(0)
        },
      ),
    )
  })

  test('a zero-length or oversized frame is a protocol error, not a wait or an allocation', () => {
    const zero = new FrameReader()
    zero.push(new Uint8Array([0, 0, 0, 0, 1]))
    expect(() => zero.next()).toThrow(expect.objectContaining({ code: 'ERR_CPG_PROTOCOL' }))
    const huge = new FrameReader()
    const b = new Uint8Array(5)
    new DataView(b.buffer).setUint32(0, CPG_FRAME_BYTES_MAX + 1, true)
    huge.push(b)
    expect(() => huge.next()).toThrow(expect.objectContaining({ code: 'ERR_CPG_PROTOCOL' }))
  })

  test('truncated bodies are typed errors', () => {
    const d = encodeDeliver(
      {
        type: 'deliver',
        group: 'g',
        nodeId: 3,
        pid: 77,
        guarantee: 'agreed',
        ringId: '1.4',
        payload: enc('xyz'),
      },
      enc('g'),
      enc('1.4'),
    ).subarray(5)
    expect(decodeDeliver(d)).toMatchObject({ nodeId: 3, pid: 77, group: 'g', ringId: '1.4' })
    for (let n = 0; n < 15; n++)
      expect(() => decodeDeliver(d.subarray(0, n))).toThrow(
        expect.objectContaining({ code: 'ERR_CPG_PROTOCOL' }),
      )
    expect(() => decodeMcast(new Uint8Array([7, 0]))).toThrow(
      expect.objectContaining({ code: 'ERR_CPG_PROTOCOL' }),
    )
  })
})
