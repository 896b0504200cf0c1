/**
 * Multiring simulation: several LANs (one {@link SimNetwork} each), every node running
 * `@totem-ts/multiring` over one srp per LAN it is on (gateways are on two or more), in a chain,
 * a star or a cycle of rings with one or two gateways per adjacent pair. A seed draws the shape
 * and the fault profile (the single-ring profile's faults on every LAN, plus gateway crashes and
 * restarts), runs a fault phase with load, heals, waits for one topology of all live nodes, and
 * checks the multiring EVS trace: the nine EVS properties plus key order, key identity, Lamport
 * causality and forwarding hygiene.
 */
import {
  type BroadcastListener,
  type ConfigurationChange,
  type Delivery,
  formatRingId,
  type Guarantee,
  invalidArgument,
  type NodeId,
  nodeId,
  TotemError,
} from '@totem-ts/common'
import {
  checkMultiringTrace,
  type MultiringTraceEvent,
  type MultiringViolation,
  messageId,
  type TraceEvent,
  type Violation,
} from '@totem-ts/evs-checker'
import {
  createMultiring,
  formatKey,
  type Multiring,
  type MultiringOptions,
  resolveMultiringOptions,
} from '@totem-ts/multiring'
import {
  createMemoryRingIdStore,
  createSrp,
  type RingIdStore,
  resolveSrpOptions,
} from '@totem-ts/srp'
import { createEventQueue, type EventQueue } from './event-queue.ts'
import { createSimNetwork, type SimNetwork } from './network.ts'
import { drawProfile, type FaultProfile, PROFILE_PRESETS } from './profile.ts'
import { createSimRandom, type SimRandom } from './random.ts'
import { createSimRuntime, type SimIncarnation } from './runtime.ts'

/** How the rings are joined. */
export const MultiringShape = { Chain: 'chain', Star: 'star', Cycle: 'cycle' } as const
/** One of {@link MultiringShape}. */
export type MultiringShape = (typeof MultiringShape)[keyof typeof MultiringShape]

/** A multiring layout: the node ids of each LAN (a node on several LANs is a gateway). */
export interface MultiringLayout {
  readonly shape: MultiringShape
  readonly lans: readonly (readonly NodeId[])[]
  /** Gateways, each with the LANs it joins. */
  readonly gateways: readonly { readonly node: NodeId; readonly lans: readonly number[] }[]
}

/**
 * Builds a layout: `rings` LANs with `members` ordinary nodes each, joined as `shape` with
 * `gatewaysPerPair` gateways on each joined pair. Node ids: ordinary nodes first (LAN by LAN),
 * then gateways.
 */
export function multiringLayout(
  shape: MultiringShape,
  rings: number,
  members: number,
  gatewaysPerPair: number,
): MultiringLayout {
  if (!Number.isInteger(rings) || rings < 2 || rings > 8) invalidArgument('rings must be 2..8')
  if (!Number.isInteger(members) || members < 0 || members > 16)
    invalidArgument('members must be 0..16')
  if (gatewaysPerPair !== 1 && gatewaysPerPair !== 2)
    invalidArgument('gatewaysPerPair must be 1 or 2')
  const pairs: [number, number][] = []
  if (shape === 'star') for (let i = 1; i < rings; i++) pairs.push([0, i])
  else {
    for (let i = 0; i + 1 < rings; i++) pairs.push([i, i + 1])
    if (shape === 'cycle' && rings > 2) pairs.push([rings - 1, 0])
  }
  const lans: NodeId[][] = Array.from({ length: rings }, () => [])
  let next = 1
  for (const lan of lans) for (let i = 0; i < members; i++) lan.push(nodeId(next++))
  const gateways: { node: NodeId; lans: number[] }[] = []
  for (const [a, b] of pairs)
    for (let g = 0; g < gatewaysPerPair; g++) {
      const n = nodeId(next++)
      ;(lans[a] as NodeId[]).push(n)
      ;(lans[b] as NodeId[]).push(n)
      gateways.push({ node: n, lans: [a, b] })
    }
  return { shape, lans, gateways }
}

/** Options of {@link runMultiringSeed}. */
export interface MultiringRunOptions {
  readonly seed: number
  /** @defaultValue drawn: chain, star or cycle */
  readonly shape?: MultiringShape
  /** Rings (LANs). @defaultValue drawn 2–4 */
  readonly rings?: number
  /** Ordinary nodes per LAN. @defaultValue drawn 1–3 */
  readonly members?: number
  /** @defaultValue drawn 1–2 */
  readonly gatewaysPerPair?: number
  /** A family of {@link PROFILE_PRESETS}. @defaultValue `'swarm'` */
  readonly preset?: string
  readonly profile?: Partial<FaultProfile>
  readonly multiring?: MultiringOptions
  /** @defaultValue 3 000 000 */
  readonly eventBudget?: number
  readonly keepTrace?: boolean
  readonly tailEvents?: number
  /** LANs whose ordinary nodes send nothing (quiet rings: only gateways' GVs move them). */
  readonly quietLans?: readonly number[]
  /** Return every live node's internal multiring state (debugging). */
  readonly debug?: boolean
}

/** What {@link runMultiringSeed} found. */
export interface MultiringRunResult {
  readonly seed: number
  readonly preset: string
  readonly layout: MultiringLayout
  readonly profile: FaultProfile
  readonly ok: boolean
  readonly converged: boolean
  readonly violations: readonly (Violation | MultiringViolation)[]
  readonly counts: {
    readonly sent: number
    readonly delivered: number
    readonly topologies: number
    readonly forwards: number
    readonly crashes: number
    readonly gatewayCrashes: number
    readonly partitions: number
    readonly events: number
    readonly healAtMs: number
    readonly endMs: number
    /** Longest wait, in virtual ms, between a message's send and its delivery at one node. */
    readonly maxLatencyMs: number
    /** The same, for messages sent after the heal (the topology is whole again). */
    readonly maxLatencyAfterHealMs: number
  }
  readonly tail: readonly MultiringTraceEvent[]
  readonly trace: readonly MultiringTraceEvent[] | undefined
  readonly replay: string
  /** Per live node, the multiring's internal state at the end (debugging aid). */
  readonly debug?: Record<number, unknown>
}

interface SimNode {
  readonly id: NodeId
  readonly lans: readonly number[]
  readonly stores: RingIdStore[]
  inc: SimIncarnation | undefined
  mr: Multiring | undefined
  incarnations: number
  lastConf: ConfigurationChange | undefined
  deliveredInConf: number
  pendingOwn: Map<string, number>
}

const vary = (r: SimRandom, mean: number): number => mean * (0.5 + r.float())

/** Events per virtual ms a run may average (over its first second and on) before it counts as a storm. */
const STORM_RATE_MIN = 200
/** Datagram MTU of the simulated LANs (the network's default). */
const SIM_MTU_BYTES = 1500

/**
 * The storm guard's rate for one world: {@link STORM_RATE_MIN} events per ms, or twice what the
 * world's own load explains if that is more. Each node offers a message every `loadIntervalMs`;
 * flooding puts it on the LANs once from its sender and once more per gateway and other LAN of
 * that gateway (each forwards its first copy, [R] §4); every copy is a datagram (more than one
 * for a message above the MTU) that each other member of the LAN receives as one event. A fixed
 * rate cut short the largest, busiest worlds with no storm in them (0x5f3d6: 15 nodes, three
 * LANs in a cycle with six gateways, a message every 3 ms per node of up to 4 KB: seven copies
 * of each message, about 250 events per ms all through the run, which then passes).
 */
function stormRateLimit(layout: MultiringLayout, p: FaultProfile): number {
  const lansOf = new Map<number, number>()
  for (const ids of layout.lans) for (const n of ids) lansOf.set(n, (lansOf.get(n) ?? 0) + 1)
  let copies = 1
  for (const k of lansOf.values()) copies += k - 1
  const receivers = layout.lans.reduce((a, ids) => a + ids.length - 1, 0) / layout.lans.length
  const datagrams = Math.max(1, (p.messageBytesMax + 12) / 2 / SIM_MTU_BYTES)
  const offered = (lansOf.size / Math.max(p.loadIntervalMs, 1)) * copies * receivers * datagrams
  return Math.max(STORM_RATE_MIN, 2 * offered)
}

/** The `pnpm sim:multiring` command that replays one run. */
export function multiringReplayCommand(o: MultiringRunOptions): string {
  let s = `pnpm sim:multiring --seed 0x${o.seed.toString(16)}`
  if (o.shape !== undefined) s += ` --shape ${o.shape}`
  if (o.rings !== undefined) s += ` --rings ${o.rings}`
  if (o.members !== undefined) s += ` --members ${o.members}`
  if (o.gatewaysPerPair !== undefined) s += ` --gateways ${o.gatewaysPerPair}`
  if (o.preset !== undefined && o.preset !== 'swarm') s += ` --profile ${o.preset}`
  return s
}

/** A multiring world: LAN networks, nodes, the trace, and the harness operations. */
class MultiringWorld {
  readonly queue: EventQueue = createEventQueue()
  readonly random: SimRandom
  readonly nets: SimNetwork[]
  readonly nodes = new Map<number, SimNode>()
  readonly trace: MultiringTraceEvent[] = []
  readonly layout: MultiringLayout
  readonly #nodeRandom: SimRandom
  readonly #profile: FaultProfile
  readonly #mrOptions: MultiringOptions
  readonly #ids = new Map<string, string>()
  readonly #sentAt = new Map<string, number>()
  readonly #pending: Promise<void>[] = []
  counts = { sent: 0, delivered: 0, crashes: 0, gatewayCrashes: 0, topologies: 0, forwards: 0 }
  maxLatencyMs = 0
  maxLatencyAfterHealMs = 0
  healAtMs = Number.POSITIVE_INFINITY
  budgetExceeded = false
  readonly #budget: number
  readonly #rateLimit: number

  constructor(
    seed: number,
    root: SimRandom,
    layout: MultiringLayout,
    profile: FaultProfile,
    mr: MultiringOptions,
    budget: number,
  ) {
    this.random = root.split()
    const netRandom = root.split()
    this.#nodeRandom = root.split()
    this.layout = layout
    this.#profile = profile
    this.#mrOptions = mr
    this.#budget = budget
    this.#rateLimit = stormRateLimit(layout, profile)
    void seed
    this.nets = layout.lans.map((ids, i) =>
      createSimNetwork({
        queue: this.queue,
        random: netRandom.split(),
        nodes: ids,
        ringNo: i,
        link: {
          lossRate: profile.lossRate,
          dupRate: profile.dupRate,
          delayBaseMs: profile.delayBaseMs,
          delayJitterMs: profile.delayJitterMs,
        },
      }),
    )
    const lansOf = new Map<number, number[]>()
    layout.lans.forEach((ids, lan) => {
      for (const n of ids) {
        const l = lansOf.get(n) ?? []
        l.push(lan)
        lansOf.set(n, l)
      }
    })
    for (const [n, lans] of [...lansOf].sort((a, b) => a[0] - b[0]))
      this.nodes.set(n, {
        id: n as NodeId,
        lans,
        stores: lans.map(() => createMemoryRingIdStore()),
        inc: undefined,
        mr: undefined,
        incarnations: 0,
        lastConf: undefined,
        deliveredInConf: 0,
        pendingOwn: new Map(),
      })
  }

  isGateway(n: NodeId): boolean {
    return (this.nodes.get(n)?.lans.length ?? 0) > 1
  }

  alive(n: NodeId): boolean {
    return this.nodes.get(n)?.inc?.alive === true
  }

  liveNodes(): NodeId[] {
    return [...this.nodes.values()].filter((s) => s.inc?.alive === true).map((s) => s.id)
  }

  #emit(e: MultiringTraceEvent): void {
    this.trace.push(e)
  }

  start(n: NodeId): void {
    const s = this.nodes.get(n) as SimNode
    if (s.inc?.alive === true) throw new TotemError('ERR_INVALID_STATE', `node ${n} runs`)
    const inc: SimIncarnation = { alive: true }
    s.inc = inc
    s.incarnations++
    s.lastConf = undefined
    s.deliveredInConf = 0
    s.pendingOwn = new Map()
    const runtime = createSimRuntime({
      queue: this.queue,
      random: this.#nodeRandom.split(),
      owner: inc,
    })
    const listener: BroadcastListener = {
      onDeliver: (d) => {
        if (inc.alive) this.#onDeliver(s, d)
      },
      onConfigurationChange: (c) => {
        if (inc.alive) this.#onConf(s, c)
      },
    }
    const p = this.#profile
    let pendingKey: string | undefined
    const now = (): number => this.queue.nowMs
    const mr = createMultiring(resolveMultiringOptions(this.#mrOptions), {
      nodeId: n,
      runtime,
      listener: {
        onDeliver: (d) => listener.onDeliver(d),
        onConfigurationChange: (c) => listener.onConfigurationChange(c),
      },
      observer: {
        onReceive: (key, lan) => {
          if (inc.alive)
            this.#emit({ ev: 'mrecv', node: n, t: now(), key: formatKey(key), via: lan })
        },
        onForward: (key, from, to) => {
          if (!inc.alive) return
          this.counts.forwards++
          this.#emit({ ev: 'fwd', node: n, t: now(), key: formatKey(key), from, to })
        },
        onDeliverKey: (key) => {
          pendingKey = `${key.ts}|${formatRingId(key.ring)}`
          this.#deliverKey = pendingKey
        },
        onTopology: (key, topo, rings) => {
          if (!inc.alive) return
          this.counts.topologies++
          this.#emit({
            ev: 'topo',
            node: n,
            t: now(),
            key: formatKey(key),
            ring: formatRingId(topo),
            rings: rings.map((r) => formatRingId(r.ring)),
          })
        },
      },
      rings: s.lans.map((lan, i) => ({
        lan,
        create: (l: BroadcastListener) =>
          createSrp(
            resolveSrpOptions(
              {
                tokenTimeoutMs: p.tokenTimeoutMs,
                tokenCoefficientMs: p.tokenCoefficientMs,
                tokenHold: p.tokenHold,
              },
              (this.layout.lans[lan] as readonly NodeId[]).length,
            ),
            {
              nodeId: n,
              runtime,
              transport: (this.nets[lan] as SimNetwork).attach(n, inc),
              listener: l,
              store: s.stores[i] as RingIdStore,
            },
          ),
      })),
    })
    s.mr = mr
    this.#emit({ ev: 'start', node: n, t: now() })
    this.#pending.push(mr.start())
  }

  #deliverKey: string | undefined

  crash(n: NodeId): void {
    const s = this.nodes.get(n) as SimNode
    if (s.inc?.alive !== true) return
    s.inc.alive = false
    s.mr = undefined
    this.counts.crashes++
    if (this.isGateway(n)) this.counts.gatewayCrashes++
    this.#emit({ ev: 'crash', node: n, t: this.queue.nowMs })
  }

  stop(n: NodeId): void {
    const s = this.nodes.get(n) as SimNode
    if (s.inc?.alive !== true) return
    const done = (s.mr as Multiring).stop()
    s.inc.alive = false
    s.mr = undefined
    this.counts.crashes++
    if (this.isGateway(n)) this.counts.gatewayCrashes++
    this.#emit({ ev: 'stop', node: n, t: this.queue.nowMs })
    this.#pending.push(done)
  }

  send(n: NodeId, payload: Uint8Array, g: Guarantee): void {
    const s = this.nodes.get(n) as SimNode
    if (s.inc?.alive !== true || s.mr === undefined) return
    const copy = payload.slice()
    const id = messageId(n, copy)
    if (s.mr.send(payload, g) === 'full') return
    this.#ids.set(`${n}|${hex(copy)}`, id)
    this.#sentAt.set(id, this.queue.nowMs)
    s.pendingOwn.set(id, this.queue.nowMs)
    this.counts.sent++
    this.#emit({ ev: 'send', node: n, t: this.queue.nowMs, id, g })
  }

  #onDeliver(s: SimNode, d: Delivery): void {
    const id = this.#ids.get(`${d.sender}|${hex(d.payload)}`) ?? messageId(d.sender, d.payload)
    s.pendingOwn.delete(id)
    s.deliveredInConf++
    this.counts.delivered++
    const sentAt = this.#sentAt.get(id)
    if (sentAt !== undefined) {
      const lat = this.queue.nowMs - sentAt
      if (lat > this.maxLatencyMs) this.maxLatencyMs = lat
      if (sentAt >= this.healAtMs && lat > this.maxLatencyAfterHealMs)
        this.maxLatencyAfterHealMs = lat
    }
    const k = (this.#deliverKey ?? '0|0.0').split('|')
    this.#deliverKey = undefined
    this.#emit({
      ev: 'deliver',
      node: s.id,
      t: this.queue.nowMs,
      id,
      from: d.sender,
      g: d.guarantee,
      ring: formatRingId(d.ringId),
      ts: Number(k[0]),
      src_ring: k[1] as string,
      kind: 'reg',
    })
  }

  #onConf(s: SimNode, c: ConfigurationChange): void {
    s.lastConf = { ...c, members: c.members.slice(), left: [], joined: [] }
    s.deliveredInConf = 0
    this.#emit({
      ev: 'conf',
      node: s.id,
      t: this.queue.nowMs,
      kind: c.kind === 'transitional' ? 'trans' : 'reg',
      ring: formatRingId(c.ringId),
      members: c.members.slice().sort((a, b) => a - b),
    })
  }

  markHeal(): void {
    this.healAtMs = this.queue.nowMs
    this.#emit({ ev: 'heal', t: this.queue.nowMs })
  }

  after(delayMs: number, fire: () => void, node?: NodeId): void {
    const owner = node === undefined ? undefined : this.nodes.get(node)?.inc
    if (node !== undefined && owner?.alive !== true) return
    this.queue.after(delayMs, fire, owner)
  }

  async #settle(): Promise<void> {
    while (this.#pending.length > 0) {
      const p = this.#pending.splice(0)
      await Promise.all(p)
    }
  }

  async runUntil(untilMs: number, stop?: () => boolean): Promise<boolean> {
    await this.#settle()
    const q = this.queue
    for (;;) {
      if (q.processed >= this.#budget || q.processed > this.#rateLimit * (q.nowMs + 1000)) {
        this.budgetExceeded = true
        return true
      }
      const t = q.peekTimeMs()
      if (t === undefined || t > untilMs) break
      q.step()
      if (this.#pending.length > 0) await this.#settle()
      if (stop?.() === true) return true
    }
    q.runUntil(untilMs)
    return false
  }

  debugStates(): Record<number, unknown> {
    const out: Record<number, unknown> = {}
    for (const s of this.nodes.values()) {
      const mr = s.mr as unknown as { debugState?: () => unknown } | undefined
      if (mr?.debugState !== undefined) out[s.id] = mr.debugState()
    }
    return out
  }

  converged(): boolean {
    const live = this.liveNodes()
    if (live.length === 0 || this.#pending.length > 0) return false
    let ring: string | undefined
    let delivered = -1
    for (const n of live) {
      const s = this.nodes.get(n) as SimNode
      const c = s.lastConf
      if (c === undefined || c.kind !== 'regular' || s.pendingOwn.size > 0) return false
      const r = formatRingId(c.ringId)
      if (ring === undefined) ring = r
      else if (r !== ring) return false
      if (c.members.length !== live.length || c.members.some((m, i) => m !== live[i])) return false
      if (delivered === -1) delivered = s.deliveredInConf
      else if (s.deliveredInConf !== delivered) return false
    }
    return true
  }
}

const hex = (b: Uint8Array): string => {
  let s = ''
  for (let i = 0; i < Math.min(b.length, 16); i++)
    s += (b[i] as number).toString(16).padStart(2, '0')
  return `${s}:${b.length}`
}

/** Draws what a seed leaves open: shape, ring count, members, gateways per pair. */
function drawLayout(r: SimRandom, o: MultiringRunOptions): MultiringLayout {
  const shape = o.shape ?? r.pick(['chain', 'star', 'cycle'] as const)
  const rings = o.rings ?? r.intBetween(shape === 'cycle' ? 3 : 2, 4)
  const members = o.members ?? r.intBetween(1, 3)
  const g = o.gatewaysPerPair ?? r.intBetween(1, 2)
  return multiringLayout(shape, rings, members, g)
}

/**
 * Runs one multiring seed. Faults (v1 model, see packages/multiring/README.md "Limits"): loss,
 * duplication, delay, reordering and clogging on every LAN; partitions inside one LAN that move
 * ordinary nodes only (gateways stay on one side); crashes, orderly stops and restarts of any
 * node, gateways included, as long as every joined pair of LANs keeps a live gateway.
 */
export async function runMultiringSeed(o: MultiringRunOptions): Promise<MultiringRunResult> {
  const root = createSimRandom(o.seed)
  const layoutRandom = root.split()
  const layout = drawLayout(layoutRandom, o)
  const preset = o.preset ?? 'swarm'
  const base = PROFILE_PRESETS[preset]
  if (base === undefined) invalidArgument(`unknown profile preset ${preset}`, { preset })
  const total = new Set(layout.lans.flat()).size
  const profile = drawProfile(root.split(), { min: total, max: total }, { ...base, ...o.profile })
  const w = new MultiringWorld(
    o.seed,
    root.split(),
    layout,
    profile,
    o.multiring ?? {},
    o.eventBudget ?? 3_000_000,
  )
  const h = new MultiringHarness(w, profile, new Set(o.quietLans ?? []))
  await h.run()
  const check = checkMultiringTrace(w.trace)
  const violations: (Violation | MultiringViolation)[] = []
  if (w.budgetExceeded)
    violations.push({
      property: 'liveness',
      message: `event budget spent (${w.queue.processed} events by ${w.queue.nowMs} ms)`,
      details: { reason: 'event-budget' },
    })
  violations.push(...(w.budgetExceeded ? check.violations.filter(prefixSafe) : check.violations))
  if (!w.budgetExceeded && !h.converged && !violations.some((v) => v.property === 'liveness'))
    violations.push({
      property: 'liveness',
      message: 'no single topology of all live nodes after the heal',
      details: { reason: 'not-converged' },
    })
  const ok = violations.length === 0 && h.converged
  const tailN = o.tailEvents ?? 40
  return {
    seed: o.seed,
    preset,
    layout,
    profile,
    ok,
    converged: h.converged,
    violations,
    counts: {
      sent: w.counts.sent,
      delivered: w.counts.delivered,
      topologies: w.counts.topologies,
      forwards: w.counts.forwards,
      crashes: w.counts.crashes,
      gatewayCrashes: w.counts.gatewayCrashes,
      partitions: h.partitions,
      events: w.queue.processed,
      healAtMs: h.healAtMs,
      endMs: w.queue.nowMs,
      maxLatencyMs: w.maxLatencyMs,
      maxLatencyAfterHealMs: w.maxLatencyAfterHealMs,
    },
    tail: ok ? [] : w.trace.filter((e) => e.ev !== 'mrecv').slice(-tailN),
    trace: o.keepTrace === true ? w.trace : undefined,
    replay: multiringReplayCommand(o),
    ...(o.debug === true ? { debug: w.debugStates() } : {}),
  }
}

const prefixSafe = (v: Violation | MultiringViolation): boolean =>
  v.property !== 'self-delivery' &&
  v.property !== 'safe-delivery' &&
  v.property !== 'configuration-order' &&
  v.property !== 'liveness'

class MultiringHarness {
  readonly #w: MultiringWorld
  readonly #p: FaultProfile
  readonly #r: SimRandom
  #faults = true
  #load = true
  #gen = 0
  converged = false
  healAtMs = 0
  partitions = 0

  readonly #quiet: ReadonlySet<number>

  constructor(w: MultiringWorld, p: FaultProfile, quiet: ReadonlySet<number>) {
    this.#w = w
    this.#p = p
    this.#r = w.random
    this.#quiet = quiet
  }

  #isQuiet(n: NodeId): boolean {
    const lans = this.#w.nodes.get(n)?.lans ?? []
    return lans.length === 1 && this.#quiet.has(lans[0] as number)
  }

  async run(): Promise<void> {
    const w = this.#w
    const p = this.#p
    const r = this.#r
    for (const n of w.nodes.keys())
      w.after(r.floatBetween(0, p.tokenTimeoutMs), () => this.#start(n as NodeId))
    if (p.partitionModes.length > 0) this.#schedule(p.partitionIntervalMs, () => this.#partition())
    if (p.crashIntervalMs > 0) this.#schedule(p.crashIntervalMs, () => this.#kill())
    if (p.clogIntervalMs > 0) this.#schedule(p.clogIntervalMs, () => this.#clog())
    await w.runUntil(p.faultPhaseMs)
    if (w.budgetExceeded) return
    this.#heal()
    await w.runUntil(this.healAtMs + p.loadAfterHealMs)
    if (w.budgetExceeded) return
    this.#load = false
    const cap = this.healAtMs + 10 * p.livenessBoundMs
    let last = w.queue.nowMs
    let delivered = w.counts.delivered
    this.converged = w.converged()
    while (!this.converged && !w.budgetExceeded) {
      const now = w.queue.nowMs
      if (w.counts.delivered !== delivered) {
        delivered = w.counts.delivered
        last = now
      }
      const until = Math.min(now + 1000, last + p.livenessBoundMs, cap)
      if (until <= now) break
      this.converged = (await w.runUntil(until, () => w.converged())) && !w.budgetExceeded
    }
  }

  #schedule(meanMs: number, fire: () => void): void {
    this.#w.after(vary(this.#r, meanMs), () => {
      if (!this.#faults) return
      fire()
      this.#schedule(meanMs, fire)
    })
  }

  #start(n: NodeId): void {
    const w = this.#w
    if (w.alive(n)) return
    w.start(n)
    const nonce = new Uint8Array(8)
    this.#r.fill(nonce)
    let counter = 0
    const tick = (): void => {
      if (!this.#load || this.#isQuiet(n)) return
      const size = this.#r.intBetween(12, Math.max(12, this.#p.messageBytesMax))
      const payload = new Uint8Array(size)
      payload.set(nonce, 0)
      new DataView(payload.buffer).setUint32(8, counter, true)
      for (let i = 12; i < size; i++) payload[i] = (i * 31 + counter) & 0xff
      counter++
      w.send(n, payload, this.#r.chance(this.#p.safeFraction) ? 'safe' : 'agreed')
      w.after(this.#r.floatBetween(0, 2 * this.#p.loadIntervalMs), tick, n)
    }
    w.after(this.#r.floatBetween(0, 2 * this.#p.loadIntervalMs), tick, n)
  }

  /** Partitions one LAN, moving ordinary nodes only: the gateways stay together. */
  #partition(): void {
    const w = this.#w
    const r = this.#r
    const lan = r.int(w.layout.lans.length)
    const ids = w.layout.lans[lan] as readonly NodeId[]
    const ordinary = ids.filter((n) => !w.isGateway(n))
    if (ordinary.length === 0) return
    const net = w.nets[lan] as SimNetwork
    for (const x of w.nets) x.clearPartitions()
    this.partitions++
    const gws = ids.filter((n) => w.isGateway(n))
    if (r.chance(0.5)) {
      net.isolate(r.pick(ordinary))
    } else {
      const k = r.intBetween(2, 3)
      const groups: NodeId[][] = Array.from({ length: k }, () => [])
      ;(groups[0] as NodeId[]).push(...gws)
      for (const n of r.shuffle(ordinary)) (groups[r.int(k)] as NodeId[]).push(n)
      net.partition(groups.filter((g) => g.length > 0))
    }
    const gen = ++this.#gen
    w.after(vary(r, this.#p.partitionDurationMs), () => {
      if (this.#gen === gen) net.clearPartitions()
    })
  }

  /** A pair of LANs joined by `g` still has another live gateway. */
  #covered(g: NodeId): boolean {
    const w = this.#w
    const mine = w.layout.gateways.find((x) => x.node === g)
    if (mine === undefined) return true
    return w.layout.gateways.some(
      (x) =>
        x.node !== g &&
        w.alive(x.node) &&
        x.lans.length === mine.lans.length &&
        x.lans.every((l, i) => l === mine.lans[i]),
    )
  }

  #kill(): void {
    const w = this.#w
    const r = this.#r
    const live = w.liveNodes().filter((n) => !w.isGateway(n) || this.#covered(n))
    if (live.length <= 1) return
    const n = r.pick(live)
    if (r.chance(this.#p.stopFraction)) w.stop(n)
    else w.crash(n)
    w.after(vary(r, this.#p.restartDelayMs), () => {
      if (this.#faults) this.#start(n)
    })
  }

  #clog(): void {
    const w = this.#w
    const r = this.#r
    const lan = r.int(w.nets.length)
    const n = r.pick(w.layout.lans[lan] as readonly NodeId[])
    ;(w.nets[lan] as SimNetwork).clog(
      n,
      r.chance(0.5) ? 'in' : 'out',
      vary(r, this.#p.clogDelayMs),
      w.queue.nowMs + vary(r, this.#p.clogDurationMs),
    )
  }

  #heal(): void {
    const w = this.#w
    this.#faults = false
    this.healAtMs = w.queue.nowMs
    w.markHeal()
    for (const net of w.nets) {
      net.clearPartitions()
      net.clearClogs()
      net.setLinkFaults({ lossRate: 0, dupRate: 0 })
    }
    for (const n of w.nodes.keys())
      if (!w.alive(n as NodeId) && (!this.#p.keepDownAtHeal || w.isGateway(n as NodeId)))
        this.#start(n as NodeId)
  }
}

/** The trace events a failing run shows, for a report. */
export type { MultiringTraceEvent, TraceEvent }
