import { describe, expect, it } from 'vitest'
import { resolveSrpOptions } from '../src/index.ts'

const codeOf = (f: () => unknown): unknown => {
  try {
    f()
  } catch (e) {
    return {
      code: (e as { code?: string }).code,
      option: (e as { details?: { option?: string } }).details?.option,
    }
  }
  return undefined
}

describe('resolveSrpOptions', () => {
  it('fills corosync 3.1.7 defaults (reference §3.8)', () => {
    const two = resolveSrpOptions({}, 2)
    expect(two).toMatchObject({
      tokenTimeoutMs: 3000,
      tokenRetransmitTimeoutMs: 714,
      holdTimeoutMs: 561,
      joinTimeoutMs: 50,
      consensusTimeoutMs: 3600,
      mergeTimeoutMs: 200,
      failToRecvConst: 2500,
      seqnoUnchangedConst: 30,
      missCountConst: 5,
      windowSize: 50,
      maxMessages: 17,
      netmtu: 1500,
    })
    // Three nodes: the values corosync printed in runtime.config (reference §3.8 / §10.12).
    const three = resolveSrpOptions({}, 3)
    expect(three).toMatchObject({
      tokenTimeoutMs: 3650,
      tokenRetransmitTimeoutMs: 869,
      holdTimeoutMs: 685,
      consensusTimeoutMs: 4380,
    })
    expect(Object.isFrozen(three)).toBe(true)
  })

  it('derives the dependent timers from an explicit token timeout', () => {
    const c = resolveSrpOptions({ tokenTimeoutMs: 1000, tokenCoefficientMs: 0 }, 5)
    expect(c.tokenTimeoutMs).toBe(1000)
    expect(c.consensusTimeoutMs).toBe(1200)
    expect(c.tokenRetransmitTimeoutMs).toBe(238)
  })

  it('rejects out-of-range values and inconsistent combinations with the option named', () => {
    expect(codeOf(() => resolveSrpOptions({ tokenTimeoutMs: 0 }))).toEqual({
      code: 'ERR_INVALID_ARGUMENT',
      option: 'tokenTimeoutMs',
    })
    expect(codeOf(() => resolveSrpOptions({ windowSize: 1.5 }))).toEqual({
      code: 'ERR_INVALID_ARGUMENT',
      option: 'windowSize',
    })
    expect(codeOf(() => resolveSrpOptions({ netmtu: 100 }))).toEqual({
      code: 'ERR_INVALID_ARGUMENT',
      option: 'netmtu',
    })
    expect(
      codeOf(() => resolveSrpOptions({ tokenTimeoutMs: 1000, consensusTimeoutMs: 900 })),
    ).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    })
    expect(codeOf(() => resolveSrpOptions({ maxMessages: 60, windowSize: 50 }))).toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    })
    expect(codeOf(() => resolveSrpOptions({}, 0))).toEqual({
      code: 'ERR_INVALID_ARGUMENT',
      option: 'nodelistSize',
    })
  })
})
