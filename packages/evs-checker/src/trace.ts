/**
 * The EVS trace format (EVS-TRACE.md): JSON Lines, one event per line, written by every level that
 * observes the `Broadcast` boundary (simulator, real daemons, interop runs).
 */
import { type Guarantee, invalidArgument, isNodeId, NODES_MAX, type NodeId } from '@totem-ts/common'
import { badTrace, TRACE_LINE_CHARS_MAX } from './errors.ts'
import { createSha256 } from './sha256.ts'

/** A node (a new incarnation) starts its ring layer. */
export interface StartEvent {
  readonly ev: 'start'
  readonly node: NodeId
  /** Milliseconds: virtual time in the simulator, wall-clock time elsewhere. */
  readonly t: number
}

/** The application handed a message to the ring layer, which accepted it (not refused as full). */
export interface SendEvent {
  readonly ev: 'send'
  readonly node: NodeId
  readonly t: number
  /** Message id, see {@link messageId}. */
  readonly id: string
  readonly g: Guarantee
}

/** The ring layer delivered a message upward. */
export interface DeliverEvent {
  readonly ev: 'deliver'
  readonly node: NodeId
  readonly t: number
  /** Message id, see {@link messageId}. */
  readonly id: string
  /** Node id of the sender. */
  readonly from: NodeId
  readonly g: Guarantee
  /** Ring id (`"<rep>.<seq>"`) of the configuration the message is delivered in. */
  readonly ring: string
}

/** Kind of a configuration: `trans` (transitional) or `reg` (regular). */
export type ConfKind = 'trans' | 'reg'

/** A configuration change was delivered upward. */
export interface ConfEvent {
  readonly ev: 'conf'
  readonly node: NodeId
  readonly t: number
  readonly kind: ConfKind
  /** Ring id `"<rep>.<seq>"`; a `trans` carries the ring id of the `reg` that follows it. */
  readonly ring: string
  /** Member node ids, strictly ascending. */
  readonly members: readonly NodeId[]
}

/** The harness killed the node (written by the harness, not by the node). */
export interface CrashEvent {
  readonly ev: 'crash'
  readonly node: NodeId
  readonly t: number
}

/** The node left in an orderly way. */
export interface StopEvent {
  readonly ev: 'stop'
  readonly node: NodeId
  readonly t: number
}

/** The harness stopped injecting faults; from here on the run must converge. */
export interface HealEvent {
  readonly ev: 'heal'
  readonly t: number
}

/** One line of an EVS trace. */
export type TraceEvent =
  | StartEvent
  | SendEvent
  | DeliverEvent
  | ConfEvent
  | CrashEvent
  | StopEvent
  | HealEvent

/** Names of the trace events (`ev`). */
export const TraceEventKind = {
  Start: 'start',
  Send: 'send',
  Deliver: 'deliver',
  Conf: 'conf',
  Crash: 'crash',
  Stop: 'stop',
  Heal: 'heal',
} as const
/** One of {@link TraceEventKind}. */
export type TraceEventKind = TraceEvent['ev']

/** The fields each event carries besides `ev`, in the order {@link formatTraceEvent} writes them. */
const FIELDS: Readonly<Record<TraceEventKind, readonly string[]>> = {
  start: ['node', 't'],
  send: ['node', 't', 'id', 'g'],
  deliver: ['node', 't', 'id', 'from', 'g', 'ring'],
  conf: ['node', 't', 'kind', 'ring', 'members'],
  crash: ['node', 't'],
  stop: ['node', 't'],
  heal: ['t'],
}

const ID_RE = /^[0-9a-f]{32}$/
const RING_RE = /^(0|[1-9][0-9]{0,9})\.(0|[1-9][0-9]{0,19})$/
const U64_MAX = 0xffff_ffff_ffff_ffffn

/** True when `s` is a ring id in the trace form `"<rep>.<seq>"` (decimal, rep a u32, seq a u64). */
export function isTraceRingId(s: unknown): s is string {
  if (typeof s !== 'string') return false
  const m = RING_RE.exec(s)
  if (m === null) return false
  return Number(m[1]) <= 0xffff_ffff && BigInt(m[2]!) <= U64_MAX
}

/**
 * Parses an EVS trace (JSON Lines). Every line is checked: it must be one JSON object with a known
 * `ev` and exactly that event's fields, well typed (`node`/`from` node ids 1…2³²−1, `t` a finite
 * number ≥ 0, `id` 32 lowercase hex digits, `g` `agreed`|`safe`, `ring` `"<rep>.<seq>"`, `members`
 * strictly ascending node ids, at most `NODES_MAX`). Empty (or whitespace-only) lines are skipped
 * and a trailing `\r` is ignored, so CRLF files and concatenated per-node files parse. Events are
 * returned in file order.
 *
 * @throws {@link EvsTraceError} `ERR_EVS_BAD_TRACE` with `details.line` (1-based) and
 * `details.reason` on the first bad line; never any other exception.
 */
export function parseTrace(text: string): TraceEvent[] {
  const out: TraceEvent[] = []
  let line = 0
  let start = 0
  while (start <= text.length) {
    let end = text.indexOf('\n', start)
    if (end === -1) end = text.length
    line++
    let raw = text.slice(start, end)
    start = end + 1
    if (raw.endsWith('\r')) raw = raw.slice(0, -1)
    if (raw.trim() === '') continue
    out.push(parseTraceLine(raw, line))
  }
  return out
}

/**
 * Parses one trace line (see {@link parseTrace}); `line` goes into the error's `details.line`.
 *
 * @throws {@link EvsTraceError} `ERR_EVS_BAD_TRACE`.
 */
export function parseTraceLine(raw: string, line = 1): TraceEvent {
  if (raw.length > TRACE_LINE_CHARS_MAX) {
    badTrace(`line ${line} is longer than ${TRACE_LINE_CHARS_MAX} characters`, {
      line,
      reason: 'too-long',
    })
  }
  let v: unknown
  try {
    v = JSON.parse(raw)
  } catch {
    badTrace(`line ${line} is not JSON`, { line, reason: 'not-json' })
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    badTrace(`line ${line} is not a JSON object`, { line, reason: 'not-object' })
  }
  const o = v as Record<string, unknown>
  const ev = o['ev']
  if (typeof ev !== 'string' || !Object.hasOwn(FIELDS, ev)) {
    badTrace(`line ${line}: unknown event kind`, { line, reason: 'bad-ev', field: 'ev' })
  }
  const kind = ev as TraceEventKind
  const fields = FIELDS[kind]
  for (const k of Object.keys(o)) {
    if (k !== 'ev' && !fields.includes(k)) {
      badTrace(`line ${line}: unexpected field ${JSON.stringify(k)} in a ${kind} event`, {
        line,
        reason: 'unexpected-field',
        field: k,
      })
    }
  }
  const missing: (f: string) => never = (f) =>
    badTrace(`line ${line}: ${kind} event lacks ${f}`, { line, reason: 'missing-field', field: f })
  const bad: (f: string, what: string) => never = (f, what) =>
    badTrace(`line ${line}: ${f} must be ${what}`, { line, reason: 'bad-field', field: f })
  const get = (f: string): unknown => (Object.hasOwn(o, f) ? o[f] : missing(f))

  const t = get('t')
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) bad('t', 'a finite number >= 0')
  const nodeField = (f: string): NodeId => {
    const n = get(f)
    return isNodeId(n) ? n : bad(f, 'a node id (an integer in 1..4294967295)')
  }
  const idField = (): string => {
    const id = get('id')
    return typeof id === 'string' && ID_RE.test(id) ? id : bad('id', '32 lowercase hex digits')
  }
  const gField = (): Guarantee => {
    const g = get('g')
    return g === 'agreed' || g === 'safe' ? g : bad('g', '"agreed" or "safe"')
  }
  const ringField = (): string => {
    const r = get('ring')
    return isTraceRingId(r) ? r : bad('ring', 'a ring id "<rep>.<seq>" in decimal')
  }
  const time = t as number

  switch (kind) {
    case 'start':
    case 'crash':
    case 'stop':
      return { ev: kind, node: nodeField('node'), t: time }
    case 'heal':
      return { ev: 'heal', t: time }
    case 'send':
      return { ev: 'send', node: nodeField('node'), t: time, id: idField(), g: gField() }
    case 'deliver':
      return {
        ev: 'deliver',
        node: nodeField('node'),
        t: time,
        id: idField(),
        from: nodeField('from'),
        g: gField(),
        ring: ringField(),
      }
    case 'conf': {
      const node = nodeField('node')
      const k = get('kind')
      if (k !== 'trans' && k !== 'reg') bad('kind', '"trans" or "reg"')
      const ring = ringField()
      const m = get('members')
      if (!Array.isArray(m) || m.length > NODES_MAX) {
        bad('members', `an array of at most ${NODES_MAX} node ids`)
      }
      const members = m as unknown[]
      for (let i = 0; i < members.length; i++) {
        const x = members[i]
        if (!isNodeId(x)) bad('members', 'node ids')
        if (i > 0 && (members[i - 1] as number) >= x) bad('members', 'strictly ascending')
      }
      return {
        ev: 'conf',
        node,
        t: time,
        kind: k as ConfKind,
        ring,
        members: members as NodeId[],
      }
    }
  }
}

/**
 * Writes one event as one JSON line (without the newline), fields in EVS-TRACE.md's order, so
 * `parseTraceLine(formatTraceEvent(e))` equals `e`.
 */
export function formatTraceEvent(e: TraceEvent): string {
  const r = e as unknown as Record<string, unknown>
  let s = `{"ev":"${e.ev}"`
  for (const f of FIELDS[e.ev]) s += `,"${f}":${JSON.stringify(r[f])}`
  return `${s}}`
}

/**
 * The message id of EVS-TRACE.md: lowercase hex of the first 16 bytes of SHA-256 over
 * `u32 little-endian sender || payload`. Every node can compute it from what it delivers.
 *
 * @throws `ERR_INVALID_ARGUMENT` when `sender` is not a node id.
 */
export function messageId(sender: number, payload: Uint8Array): string {
  if (!isNodeId(sender)) {
    invalidArgument('sender must be a node id (an integer in 1..4294967295)', {
      value: String(sender),
    })
  }
  const prefix = new Uint8Array(4)
  new DataView(prefix.buffer).setUint32(0, sender, true)
  const digest = createSha256().update(prefix).update(payload).digest()
  let hex = ''
  for (let i = 0; i < 16; i++) hex += HEX[digest[i]!]
  return hex
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) =>
  i.toString(16).padStart(2, '0'),
)
