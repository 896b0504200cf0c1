import { describe, expect, it } from 'vitest'
import {
  createSimRandom,
  DEFAULT_NODE_RANGE,
  drawProfile,
  PARTITION_MODES,
  PROFILE_PRESETS,
  parseNodeRange,
  profileFeatures,
  profileForSeed,
  replayCommand,
} from '../src/index.ts'

describe('fault profiles', () => {
  it('draws every field within its documented range, and every fault both on and off', () => {
    const seen = new Set<string>()
    let calmRuns = 0
    for (let seed = 0; seed < 400; seed++) {
      const p = drawProfile(createSimRandom(seed), DEFAULT_NODE_RANGE)
      expect(p.nodes).toBeGreaterThanOrEqual(2)
      expect(p.nodes).toBeLessThanOrEqual(9)
      expect(p.lossRate).toBeGreaterThanOrEqual(0)
      expect(p.lossRate).toBeLessThanOrEqual(0.2)
      expect(p.dupRate).toBeLessThanOrEqual(0.1)
      expect(p.delayBaseMs).toBeGreaterThanOrEqual(0.05)
      expect(p.delayBaseMs).toBeLessThanOrEqual(5)
      expect(p.faultPhaseMs).toBeGreaterThanOrEqual(1000)
      expect(p.faultPhaseMs).toBeLessThanOrEqual(6000)
      expect(p.tokenTimeoutMs).toBeGreaterThanOrEqual(200)
      expect(p.tokenTimeoutMs).toBeLessThanOrEqual(1000)
      expect(p.livenessBoundMs).toBeGreaterThanOrEqual(30_000)
      for (const m of p.partitionModes) expect(PARTITION_MODES).toContain(m)
      const f = profileFeatures(p)
      for (const x of f) seen.add(x)
      if (f.filter((x) => x !== 'token-hold' && x !== 'fragment').length === 0) calmRuns++
    }
    for (const x of [
      'loss',
      'dup',
      'reorder',
      'crash',
      'stop',
      'keep-down',
      'clog',
      'token-hold',
      'fragment',
    ])
      expect(seen).toContain(x)
    for (const m of PARTITION_MODES) expect(seen).toContain(`partition:${m}`)
    expect(calmRuns).toBeGreaterThan(0)
  })

  it('applies presets and overrides without moving the other drawn fields', () => {
    const swarm = profileForSeed(17)
    const calm = profileForSeed(17, { preset: 'calm' })
    expect(calm.lossRate).toBe(0)
    expect(calm.partitionModes).toEqual([])
    expect(calm.crashIntervalMs).toBe(0)
    expect(calm.nodes).toBe(swarm.nodes)
    expect(calm.tokenTimeoutMs).toBe(swarm.tokenTimeoutMs)
    expect(profileForSeed(17, { nodes: 5 }).nodes).toBe(5)
    expect(profileForSeed(17, { profile: { lossRate: 0.5 } }).lossRate).toBe(0.5)
    expect(Object.keys(PROFILE_PRESETS)).toContain('swarm')
    expect(() => profileForSeed(1, { preset: 'nope' })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    )
  })

  it('parses node ranges', () => {
    expect(parseNodeRange('3')).toEqual({ min: 3, max: 3 })
    expect(parseNodeRange('2-9')).toEqual({ min: 2, max: 9 })
    for (const bad of ['0', '9-2', 'x', '2-65', ''])
      expect(() => parseNodeRange(bad)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      )
  })

  it('builds replay commands that name only what differs from the defaults', () => {
    expect(replayCommand(0x1234)).toBe('pnpm sim --seed 0x1234')
    expect(replayCommand(255, { nodes: { min: 2, max: 9 } })).toBe('pnpm sim --seed 0xff')
    expect(replayCommand(255, { nodes: { min: 3, max: 5 }, preset: 'lossy' })).toBe(
      'pnpm sim --seed 0xff --nodes 3-5 --profile lossy',
    )
    expect(replayCommand(1, { nodes: 4, testFaults: { skipTransitional: true } })).toBe(
      'pnpm sim --seed 0x1 --nodes 4 --srp-fault skipTransitional',
    )
  })
})
