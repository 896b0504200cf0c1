import { describe, expect, it } from 'vitest'
import { createMemoryLogger, noopLogger } from '../src/index.ts'

describe('loggers', () => {
  it('the no-op logger is disabled at every level', () => {
    expect(noopLogger.isEnabled('error')).toBe(false)
    expect(noopLogger.child('TOTEM')).toBe(noopLogger)
  })

  it('the memory logger records by level and subsystem', () => {
    const log = createMemoryLogger('info')
    const totem = log.child('TOTEM')
    totem.info('ring formed', { ring: '1.8' })
    totem.debug('hidden')
    log.error('bad')
    expect(totem.isEnabled('debug')).toBe(false)
    expect(log.records).toEqual([
      { level: 'info', subsystem: 'TOTEM', msg: 'ring formed', fields: { ring: '1.8' } },
      { level: 'error', subsystem: '', msg: 'bad', fields: undefined },
    ])
  })
})
