import type { Diagnostics } from './diagnostics.ts'
import { ConfigWarningCode } from './errors.ts'
import type { ConfKey, ConfSection } from './parse.ts'
import { lookupKey } from './schema.ts'

/** Integer range and the words used in messages. @internal */
export interface IntRange {
  readonly min: number
  readonly max: number
  /** Why the bound is what it is, appended to `expected`. */
  readonly why?: string
}

const BOOL_WORDS: Readonly<Record<string, boolean>> = { yes: true, on: true, no: false, off: false }

/**
 * A section (or several merged copies of one) with its keys indexed, typed getters that report
 * bad values, and a final pass that reports unknown and ignored keys. @internal
 */
export class SectionView {
  readonly diag: Diagnostics
  /** Display path, with indices: `nodelist.node.2`. */
  readonly path: string
  /** Schema path, without indices: `nodelist.node`. */
  readonly schema: string
  readonly line: number
  readonly keyLines: Record<string, number>
  readonly subsections: ConfSection[] = []
  private readonly keys = new Map<string, ConfKey>()
  private readonly used = new Set<string>()

  constructor(
    diag: Diagnostics,
    sections: readonly ConfSection[],
    path: string,
    schema: string,
    keyLines: Record<string, number>,
  ) {
    this.diag = diag
    this.path = path
    this.schema = schema
    this.keyLines = keyLines
    this.line = sections[0]?.line ?? 0
    for (const sec of sections) {
      for (const c of sec.children) {
        if (c.kind === 'section') {
          this.subsections.push(c)
          continue
        }
        const prev = this.keys.get(c.key)
        if (prev !== undefined) {
          diag.warn(
            ConfigWarningCode.DuplicateKey,
            c.line,
            this.keyPath(c.key),
            `'${c.key}' was already set on line ${prev.line}; this later value wins, as in corosync`,
          )
        }
        this.keys.set(c.key, c)
      }
    }
  }

  keyPath(key: string): string {
    return this.path === '' ? key : `${this.path}.${key}`
  }

  /** Key names present (in first-seen order). */
  keyNames(): string[] {
    return [...this.keys.keys()]
  }

  /** Line of a key if the file sets it. */
  lineOf(key: string): number | undefined {
    return this.keys.get(key)?.line
  }

  /** The key as written, marking it used. */
  raw(key: string): ConfKey | undefined {
    const k = this.keys.get(key)
    if (k !== undefined) {
      this.used.add(key)
      this.keyLines[this.keyPath(key)] = k.line
    }
    return k
  }

  str(key: string): string | undefined {
    const k = this.raw(key)
    if (k === undefined) return undefined
    if (k.value === '') {
      this.bad(k, 'is empty', 'a value')
      return undefined
    }
    return k.value
  }

  int(key: string, range: IntRange): number | undefined {
    const k = this.raw(key)
    if (k === undefined) return undefined
    const expected = `integer ${range.min}..${range.max}${range.why === undefined ? '' : ` (${range.why})`}`
    if (!/^\d+$/.test(k.value)) {
      const hint = /^\d+[ \t]+#/.test(k.value)
        ? ' (corosync has no trailing comments: move it to a line of its own)'
        : ''
      this.bad(k, `'${k.value}' is not a whole number${hint}`, expected)
      return undefined
    }
    const n = Number(k.value)
    if (n < range.min || n > range.max) {
      this.bad(k, `${k.value} is out of range`, expected)
      return undefined
    }
    return n
  }

  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const k = this.raw(key)
    if (k === undefined) return undefined
    if ((values as readonly string[]).includes(k.value)) return k.value as T
    this.bad(k, `'${k.value}' is not allowed`, values.join(' | '))
    return undefined
  }

  bool(key: string): boolean | undefined {
    const k = this.raw(key)
    if (k === undefined) return undefined
    const b = BOOL_WORDS[k.value]
    if (b === undefined) this.bad(k, `'${k.value}' is not yes or no`, 'yes | no')
    return b
  }

  private bad(k: ConfKey, reason: string, expected: string): void {
    this.diag.error('ERR_CONFIG_VALUE', k.line, this.keyPath(k.key), reason, {
      expected,
      value: k.value,
    })
  }

  /**
   * Reports every key not read: a note for keys corosync has and totem-ts ignores, a warning for
   * keys nobody knows. Sub-sections not in `handled` get the same treatment.
   */
  finish(handled: readonly string[] = []): void {
    for (const [name, k] of this.keys) {
      if (this.used.has(name)) continue
      this.reportUnused(name, k.line, 'key')
    }
    for (const sec of this.subsections) {
      if (handled.includes(sec.name)) continue
      this.reportUnused(sec.name, sec.line, 'section')
    }
  }

  private reportUnused(name: string, line: number, what: 'key' | 'section'): void {
    const info = lookupKey(this.schema, name)
    const path = this.keyPath(name)
    if (info?.status === 'ignored') {
      this.diag.warn(ConfigWarningCode.Ignored, line, path, `ignored: ${info.mapsTo}`)
    } else if (what === 'key') {
      this.diag.warn(
        ConfigWarningCode.UnknownKey,
        line,
        path,
        `unknown key '${name}' (a typo?): ignored`,
      )
    } else {
      this.diag.warn(
        ConfigWarningCode.UnknownSection,
        line,
        path,
        `unknown section '${name}' (a typo?): ignored with everything in it`,
      )
    }
  }
}
