import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createPinoLogger, runUntilSignalled } from '../src/index.ts'

function setup(stop: () => Promise<void>, stopTimeoutMs = 10_000) {
  const lines: Record<string, unknown>[] = []
  const logger = createPinoLogger({
    destination: { write: (s: string) => lines.push(JSON.parse(s)) },
  })
  const signals = new EventEmitter()
  const exits: number[] = []
  const done = runUntilSignalled({
    logger,
    stop,
    leaving: 'leaving the ring',
    stopTimeoutMs,
    signals: signals as unknown as Pick<NodeJS.Process, 'on'>,
    exit: (code) => exits.push(code),
  })
  return { lines, signals, exits, done, msgs: () => lines.map((l) => l.msg) }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('runUntilSignalled', () => {
  it('SIGTERM stops in order and resolves 0; SIGHUP is only logged', async () => {
    let stopped = 0
    const s = setup(async () => {
      stopped++
    })
    s.signals.emit('SIGHUP', 'SIGHUP')
    s.signals.emit('SIGTERM', 'SIGTERM')
    expect(await s.done).toBe(0)
    expect(stopped).toBe(1)
    expect(s.exits).toEqual([])
    expect(s.msgs()).toEqual([
      'SIGHUP ignored (no configuration reload yet)',
      'SIGTERM received: leaving the ring',
    ])
  })

  it('a failed stop resolves 1 and says why', async () => {
    const s = setup(() => Promise.reject(new Error('socket busy')))
    s.signals.emit('SIGINT', 'SIGINT')
    expect(await s.done).toBe(1)
    expect(s.lines.at(-1)).toMatchObject({
      msg: 'orderly stop failed',
      error: 'Error: socket busy',
    })
  })

  it('a second signal, or a stop past the limit, exits at once with 1', async () => {
    vi.useFakeTimers()
    const never = new Promise<void>(() => {})
    const twice = setup(() => never)
    twice.signals.emit('SIGTERM', 'SIGTERM')
    twice.signals.emit('SIGINT', 'SIGINT')
    expect(twice.exits).toEqual([1])
    expect(twice.msgs()).toContain('SIGINT again: exiting at once')

    const slow = setup(() => never, 500)
    slow.signals.emit('SIGTERM', 'SIGTERM')
    vi.advanceTimersByTime(499)
    expect(slow.exits).toEqual([])
    vi.advanceTimersByTime(1)
    expect(slow.exits).toEqual([1])
    expect(slow.msgs()).toContain('orderly stop took more than 500 ms: exiting')
  })
})
