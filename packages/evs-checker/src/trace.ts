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
  // Only a 10-digit rep or a 20-digit seq can be out of range.
  const rep = m[1]!
  const seq = m[2]!
  return (
    (rep.length < 10 || Number(rep) <= 0xffff_ffff) && (seq.length < 20 || BigInt(seq) <= U64_MAX)
  )
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
  // JSON.parse makes plain objects: for-in sees exactly their own keys, without allocating.
  for (const k in o) {
    if (k !== 'ev' && !fields.includes(k)) {
      badTrace(`line ${line}: unexpected field ${JSON.stringify(k)} in a ${kind} event`, {
        line,
        reason: 'unexpected-field',
        field: k,
      })
    }
  }
  // Fields are checked in EVS-TRACE.md's order, so the first bad one is the one reported.
  const node = kind === 'heal' ? undefined : nodeField(o, 'node', line)
  const t = get(o, 't', line)
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0)
    badField('t', 'a finite number >= 0', line)

  switch (kind) {
    case 'start':
    case 'crash':
    case 'stop':
      return { ev: kind, node: node!, t }
    case 'heal':
      return { ev: 'heal', t }
    case 'send':
      return { ev: 'send', node: node!, t, id: idField(o, line), g: gField(o, line) }
    case 'deliver':
      return {
        ev: 'deliver',
        node: node!,
        t,
        id: idField(o, line),
        from: nodeField(o, 'from', line),
        g: gField(o, line),
        ring: ringField(o, line),
      }
    case 'conf': {
      const k = get(o, 'kind', line)
      if (k !== 'trans' && k !== 'reg') badField('kind', '"trans" or "reg"', line)
      const ring = ringField(o, line)
      const m = get(o, 'members', line)
      if (!Array.isArray(m) || m.length > NODES_MAX) {
        badField('members', `an array of at most ${NODES_MAX} node ids`, line)
      }
      for (let i = 0; i < m.length; i++) {
        const x: unknown = m[i]
        if (!isNodeId(x)) badField('members', 'node ids', line)
        if (i > 0 && (m[i - 1] as number) >= x) badField('members', 'strictly ascending', line)
      }
      return { ev: 'conf', node: node!, t, kind: k, ring, members: m as NodeId[] }
    }
  }
}

function get(o: Record<string, unknown>, f: string, line: number): unknown {
  if (!Object.hasOwn(o, f)) {
    badTrace(`line ${line}: the event lacks ${f}`, { line, reason: 'missing-field', field: f })
  }
  return o[f]
}

function badField(f: string, what: string, line: number): never {
  badTrace(`line ${line}: ${f} must be ${what}`, { line, reason: 'bad-field', field: f })
}

function nodeField(o: Record<string, unknown>, f: string, line: number): NodeId {
  const n = get(o, f, line)
  if (!isNodeId(n)) badField(f, 'a node id (an integer in 1..4294967295)', line)
  return n
}

function idField(o: Record<string, unknown>, line: number): string {
  const id = get(o, 'id', line)
  if (typeof id !== 'string' || !ID_RE.test(id)) badField('id', '32 lowercase hex digits', line)
  return id
}

function gField(o: Record<string, unknown>, line: number): Guarantee {
  const g = get(o, 'g', line)
  if (g !== 'agreed' && g !== 'safe') badField('g', '"agreed" or "safe"', line)
  return g
}

function ringField(o: Record<string, unknown>, line: number): string {
  const r = get(o, 'ring', line)
  if (!isTraceRingId(r)) badField('ring', 'a ring id "<rep>.<seq>" in decimal', line)
  return r
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
