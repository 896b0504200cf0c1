import { describe, expect, it } from 'vitest'
import {
  compareRingId,
  formatRingId,
  formatRingIdHex,
  isNodeId,
  NODES_MAX,
  nodeId,
  ringId,
  ringIdEquals,
  sortedMembers,
  type TotemError,
} from '../src/index.ts'

function codeOf(f: () => unknown): string | undefined {
  try {
    f()
  } catch (e) {
    return (e as TotemError).code
  }
  return undefined
}

describe('node ids', () => {
  it('accept 1..2^32-1 only', () => {
    expect(isNodeId(1)).toBe(true)
    expect(isNodeId(0xffff_ffff)).toBe(true)
    expect(isNodeId(0)).toBe(false)
    expect(isNodeId(-1)).toBe(false)
    expect(isNodeId(1.5)).toBe(false)
    expect(isNodeId(2 ** 32)).toBe(false)
    expect(isNodeId('1')).toBe(false)
    expect(codeOf(() => nodeId(0))).toBe('ERR_INVALID_ARGUMENT')
    expect(nodeId(7)).toBe(7)
  })

  it('sortedMembers sorts and rejects duplicates and oversize lists', () => {
    expect(sortedMembers([3, 1, 2])).toEqual([1, 2, 3])
    expect(codeOf(() => sortedMembers([1, 1]))).toBe('ERR_INVALID_ARGUMENT')
    const tooMany = Array.from({ length: NODES_MAX + 1 }, (_, i) => i + 1)
    expect(codeOf(() => sortedMembers(tooMany))).toBe('ERR_INVALID_ARGUMENT')
  })
})

describe('ring ids', () => {
  it('format in decimal for traces and hex like corosync logs', () => {
    const r = ringId(1, 13n)
    expect(formatRingId(r)).toBe('1.13')
    expect(formatRingIdHex(r)).toBe('1.d')
  })

  it('compare by seq then rep', () => {
    expect(compareRingId(ringId(2, 4n), ringId(1, 8n))).toBeLessThan(0)
    expect(compareRingId(ringId(2, 8n), ringId(1, 8n))).toBeGreaterThan(0)
    expect(ringIdEquals(ringId(1, 8n), ringId(1, 8n))).toBe(true)
    expect(ringIdEquals(ringId(1, 8n), ringId(1, 9n))).toBe(false)
  })

  it('reject out-of-range fields', () => {
    expect(codeOf(() => ringId(-1, 0n))).toBe('ERR_INVALID_ARGUMENT')
    expect(codeOf(() => ringId(1, 1n << 64n))).toBe('ERR_INVALID_ARGUMENT')
  })
})
