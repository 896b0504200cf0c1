/**
 * The EVS checker: reads a trace (EVS-TRACE.md) and reports every violation of extended virtual
 * synchrony it can see (Moser, Amir, Melliar-Smith, Agarwal 1994, "Extended Virtual Synchrony").
 * Safety properties are checked first, liveness last (TigerBeetle's order).
 */
import { type ErrorDetails, type Guarantee, invalidArgument, type NodeId } from '@totem-ts/common'
import { checkAgreedOrder } from './agreed-order.ts'
import { type Incarnation, list } from './incarnation.ts'
import { PROPERTIES, type Property, type Violation } from './properties.ts'
import { type ConfEvent, isTraceRingId, parseTrace, type TraceEvent } from './trace.ts'

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

const ringSeq = (ring: string): bigint => BigInt(ring.slice(ring.indexOf('.') + 1))
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
