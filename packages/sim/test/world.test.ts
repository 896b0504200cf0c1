import { checkTrace, formatTraceEvent, parseTrace } from '@totem-ts/evs-checker'
import { describe, expect, it } from 'vitest'
import { CALM, createSimWorld, type FaultProfile, runSeed } from '../src/index.ts'
import { fakeProtocol } from './fake-protocol.ts'

const fake: Partial<FaultProfile> = { messageBytesMax: 1024 }

describe('SimWorld with a fake sequencer protocol', () => {
  it('runs calm and lossy seeds that pass the EVS checker and converge', async () => {
    for (let seed = 1; seed <= 6; seed++) {
      for (const preset of ['calm', 'lossy']) {
        const r = await runSeed({ seed, preset, profile: fake, protocol: () => fakeProtocol() })
        expect(r.violations, `${preset} seed ${seed}`).toEqual([])
        expect(r.ok).toBe(true)
        expect(r.converged).toBe(true)
        expect(r.counts.sent).toBeGreaterThan(0)
        expect(r.counts.delivered).toBe(r.counts.sent * r.profile.nodes)
        expect(r.tail).toEqual([])
        if (preset === 'lossy') expect(r.counts.network.lost).toBeGreaterThan(0)
      }
    }
  })

  it('is deterministic: the same seed gives the same trace, event for event', async () => {
    const a = await runSeed({
      seed: 99,
      preset: 'lossy',
      profile: fake,
      protocol: () => fakeProtocol(),
      keepTrace: true,
    })
    const b = await runSeed({
      seed: 99,
      preset: 'lossy',
      profile: fake,
      protocol: () => fakeProtocol(),
      keepTrace: true,
    })
    const c = await runSeed({
      seed: 100,
      preset: 'lossy',
      profile: fake,
      protocol: () => fakeProtocol(),
      keepTrace: true,
    })
    expect(a.trace?.length).toBeGreaterThan(100)
    expect(b.trace).toEqual(a.trace)
    expect(b.counts).toEqual(a.counts)
    expect(c.trace).not.toEqual(a.trace)
  })

  it('writes a trace that round-trips through the JSONL format and the checker', async () => {
    const lines: string[] = []
    const r = await runSeed({
      seed: 3,
      preset: 'calm',
      profile: fake,
      protocol: () => fakeProtocol(),
      onTrace: (e) => lines.push(formatTraceEvent(e)),
    })
    const parsed = parseTrace(lines.join('\n'))
    expect(parsed).toHaveLength(r.counts.traceEvents)
    expect(checkTrace(parsed).ok).toBe(true)
    const kinds = new Set(parsed.map((e) => e.ev))
    expect([...kinds].sort()).toEqual(['conf', 'deliver', 'heal', 'send', 'start'])
  })

  it('catches a protocol that delivers two messages out of order at one node', async () => {
    let caught = 0
    for (let seed = 1; seed <= 4; seed++) {
      const r = await runSeed({
        seed,
        nodes: 3,
        preset: 'calm',
        profile: fake,
        protocol: () => fakeProtocol({ swapAt: 2 }),
      })
      if (!r.ok) {
        caught++
        expect(r.violations[0]?.property).toMatch(/agreed-order|fifo/)
        expect(r.tail.length).toBeGreaterThan(0)
        expect(r.replay).toBe(`pnpm sim --seed 0x${seed.toString(16)} --nodes 3 --profile calm`)
      }
    }
    expect(caught).toBe(4)
  })

  it('reports a run that never converges as a liveness violation', async () => {
    // A protocol that never delivers: sends stay pending forever.
    const r = await runSeed({
      seed: 5,
      nodes: 2,
      preset: 'calm',
      profile: { ...fake, livenessBoundMs: 1000 },
      protocol: () => (ctx) => ({
        members: [ctx.nodeId],
        start: () => {
          ctx.listener.onConfigurationChange({
            kind: 'regular',
            ringId: { rep: ctx.nodeId, seq: 1n },
            members: [ctx.nodeId],
            left: [],
            joined: [ctx.nodeId],
          })
          return Promise.resolve()
        },
        stop: () => Promise.resolve(),
        send: () => 'queued',
      }),
    })
    expect(r.ok).toBe(false)
    expect(r.converged).toBe(false)
    expect(r.violations.map((v) => v.property)).toContain('liveness')
  })

  it('stops a run that spends its event budget', async () => {
    const r = await runSeed({
      seed: 1,
      nodes: 2,
      preset: 'calm',
      profile: fake,
      eventBudget: 500,
      protocol: () => fakeProtocol(),
    })
    expect(r.ok).toBe(false)
    expect(r.violations.at(-1)?.details['reason']).toBe('event-budget')
    expect(r.counts.events).toBe(500)
  })

  it('crash, stop and restart write their events; a crashed node stays silent', async () => {
    const w = createSimWorld({ seed: 1, nodes: 3, protocol: fakeProtocol() })
    for (const n of w.nodes) w.start(n)
    await w.runUntil(100)
    expect(w.liveNodes()).toEqual([1, 2, 3])
    expect(w.send(2 as never, Uint8Array.of(1, 2, 3), 'agreed')).toBe('queued')
    w.crash(3 as never)
    expect(w.send(3 as never, Uint8Array.of(9), 'agreed')).toBe('down')
    const before = w.trace.filter((e) => e.ev === 'deliver' && e.node === 3).length
    await w.runUntil(300)
    expect(w.trace.filter((e) => e.ev === 'deliver' && e.node === 3).length).toBe(before)
    w.stop(2 as never)
    expect(w.node(2 as never).alive).toBe(false)
    w.start(3 as never)
    expect(w.node(3 as never).incarnations).toBe(2)
    await w.runUntil(600)
    expect(
      w.trace.map((e) => e.ev).filter((e) => e === 'crash' || e === 'stop' || e === 'start'),
    ).toEqual(['start', 'start', 'start', 'crash', 'stop', 'start'])
    expect(w.counts).toMatchObject({ crashes: 1, stops: 1, starts: 4 })
    expect(() => w.start(1 as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_STATE' }),
    )
  })

  it('keeps a memory log when asked', () => {
    const w = createSimWorld({ seed: 1, nodes: 2, protocol: fakeProtocol(), memoryLog: true })
    expect(w.logs?.records).toEqual([])
    expect(createSimWorld({ seed: 1, nodes: 2, protocol: fakeProtocol() }).logs).toBeUndefined()
    expect(CALM.lossRate).toBe(0)
  })
})
