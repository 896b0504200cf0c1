/**
 * The multiring extension of the EVS trace (docs/EVS-TRACE-MULTIRING.md, reference
 * totem-multiring.md §7): `deliver` gains `ts`, `src_ring` and `kind`; new events `mrecv`, `fwd`
 * and `topo`. The nine properties of EVS-TRACE.md are checked on the trace with the extension
 * stripped (the system configuration is the topology); four more are checked on the extension:
 * key order, key identity, Lamport causality and forwarding hygiene.
 */
import { invalidArgument, isNodeId, type NodeId } from '@totem-ts/common'
import { type CheckOptions, type CheckResult, checkTrace } from './check.ts'
import { TRACE_LINE_CHARS_MAX, badTrace as throwBadTrace } from './errors.ts'
import type { Violation } from './properties.ts'
import {
  type DeliverEvent,
  formatTraceEvent,
  isTraceRingId,
  parseTraceLine,
  type TraceEvent,
} from './trace.ts'

/** A `deliver` with the multiring fields: the message's ordering key. */
export interface MultiringDeliverEvent extends DeliverEvent {
  /** Lamport timestamp. */
  readonly ts: number
  /** Ring id of the ring the message was originated on. */
  readonly src_ring: string
  /** Always `reg` for a `deliver` (configuration changes are `topo` events). */
  readonly kind: 'reg'
}

/** A message entered this processor's receive list for its source ring (or a GV was merged). */
export interface MrecvEvent {
  readonly ev: 'mrecv'
  readonly node: NodeId
  readonly t: number
  /** `"<ts>@<rep>.<seq>/<reg|cc|gv>"`. */
  readonly key: string
  /** LAN it arrived on. */
  readonly via: number
}

/** A gateway put a message from one LAN onto another. */
export interface FwdEvent {
  readonly ev: 'fwd'
  readonly node: NodeId
  readonly t: number
  readonly key: string
  readonly from: number
  readonly to: number
}

/** A configuration change was delivered: the topology after it. */
export interface TopoEvent {
  readonly ev: 'topo'
  readonly node: NodeId
  readonly t: number
  /** The CC's key (`…/cc`). */
  readonly key: string
  /** The topology id: the `ring` of the `conf` events that follow. */
  readonly ring: string
  /** The rings of the topology, as ring ids, ascending. */
  readonly rings: readonly string[]
}

/** One line of a multiring EVS trace. */
export type MultiringTraceEvent =
  | TraceEvent
  | MultiringDeliverEvent
  | MrecvEvent
  | FwdEvent
  | TopoEvent

/** Properties the multiring extension adds (reference §7 invariants 1, 2, 4, 11). */
export const MULTIRING_PROPERTIES = ['key-order', 'key-identity', 'lamport', 'forwarding'] as const
/** One of {@link MULTIRING_PROPERTIES}. */
export type MultiringProperty = (typeof MULTIRING_PROPERTIES)[number]

/** A violation of a multiring property. */
export interface MultiringViolation {
  readonly property: MultiringProperty
  readonly message: string
  readonly details: Readonly<Record<string, string | number | boolean>>
}

/** What {@link checkMultiringTrace} found. */
export interface MultiringCheckResult {
  readonly ok: boolean
  /** Violations of the nine EVS properties (on the stripped trace) then of the multiring ones. */
  readonly violations: readonly (Violation | MultiringViolation)[]
  /** The result of `checkTrace` on the stripped trace. */
  readonly base: CheckResult
  /** Multiring counts: keyed deliveries, topology changes, forwards, receives. */
  readonly counts: {
    readonly deliveries: number
    readonly topologies: number
    readonly forwards: number
    readonly receives: number
  }
}

interface ParsedKey {
  readonly ts: number
  readonly seq: bigint
  readonly rep: number
  readonly rank: number
}

const KEY_RE = /^(0|[1-9][0-9]{0,15})@(0|[1-9][0-9]{0,9})\.(0|[1-9][0-9]{0,19})\/(reg|cc|gv)$/
const RANKS: Readonly<Record<string, number>> = { reg: 1, cc: 2, gv: 1 }

/** True for a key in the trace form `"<ts>@<rep>.<seq>/<reg|cc|gv>"`. */
export function isTraceKey(s: unknown): s is string {
  return typeof s === 'string' && KEY_RE.test(s)
}

function parseKey(s: string): ParsedKey {
  const m = KEY_RE.exec(s)
  if (m === null) invalidArgument('bad key', { value: s })
  return {
    ts: Number(m[1]),
    rep: Number(m[2]),
    seq: BigInt(m[3] as string),
    rank: RANKS[m[4] as string] as number,
  }
}

function compareParsed(a: ParsedKey, b: ParsedKey): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1
  if (a.rep !== b.rep) return a.rep - b.rep
  return a.rank - b.rank
}

/** The key form of a delivered message: `"<ts>@<src_ring>/reg"`. */
export function deliverKey(e: MultiringDeliverEvent): string {
  return `${e.ts}@${e.src_ring}/reg`
}

const isMrDeliver = (e: MultiringTraceEvent): e is MultiringDeliverEvent =>
  e.ev === 'deliver' && 'ts' in e

/** One JSON line; extension fields after the base ones. */
export function formatMultiringTraceEvent(e: MultiringTraceEvent): string {
  if (e.ev === 'mrecv' || e.ev === 'fwd' || e.ev === 'topo') return JSON.stringify(e)
  if (isMrDeliver(e)) {
    const base = formatTraceEvent(stripDeliver(e))
    return `${base.slice(0, -1)},"ts":${e.ts},"src_ring":${JSON.stringify(e.src_ring)},"kind":"reg"}`
  }
  return formatTraceEvent(e)
}

const stripDeliver = (e: MultiringDeliverEvent): DeliverEvent => ({
  ev: 'deliver',
  node: e.node,
  t: e.t,
  id: e.id,
  from: e.from,
  g: e.g,
  ring: e.ring,
})

const EXT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  mrecv: ['ev', 'node', 't', 'key', 'via'],
  fwd: ['ev', 'node', 't', 'key', 'from', 'to'],
  topo: ['ev', 'node', 't', 'key', 'ring', 'rings'],
}

function badTrace(line: number, reason: string, field?: string): never {
  return throwBadTrace(`line ${line}: ${reason}${field === undefined ? '' : ` (${field})`}`, {
    line,
    reason,
    ...(field === undefined ? {} : { field }),
  })
}

const lanOk = (v: unknown): boolean =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff

/**
 * Parses one line of a multiring trace: a base event (EVS-TRACE.md), a `deliver` with the
 * multiring fields, or an `mrecv`/`fwd`/`topo`. Throws only `EvsTraceError`.
 */
export function parseMultiringTraceLine(line: string, lineNo = 1): MultiringTraceEvent {
  if (line.length > TRACE_LINE_CHARS_MAX) badTrace(lineNo, 'too-long')
  let o: unknown
  try {
    o = JSON.parse(line)
  } catch {
    return badTrace(lineNo, 'not-json')
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return badTrace(lineNo, 'not-object')
  const r = o as Record<string, unknown>
  const ext = EXT_FIELDS[String(r.ev)]
  if (r.ev === 'deliver' && ('ts' in r || 'src_ring' in r || 'kind' in r)) {
    const { ts, src_ring, kind, ...base } = r
    const b = parseTraceLine(JSON.stringify(base), lineNo) as DeliverEvent
    if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0)
      badTrace(lineNo, 'bad-field', 'ts')
    if (!isTraceRingId(src_ring)) badTrace(lineNo, 'bad-field', 'src_ring')
    if (kind !== 'reg') badTrace(lineNo, 'bad-field', 'kind')
    return { ...b, ts, src_ring, kind }
  }
  if (ext === undefined) return parseTraceLine(line, lineNo)
  for (const k of Object.keys(r)) if (!ext.includes(k)) badTrace(lineNo, 'unexpected-field', k)
  for (const k of ext) if (!(k in r)) badTrace(lineNo, 'missing-field', k)
  if (!isNodeId(r.node)) badTrace(lineNo, 'bad-field', 'node')
  if (typeof r.t !== 'number' || !Number.isFinite(r.t) || r.t < 0)
    badTrace(lineNo, 'bad-field', 't')
  if (!isTraceKey(r.key)) badTrace(lineNo, 'bad-field', 'key')
  if (r.ev === 'mrecv' && !lanOk(r.via)) badTrace(lineNo, 'bad-field', 'via')
  if (r.ev === 'fwd') {
    if (!lanOk(r.from)) badTrace(lineNo, 'bad-field', 'from')
    if (!lanOk(r.to)) badTrace(lineNo, 'bad-field', 'to')
  }
  if (r.ev === 'topo') {
    if (!isTraceRingId(r.ring)) badTrace(lineNo, 'bad-field', 'ring')
    if (!Array.isArray(r.rings) || !r.rings.every(isTraceRingId))
      badTrace(lineNo, 'bad-field', 'rings')
  }
  return r as unknown as MultiringTraceEvent
}

/** Parses a whole multiring trace (JSON Lines; empty lines skipped). */
export function parseMultiringTrace(text: string): MultiringTraceEvent[] {
  const out: MultiringTraceEvent[] = []
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    let l = lines[i] as string
    if (l.endsWith('\r')) l = l.slice(0, -1)
    if (l.trim() === '') continue
    out.push(parseMultiringTraceLine(l, i + 1))
  }
  return out
}

/** The base EVS trace: the extension events dropped, `deliver` stripped to its base fields. */
export function baseTrace(events: readonly MultiringTraceEvent[]): TraceEvent[] {
  const out: TraceEvent[] = []
  for (const e of events) {
    if (e.ev === 'mrecv' || e.ev === 'fwd' || e.ev === 'topo') continue
    out.push(isMrDeliver(e) ? stripDeliver(e) : (e as TraceEvent))
  }
  return out
}

/**
 * Checks a multiring trace: the nine EVS properties on {@link baseTrace}, then
 * - `key-order`: each incarnation delivers (messages and configuration changes) in strictly
 *   increasing key order (reference §7.1);
 * - `key-identity`: one key is one message (same id, or same topology) at every processor, and one
 *   message id has one key (§7.2);
 * - `lamport`: a message an incarnation sends carries a timestamp above every key it delivered
 *   before, and above every message it sent before (§7.4);
 * - `forwarding`: a gateway incarnation forwards a key at most once per destination LAN, never onto
 *   the LAN it came from (§7.11).
 */
export function checkMultiringTrace(
  events: readonly MultiringTraceEvent[],
  options?: CheckOptions,
): MultiringCheckResult {
  const base = checkTrace(baseTrace(events), options)
  const max = options?.maxViolations ?? 20
  const out: MultiringViolation[] = []
  const per = new Map<MultiringProperty, number>()
  const report = (
    property: MultiringProperty,
    message: string,
    details: Record<string, string | number | boolean>,
  ): void => {
    const n = per.get(property) ?? 0
    per.set(property, n + 1)
    if (n < max) out.push({ property, message, details })
  }
  const keyOfId = new Map<string, string>()
  const idOfKey = new Map<string, string>()
  const topoOfKey = new Map<string, string>()
  // Incarnation state per node.
  interface Inc {
    n: number
    last: ParsedKey | undefined
    lastRaw: string
    maxTs: number
    lastSendId: string | undefined
    fwd: Set<string>
  }
  const incs = new Map<number, Inc>()
  const bound = new Map<string, { node: number; ts: number; prev: string | undefined }>()
  let deliveries = 0
  let topologies = 0
  let forwards = 0
  let receives = 0
  const inc = (node: number): Inc => {
    let s = incs.get(node)
    if (s === undefined) {
      s = { n: 0, last: undefined, lastRaw: '', maxTs: -1, lastSendId: undefined, fwd: new Set() }
      incs.set(node, s)
    }
    return s
  }
  const ordered = (node: number, raw: string): void => {
    const s = inc(node)
    const k = parseKey(raw)
    if (s.last !== undefined && compareParsed(k, s.last) <= 0)
      report('key-order', `node ${node} delivered ${raw} after ${s.lastRaw}`, {
        node,
        incarnation: s.n,
        key: raw,
        previousKey: s.lastRaw,
      })
    s.last = k
    s.lastRaw = raw
    if (k.ts > s.maxTs) s.maxTs = k.ts
  }
  for (const e of events) {
    switch (e.ev) {
      case 'start':
      case 'crash':
      case 'stop': {
        const s = inc(e.node)
        if (e.ev === 'start') {
          s.n++
          s.last = undefined
          s.lastRaw = ''
          s.maxTs = -1
          s.lastSendId = undefined
          s.fwd = new Set()
        }
        break
      }
      case 'send': {
        const s = inc(e.node)
        bound.set(e.id, { node: e.node, ts: s.maxTs, prev: s.lastSendId })
        s.lastSendId = e.id
        break
      }
      case 'deliver': {
        if (!isMrDeliver(e)) break
        deliveries++
        const raw = deliverKey(e)
        ordered(e.node, raw)
        const had = idOfKey.get(raw)
        if (had === undefined) idOfKey.set(raw, e.id)
        else if (had !== e.id)
          report('key-identity', `key ${raw} is two messages`, { key: raw, id: e.id, otherId: had })
        const k = keyOfId.get(e.id)
        if (k === undefined) keyOfId.set(e.id, raw)
        else if (k !== raw)
          report('key-identity', `message ${e.id} has two keys`, {
            id: e.id,
            key: raw,
            otherKey: k,
            node: e.node,
          })
        break
      }
      case 'topo': {
        topologies++
        ordered(e.node, e.key)
        const sig = `${e.ring}|${e.rings.join(',')}`
        const had = topoOfKey.get(e.key)
        if (had === undefined) topoOfKey.set(e.key, sig)
        else if (had !== sig)
          report('key-identity', `configuration change ${e.key} is two topologies`, {
            key: e.key,
            node: e.node,
            topology: sig,
            other: had,
          })
        break
      }
      case 'fwd': {
        forwards++
        const s = inc(e.node)
        if (e.from === e.to)
          report('forwarding', `node ${e.node} forwarded ${e.key} back onto LAN ${e.to}`, {
            node: e.node,
            key: e.key,
            lan: e.to,
            reason: 'back',
          })
        const fk = `${e.key}>${e.to}`
        if (s.fwd.has(fk))
          report('forwarding', `node ${e.node} forwarded ${e.key} twice onto LAN ${e.to}`, {
            node: e.node,
            key: e.key,
            lan: e.to,
            reason: 'twice',
          })
        s.fwd.add(fk)
        break
      }
      case 'mrecv':
        receives++
        break
      default:
        break
    }
  }
  for (const [id, b] of bound) {
    const raw = keyOfId.get(id)
    if (raw === undefined) continue
    const k = parseKey(raw)
    if (k.ts <= b.ts)
      report(
        'lamport',
        `node ${b.node} sent ${id} after delivering timestamp ${b.ts}, stamped ${k.ts}`,
        {
          node: b.node,
          id,
          key: raw,
          deliveredTs: b.ts,
          reason: 'delivered-before-send',
        },
      )
    if (b.prev !== undefined) {
      const pr = keyOfId.get(b.prev)
      if (pr !== undefined && compareParsed(parseKey(pr), k) >= 0)
        report('lamport', `node ${b.node} sent ${b.prev} before ${id} but it sorts after`, {
          node: b.node,
          id,
          key: raw,
          otherId: b.prev,
          otherKey: pr,
          reason: 'send-order',
        })
    }
  }
  const violations: (Violation | MultiringViolation)[] = [...base.violations]
  for (const p of MULTIRING_PROPERTIES)
    for (const v of out) if (v.property === p) violations.push(v)
  return {
    ok: violations.length === 0,
    violations,
    base,
    counts: { deliveries, topologies, forwards, receives },
  }
}
