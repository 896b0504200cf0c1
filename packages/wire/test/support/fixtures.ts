/**
 * Loading the capture fixtures (test/fixtures/captures, written by
 * tools/dissect/scripts/extract-fixtures.ts) and turning decoded values into the plain JSON their
 * sidecars hold.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Where the capture fixtures live. */
export const CAPTURES_DIR: string = join(import.meta.dirname, '..', 'fixtures', 'captures')

/** One captured datagram and its sidecar. */
export interface Fixture {
  /** Capture base name (the fixture's directory). */
  readonly capture: string
  /** 1-based frame number in the capture. */
  readonly frame: number
  /** `capture/frame`, for failure messages. */
  readonly name: string
  readonly bytes: Uint8Array
  readonly sidecar: Sidecar
}

/** The sidecar `.json` of a fixture. */
export interface Sidecar {
  readonly source: {
    readonly capture: string
    readonly frame: number
    readonly src: string
    readonly dst: string
    readonly timeUs: number
  }
  readonly byteOrder: 'le' | 'be'
  readonly type: string
  readonly decoded: Record<string, unknown>
  readonly app?: AppSidecar
}

/** The `app` part of an mcast's sidecar. */
export interface AppSidecar {
  readonly encapsulated?: { readonly byteOrder: 'le' | 'be'; readonly message: unknown }
  readonly packet?: {
    readonly version: number
    readonly pgType: number
    readonly fragmented: number
    readonly continuation: number
    readonly pieceLengths: readonly number[]
  }
  readonly pieces?: readonly {
    readonly index: number
    readonly complete: boolean
    readonly groups?: readonly string[]
    readonly message?: unknown
    readonly error?: { readonly code: string; readonly details: unknown }
  }[]
  readonly error?: { readonly code: string; readonly details: unknown }
}

/** Capture directories, sorted. Empty when the fixtures are missing. */
export function listCaptures(): string[] {
  if (!existsSync(CAPTURES_DIR)) return []
  return readdirSync(CAPTURES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
}

/** Every fixture of one capture, by frame. */
export function loadCapture(capture: string): Fixture[] {
  const dir = join(CAPTURES_DIR, capture)
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => {
      const base = f.slice(0, -4)
      const sidecar = JSON.parse(readFileSync(join(dir, `${base}.json`), 'utf8')) as Sidecar
      return {
        capture,
        frame: Number(base),
        name: `${capture}/${base}`,
        bytes: new Uint8Array(readFileSync(join(dir, f))),
        sidecar,
      }
    })
}

let cache: Fixture[] | undefined
/** Every fixture of every capture (read once per test file). */
export function loadAllFixtures(): Fixture[] {
  cache ??= listCaptures().flatMap(loadCapture)
  return cache
}

/** Plain JSON for a decoded value: bigints as decimal strings, bytes as lowercase hex. */
export function toJson(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array)
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
  if (Array.isArray(v)) return v.map(toJson)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJson(x)
    return out
  }
  return v
}

/** Bytes from a hex string (whitespace ignored). */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '')
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${s}`)
  return new Uint8Array(Buffer.from(clean, 'hex'))
}

/** One fixture by capture and frame. */
export function loadFixture(capture: string, frame: number): Fixture {
  const base = String(frame).padStart(4, '0')
  const dir = join(CAPTURES_DIR, capture)
  return {
    capture,
    frame,
    name: `${capture}/${base}`,
    bytes: new Uint8Array(readFileSync(join(dir, `${base}.bin`))),
    sidecar: JSON.parse(readFileSync(join(dir, `${base}.json`), 'utf8')) as Sidecar,
  }
}
