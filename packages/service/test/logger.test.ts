import { describe, expect, it } from 'vitest'
import { createPinoLogger } from '../src/index.ts'

function capture() {
  const lines: Record<string, unknown>[] = []
  return { lines, destination: { write: (s: string) => lines.push(JSON.parse(s)) } }
}

describe('pino adapter for common Logger', () => {
  it('tags records with corosync subsystems, one subsys per record', () => {
    const { lines, destination } = capture()
    const log = createPinoLogger({ level: 'info', destination })
    log.info('starting', { token: 500 })
    const totem = log.child('TOTEM')
    totem.info('A new membership (1.8)', { members: '1 2 3' })
    totem.child('CRYPTO').warn('plaintext peer')
    totem.debug('hidden')
    expect(lines.map((l) => [l.subsys, l.level, l.msg])).toEqual([
      ['MAIN', 'info', 'starting'],
      ['TOTEM', 'info', 'A new membership (1.8)'],
      ['CRYPTO', 'warn', 'plaintext peer'],
    ])
    expect(lines[0]?.token).toBe(500)
    expect(lines[1]?.members).toBe('1 2 3')
  })
  it('gives subsystems their own level (logger_subsys) and answers isEnabled', () => {
    const { lines, destination } = capture()
    const log = createPinoLogger({ level: 'warn', subsystems: { TOTEM: 'debug' }, destination })
    expect(log.isEnabled('info')).toBe(false)
    expect(log.isEnabled('warn')).toBe(true)
    const totem = log.child('TOTEM')
    expect(totem.isEnabled('debug')).toBe(true)
    expect(totem.isEnabled('trace')).toBe(false)
    totem.debug('seen')
    log.child('CRYPTO').info('not seen')
    log.info('not seen either')
    expect(lines.map((l) => l.msg)).toEqual(['seen'])
    expect(() => log.flush()).not.toThrow()
  })
})
