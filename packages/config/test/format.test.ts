import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  checkConfig,
  formatConfigErrors,
  formatConfigWarnings,
  formatEffectiveConfig,
  loadConfig,
  parseCorosyncConf,
} from '../src/index.ts'

const dir = join(import.meta.dirname, 'fixtures')
const good = readdirSync(dir).filter((f) => f.endsWith('.conf') && !f.startsWith('broken-'))

describe('formatEffectiveConfig', () => {
  it.each(good)('%s: the output loads back to the same effective values', (name) => {
    const { config } = loadConfig(readFileSync(join(dir, name)), name)
    const text = formatEffectiveConfig(config)
    const again = loadConfig(text, 'effective.conf')
    expect(again.config.srpResolved).toEqual(config.srpResolved)
    expect(again.config.nodes.map((n) => [n.nodeId, n.name, n.addresses])).toEqual(
      config.nodes.map((n) => [n.nodeId, n.name, n.addresses]),
    )
    expect(again.config.crypto.enabled).toBe(config.crypto.enabled)
    expect(again.config.rrp.mode).toBe(config.rrp.mode)
    expect(again.config.transport.ports).toEqual(config.transport.ports)
    expect(again.config.transport.ipVersion).toBe(config.transport.ipVersion)
    expect(again.config.logging).toEqual(config.logging)
    expect(again.config.stateDir).toBe(config.stateDir)
    // Everything is explicit now, so nothing is left to default; no warning either.
    expect(again.warnings).toEqual([])
    // Same settings, only in another order (nothing is a default any more).
    const settings = (t: string): string[] =>
      t
        .split('\n')
        .filter((l) => !l.includes('#'))
        .sort()
    expect(settings(formatEffectiveConfig(again.config))).toEqual(settings(text))
  })

  it('puts set keys first and marks defaults and derived values', () => {
    const { config } = loadConfig(
      'totem {\n\tversion: 2\n\ttransport: knet\n\ttoken: 1000\n}\nnodelist {\n' +
        '\tnode {\n\t\tring0_addr: 10.0.0.1\n\t\tnodeid: 1\n\t}\n\tnode {\n\t\tring0_addr: 10.0.0.2\n\t\tnodeid: 2\n\t}\n' +
        '\tnode {\n\t\tring0_addr: 10.0.0.3\n\t\tnodeid: 3\n\t}\n}\n',
      'f.conf',
    )
    const lines = formatEffectiveConfig(config).split('\n')
    const totem = lines.slice(lines.indexOf('totem {'), lines.indexOf('}') + 1)
    const marker = totem.findIndex((l) => l.includes('not in the file'))
    const at = (key: string): number => totem.findIndex((l) => l.trim().startsWith(`${key}:`))
    expect(marker).toBeGreaterThan(0)
    expect(at('token')).toBeLessThan(marker)
    expect(at('transport')).toBeLessThan(marker)
    expect(at('token_coefficient')).toBeGreaterThan(marker)
    expect(at('consensus')).toBeGreaterThan(marker)
    expect(totem[at('token')]).toBe('\ttoken: 1000')
    expect(totem[at('consensus')]).toBe('\tconsensus: 1980')
    expect(totem[at('transport')]).toBe('\ttransport: udpu')
    expect(totem[at('token') - 1]).toContain('1650')
    expect(totem[at('transport') - 1]).toContain('knet')
  })
})

describe('formatConfigErrors and formatConfigWarnings', () => {
  it('prints FILE:LINE: key path: what is wrong, one per line', () => {
    const r = checkConfig('totem {\n\tversion: 2\n\tjoin = 5\n}\n', '/etc/c.conf')
    expect(r.errors).toHaveLength(1)
    const text = formatConfigErrors(r.errors)
    expect(text.split('\n')).toHaveLength(1)
    expect(text.startsWith('/etc/c.conf:3: totem.join: ')).toBe(true)
    const r2 = checkConfig('totem {\n\tversion: 2\n\ttoken: x\n}\n', '/etc/c.conf')
    const lines = formatConfigErrors(r2.errors, 3).split('\n')
    // File-level errors (line 0) sort first; omitted errors are counted on a last line.
    expect(lines[0]?.startsWith('/etc/c.conf: nodelist: ')).toBe(true)
    expect(lines[1]?.startsWith('/etc/c.conf:3: totem.token: ')).toBe(true)
    expect(lines[2]).toMatch(/\b3\b/)
    expect(lines).toHaveLength(3)
  })

  it('leaves out the line for file-level errors and the path when there is none', () => {
    const e = new ConfigError('ERR_CONFIG_EMPTY', 'empty', { file: 'a', line: 0, path: '' })
    expect(formatConfigErrors([e])).toBe('a: empty')
  })

  it('prints warnings and notes with their severity', () => {
    const r = checkConfig(
      'totem {\n\tversion: 2\n\ttransport: udpu\n\tvsftype: none\n\tfoo: 1\n}\nnodelist {\n\tnode {\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n',
      'w.conf',
    )
    const lines = formatConfigWarnings(r.warnings).split('\n')
    expect(lines.map((l) => l.split(': ').slice(0, 3).join(': '))).toEqual([
      'w.conf:4: totem.vsftype: note',
      'w.conf:5: totem.foo: warning',
    ])
  })

  it('formats the parse tree errors the same way', () => {
    try {
      parseCorosyncConf('}\n', 'p.conf')
      expect.unreachable()
    } catch (e) {
      expect((e as { errors: ConfigError[] }).errors[0]?.message.startsWith('p.conf:1: ')).toBe(
        true,
      )
    }
  })
})
