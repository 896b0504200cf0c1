/** Turns decoded messages into JSON-safe values: bigints → decimal strings, bytes → hex. */
export function toJsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array) return toHex(v)
  if (Array.isArray(v)) return v.map(toJsonValue)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) out[k] = toJsonValue(x)
    return out
  }
  return v
}

/** Lowercase hex of bytes. */
export function toHex(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += (b[i] as number).toString(16).padStart(2, '0')
  return s
}
