import type { NodeId } from '@totem-ts/common'
import { messageId } from '@totem-ts/evs-checker'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SIZES,
  fastMessageId,
  HEADER_BYTES,
  MessageKind,
  parseCommandLine,
  parseSizes,
  readHeader,
  summarize,
  UsageError,
  writeHeader,
} from '../src/index.ts'

describe('cpgbench command line', () => {
  it('parses sizes as doubling ranges or lists', () => {
    expect(DEFAULT_SIZES).toEqual([64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536])
    expect(parseSizes('64-64k')).toEqual(DEFAULT_SIZES)
    expect(parseSizes('64,1k,16K,65536')).toEqual([64, 1024, 16384, 65536])
    expect(parseSizes('100-500')).toEqual([100, 200, 400])
    for (const bad of ['', '8', '64-32', 'x', '1,2k', '2048k', '64,,128'])
      expect(() => parseSizes(bad), bad).toThrow(UsageError)
  })

  it('checks every option and fills the defaults', () => {
    const a = parseCommandLine([])
    expect(a).toMatchObject({
      group: 'cpgbench',
      durationMs: 3000,
      window: 64,
      guarantee: 'agreed',
      members: 1,
      send: true,
      out: 'bench-results',
    })
    expect(parseCommandLine(['--no-save', '--receive-only', '-d', '0.5'])).toMatchObject({
      send: false,
      durationMs: 500,
    })
    expect(parseCommandLine(['--no-save']).out).toBeUndefined()
    for (const bad of [
      ['--guarantee', 'fast'],
      ['--window', '0'],
      ['--window', '1.5'],
      ['--duration', 'x'],
      ['--members', '-1'],
      ['--socket', 'a', '-c', 'b'],
      ['--out', 'x', '--no-save'],
      ['--group', 'g'.repeat(129)],
      ['--trace', ''],
      ['--frobnicate'],
    ])
      expect(() => parseCommandLine(bad), bad.join(' ')).toThrow(UsageError)
  })
})

describe('cpgbench payload', () => {
  it('round-trips the header and rejects a length that disagrees', () => {
    const buf = new Uint8Array(100)
    const nonce = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8)
    writeHeader(buf, MessageKind.data, 3, nonce, 2 ** 40 + 5, 1234.5)
    expect(readHeader(buf)).toMatchObject({
      kind: MessageKind.data,
      step: 3,
      counter: 2 ** 40 + 5,
      sentAtMs: 1234.5,
      length: 100,
    })
    expect([...(readHeader(buf)?.nonce ?? [])]).toEqual([...nonce])
    expect(readHeader(new Uint8Array(HEADER_BYTES - 1))).toBeUndefined()
    expect(readHeader(new Uint8Array(64))).toBeUndefined()
    expect(() => readHeader(buf.subarray(0, 60))).toThrow(
      expect.objectContaining({ code: 'ERR_CPGBENCH_BAD_PAYLOAD' }),
    )
  })

  it('computes the EVS message id like the checker', () => {
    for (const len of [0, 1, 63, 64, 1000, 70_000]) {
      const p = new Uint8Array(len).map((_, i) => (i * 7 + len) & 0xff)
      expect(fastMessageId(0xfffffffe, p)).toBe(messageId(0xfffffffe as NodeId, p))
    }
  })

  it('summarizes latencies by nearest rank', () => {
    expect(summarize([])).toBeNull()
    const s = summarize(Array.from({ length: 100 }, (_, i) => 100 - i))
    expect(s).toEqual({ n: 100, p50: 50, p90: 90, p99: 99, max: 100 })
  })
})
