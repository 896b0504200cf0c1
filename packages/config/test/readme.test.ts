import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONFIG_KEYS, ConfigErrorCode, ConfigWarningCode } from '../src/index.ts'

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8')

/** Rows `| \`path\` | status | … |` of the README's mapping table. */
function mappingRows(): Map<string, string> {
  const start = readme.indexOf('## Mapping table')
  const end = readme.indexOf('\n## ', start + 1)
  const rows = new Map<string, string>()
  for (const line of readme.slice(start, end).split('\n')) {
    const m = /^\| `([^`]+)` \| (supported|ignored) \|/.exec(line)
    if (m?.[1] !== undefined && m[2] !== undefined) rows.set(m[1], m[2])
  }
  return rows
}

describe('README', () => {
  it('has exactly the keys of CONFIG_KEYS in its mapping table, with the same status', () => {
    const rows = mappingRows()
    expect(rows.size).toBe(CONFIG_KEYS.length)
    for (const k of CONFIG_KEYS) expect(rows.get(k.path), k.path).toBe(k.status)
  })

  it('lists every error and warning code', () => {
    for (const code of [...Object.values(ConfigErrorCode), ...Object.values(ConfigWarningCode)])
      expect(readme, code).toContain(`| \`${code}\` |`)
  })

  it('has no duplicate key in CONFIG_KEYS', () => {
    expect(new Set(CONFIG_KEYS.map((k) => k.path)).size).toBe(CONFIG_KEYS.length)
  })
})
