/**
 * Test helpers: a small builder for hand-written traces, and a model of a correct EVS run (every
 * message reaches its whole component at once) that produces valid traces of any size.
 */
import { type NodeId, nodeId } from '@totem-ts/common'
import {
  type CheckOptions,
  type CheckResult,
  type ConfKind,
  checkTrace,
  formatTraceEvent,
  messageId,
  type Property,
  type TraceEvent,
} from '../src/index.ts'

type Guarantee = 'agreed' | 'safe'

const utf8 = new TextEncoder()

/** Builds a trace line by line; messages are named by labels, ids come from `messageId`. */
export class TraceBuilder {
  readonly events: TraceEvent[] = []
  private t = 0
  private readonly sent = new Map<string, { from: NodeId; g: Guarantee }>()
  private readonly ring = new Map<number, string>()

  /** The id of label `label` sent by `sender`. */
  static id(sender: number, label: string): string {
    return messageId(sender, utf8.encode(label))
  }

  id(label: string): string {
    const s = this.sent.get(label)
    if (s === undefined) throw new Error(`unknown label ${label}`)
    return TraceBuilder.id(s.from, label)
  }

  start(...nodes: number[]): this {
    for (const n of nodes) this.events.push({ ev: 'start', node: nodeId(n), t: this.t++ })
    return this
  }

  crash(node: number): this {
    this.events.push({ ev: 'crash', node: nodeId(node), t: this.t++ })
    return this
  }

  stop(node: number): this {
    this.events.push({ ev: 'stop', node: nodeId(node), t: this.t++ })
    return this
  }

  heal(): this {
    this.events.push({ ev: 'heal', t: this.t++ })
    return this
  }

  conf(
    nodes: number | readonly number[],
    kind: ConfKind,
    ring: string,
    members: readonly number[],
  ): this {
    for (const n of typeof nodes === 'number' ? [nodes] : nodes) {
      this.events.push({
        ev: 'conf',
        node: nodeId(n),
        t: this.t++,
        kind,
        ring,
        members: members.map(nodeId),
      })
      this.ring.set(n, ring)
    }
    return this
  }

  /** trans then reg with the same ring, for each of `nodes`. */
  change(
    nodes: readonly number[],
    ring: string,
    trans: readonly number[],
    reg: readonly number[],
  ): this {
    for (const n of nodes) this.conf(n, 'trans', ring, trans).conf(n, 'reg', ring, reg)
    return this
  }

  send(node: number, label: string, g: Guarantee = 'agreed'): this {
    this.sent.set(label, { from: nodeId(node), g })
    this.events.push({
      ev: 'send',
      node: nodeId(node),
      t: this.t++,
      id: TraceBuilder.id(node, label),
      g,
    })
    return this
  }

  /** Delivers `label` at each of `nodes`; sender, guarantee and ring default to the truth. */
  deliver(
    nodes: number | readonly number[],
    label: string,
    over: { from?: number; g?: Guarantee; ring?: string } = {},
  ): this {
    // An unsent label (a forged delivery) needs `over.from`; its id is computed as if from sent it.
    const s = this.sent.get(label)
    const from = over.from ?? s?.from
    if (from === undefined) throw new Error(`unknown label ${label}`)
    const id = TraceBuilder.id(s?.from ?? from, label)
    for (const n of typeof nodes === 'number' ? [nodes] : nodes) {
      this.events.push({
        ev: 'deliver',
        node: nodeId(n),
        t: this.t++,
        id,
        from: nodeId(from),
        g: over.g ?? s?.g ?? 'agreed',
        ring: over.ring ?? this.ring.get(n) ?? '0.0',
      })
    }
    return this
  }

  text(): string {
    return `${this.events.map(formatTraceEvent).join('\n')}\n`
  }

  check(options?: CheckOptions): CheckResult {
    return checkTrace(this.events, options)
  }
}

/** The distinct properties of a result's violations, sorted. */
export function propertiesOf(r: CheckResult): Property[] {
  return [...new Set(r.violations.map((v) => v.property))].sort()
}

/** mulberry32: a tiny seeded PRNG for the model. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export interface ModelOptions {
  readonly seed: number
  readonly nodes: number
  readonly steps: number
  /** Probability that a step is a fault (split, merge, crash, restart, stop) rather than a send. */
  readonly faultRate?: number
}

/**
 * A correct EVS run: components of live nodes, each with its own ring; a send reaches every member
 * of the sender's component at once (so in the same order everywhere); splits and merges deliver
 * trans + reg; a split may first deliver a last old-ring message in both transitional
 * configurations. Ends with `heal` and one merge of everything alive. Returns per-node event
 * lists merged in a random interleaving that keeps each node's order.
 */
export function modelRun(o: ModelOptions): TraceEvent[] {
  const rnd = prng(o.seed)
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const perNode = new Map<number, TraceEvent[]>()
  let t = 0
  let seq = 0
  let label = 0
  const emit = (n: number, e: TraceEvent): void => {
    let l = perNode.get(n)
    if (l === undefined) {
      l = []
      perNode.set(n, l)
    }
    l.push(e)
  }
  const sorted = (xs: readonly number[]): NodeId[] => [...xs].sort((a, b) => a - b).map(nodeId)
  interface Comp {
    ring: string
    members: NodeId[]
  }
  let comps: Comp[] = []
  const down = new Set<number>()
  const incNo = new Map<number, number>()
  const form = (groups: readonly (readonly number[])[]): Comp => {
    const members = sorted(groups.flat())
    seq += 4
    const ring = `${members[0]}.${seq}`
    for (const g of groups) {
      for (const n of g) {
        emit(n, { ev: 'conf', node: nodeId(n), t, kind: 'trans', ring, members: sorted(g) })
        emit(n, { ev: 'conf', node: nodeId(n), t, kind: 'reg', ring, members })
      }
    }
    return { ring, members }
  }
  const send = (
    c: Comp,
    from: number,
    g: Guarantee,
    ringOf: (n: number) => string = () => c.ring,
  ): void => {
    const id = messageId(from, utf8.encode(`m${label++}/${incNo.get(from) ?? 0}`))
    emit(from, { ev: 'send', node: nodeId(from), t, id, g })
    for (const n of c.members) {
      emit(n, { ev: 'deliver', node: nodeId(n), t, id, from: nodeId(from), g, ring: ringOf(n) })
    }
  }
  const boot = (n: number): Comp => {
    incNo.set(n, (incNo.get(n) ?? -1) + 1)
    emit(n, { ev: 'start', node: nodeId(n), t })
    seq += 4
    const ring = `${n}.${seq}`
    if (rnd() < 0.5)
      emit(n, { ev: 'conf', node: nodeId(n), t, kind: 'trans', ring, members: [nodeId(n)] })
    emit(n, { ev: 'conf', node: nodeId(n), t, kind: 'reg', ring, members: [nodeId(n)] })
    return { ring, members: [nodeId(n)] }
  }
  for (let n = 1; n <= o.nodes; n++) comps.push(boot(n))
  comps = [form(comps.map((c) => c.members))]

  const faultRate = o.faultRate ?? 0.05
  for (let step = 0; step < o.steps; step++) {
    t++
    if (rnd() >= faultRate || comps.length === 0) {
      if (comps.length === 0) {
        const n = pick([...down])
        down.delete(n)
        comps.push(boot(n))
        continue
      }
      const c = pick(comps)
      send(c, pick(c.members), rnd() < 0.3 ? 'safe' : 'agreed')
      continue
    }
    const kind = Math.floor(rnd() * 5)
    if (kind === 0) {
      // Split a component, maybe after one last old-ring message delivered in both transitionals.
      const c = pick(comps)
      if (c.members.length < 2) continue
      const a = c.members.filter(() => rnd() < 0.5)
      if (a.length === 0 || a.length === c.members.length) continue
      const b = c.members.filter((n) => !a.includes(n))
      comps = comps.filter((x) => x !== c)
      const seqA = seq + 4
      const seqB = seq + 8
      const ringA = `${a[0]}.${seqA}`
      const ringB = `${b[0]}.${seqB}`
      const lastMsg = rnd() < 0.5
      const transOf = (n: number): string => (a.includes(nodeId(n)) ? ringA : ringB)
      for (const g of [a, b]) {
        for (const n of g) {
          emit(n, {
            ev: 'conf',
            node: nodeId(n),
            t,
            kind: 'trans',
            ring: transOf(n),
            members: sorted(g),
          })
        }
      }
      if (lastMsg) send(c, pick(c.members), 'agreed', transOf)
      for (const [g, ring] of [
        [a, ringA],
        [b, ringB],
      ] as const) {
        for (const n of g) {
          emit(n, { ev: 'conf', node: nodeId(n), t, kind: 'reg', ring, members: sorted(g) })
        }
        comps.push({ ring, members: sorted(g) })
      }
      seq += 8
    } else if (kind === 1) {
      if (comps.length < 2) continue
      const c1 = pick(comps)
      const c2 = pick(comps.filter((x) => x !== c1))
      comps = comps.filter((x) => x !== c1 && x !== c2)
      comps.push(form([c1.members, c2.members]))
    } else if (kind === 2 || kind === 3) {
      // Crash (or stop) one node; the rest of its component forms a new ring.
      const c = pick(comps)
      const n = pick(c.members)
      emit(n, { ev: kind === 2 ? 'crash' : 'stop', node: nodeId(n), t })
      down.add(n)
      comps = comps.filter((x) => x !== c)
      const rest = c.members.filter((m) => m !== n)
      if (rest.length > 0) comps.push(form([rest]))
    } else if (down.size > 0) {
      const n = pick([...down])
      down.delete(n)
      comps.push(boot(n))
    }
  }
  t++
  const healAt = t
  if (comps.length > 1) comps = [form(comps.map((c) => c.members))]
  for (const c of comps) for (let i = 0; i < 3; i++) send(c, pick(c.members), 'safe')

  // Interleave the nodes' lists at random, keeping each node's order.
  const lists = [...perNode.values()]
  const idx = lists.map(() => 0)
  const out: TraceEvent[] = []
  let left = lists.reduce((s, l) => s + l.length, 0)
  const healPos = Math.floor(rnd() * left)
  while (left > 0) {
    if (out.length === healPos) out.push({ ev: 'heal', t: healAt })
    let i = Math.floor(rnd() * lists.length)
    while (idx[i]! >= lists[i]!.length) i = (i + 1) % lists.length
    out.push(lists[i]![idx[i]!++]!)
    left--
  }
  if (!out.some((e) => e.ev === 'heal')) out.push({ ev: 'heal', t: healAt })
  return out
}
