import { nodeId } from '@totem-ts/common'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { keyIdOf, SEALED_VERSION } from '../src/index.ts'
import { cluster, drops } from './support/pair.ts'
import { testKey } from './support/runtime.ts'

const CRYPTO_DROPS = [
  'ERR_CRYPTO_AUTH',
  'ERR_CRYPTO_REPLAY',
  'ERR_CRYPTO_KEY_ID',
  'ERR_CRYPTO_FORMAT',
]
const total = (d: Record<string, number>): number => Object.values(d).reduce((a, b) => a + b, 0)

describe('receive path properties', () => {
  it('random bytes never throw, are never delivered, and count exactly one drop each', () => {
    const c = cluster(2)
    const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
    const keyId = keyIdOf(testKey(0))
    const header = fc.uint8Array({ minLength: 0, maxLength: 300 }).map((x) => {
      // Half of the inputs get a plausible header, so they reach the key lookup and the AEAD.
      if (x.length >= 8 && (x[7] as number) % 2 === 0) {
        x.set([0x54, 0x43, SEALED_VERSION, 0], 0)
        new DataView(x.buffer, x.byteOffset).setUint32(4, keyId)
      }
      return x
    })
    let n = 0
    fc.assert(
      fc.property(header, fc.nat(3), (bytes, ringNo) => {
        c.net.inject(2, bytes, ringNo)
        n++
        const d = drops(b.t)
        expect(total(d)).toBe(n)
        expect(Object.keys(d).every((k) => CRYPTO_DROPS.includes(k))).toBe(true)
      }),
      { numRuns: 2000 },
    )
    expect(b.got).toEqual([])
  })

  it('any mutation of an authentic datagram is dropped, and the original still goes through once', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 100 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(10),
        (body, edits, cut) => {
          const c = cluster(2)
          const b = c.nodes[1] as NonNullable<(typeof c.nodes)[1]>
          c.net.filter = () => false
          c.nodes[0]?.t.send({ node: nodeId(2) }, body)
          c.net.filter = undefined
          const sealed = (c.net.wire[0] as { bytes: Uint8Array }).bytes
          const bad = sealed.slice(0, sealed.length - cut)
          for (const [at, x] of edits) bad[at % bad.length] = (bad[at % bad.length] as number) ^ x
          // Two edits of one byte may cancel out: then change the datagram for sure.
          if (cut === 0 && bad.every((v, i) => v === sealed[i])) bad[0] = (bad[0] as number) ^ 1
          c.net.inject(2, bad)
          expect(b.got).toEqual([])
          expect(total(drops(b.t))).toBe(1)
          c.net.inject(2, sealed)
          c.net.inject(2, sealed)
          expect(b.got).toEqual([body])
          expect(drops(b.t)).toMatchObject({ ERR_CRYPTO_REPLAY: 1 })
        },
      ),
      { numRuns: 200 },
    )
  })
})
