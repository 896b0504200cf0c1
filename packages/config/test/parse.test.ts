import { describe, expect, it } from 'vitest'
import {
  CONFIG_BYTES_MAX,
  CONFIG_DEPTH_MAX,
  CONFIG_LINE_BYTES_MAX,
  type ConfigError,
  ConfigErrors,
  type ConfNode,
  type ConfSection,
  parseCorosyncConf,
} from '../src/index.ts'

/** The errors a parse throws, as plain facts (code and details, never message text). */
function parseErrors(input: string | Uint8Array): { code: string; line: number; path: string }[] {
  try {
    parseCorosyncConf(input, 'x.conf')
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigErrors)
    return (e as ConfigErrors).errors.map((x: ConfigError) => ({
      code: x.code,
      line: x.details['line'] as number,
      path: x.details['path'] as string,
    }))
  }
  return []
}

/** Compact tree form: sections as [name, line, children], keys as `key=value@line`. */
function shape(n: ConfNode): unknown {
  return n.kind === 'key'
    ? `${n.key}=${n.value}@${n.line}`
    : [n.name, n.line, n.endLine, n.children.map(shape)]
}

function sectionAt(root: ConfSection, ...names: string[]): ConfSection {
  let s = root
  for (const name of names) {
    const next = s.children.find((c): c is ConfSection => c.kind === 'section' && c.name === name)
    if (next === undefined) throw new Error(`no section ${name}`)
    s = next
  }
  return s
}

describe('parseCorosyncConf: the corosync.conf format', () => {
  it('reads nested sections, keys and line numbers', () => {
    const doc = parseCorosyncConf(
      'totem {\n\tversion: 2\n\tinterface {\n\t\tlinknumber: 0\n\t}\n}\nlogging {\n}\n',
      'a.conf',
    )
    expect(doc.file).toBe('a.conf')
    expect(doc.lineCount).toBe(8)
    expect(doc.root.children.map(shape)).toEqual([
      ['totem', 1, 6, ['version=2@2', ['interface', 3, 5, ['linknumber=0@4']]]],
      ['logging', 7, 8, []],
    ])
  })

  it('skips blank lines and lines whose first non-blank character is #', () => {
    const doc = parseCorosyncConf(
      '# head\n\n   # indented\ntotem {\n\t#token: 1\n\n\tjoin: 60\n}\n',
    )
    expect(doc.root.children.map(shape)).toEqual([['totem', 4, 8, ['join=60@7']]])
  })

  it('keeps a trailing # in the value, as corosync does, and warns', () => {
    const doc = parseCorosyncConf('totem {\n\tcluster_name: a # b\n}\n')
    expect(sectionAt(doc.root, 'totem').children.map(shape)).toEqual(['cluster_name=a # b@2'])
    expect(doc.warnings.map((w) => [w.code, w.line, w.path])).toEqual([
      ['WARN_CONFIG_TRAILING_COMMENT', 2, 'totem.cluster_name'],
    ])
  })

  it('keeps quotes in the value and warns', () => {
    const doc = parseCorosyncConf('totem {\n\tcluster_name: "ha"\n}\n')
    expect(sectionAt(doc.root, 'totem').children.map(shape)).toEqual(['cluster_name="ha"@2'])
    expect(doc.warnings.map((w) => w.code)).toEqual(['WARN_CONFIG_QUOTED'])
  })

  it('splits key and value at the first colon and trims blanks', () => {
    const doc = parseCorosyncConf('nodelist {\n  node {\n    ring0_addr:   fe80::1  \t\n  }\n}\n')
    expect(sectionAt(doc.root, 'nodelist', 'node').children.map(shape)).toEqual([
      'ring0_addr=fe80::1@3',
    ])
  })

  it('accepts an empty value and a key with no blank after the colon', () => {
    const doc = parseCorosyncConf('totem {\n\tcluster_name:\n\tjoin:60\n}\n')
    expect(sectionAt(doc.root, 'totem').children.map(shape)).toEqual([
      'cluster_name=@2',
      'join=60@3',
    ])
  })

  it('handles CRLF line ends and a UTF-8 byte order mark', () => {
    const doc = parseCorosyncConf('\ufefftotem {\r\n\tversion: 2\r\n}\r\n')
    expect(doc.root.children.map(shape)).toEqual([['totem', 1, 3, ['version=2@2']]])
    const bytes = new TextEncoder().encode('\ufefftotem {\r\n\ttoken: 3000\r\n}')
    const fromBytes = parseCorosyncConf(bytes)
    expect(fromBytes.root.children.map(shape)).toEqual([['totem', 1, 3, ['token=3000@2']]])
  })

  it('keeps repeated sections separate, in order', () => {
    const doc = parseCorosyncConf(
      'nodelist {\n node {\n  nodeid: 1\n }\n node {\n  nodeid: 2\n }\n}\n' +
        'totem {\n interface {\n  linknumber: 0\n }\n interface {\n  linknumber: 1\n }\n}\n',
    )
    const nodelist = sectionAt(doc.root, 'nodelist')
    expect(nodelist.children.map(shape)).toEqual([
      ['node', 2, 4, ['nodeid=1@3']],
      ['node', 5, 7, ['nodeid=2@6']],
    ])
    const totem = sectionAt(doc.root, 'totem')
    expect(totem.children.map((c) => (c.kind === 'section' ? c.name : c.key))).toEqual([
      'interface',
      'interface',
    ])
  })

  it('accepts `name: {` (corosync drops a colon before the brace) and `name{`', () => {
    const doc = parseCorosyncConf('totem: {\n}\nlogging{\n}\n')
    expect(doc.root.children.map(shape)).toEqual([
      ['totem', 1, 2, []],
      ['logging', 3, 4, []],
    ])
  })

  it('rejects key = value (corosync has only key: value)', () => {
    expect(parseErrors('totem {\n\ttoken = 3000\n}\n')).toEqual([
      { code: 'ERR_CONFIG_SYNTAX', line: 2, path: 'totem.token' },
    ])
  })

  it('rejects lines corosync would silently skip', () => {
    expect(parseErrors('totem {\n\tjust words\n}\n')).toEqual([
      { code: 'ERR_CONFIG_SYNTAX', line: 2, path: 'totem' },
    ])
  })

  it('rejects a stray }, text after {, text around } and one-line sections', () => {
    expect(parseErrors('}\n')).toEqual([{ code: 'ERR_CONFIG_SYNTAX', line: 1, path: '' }])
    expect(parseErrors('totem { version: 2\n}\n')).toEqual([
      { code: 'ERR_CONFIG_SYNTAX', line: 1, path: 'totem' },
    ])
    expect(parseErrors('totem {\n}}\n')).toEqual([
      { code: 'ERR_CONFIG_SYNTAX', line: 2, path: 'totem' },
    ])
    // `a { }` leaves a open (corosync ignores the }), so it is reported twice: the text and the
    // unclosed section.
    expect(parseErrors('a { }\n')).toEqual([
      { code: 'ERR_CONFIG_SYNTAX', line: 1, path: 'a' },
      { code: 'ERR_CONFIG_SYNTAX', line: 1, path: 'a' },
    ])
  })

  it('rejects bad section and key names', () => {
    expect(parseErrors('{\n}\n')).toEqual([{ code: 'ERR_CONFIG_SYNTAX', line: 1, path: '' }])
    expect(parseErrors('to tem {\n}\n')).toEqual([{ code: 'ERR_CONFIG_SYNTAX', line: 1, path: '' }])
    expect(parseErrors('totem {\n\t: 3\n\tto ken: 3\n}\n')).toEqual([
      { code: 'ERR_CONFIG_SYNTAX', line: 2, path: 'totem' },
      { code: 'ERR_CONFIG_SYNTAX', line: 3, path: 'totem' },
    ])
  })

  it('reports every unclosed section at its opening line', () => {
    expect(parseErrors('totem {\n\tinterface {\n\t\tlinknumber: 0\n')).toEqual([
      { code: 'ERR_CONFIG_SYNTAX', line: 1, path: 'totem' },
      { code: 'ERR_CONFIG_SYNTAX', line: 2, path: 'totem.interface' },
    ])
  })

  it('collects all errors, not only the first', () => {
    const errs = parseErrors('a = 1\n}\nb {\n\tc d\n}\n\te = 2\n')
    expect(errs.map((e) => e.line)).toEqual([1, 2, 4, 6])
  })

  it('reports NUL bytes, control characters and invalid UTF-8 per line', () => {
    const bytes = Uint8Array.from([
      ...new TextEncoder().encode('totem {\n'),
      0x00,
      0x01,
      0x0a,
      0xc3,
      0x28,
      0x0a,
      ...new TextEncoder().encode('\tver\u0007sion: 2\n}\n'),
    ])
    expect(parseErrors(bytes)).toEqual([
      { code: 'ERR_CONFIG_ENCODING', line: 2, path: 'totem' },
      { code: 'ERR_CONFIG_ENCODING', line: 3, path: 'totem' },
      { code: 'ERR_CONFIG_ENCODING', line: 4, path: 'totem' },
    ])
    expect(parseErrors('totem {\n\tx: \ufffd\n}\n')).toEqual([
      { code: 'ERR_CONFIG_ENCODING', line: 2, path: 'totem' },
    ])
  })

  it('limits line length, nesting depth and file size', () => {
    const long = `totem {\n\tcluster_name: ${'a'.repeat(CONFIG_LINE_BYTES_MAX)}\n}\n`
    expect(parseErrors(long)).toEqual([{ code: 'ERR_CONFIG_LIMIT', line: 2, path: 'totem' }])
    // A line of exactly the limit is fine.
    const exact = `totem {\n${'x'.repeat(CONFIG_LINE_BYTES_MAX - 3)}: 1\n}\n`
    expect(parseErrors(exact)).toEqual([])
    const names = Array.from({ length: CONFIG_DEPTH_MAX + 1 }, (_, i) => `s${i}`)
    const deep = `${names.map((n) => `${n} {`).join('\n')}\n${names.map(() => '}').join('\n')}\n`
    expect(parseErrors(deep)).toEqual([
      { code: 'ERR_CONFIG_LIMIT', line: CONFIG_DEPTH_MAX + 1, path: names.join('.') },
    ])
    expect(parseErrors(new Uint8Array(CONFIG_BYTES_MAX + 1))).toEqual([
      { code: 'ERR_CONFIG_LIMIT', line: 0, path: '' },
    ])
  })

  it('parses an empty file to an empty tree (the loader rejects it)', () => {
    expect(parseCorosyncConf('').root.children).toEqual([])
    expect(parseCorosyncConf(new Uint8Array(0)).root.children).toEqual([])
  })

  it('puts file, line, path and expected in the error details', () => {
    try {
      parseCorosyncConf('totem {\n\ttoken = 3000\n}\n', 'c.conf')
      expect.unreachable()
    } catch (e) {
      const err = (e as ConfigErrors).errors[0] as ConfigError
      expect(err.details).toEqual({
        file: 'c.conf',
        line: 2,
        path: 'totem.token',
        expected: 'key: value',
        value: 'token = 3000',
      })
      expect(err.message.startsWith('c.conf:2: totem.token: ')).toBe(true)
      expect((e as ConfigErrors).code).toBe('ERR_CONFIG_INVALID')
    }
  })
})
