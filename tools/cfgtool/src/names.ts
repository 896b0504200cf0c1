/**
 * corosync's names for the counters: `SrpStats` mirrors corosync's `totemsrp_stats_t`, and
 * corosync-cmapctl shows those fields as `stats.srp.<name>` in snake_case. Fields corosync does
 * not have get the same treatment (camelCase → snake_case).
 */

/** SrpStats fields whose corosync name is not the plain snake_case of the field. */
export const COROSYNC_SRP_NAMES: Readonly<Record<string, string>> = {
  memJoinTx: 'memb_join_tx',
  memJoinRx: 'memb_join_rx',
  memMergeTx: 'memb_merge_detect_tx',
  memMergeRx: 'memb_merge_detect_rx',
  commitTokenTx: 'memb_commit_token_tx',
  commitTokenRx: 'memb_commit_token_rx',
  rxDropped: 'rx_msg_dropped',
}

/** `orfTokenTx` → `orf_token_tx`, `cryptoKeyId` → `crypto_key_id`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase()
}

/** A counters tree with corosync's snake_case names. */
export type Counters = { [name: string]: number | string | boolean | null | Counters }

function convert(
  v: unknown,
  names: Readonly<Record<string, string>>,
): Counters[string] | undefined {
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
    return v
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) return v.join(' ')
    const out: Counters = {}
    for (const x of v) {
      const id = (x as { nodeId?: unknown } | null)?.nodeId
      if (typeof x !== 'object' || x === null || typeof id !== 'number') continue
      const { nodeId: _, ...rest } = x as Record<string, unknown>
      const c = convert(rest, {})
      if (c !== undefined) out[String(id)] = c
    }
    return out
  }
  if (typeof v === 'object') {
    const out: Counters = {}
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      // Error codes (ERR_CRYPTO_AUTH) and errnos (ECONNREFUSED) keep their spelling.
      const name = names[k] ?? (/^[A-Z0-9_]+$/.test(k) ? k : snakeCase(k))
      const c = convert(x, {})
      if (c !== undefined) out[name] = c
    }
    return out
  }
  return undefined
}

/**
 * The daemon's `stats` result under corosync's names: `srp` (with `rx_msg_dropped` as the total
 * and `rx_msg_dropped_by_code`), `transport` (crypto counters included), `event_loop_delay_ms`,
 * `daemon`, the timers, and `multiring` (multiring nodes and gateways: topology, LANs,
 * forwarding, lag, protocol counters).
 */
export function corosyncStats(stats: Readonly<Record<string, unknown>>): Counters {
  const srp = (stats.srp ?? {}) as Record<string, unknown>
  const dropped = (srp.rxDropped ?? {}) as Record<string, number>
  const { rxDropped: _, ...srpRest } = srp
  const srpOut = convert(srpRest, COROSYNC_SRP_NAMES) as Counters
  srpOut.rx_msg_dropped = Object.values(dropped).reduce((a, b) => a + b, 0)
  srpOut.rx_msg_dropped_by_code = convert(dropped, {}) as Counters
  const out: Counters = {
    node_id: (stats.nodeId as number | undefined) ?? null,
    ring_id: (stats.ringId as string | undefined) ?? null,
    srp: srpOut,
  }
  for (const k of ['transport', 'eventLoopDelayMs', 'daemon', 'timers', 'multiring'] as const) {
    if (k === 'multiring' && stats[k] === undefined) continue
    const c = convert(stats[k] ?? {}, {})
    if (c !== undefined) out[snakeCase(k)] = c
  }
  return out
}

/**
 * Flattens for text output: `srp` counters under their bare corosync names (`orf_token_tx`),
 * everything else as `section.name` (`transport.rx_dropped.ERR_CRYPTO_AUTH`).
 */
export function flattenCounters(c: Counters, prefix = ''): [string, string][] {
  const out: [string, string][] = []
  for (const [k, v] of Object.entries(c)) {
    const key = prefix === '' && k === 'srp' ? '' : `${prefix}${k}`
    if (v !== null && typeof v === 'object')
      out.push(...flattenCounters(v, key === '' ? '' : `${key}.`))
    else out.push([key, v === null ? '-' : String(v)])
  }
  return out
}
