import { describe, expect, it } from 'vitest'
import { checkConfig, formatEffectiveConfig, loadConfig } from '../src/index.ts'

/** Two udpu nodes plus extra totem lines (line 4 is the first extra line). */
function conf(totem: string): string {
  return (
    `totem {\n\tversion: 2\n\ttransport: udpu\n${totem}}\n` +
    'nodelist {\n\tnode {\n\t\tring0_addr: 10.0.0.1\n\t\tnodeid: 1\n\t}\n' +
    '\tnode {\n\t\tring0_addr: 10.0.0.2\n\t\tnodeid: 2\n\t}\n}\n'
  )
}
const errs = (text: string): [string, number, string][] =>
  checkConfig(text, 't.conf').errors.map((e) => [
    e.code,
    e.details['line'] as number,
    e.details['path'] as string,
  ])
const warns = (text: string): [string, number, string][] =>
  checkConfig(text, 't.conf').warnings.map((w) => [w.code, w.line, w.path])

describe('totem.multiring', () => {
  it('is absent (a plain single ring) by default and with multiring: off', () => {
    expect(loadConfig(conf('')).config.multiring).toBeUndefined()
    expect(loadConfig(conf('\tmultiring: off\n')).config.multiring).toBeUndefined()
  })

  it('on: LAN 0 and the multiring layer defaults', () => {
    const m = loadConfig(conf('\tmultiring: on\n')).config.multiring
    expect(m?.lan).toBe(0)
    expect(m?.options).toEqual({})
    expect(m?.resolved.gvIntervalMs).toBe(20)
    expect(m?.resolved.gvIdleMs).toBe(200)
  })

  it('maps multiring_lan and the GV periods', () => {
    const m = loadConfig(
      conf(
        '\tmultiring: yes\n\tmultiring_lan: 7\n\tmultiring_gv_interval: 5\n\tmultiring_gv_idle: 50\n',
      ),
    ).config.multiring
    expect(m?.lan).toBe(7)
    expect(m?.options).toEqual({ gvIntervalMs: 5, gvIdleMs: 50 })
    expect(m?.resolved.gvIntervalMs).toBe(5)
    expect(m?.resolved.gvIdleMs).toBe(50)
  })

  it('rejects bad values with the key path and line', () => {
    expect(errs(conf('\tmultiring: maybe\n'))).toEqual([['ERR_CONFIG_VALUE', 4, 'totem.multiring']])
    expect(errs(conf('\tmultiring: on\n\tmultiring_lan: 65536\n'))).toEqual([
      ['ERR_CONFIG_VALUE', 5, 'totem.multiring_lan'],
    ])
    expect(errs(conf('\tmultiring: on\n\tmultiring_lan: -1\n'))).toEqual([
      ['ERR_CONFIG_VALUE', 5, 'totem.multiring_lan'],
    ])
    expect(errs(conf('\tmultiring: on\n\tmultiring_gv_interval: 0\n'))).toEqual([
      ['ERR_CONFIG_VALUE', 5, 'totem.multiring_gv_interval'],
    ])
  })

  it('rejects an idle period shorter than the interval (the multiring layer decides)', () => {
    expect(
      errs(conf('\tmultiring: on\n\tmultiring_gv_interval: 100\n\tmultiring_gv_idle: 50\n')),
    ).toEqual([['ERR_CONFIG_CONFLICT', 6, 'totem.multiring_gv_idle']])
  })

  it('warns about multiring_* keys without multiring: on', () => {
    expect(warns(conf('\tmultiring_lan: 3\n'))).toContainEqual([
      'WARN_CONFIG_IGNORED',
      4,
      'totem.multiring_lan',
    ])
  })

  it('--check output shows the multiring settings and loads back to the same', () => {
    const { config } = loadConfig(conf('\tmultiring: on\n\tmultiring_lan: 3\n'))
    const text = formatEffectiveConfig(config)
    expect(text).toContain('\tmultiring: on')
    expect(text).toContain('\tmultiring_gv_interval: 20')
    const again = loadConfig(text, 'effective.conf')
    expect(again.config.multiring).toEqual(
      loadConfig(
        conf(
          '\tmultiring: on\n\tmultiring_lan: 3\n\tmultiring_gv_interval: 20\n\tmultiring_gv_idle: 200\n',
        ),
      ).config.multiring,
    )
    expect(again.warnings).toEqual([])
    expect(formatEffectiveConfig(loadConfig(conf('')).config)).not.toContain('multiring')
  })
})
