import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { messageId, sha256 } from '../src/index.ts'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('sha256 (FIPS 180-4 known answers)', () => {
  it.each([
    ['empty', '', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      '448 bits',
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    [
      '896 bits',
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    ],
  ])('%s', (_name, input, digest) => {
    expect(hex(sha256(ascii(input)))).toBe(digest)
  })

  it('one million times "a"', () => {
    expect(hex(sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    )
  })

  it('every length around the padding and block boundaries agrees with node:crypto', () => {
    for (let n = 0; n <= 200; n++) {
      const data = Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff)
      expect(hex(sha256(data))).toBe(createHash('sha256').update(data).digest('hex'))
    }
  })

  it('reads views at an offset into a larger buffer', () => {
    const big = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff)
    const view = big.subarray(7, 7 + 150)
    expect(hex(sha256(view))).toBe(createHash('sha256').update(view).digest('hex'))
  })

  it('agrees with node:crypto on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        expect(hex(sha256(data))).toBe(createHash('sha256').update(data).digest('hex'))
      }),
      { numRuns: 300 },
    )
  })
})

describe('messageId', () => {
  const reference = (sender: number, payload: Uint8Array): string => {
    const prefix = Buffer.alloc(4)
    prefix.writeUInt32LE(sender)
    return createHash('sha256').update(prefix).update(payload).digest('hex').slice(0, 32)
  }

  it('is the first 16 bytes of SHA-256 over u32-LE sender || payload, in lowercase hex', () => {
    // Fixed vector: sender 1, payload "hello" (sha256 of 01 00 00 00 68 65 6c 6c 6f).
    expect(messageId(1, ascii('hello'))).toBe('79d62a59d0e47597aeb73cb85ba034c3')
    expect(messageId(1, ascii('hello'))).toBe(reference(1, ascii('hello')))
    expect(messageId(0xffff_ffff, new Uint8Array(0))).toBe(
      reference(0xffff_ffff, new Uint8Array(0)),
    )
  })

  it('agrees with node:crypto on random senders and payloads', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffff_ffff }),
        fc.uint8Array({ maxLength: 300 }),
        (s, p) => {
          expect(messageId(s, p)).toBe(reference(s, p))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('depends on the sender', () => {
    expect(messageId(1, ascii('x'))).not.toBe(messageId(2, ascii('x')))
  })

  it('rejects a sender that is not a node id', () => {
    for (const s of [0, -1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => messageId(s, ascii('x'))).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
    }
  })
})
