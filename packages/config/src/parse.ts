import { Diagnostics } from './diagnostics.ts'
import { ConfigErrors, type ConfigWarning, ConfigWarningCode } from './errors.ts'

/** A `key: value` line. */
export interface ConfKey {
  readonly kind: 'key'
  /** The key as written (before the first `:`), trimmed. */
  readonly key: string
  /** The rest of the line after the first `:`, trimmed: corosync has no quoting and no trailing comments. */
  readonly value: string
  /** 1-based line number. */
  readonly line: number
}

/** A `name { … }` block. The root of a document is a section with an empty name at line 0. */
export interface ConfSection {
  readonly kind: 'section'
  readonly name: string
  /** Line of `name {` (0 for the root). */
  readonly line: number
  /** Line of the closing `}` (for the root, or an unclosed section: the last line of the file). */
  readonly endLine: number
  /** Keys and sub-sections in file order; repeated sections (`node`, `interface`) stay separate. */
  readonly children: readonly ConfNode[]
}

/** A key or a section. */
export type ConfNode = ConfKey | ConfSection

/** A parsed corosync.conf: the tree with line numbers, and the format-level warnings. */
export interface ConfDocument {
  readonly file: string
  readonly root: ConfSection
  /** Number of lines in the file. */
  readonly lineCount: number
  readonly warnings: readonly ConfigWarning[]
}

/** Largest configuration file accepted (corosync.conf files are a few KiB). */
export const CONFIG_BYTES_MAX: number = 1024 * 1024
/** Longest line, in bytes without the newline: corosync reads lines into a 512-byte buffer. */
export const CONFIG_LINE_BYTES_MAX = 510
/** Deepest nesting of sections (corosync's own files nest three deep: `quorum.device.net`). */
export const CONFIG_DEPTH_MAX = 8

const NAME_RE = /^[A-Za-z0-9_-]+$/
// C0 controls except TAB, plus DEL and U+FFFD (what invalid UTF-8 decodes to).
// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting binary garbage is the point
const CONTROL_RE = /[\u0000-\u0008\u000a-\u001f\u007f\ufffd]/
const TRIM_END_RE = /[ \t]+$/
const TRIM_START_RE = /^[ \t]+/

function trimSpaces(s: string): string {
  return s.replace(TRIM_START_RE, '').replace(TRIM_END_RE, '')
}

interface RawLine {
  readonly text: string
  /** Set when the line is not valid UTF-8. */
  readonly invalidUtf8: boolean
  readonly bytes: number
}

const utf8 = new TextEncoder()

function splitText(text: string): RawLine[] {
  const out: RawLine[] = []
  for (const line of text.split('\n')) {
    const bytes = line.length <= CONFIG_LINE_BYTES_MAX / 3 ? line.length : utf8.encode(line).length
    out.push({ text: line, invalidUtf8: false, bytes })
  }
  return out
}

function splitBytes(bytes: Uint8Array): RawLine[] {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  const out: RawLine[] = []
  let start = 0
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue
    const slice = bytes.subarray(start, i)
    try {
      out.push({ text: decoder.decode(slice), invalidUtf8: false, bytes: slice.length })
    } catch {
      out.push({ text: '', invalidUtf8: true, bytes: slice.length })
    }
    start = i + 1
  }
  return out
}

interface OpenSection {
  readonly name: string
  readonly line: number
  readonly path: string
  readonly children: ConfNode[]
}

/**
 * Parses text or bytes into a tree, collecting every syntax error into `diag`. Never throws.
 * The rules are corosync's (`exec/coroparse.c`), with errors where corosync silently ignores:
 * - a line is split at `\n`, a trailing `\r` and trailing blanks are dropped;
 * - a line whose first non-blank character is `#` is a comment; there are no trailing comments;
 * - a line containing `{` opens a section named by the text before it (a trailing `:` is dropped);
 * - else a line containing `:` is `key: value`, the value being the rest of the line, trimmed;
 * - else a line containing `}` closes the innermost section;
 * - anything else is an error here (corosync skips it silently), as are `key = value`,
 *   text after `{`, text around `}`, a `}` with nothing open and a section never closed.
 * @internal
 */
export function parseInto(input: string | Uint8Array, diag: Diagnostics): ConfDocument {
  const size = input.length
  const empty: ConfSection = { kind: 'section', name: '', line: 0, endLine: 0, children: [] }
  if (size > CONFIG_BYTES_MAX) {
    diag.error('ERR_CONFIG_LIMIT', 0, '', `file larger than ${CONFIG_BYTES_MAX} bytes`, {
      expected: `at most ${CONFIG_BYTES_MAX} bytes`,
      value: String(size),
    })
    return { file: diag.file, root: empty, lineCount: 0, warnings: diag.warnings }
  }
  const lines = typeof input === 'string' ? splitText(input) : splitBytes(input)
  const first = lines[0]
  if (first?.text.startsWith('\ufeff')) {
    lines[0] = { ...first, text: first.text.slice(1) }
  }
  // A final newline does not start another line.
  if (
    lines.length > 1 &&
    lines[lines.length - 1]?.text === '' &&
    !lines[lines.length - 1]?.invalidUtf8
  )
    lines.pop()

  const rootChildren: ConfNode[] = []
  const stack: OpenSection[] = [{ name: '', line: 0, path: '', children: rootChildren }]
  const top = (): OpenSection => stack[stack.length - 1] as OpenSection
  const childPath = (name: string): string => (top().path === '' ? name : `${top().path}.${name}`)

  const closeTop = (endLine: number): void => {
    const s = stack.pop() as OpenSection
    top().children.push({
      kind: 'section',
      name: s.name,
      line: s.line,
      endLine,
      children: s.children,
    })
  }

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as RawLine
    const lineNo = i + 1
    const where = top().path
    if (raw.invalidUtf8) {
      diag.error('ERR_CONFIG_ENCODING', lineNo, where, 'line is not valid UTF-8 (binary data?)', {
        expected: 'UTF-8 text',
      })
      continue
    }
    let text = raw.text
    if (text.endsWith('\r')) text = text.slice(0, -1)
    if (raw.bytes > CONFIG_LINE_BYTES_MAX) {
      diag.error(
        'ERR_CONFIG_LIMIT',
        lineNo,
        where,
        `line longer than ${CONFIG_LINE_BYTES_MAX} bytes (corosync would split it)`,
        { expected: `at most ${CONFIG_LINE_BYTES_MAX} bytes per line`, value: String(raw.bytes) },
      )
      continue
    }
    const control = CONTROL_RE.exec(text)
    if (control !== null) {
      const ch = control[0]
      const what =
        ch === '\u0000'
          ? 'a NUL byte'
          : ch === '\ufffd'
            ? 'U+FFFD (invalid UTF-8 was decoded)'
            : `control character 0x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`
      diag.error('ERR_CONFIG_ENCODING', lineNo, where, `line contains ${what} (binary data?)`, {
        expected: 'printable text',
      })
      continue
    }
    text = text.replace(TRIM_END_RE, '')
    const body = text.replace(TRIM_START_RE, '')
    if (body === '' || body.startsWith('#')) continue

    const brace = body.indexOf('{')
    if (brace >= 0) {
      let name = body.slice(0, brace).replace(TRIM_END_RE, '')
      if (name.endsWith(':')) name = name.slice(0, -1).replace(TRIM_END_RE, '')
      const after = trimSpaces(body.slice(brace + 1))
      const path = childPath(name)
      if (!NAME_RE.test(name)) {
        diag.error(
          'ERR_CONFIG_SYNTAX',
          lineNo,
          where,
          name === '' ? 'section without a name' : `bad section name '${name}'`,
          { expected: 'name { on its own line; names are letters, digits, _ and -', value: body },
        )
      } else if (after !== '') {
        diag.error(
          'ERR_CONFIG_SYNTAX',
          lineNo,
          path,
          after.startsWith('}')
            ? 'a section must span several lines: corosync ignores everything after {'
            : 'text after { (corosync ignores it): put each key on its own line',
          { expected: `${name} { alone on its line`, value: body },
        )
      }
      if (stack.length > CONFIG_DEPTH_MAX) {
        diag.error(
          'ERR_CONFIG_LIMIT',
          lineNo,
          path,
          `sections nested deeper than ${CONFIG_DEPTH_MAX}`,
          {
            expected: `at most ${CONFIG_DEPTH_MAX} levels`,
          },
        )
      }
      stack.push({ name, line: lineNo, path, children: [] })
      continue
    }

    const colon = body.indexOf(':')
    if (colon >= 0) {
      const key = body.slice(0, colon).replace(TRIM_END_RE, '')
      const value = trimSpaces(body.slice(colon + 1))
      const path = childPath(key)
      if (!NAME_RE.test(key)) {
        diag.error(
          'ERR_CONFIG_SYNTAX',
          lineNo,
          where,
          key === '' ? 'value without a key' : `bad key '${key}'`,
          { expected: 'key: value; keys are letters, digits, _ and -', value: body },
        )
        continue
      }
      if (/[ \t]#/.test(value)) {
        diag.warn(
          ConfigWarningCode.TrailingComment,
          lineNo,
          path,
          `'#' is part of the value: corosync only has whole-line comments`,
        )
      }
      if (value.length >= 2 && /^(["']).*\1$/.test(value)) {
        diag.warn(
          ConfigWarningCode.Quoted,
          lineNo,
          path,
          'the quotes are part of the value: corosync does not strip them',
        )
      }
      top().children.push({ kind: 'key', key, value, line: lineNo })
      continue
    }

    if (body.includes('}')) {
      if (stack.length === 1) {
        diag.error('ERR_CONFIG_SYNTAX', lineNo, '', "'}' closes no section", {
          expected: 'a } for every {',
        })
        continue
      }
      if (body !== '}') {
        diag.error('ERR_CONFIG_SYNTAX', lineNo, where, "text around '}' (corosync ignores it)", {
          expected: '} alone on its line',
          value: body,
        })
      }
      closeTop(lineNo)
      continue
    }

    const eq = body.indexOf('=')
    diag.error(
      'ERR_CONFIG_SYNTAX',
      lineNo,
      eq > 0 ? childPath(trimSpaces(body.slice(0, eq))) : where,
      eq > 0
        ? "'=' is not a separator in corosync.conf: write 'key: value'"
        : "not 'key: value', 'name {' or '}' (corosync would silently skip this line)",
      { expected: eq > 0 ? 'key: value' : 'key: value | name { | }', value: body },
    )
  }

  const lastLine = lines.length
  while (stack.length > 1) {
    const s = top()
    diag.error('ERR_CONFIG_SYNTAX', s.line, s.path, `section '${s.name}' is never closed`, {
      expected: "a '}' for this '{'",
    })
    closeTop(lastLine)
  }
  return {
    file: diag.file,
    root: { kind: 'section', name: '', line: 0, endLine: lastLine, children: rootChildren },
    lineCount: lastLine,
    warnings: diag.warnings,
  }
}

/**
 * Parses corosync.conf text (or raw bytes, which are checked to be UTF-8 text) into a tree with
 * line numbers, following corosync's own parser. Every syntax error is collected; if there is
 * any, a {@link ConfigErrors} is thrown holding all of them. Nothing else is ever thrown.
 *
 * @example
 * ```ts
 * const doc = parseCorosyncConf('totem {\n\ttoken: 3000\n}\n', 'corosync.conf')
 * const totem = doc.root.children[0] // { kind: 'section', name: 'totem', line: 1, … }
 * ```
 */
export function parseCorosyncConf(input: string | Uint8Array, file = '<string>'): ConfDocument {
  const diag = new Diagnostics(file)
  const doc = parseInto(input, diag)
  if (diag.failed) {
    diag.sort()
    throw new ConfigErrors(file, diag.errors, diag.warnings, diag.omitted)
  }
  return doc
}
