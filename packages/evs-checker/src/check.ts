/**
 * The EVS checker: reads a trace (EVS-TRACE.md) and reports every violation of extended virtual
 * synchrony it can see (Moser, Amir, Melliar-Smith, Agarwal 1994, "Extended Virtual Synchrony").
 * Safety properties are checked first, liveness last (TigerBeetle's order).
 */
import { type ErrorDetails, type Guarantee, invalidArgument, type NodeId } from '@totem-ts/common'
import { type ConfEvent, isTraceRingId, parseTrace, type TraceEvent } from './trace.ts'

/** The nine properties the checker verifies, in the order it checks and reports them. */
export const Property = {
  /** Every delivered id was sent by `from`; no incarnation delivers an id twice. */
  Integrity: 'integrity',
  /** A node that neither crashes nor stops delivers every message it sent. */
  SelfDelivery: 'self-delivery',
  /** All deliveries fit one total order (any two incarnations agree on their common messages). */
  AgreedOrder: 'agreed-order',
  /** Each incarnation delivers one sender incarnation's messages in the order they were sent. */
  Fifo: 'fifo',
  /** Every node that installs the same configuration lists the same members. */
  SameView: 'same-view',
  /** `trans` then `reg` with the same ring id, subsets, self inclusion, rising ring seq. */
  ConfigurationOrder: 'configuration-order',
  /** Nodes that move together from one regular configuration to the next delivered the same set. */
  VirtualSynchrony: 'virtual-synchrony',
  /** A `safe` message delivered in a regular configuration reaches every surviving member. */
  SafeDelivery: 'safe-delivery',
  /** After `heal`, live nodes end in one regular configuration of exactly themselves. */
  Liveness: 'liveness',
} as const
/** One of {@link Property}. */
export type Property = (typeof Property)[keyof typeof Property]

/** All properties, in checking and reporting order. */
export const PROPERTIES: readonly Property[] = Object.freeze(Object.values(Property))

/** One broken property, with the facts that prove it. */
export interface Violation {
  /** Which property is broken. */
  readonly property: Property
  /** Human-readable explanation (for people; programs read `property` and `details`). */
  readonly message: string
  /**
   * Facts: `reason` (a stable kebab-case word, see the README), `node` and `incarnation` (0-based
   * index among that node's incarnations), `otherNode`/`otherIncarnation`, `id`/`otherId`
   * (message ids), `ring`, … depending on the property.
   */
  readonly details: ErrorDetails
}

/** Counts describing the checked trace. */
export interface CheckStats {
  /** Trace events read. */
  readonly events: number
  /** Distinct node ids. */
  readonly nodes: number
  /** Incarnations (a `start` begins one). */
  readonly incarnations: number
  /** `send` events. */
  readonly sends: number
  /** `deliver` events. */
  readonly deliveries: number
  /** `conf` events. */
  readonly configurations: number
  /** `crash` events. */
  readonly crashes: number
  /** `stop` events. */
  readonly stops: number
  /** `heal` events. */
  readonly heals: number
  /** Distinct message ids (sent or delivered). */
  readonly messages: number
}

/** What {@link checkTrace} found. */
export interface CheckResult {
  /** True when no violation was found among the properties checked. */
  readonly ok: boolean
  /** Violations, grouped by property in {@link PROPERTIES} order; at most `maxViolations`. */
  readonly violations: readonly Violation[]
  /** True when more violations were found than `maxViolations` allows (the rest were dropped). */
  readonly truncated: boolean
  /** Counts of the trace. */
  readonly stats: CheckStats
}

/** Options of {@link checkTrace}. */
export interface CheckOptions {
  /**
   * Most violations reported; every check still runs to the end.
   *
   * @defaultValue 20
   */
  readonly maxViolations?: number
  /**
   * The properties to check.
   *
   * @defaultValue all of {@link PROPERTIES}
   */
  readonly properties?: readonly Property[]
}

/** Default of {@link CheckOptions.maxViolations}. */
export const MAX_VIOLATIONS_DEFAULT = 20

/** How an incarnation ended: still running at the end of the trace, crashed, stopped, or restarted without a crash line. */
type IncarnationEnd = 'running' | 'crash' | 'stop' | 'restart'

interface Reg {
  readonly ring: string
  readonly seq: bigint
  readonly members: readonly NodeId[]
}

interface Incarnation {
  /** Index in the global incarnation list. */
  readonly index: number
  readonly node: NodeId
  /** 0-based index among this node's incarnations. */
  readonly ordinal: number
  /** The node's events; this incarnation owns `[from, to)`. */
  readonly events: readonly TraceEvent[]
  readonly from: number
  to: number
  end: IncarnationEnd
  /** Message indices sent, in send order (duplicate sends left out). */
  readonly sends: number[]
  /** Global delivery indices, in delivery order (duplicate deliveries left out). */
  readonly deliveries: number[]
  /** Regular configurations installed, in order. */
  readonly regs: Reg[]
  /** Last configuration installed, if any. */
  lastConf: ConfEvent | undefined
}

const ringSeq = (ring: string): bigint => BigInt(ring.slice(ring.indexOf('.') + 1))
const list = (xs: readonly number[]): string => xs.join(',')
const isSubset = (a: readonly number[], b: readonly number[]): boolean => {
  // Both sorted ascending.
  let j = 0
  for (const x of a) {
    while (j < b.length && (b[j] as number) < x) j++
    if (j === b.length || b[j] !== x) return false
  }
  return true
}
const sameList = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])

/**
 * Checks a trace for extended virtual synchrony: the nine properties of EVS-TRACE.md ("What a
 * checker verifies"). The README's properties table states precisely what each check means and
 * how edge cases (crashes, restarts, orderly stops, traces that end early) are decided.
 *
 * Events are grouped per node, keeping each node's order; lines of different nodes may interleave
 * arbitrarily, and `t` is never used to order events of different nodes. A `start` begins a new
 * incarnation of its node; every other per-node event belongs to the incarnation running then.
 * Violations are grouped by property, safety first and liveness last.
 *
 * Cost: O(E log E) time and O(E) memory for E events (one sort per virtual-synchrony segment, one
 * topological sort of all deliveries); safe delivery adds O(members) per safe message and ring.
 *
 * `events` are expected as {@link parseTrace} returns them; they are not validated again, except
 * that a `conf` with a malformed ring id throws.
 *
 * @throws `ERR_INVALID_ARGUMENT` when `maxViolations` is not a positive integer, `properties`
 * names an unknown property, or a `conf` event's ring id is malformed.
 */
export function checkTrace(events: readonly TraceEvent[], options?: CheckOptions): CheckResult {
  const maxViolations = options?.maxViolations ?? MAX_VIOLATIONS_DEFAULT
  if (!Number.isSafeInteger(maxViolations) || maxViolations < 1) {
    invalidArgument('maxViolations must be a positive integer', { value: String(maxViolations) })
  }
  const enabled = new Set<Property>(options?.properties ?? PROPERTIES)
  for (const p of enabled) {
    if (!PROPERTIES.includes(p)) invalidArgument('unknown property', { value: String(p) })
  }

  const buckets = new Map<Property, Violation[]>(PROPERTIES.map((p) => [p, []]))
  let truncated = false
  const report = (property: Property, message: string, details: ErrorDetails): void => {
    if (!enabled.has(property)) return
    const b = buckets.get(property)!
    if (b.length >= maxViolations) {
      truncated = true
      return
    }
    b.push({ property, message, details })
  }

  // ---- Messages: interned ids and the send that produced each ----
  const ids = new Map<string, number>()
  const msgId: string[] = []
  const sendInc: number[] = []
  const sendPos: number[] = []
  const sendG: (Guarantee | undefined)[] = []
  /** Position of the send in its node's event list. */
  const sendEventPos: number[] = []
  const intern = (id: string): number => {
    let m = ids.get(id)
    if (m === undefined) {
      m = msgId.length
      ids.set(id, m)
      msgId.push(id)
      sendInc.push(-1)
      sendPos.push(-1)
      sendG.push(undefined)
      sendEventPos.push(-1)
    }
    return m
  }

  // ---- Group per node, keeping each node's order ----
  const byNode = new Map<NodeId, TraceEvent[]>()
  let sends = 0
  let deliverCount = 0
  let confs = 0
  let crashes = 0
  let stops = 0
  let heals = 0
  for (const e of events) {
    if (e.ev === 'heal') {
      heals++
      continue
    }
    if (e.ev === 'send') sends++
    else if (e.ev === 'deliver') deliverCount++
    else if (e.ev === 'conf') confs++
    else if (e.ev === 'crash') crashes++
    else if (e.ev === 'stop') stops++
    let evs = byNode.get(e.node)
    if (evs === undefined) {
      evs = []
      byNode.set(e.node, evs)
    }
    evs.push(e)
  }
  const nodes = [...byNode.keys()].sort((a, b) => a - b)

  // ---- Pass 1: incarnations and sends ----
  const incs: Incarnation[] = []
  const incsOfNode = new Map<NodeId, Incarnation[]>()
  for (const node of nodes) {
    const evs = byNode.get(node)!
    const mine: Incarnation[] = []
    incsOfNode.set(node, mine)
    let cur: Incarnation | undefined
    const open = (from: number): Incarnation => {
      const inc: Incarnation = {
        index: incs.length,
        node,
        ordinal: mine.length,
        events: evs,
        from,
        to: evs.length,
        end: 'running',
        sends: [],
        deliveries: [],
        regs: [],
        lastConf: undefined,
      }
      incs.push(inc)
      mine.push(inc)
      return inc
    }
    for (let pos = 0; pos < evs.length; pos++) {
      const e = evs[pos]!
      if (e.ev === 'start') {
        if (cur !== undefined) {
          report('integrity', `node ${node} starts again without crash or stop`, {
            reason: 'double-start',
            node,
            incarnation: cur.ordinal,
            event: pos,
          })
          cur.end = 'restart'
          cur.to = pos
        }
        cur = open(pos + 1)
        continue
      }
      if (cur === undefined) {
        report('integrity', `node ${node} logs a ${e.ev} event while not running`, {
          reason: 'not-running',
          node,
          ev: e.ev,
          event: pos,
        })
        if (e.ev === 'crash' || e.ev === 'stop') continue
        cur = open(pos)
      }
      if (e.ev === 'crash' || e.ev === 'stop') {
        cur.end = e.ev
        cur.to = pos
        cur = undefined
        continue
      }
      if (e.ev === 'send') {
        const m = intern(e.id)
        const prev = sendInc[m]!
        if (prev !== -1) {
          report('integrity', `message ${e.id} is sent twice`, {
            reason: 'duplicate-send',
            node,
            incarnation: cur.ordinal,
            id: e.id,
            otherNode: incs[prev]!.node,
          })
          continue
        }
        sendInc[m] = cur.index
        sendPos[m] = cur.sends.length
        sendG[m] = e.g
        sendEventPos[m] = pos
        cur.sends.push(m)
      }
    }
  }

  // ---- Pass 2: deliveries and configurations, per incarnation ----
  // Global delivery records (first delivery of a message by an incarnation only).
  const dMsg: number[] = []
  const dInc: number[] = []
  /** Index into the incarnation's `regs` of the regular configuration the delivery follows (-1: none). */
  const dSeg: number[] = []
  /** Delivered in a transitional configuration (after a `trans`, before the next `reg`). */
  const dTrans: boolean[] = []
  const dSafe: boolean[] = []
  /** Last incarnation that delivered each message: duplicate detection in O(1). */
  const lastDeliverer: number[] = []
  /** Who installed each regular configuration: ring → node → (incarnation, regs index). */
  const installers = new Map<string, Map<NodeId, { inc: number; seg: number }>>()
  /** Same view: the first member list seen for each configuration identity. */
  const views = new Map<string, { members: readonly NodeId[]; node: NodeId; ordinal: number }>()
  const fifoOn = enabled.has('fifo')

  for (const inc of incs) {
    const { node } = inc
    let cur: ConfEvent | undefined
    let pendingTrans: ConfEvent | undefined
    let seg = -1
    let inTrans = false
    const fifoLast = new Map<number, number>() // sender incarnation → highest send position delivered
    const fifoReported = new Set<number>()
    for (let pos = inc.from; pos < inc.to; pos++) {
      const e = inc.events[pos]!
      if (e.ev === 'deliver') {
        const m = intern(e.id)
        while (lastDeliverer.length < msgId.length) lastDeliverer.push(-1)
        if (lastDeliverer[m] === inc.index) {
          report('integrity', `node ${node} delivers ${e.id} twice`, {
            reason: 'duplicate-delivery',
            node,
            incarnation: inc.ordinal,
            id: e.id,
          })
          continue
        }
        lastDeliverer[m] = inc.index
        const si = sendInc[m]!
        if (si === -1) {
          report('integrity', `node ${node} delivers ${e.id}, which nobody sent`, {
            reason: 'not-sent',
            node,
            incarnation: inc.ordinal,
            id: e.id,
            from: e.from,
          })
        } else {
          const sender = incs[si]!
          if (sender.node !== e.from) {
            report(
              'integrity',
              `node ${node} delivers ${e.id} from ${e.from}, sent by ${sender.node}`,
              {
                reason: 'wrong-sender',
                node,
                incarnation: inc.ordinal,
                id: e.id,
                from: e.from,
                sender: sender.node,
              },
            )
          } else if (sender.node === node && sendEventPos[m]! > pos) {
            report('integrity', `node ${node} delivers ${e.id} before sending it`, {
              reason: 'delivered-before-send',
              node,
              incarnation: inc.ordinal,
              id: e.id,
            })
          }
          if (sendG[m] !== e.g) {
            report('integrity', `node ${node} delivers ${e.id} as ${e.g}, sent as ${sendG[m]}`, {
              reason: 'wrong-guarantee',
              node,
              incarnation: inc.ordinal,
              id: e.id,
              g: e.g,
              sentG: sendG[m]!,
            })
          }
          if (fifoOn) {
            const sp = sendPos[m]!
            const last = fifoLast.get(si)
            if (last !== undefined && sp < last) {
              if (!fifoReported.has(si)) {
                fifoReported.add(si)
                const later = incs[si]!.sends[last]!
                report(
                  'fifo',
                  `node ${node} delivers ${msgId[later]} before ${e.id}, sent earlier`,
                  {
                    node,
                    incarnation: inc.ordinal,
                    sender: sender.node,
                    senderIncarnation: sender.ordinal,
                    id: e.id,
                    otherId: msgId[later]!,
                  },
                )
              }
            } else {
              fifoLast.set(si, sp)
            }
          }
        }
        if (cur === undefined) {
          report('configuration-order', `node ${node} delivers ${e.id} outside any configuration`, {
            reason: 'no-configuration',
            node,
            incarnation: inc.ordinal,
            id: e.id,
            ring: e.ring,
          })
        } else if (cur.ring !== e.ring) {
          report(
            'configuration-order',
            `node ${node} delivers ${e.id} in ${e.ring}, but is in ${cur.ring}`,
            {
              reason: 'wrong-ring',
              node,
              incarnation: inc.ordinal,
              id: e.id,
              ring: e.ring,
              currentRing: cur.ring,
            },
          )
        }
        inc.deliveries.push(dMsg.length)
        dMsg.push(m)
        dInc.push(inc.index)
        dSeg.push(seg)
        dTrans.push(inTrans)
        dSafe.push(e.g === 'safe')
      } else if (e.ev === 'conf') {
        // The one field whose syntax the checks rely on (ring seq order); the rest is as parseTrace returns it.
        if (!isTraceRingId(e.ring)) {
          invalidArgument('conf event with a malformed ring id', { node, ring: String(e.ring) })
        }
        const base = { node, incarnation: inc.ordinal, kind: e.kind, ring: e.ring }
        if (!e.members.includes(node)) {
          report(
            'configuration-order',
            `node ${node} installs ${e.kind} ${e.ring} without itself`,
            {
              reason: 'not-member',
              ...base,
              members: list(e.members),
            },
          )
        }
        // Same view. A transitional configuration is identified by the regular configuration it
        // comes from and the ring it goes to: in a merge, each component gets its own.
        const prevReg = inc.regs[inc.regs.length - 1]
        const viewKey =
          e.kind === 'reg' ? `reg ${e.ring}` : `trans ${prevReg?.ring ?? `#${inc.index}`} ${e.ring}`
        const seen = views.get(viewKey)
        if (seen === undefined) {
          views.set(viewKey, { members: e.members, node, ordinal: inc.ordinal })
        } else if (!sameList(seen.members, e.members)) {
          report(
            'same-view',
            `nodes ${seen.node} and ${node} see ${e.kind} ${e.ring} differently`,
            {
              ...base,
              members: list(e.members),
              otherNode: seen.node,
              otherIncarnation: seen.ordinal,
              otherMembers: list(seen.members),
              ...(e.kind === 'trans' && prevReg !== undefined
                ? { previousRing: prevReg.ring }
                : {}),
            },
          )
        }
        // Configuration order.
        let transMatched = false
        if (pendingTrans !== undefined) {
          if (e.kind === 'reg' && e.ring === pendingTrans.ring) {
            transMatched = true
            if (!isSubset(pendingTrans.members, e.members)) {
              report(
                'configuration-order',
                `trans ${e.ring} of node ${node} is not within its reg`,
                {
                  reason: 'trans-not-subset-next',
                  ...base,
                  members: list(e.members),
                  transMembers: list(pendingTrans.members),
                },
              )
            }
          } else {
            report(
              'configuration-order',
              `node ${node}: trans ${pendingTrans.ring} is not followed by its reg`,
              {
                reason: 'trans-not-followed',
                node,
                incarnation: inc.ordinal,
                ring: pendingTrans.ring,
                nextKind: e.kind,
                nextRing: e.ring,
              },
            )
          }
          pendingTrans = undefined
        }
        if (e.kind === 'trans') {
          const before = prevReg?.members ?? [node]
          if (!isSubset(e.members, before)) {
            report(
              'configuration-order',
              `trans ${e.ring} of node ${node} is not within the previous reg`,
              {
                reason: 'trans-not-subset-previous',
                ...base,
                members: list(e.members),
                previousMembers: list(before),
                ...(prevReg !== undefined ? { previousRing: prevReg.ring } : {}),
              },
            )
          }
          pendingTrans = e
          inTrans = true
        } else {
          const seq = ringSeq(e.ring)
          if (prevReg !== undefined) {
            if (!transMatched && cur?.kind !== 'trans') {
              report('configuration-order', `node ${node} installs reg ${e.ring} without a trans`, {
                reason: 'reg-without-trans',
                ...base,
                previousRing: prevReg.ring,
              })
            }
            if (seq <= prevReg.seq) {
              report(
                'configuration-order',
                `node ${node}: reg ${e.ring} does not follow ${prevReg.ring}`,
                {
                  reason: 'ring-not-increasing',
                  ...base,
                  previousRing: prevReg.ring,
                },
              )
            }
          }
          inc.regs.push({ ring: e.ring, seq, members: e.members })
          seg++
          inTrans = false
          let byRing = installers.get(e.ring)
          if (byRing === undefined) {
            byRing = new Map()
            installers.set(e.ring, byRing)
          }
          if (!byRing.has(node)) byRing.set(node, { inc: inc.index, seg })
        }
        cur = e
      }
    }
    inc.lastConf = cur
  }

  // ---- Self delivery ----
  if (enabled.has('self-delivery')) {
    const mark = new Int32Array(msgId.length).fill(-1)
    for (const inc of incs) {
      if (inc.end !== 'running') continue
      for (const d of inc.deliveries) mark[dMsg[d]!] = inc.index
      for (const m of inc.sends) {
        if (mark[m] !== inc.index) {
          report('self-delivery', `node ${inc.node} never delivers its own ${msgId[m]}`, {
            node: inc.node,
            incarnation: inc.ordinal,
            id: msgId[m]!,
          })
        }
      }
    }
  }

  // ---- Agreed order ----
  if (enabled.has('agreed-order')) checkAgreedOrder(incs, dMsg, msgId, report)

  // ---- Virtual synchrony ----
  if (enabled.has('virtual-synchrony')) {
    const groups = new Map<string, { inc: Incarnation; msgs: Int32Array }[]>()
    for (const inc of incs) {
      if (inc.regs.length < 2) continue
      const perSeg: number[][] = inc.regs.map(() => [])
      for (const d of inc.deliveries) {
        const s = dSeg[d]!
        if (s >= 0) perSeg[s]!.push(dMsg[d]!)
      }
      for (let k = 0; k + 1 < inc.regs.length; k++) {
        const key = `${inc.regs[k]!.ring}>${inc.regs[k + 1]!.ring}`
        const msgs = Int32Array.from(perSeg[k]!).sort()
        let g = groups.get(key)
        if (g === undefined) {
          g = []
          groups.set(key, g)
        }
        g.push({ inc, msgs })
      }
    }
    for (const [key, g] of groups) {
      const ref = g[0]!
      const [fromRing, toRing] = key.split('>') as [string, string]
      for (let i = 1; i < g.length; i++) {
        const other = g[i]!
        const diff = firstDifference(ref.msgs, other.msgs)
        if (diff === undefined) continue
        const [m, inRef] = diff
        const by = inRef ? ref.inc : other.inc
        const missing = inRef ? other.inc : ref.inc
        report(
          'virtual-synchrony',
          `${msgId[m]} delivered by ${by.node} but not ${missing.node} between ${fromRing} and ${toRing}`,
          {
            node: ref.inc.node,
            incarnation: ref.inc.ordinal,
            otherNode: other.inc.node,
            otherIncarnation: other.inc.ordinal,
            fromRing,
            toRing,
            id: msgId[m]!,
            deliveredBy: by.node,
            missingAt: missing.node,
          },
        )
      }
    }
  }

  // ---- Safe delivery ----
  if (enabled.has('safe-delivery')) {
    // Deliveries grouped by message (counting sort).
    const M = msgId.length
    const start = new Int32Array(M + 1)
    for (const m of dMsg) start[m + 1]!++
    for (let m = 0; m < M; m++) start[m + 1]! += start[m]!
    const fill = start.slice(0, M)
    const byMsg = new Int32Array(dMsg.length)
    for (let d = 0; d < dMsg.length; d++) byMsg[fill[dMsg[d]!]!++] = d
    const stamp = new Int32Array(incs.length).fill(-1)
    const segOf = new Int32Array(incs.length)
    for (let m = 0; m < M; m++) {
      const lo = start[m]!
      const hi = start[m + 1]!
      let anySafe = false
      for (let i = lo; i < hi; i++) {
        const d = byMsg[i]!
        stamp[dInc[d]!] = m
        segOf[dInc[d]!] = dSeg[d]!
        if (dSafe[d] && !dTrans[d] && dSeg[d]! >= 0) anySafe = true
      }
      if (!anySafe) continue
      const checked = new Set<string>()
      for (let i = lo; i < hi; i++) {
        const d = byMsg[i]!
        if (!dSafe[d] || dTrans[d] || dSeg[d]! < 0) continue
        const p = incs[dInc[d]!]!
        const reg = p.regs[dSeg[d]!]!
        if (checked.has(reg.ring)) continue
        checked.add(reg.ring)
        const installed = installers.get(reg.ring)!
        for (const q of reg.members) {
          const base = {
            id: msgId[m]!,
            ring: reg.ring,
            node: p.node,
            incarnation: p.ordinal,
            member: q,
          }
          const at = installed.get(q)
          if (at === undefined) {
            // Exempt when some incarnation of q ended (crash or stop) before it could install reg.
            const ended = (incsOfNode.get(q) ?? []).some(
              (qi) =>
                qi.end !== 'running' &&
                (qi.regs.length === 0 || qi.regs[qi.regs.length - 1]!.seq < reg.seq),
            )
            if (!ended) {
              report(
                'safe-delivery',
                `safe ${msgId[m]} delivered in ${reg.ring}, which member ${q} never installed`,
                {
                  reason: 'not-installed',
                  ...base,
                },
              )
            }
            continue
          }
          const qi = incs[at.inc]!
          if (qi.end !== 'running') continue
          if (stamp[qi.index] !== m) {
            report(
              'safe-delivery',
              `safe ${msgId[m]} delivered in ${reg.ring} but never by member ${q}`,
              {
                reason: 'not-delivered',
                ...base,
                memberIncarnation: qi.ordinal,
              },
            )
          } else if (segOf[qi.index] !== at.seg) {
            report(
              'safe-delivery',
              `safe ${msgId[m]} delivered in ${reg.ring}, by member ${q} elsewhere`,
              {
                reason: 'other-configuration',
                ...base,
                memberIncarnation: qi.ordinal,
              },
            )
          }
        }
      }
    }
  }

  // ---- Liveness after heal ----
  if (enabled.has('liveness') && heals > 0) {
    const alive: Incarnation[] = []
    for (const node of nodes) {
      const mine = incsOfNode.get(node)!
      const last = mine[mine.length - 1]
      if (last !== undefined && last.end === 'running') alive.push(last)
    }
    const aliveNodes = alive.map((i) => i.node)
    let common: ConfEvent | undefined
    let converged = alive.length > 0
    for (const inc of alive) {
      const c = inc.lastConf
      if (c === undefined || c.kind !== 'reg') {
        converged = false
        report('liveness', `node ${inc.node} does not end in a regular configuration`, {
          reason: 'not-regular',
          node: inc.node,
          incarnation: inc.ordinal,
          ...(c !== undefined ? { kind: c.kind, ring: c.ring } : {}),
        })
        continue
      }
      if (common === undefined) {
        common = c
        if (!sameList(c.members, aliveNodes)) {
          converged = false
          report('liveness', `last configuration ${c.ring} is not the set of live nodes`, {
            reason: 'members-not-alive',
            node: inc.node,
            ring: c.ring,
            members: list(c.members),
            alive: list(aliveNodes),
          })
        }
      } else if (c.ring !== common.ring) {
        converged = false
        report('liveness', `nodes ${common.node} and ${inc.node} end in different configurations`, {
          reason: 'different-configuration',
          node: common.node,
          ring: common.ring,
          otherNode: inc.node,
          otherRing: c.ring,
        })
      }
    }
    if (converged && common !== undefined) {
      const finalSet = (inc: Incarnation): Set<number> => {
        const last = inc.regs.length - 1
        const s = new Set<number>()
        for (const d of inc.deliveries) if (dSeg[d] === last) s.add(dMsg[d]!)
        return s
      }
      const sets = alive.map(finalSet)
      const union = new Map<number, NodeId>()
      sets.forEach((s, i) => {
        for (const m of s) if (!union.has(m)) union.set(m, alive[i]!.node)
      })
      const ordered = [...union.entries()].sort((a, b) => a[0] - b[0])
      sets.forEach((s, i) => {
        for (const [m, by] of ordered) {
          if (s.has(m)) continue
          const inc = alive[i]!
          report('liveness', `node ${inc.node} never delivers ${msgId[m]} in ${common.ring}`, {
            reason: 'not-delivered',
            node: inc.node,
            incarnation: inc.ordinal,
            id: msgId[m]!,
            ring: common.ring,
            deliveredBy: by,
          })
        }
      })
    }
  }

  const violations: Violation[] = []
  for (const p of PROPERTIES) {
    for (const v of buckets.get(p)!) {
      if (violations.length >= maxViolations) {
        truncated = true
        break
      }
      violations.push(v)
    }
  }
  return {
    ok: violations.length === 0,
    violations,
    truncated,
    stats: {
      events: events.length,
      nodes: nodes.length,
      incarnations: incs.length,
      sends,
      deliveries: deliverCount,
      configurations: confs,
      crashes,
      stops,
      heals,
      messages: msgId.length,
    },
  }
}

/**
 * Parses a JSON Lines trace and checks it: `checkTrace(parseTrace(text), options)`.
 *
 * @throws {@link EvsTraceError} `ERR_EVS_BAD_TRACE` on a malformed line; `ERR_INVALID_ARGUMENT`
 * on bad options.
 */
export function checkTraceText(text: string, options?: CheckOptions): CheckResult {
  return checkTrace(parseTrace(text), options)
}

/** First element in exactly one of two ascending arrays, and whether it is in the first. */
function firstDifference(a: Int32Array, b: Int32Array): [number, boolean] | undefined {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const x = a[i]!
    const y = b[j]!
    if (x === y) {
      i++
      j++
    } else if (x < y) {
      return [x, true]
    } else {
      return [y, false]
    }
  }
  if (i < a.length) return [a[i]!, true]
  if (j < b.length) return [b[j]!, false]
  return undefined
}

type Report = (property: Property, message: string, details: ErrorDetails) => void

/**
 * Agreed order as in EVS (Moser et al. 1994, spec. 6): there must be one total order of all
 * messages that every incarnation's delivery order follows. Each incarnation's consecutive
 * deliveries become edges of a precedence graph over messages; the order exists exactly when the
 * graph is acyclic. Kahn's algorithm decides that in O(V + E); only when it fails, Tarjan's
 * algorithm finds the strongly connected components, and each cyclic one is reported once, with
 * two incarnations that disagree on a pair of messages when the cycle has such a pair.
 */
function checkAgreedOrder(
  incs: readonly Incarnation[],
  dMsg: readonly number[],
  msgId: readonly string[],
  report: Report,
): void {
  const V = msgId.length
  const outDeg = new Int32Array(V + 1)
  let E = 0
  for (const inc of incs) {
    for (let i = 1; i < inc.deliveries.length; i++) {
      outDeg[dMsg[inc.deliveries[i - 1]!]! + 1]!++
      E++
    }
  }
  const off = outDeg // prefix sums in place: off[v]..off[v+1]
  for (let v = 0; v < V; v++) off[v + 1]! += off[v]!
  const fill = off.slice(0, V)
  const dst = new Int32Array(E)
  const label = new Int32Array(E)
  const inDeg = new Int32Array(V)
  for (const inc of incs) {
    for (let i = 1; i < inc.deliveries.length; i++) {
      const a = dMsg[inc.deliveries[i - 1]!]!
      const b = dMsg[inc.deliveries[i]!]!
      const k = fill[a]!++
      dst[k] = b
      label[k] = inc.index
      inDeg[b]!++
    }
  }
  // Kahn.
  const queue = new Int32Array(V)
  let head = 0
  let tail = 0
  for (let v = 0; v < V; v++) if (inDeg[v] === 0) queue[tail++] = v
  while (head < tail) {
    const v = queue[head++]!
    for (let k = off[v]!; k < off[v + 1]!; k++) {
      const w = dst[k]!
      if (--inDeg[w]! === 0) queue[tail++] = w
    }
  }
  if (tail === V) return

  // Tarjan (iterative) over the nodes Kahn could not remove; edges never lead back to removed ones.
  const index = new Int32Array(V).fill(-1)
  const low = new Int32Array(V)
  const onStack = new Uint8Array(V)
  const sccStack: number[] = []
  const callV: number[] = []
  const callK: number[] = []
  let counter = 0
  const sccs: number[][] = []
  for (let root = 0; root < V; root++) {
    if (inDeg[root] === 0 || index[root] !== -1) continue
    index[root] = low[root] = counter++
    sccStack.push(root)
    onStack[root] = 1
    callV.push(root)
    callK.push(off[root]!)
    while (callV.length > 0) {
      const top = callV.length - 1
      const v = callV[top]!
      const k = callK[top]!
      if (k < off[v + 1]!) {
        callK[top] = k + 1
        const w = dst[k]!
        if (index[w] === -1) {
          index[w] = low[w] = counter++
          sccStack.push(w)
          onStack[w] = 1
          callV.push(w)
          callK.push(off[w]!)
        } else if (onStack[w] === 1 && index[w]! < low[v]!) {
          low[v] = index[w]!
        }
        continue
      }
      callV.pop()
      callK.pop()
      if (callV.length > 0) {
        const parent = callV[callV.length - 1]!
        if (low[v]! < low[parent]!) low[parent] = low[v]!
      }
      if (low[v] === index[v]) {
        const scc: number[] = []
        let w: number
        do {
          w = sccStack.pop()!
          onStack[w] = 0
          scc.push(w)
        } while (w !== v)
        if (scc.length > 1) sccs.push(scc)
      }
    }
  }

  const sccOf = new Int32Array(V).fill(-1)
  sccs.forEach((scc, i) => {
    for (const v of scc) sccOf[v] = i
  })
  const parentEdge = new Int32Array(V).fill(-1)
  const parentVertex = new Int32Array(V).fill(-1)
  const seen = new Int32Array(V).fill(-1)
  for (let sid = 0; sid < sccs.length; sid++) {
    const scc = sccs[sid]!
    // Shortest cycle through the SCC's smallest message (BFS inside the SCC).
    let s = scc[0]!
    for (const v of scc) if (v < s) s = v
    const bfs: number[] = [s]
    seen[s] = sid
    let closing = -1
    let closingFrom = -1
    for (let h = 0; h < bfs.length && closing === -1; h++) {
      const v = bfs[h]!
      for (let k = off[v]!; k < off[v + 1]!; k++) {
        const w = dst[k]!
        if (sccOf[w] !== sid) continue
        if (w === s) {
          closing = k
          closingFrom = v
          break
        }
        if (seen[w] === sid) continue
        seen[w] = sid
        parentEdge[w] = k
        parentVertex[w] = v
        bfs.push(w)
      }
    }
    // Walk the cycle back to s, collecting its messages and the incarnations whose edges form it.
    const cycle: number[] = [s]
    const labels = new Set<number>()
    if (closing !== -1) {
      labels.add(label[closing]!)
      for (let v = closingFrom; v !== s; v = parentVertex[v]!) {
        cycle.push(v)
        labels.add(label[parentEdge[v]!]!)
      }
      cycle.reverse()
    }
    const inScc = (m: number): boolean => sccOf[m] === sid
    const labelIncs = [...labels].sort((a, b) => a - b).slice(0, 16)
    let witnessed = false
    for (let i = 0; i < labelIncs.length && !witnessed; i++) {
      for (let j = i + 1; j < labelIncs.length && !witnessed; j++) {
        const a = incs[labelIncs[i]!]!
        const b = incs[labelIncs[j]!]!
        const w = pairwiseWitness(a, b, dMsg, inScc)
        if (w === undefined) continue
        witnessed = true
        const [x, y] = w
        report(
          'agreed-order',
          `nodes ${a.node} and ${b.node} deliver ${msgId[x]} and ${msgId[y]} in opposite orders`,
          {
            reason: 'pair',
            node: a.node,
            incarnation: a.ordinal,
            otherNode: b.node,
            otherIncarnation: b.ordinal,
            id: msgId[x]!,
            otherId: msgId[y]!,
          },
        )
      }
    }
    if (witnessed) continue
    const cycleNodes = [...new Set(labelIncs.map((i) => incs[i]!.node))].sort((a, b) => a - b)
    report('agreed-order', `deliveries of nodes ${list(cycleNodes)} admit no common total order`, {
      reason: 'cycle',
      nodes: list(cycleNodes),
      ids: cycle
        .slice(0, 8)
        .map((m) => msgId[m])
        .join(','),
      length: cycle.length,
    })
  }
}

/**
 * Two messages (restricted to `keep`) that `a` delivers as x before y and `b` as y before x, or
 * undefined when they agree on all their common messages.
 */
function pairwiseWitness(
  a: Incarnation,
  b: Incarnation,
  dMsg: readonly number[],
  keep: (m: number) => boolean,
): [number, number] | undefined {
  const posA = new Map<number, number>()
  a.deliveries.forEach((d, i) => {
    const m = dMsg[d]!
    if (keep(m)) posA.set(m, i)
  })
  let prevPos = -1
  let prevMsg = -1
  for (const d of b.deliveries) {
    const m = dMsg[d]!
    const p = posA.get(m)
    if (p === undefined) continue
    // b delivers prevMsg before m; a delivers m before prevMsg.
    if (p < prevPos) return [m, prevMsg]
    prevPos = p
    prevMsg = m
  }
  return undefined
}
