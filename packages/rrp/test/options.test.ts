import { describe, expect, it } from 'vitest'
import { RrpError, resolveRrpOptions } from '../src/index.ts'

const code = (f: () => unknown): unknown => {
  try {
    f()
  } catch (e) {
    return e instanceof RrpError ? { code: e.code, option: e.details.option } : e
  }
  return 'no error'
}

describe('resolveRrpOptions', () => {
  it("fills corosync 2.x's defaults, derived from the token retransmit timeout", () => {
    const c = resolveRrpOptions()
    expect(c).toMatchObject({
      mode: 'passive',
      tokenRetransmitTimeoutMs: 238,
      problemCountThreshold: 10,
      problemCountMcastThreshold: 100,
      tokenExpiredTimeoutMs: 238,
      problemCountTimeoutMs: 2000,
      autorecoveryCheckTimeoutMs: 1000,
      heartbeatIntervalMs: 79,
      lossFractionMax: 0.01,
      recoveryChecks: 3,
      flapWindowMs: 30_000,
    })
    const slow = resolveRrpOptions({ mode: 'active', tokenRetransmitTimeoutMs: 869.05 })
    expect(slow.tokenExpiredTimeoutMs).toBe(869)
    expect(slow.problemCountTimeoutMs).toBe(3476)
    expect(slow.heartbeatIntervalMs).toBe(289)
    expect(resolveRrpOptions({ problemCountThreshold: 4 }).problemCountMcastThreshold).toBe(40)
  })

  it('rejects values out of range, naming the option', () => {
    expect(code(() => resolveRrpOptions({ mode: 'none' as 'active' }))).toEqual({
      code: 'ERR_RRP_BAD_OPTION',
      option: 'mode',
    })
    for (const [k, v] of [
      ['problemCountThreshold', 1],
      ['problemCountThreshold', 2.5],
      ['problemCountMcastThreshold', 1],
      ['tokenExpiredTimeoutMs', 29],
      ['autorecoveryCheckTimeoutMs', 0],
      ['lossFractionMax', 0.6],
      ['recoveryChecks', 0],
      ['duplicateWindow', 100],
      ['tokenRetransmitTimeoutMs', Number.NaN],
    ] as const)
      expect(
        code(() => resolveRrpOptions({ [k]: v })),
        `${k}=${v}`,
      ).toEqual({
        code: 'ERR_RRP_BAD_OPTION',
        option: k,
      })
  })

  it('enforces the cross-field rules', () => {
    // The leak must be slower than a dead network's silences, or it is never detected.
    expect(
      code(() => resolveRrpOptions({ tokenExpiredTimeoutMs: 1000, problemCountTimeoutMs: 1500 })),
    ).toEqual({ code: 'ERR_RRP_BAD_OPTION', option: 'problemCountTimeoutMs' })
    expect(
      code(() => resolveRrpOptions({ tokenExpiredTimeoutMs: 100, heartbeatIntervalMs: 100 })),
    ).toEqual({ code: 'ERR_RRP_BAD_OPTION', option: 'heartbeatIntervalMs' })
    expect(
      code(() =>
        resolveRrpOptions({
          tokenExpiredTimeoutMs: 1000,
          heartbeatIntervalMs: 500,
          autorecoveryCheckTimeoutMs: 400,
        }),
      ),
    ).toEqual({ code: 'ERR_RRP_BAD_OPTION', option: 'heartbeatIntervalMs' })
  })
})
