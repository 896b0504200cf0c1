/**
 * One simulated run (VOPR style): draw the seed's profile, start the nodes, run a fault phase with
 * load (safety), heal, run a bounded liveness phase until the ring converges, then check the
 * trace with the EVS checker.
 */
import { invalidArgument, type NodeId } from '@totem-ts/common'
import {
  checkTrace,
  PROPERTIES,
  type Property,
  type TraceEvent,
  type Violation,
} from '@totem-ts/evs-checker'
import type { SrpOptions, SrpTestFaults } from '@totem-ts/srp'
import type { SimNetworkStats } from './network.ts'
import {
  DEFAULT_NODE_RANGE,
  drawProfile,
  type FaultProfile,
  type NodeRange,
  type PartitionMode,
  PROFILE_PRESETS,
} from './profile.ts'
import { createSimRandom, type SimRandom } from './random.ts'
import { createSimWorld, type SimProtocolFactory, type SimWorld, srpProtocol } from './world.ts'

/** Options of {@link runSeed}. */
export interface RunOptions {
  /** The seed: draws the profile and every fault, delay and random choice of the run. */
  readonly seed: number
  /** A node count, or a range the seed draws from. @defaultValue 2–9 */
  readonly nodes?: number | NodeRange
  /** A named family from {@link PROFILE_PRESETS}. @defaultValue `'swarm'` */
  readonly preset?: string
  /** Fields that replace what the seed draws (applied after the preset). */
  readonly profile?: Partial<FaultProfile>
  /**
   * The protocol under test. @defaultValue srp with the profile's timers, `tokenHold` and
   * {@link RunOptions.srpOptions}
   */
  readonly protocol?: (profile: FaultProfile) => SimProtocolFactory
  /** Extra srp options (over the profile's). */
  readonly srpOptions?: SrpOptions
  /** Test-only srp bugs (to prove the simulator catches them). */
  readonly testFaults?: SrpTestFaults
  /** Called with every trace event as it is written. */
  readonly onTrace?: (e: TraceEvent) => void
  /** Trace events kept in `tail` for a failing run. @defaultValue 40 */
  readonly tailEvents?: number
  /** Keep the whole trace in the result. @defaultValue false */
  readonly keepTrace?: boolean
  /** `send('all')` reaches the sender too. @defaultValue false */
  readonly loopback?: boolean
  /**
   * Most queue events one run may take; past it the run stops with a `liveness` violation
   * (`reason: 'event-budget'`), so a protocol spinning at one virtual instant cannot hang a soak.
   * @defaultValue {@link EVENT_BUDGET_DEFAULT}
   */
  readonly eventBudget?: number
}

/** The liveness phase ends at the latest this many `livenessBoundMs` after the heal. */
export const LIVENESS_CAP_FACTOR = 10

/** Default event budget of one run: about 10× what a busy 9-node run takes. */
export const EVENT_BUDGET_DEFAULT = 1_000_000

/**
 * Properties that hold on any prefix of a correct trace: not self delivery, safe delivery (the
 * other members may not have delivered yet), configuration order (a prefix may end between a
 * transitional and its regular configuration) or liveness.
 */
const PREFIX_PROPERTIES: readonly Property[] = PROPERTIES.filter(
  (p) =>
    p !== 'self-delivery' &&
    p !== 'safe-delivery' &&
    p !== 'configuration-order' &&
    p !== 'liveness',
)

/** Counts of one run. */
export interface RunCounts {
  /** Messages accepted by the protocol (`send` events). */
  readonly sent: number
  /** Sends refused with `'full'`. */
  readonly refused: number
  /** `deliver` events (all nodes). */
  readonly delivered: number
  /** `conf` events (all nodes). */
  readonly configurations: number
  readonly crashes: number
  readonly stops: number
  /** Incarnations started (initial starts included). */
  readonly starts: number
  /** Partition events, by mode. */
  readonly partitions: Readonly<Record<PartitionMode, number>>
  readonly clogs: number
  /** Virtual time at the heal and at the end, ms. */
  readonly healAtMs: number
  readonly endMs: number
  /** Virtual ms from the heal until convergence (or the bound when it did not converge). */
  readonly convergeMs: number
  /** Events the queue ran. */
  readonly events: number
  /** Trace events written. */
  readonly traceEvents: number
  /** Network datagram counters. */
  readonly network: Readonly<SimNetworkStats>
}

/** What {@link runSeed} found. */
export interface RunResult {
  readonly seed: number
  /** The preset the profile was drawn with. */
  readonly preset: string
  /** The drawn (and overridden) profile. */
  readonly profile: FaultProfile
  /** True with no violation and convergence after the heal. */
  readonly ok: boolean
  /** Every live node was in one regular configuration of exactly the live nodes, all delivered. */
  readonly converged: boolean
  readonly counts: RunCounts
  /** Violations from the EVS checker (plus `liveness` when the run did not converge). */
  readonly violations: readonly Violation[]
  /** The last trace events (for a failing run; empty otherwise). */
  readonly tail: readonly TraceEvent[]
  /** The whole trace, when `keepTrace` was set. */
  readonly trace: readonly TraceEvent[] | undefined
  /** The command that replays this run. */
  readonly replay: string
}

/** Formats a seed as the CLI takes it: `0x` and lowercase hex. */
export function formatSeed(seed: number): string {
  return `0x${seed.toString(16)}`
}

/** The `pnpm sim …` command that replays one seed with the same options. */
export function replayCommand(
  seed: number,
  o: { nodes?: number | NodeRange; preset?: string; testFaults?: SrpTestFaults } = {},
): string {
  let s = `pnpm sim --seed ${formatSeed(seed)}`
  const n = o.nodes
  if (typeof n === 'number') s += ` --nodes ${n}`
  else if (
    n !== undefined &&
    (n.min !== DEFAULT_NODE_RANGE.min || n.max !== DEFAULT_NODE_RANGE.max)
  )
    s += n.min === n.max ? ` --nodes ${n.min}` : ` --nodes ${n.min}-${n.max}`
  if (o.preset !== undefined && o.preset !== 'swarm') s += ` --profile ${o.preset}`
  for (const [k, v] of Object.entries(o.testFaults ?? {})) if (v === true) s += ` --srp-fault ${k}`
  return s
}

/** Resolves the profile a seed draws under the given options (what {@link runSeed} uses). */
export function profileForSeed(
  seed: number,
  o: { nodes?: number | NodeRange; preset?: string; profile?: Partial<FaultProfile> } = {},
): FaultProfile {
  return drawProfileFor(createSimRandom(seed).split(), o)
}

function drawProfileFor(
  r: SimRandom,
  o: { nodes?: number | NodeRange; preset?: string; profile?: Partial<FaultProfile> },
): FaultProfile {
  const range: NodeRange =
    typeof o.nodes === 'number' ? { min: o.nodes, max: o.nodes } : (o.nodes ?? DEFAULT_NODE_RANGE)
  const preset = o.preset ?? 'swarm'
  const base = PROFILE_PRESETS[preset]
  if (base === undefined) invalidArgument(`unknown profile preset ${preset}`, { preset })
  return drawProfile(r, range, { ...base, ...o.profile })
}

const vary = (r: SimRandom, mean: number): number => mean * (0.5 + r.float())

/**
 * The scenario of one seed. Nodes start at random times within the first token timeout. During
 * the fault phase every live node sends agreed and safe messages with unique payloads (an 8-byte
 * per-incarnation nonce, a 4-byte counter, filler up to the profile's size) and the profile's
 * faults fire: partitions (cleared after their duration), crashes and orderly stops (at least one
 * node always stays up; a killed node restarts after the restart delay with its ring-id store and
 * nothing else), clogs. At the heal (`heal` event) partitions, clogs, loss and duplication end
 * (latency and jitter stay); nodes that are down restart, unless the profile keeps them down. The
 * load goes on for `loadAfterHealMs`, then the run waits until {@link SimWorld.converged}: it fails
 * when `livenessBoundMs` pass without a delivery, or `LIVENESS_CAP_FACTOR` × `livenessBoundMs` after
 * the heal.
 *
 * @example
 * ```ts
 * const r = await runSeed({ seed: 0x1234, nodes: 3 })
 * if (!r.ok) console.error(r.violations[0], r.replay)
 * ```
 */
export async function runSeed(o: RunOptions): Promise<RunResult> {
  const root = createSimRandom(o.seed)
  const profile = drawProfileFor(root.split(), o)
  const preset = o.preset ?? 'swarm'
  const eventBudget = o.eventBudget ?? EVENT_BUDGET_DEFAULT
  const protocol =
    o.protocol?.(profile) ??
    srpProtocol(
      {
        tokenTimeoutMs: profile.tokenTimeoutMs,
        tokenCoefficientMs: profile.tokenCoefficientMs,
        tokenHold: profile.tokenHold,
        ...o.srpOptions,
      },
      o.testFaults,
    )
  const world = createSimWorld({
    seed: o.seed,
    random: root.split(),
    nodes: profile.nodes,
    protocol,
    link: {
      lossRate: profile.lossRate,
      dupRate: profile.dupRate,
      delayBaseMs: profile.delayBaseMs,
      delayJitterMs: profile.delayJitterMs,
    },
    ...(o.loopback !== undefined ? { loopback: o.loopback } : {}),
    ...(o.onTrace !== undefined ? { onTrace: o.onTrace } : {}),
    eventBudget,
  })
  const h = new Harness(world, profile)
  await h.run()

  // A run cut short by its event budget ends mid-flight: what was sent may still be on its way,
  // so only the properties a prefix of a trace must already satisfy are checked.
  const check = checkTrace(
    world.trace,
    world.budgetExceeded ? { properties: PREFIX_PROPERTIES } : undefined,
  )
  const violations: Violation[] = []
  if (world.budgetExceeded) {
    violations.push({
      property: 'liveness',
      message: `the run spent its event budget (${world.queue.processed} events by ${world.queue.nowMs.toFixed(3)} ms virtual): a message storm or a zero-delay loop`,
      details: { reason: 'event-budget', events: world.queue.processed, atMs: world.queue.nowMs },
    })
  }
  violations.push(...check.violations)
  if (!world.budgetExceeded && !h.converged && !violations.some((v) => v.property === 'liveness')) {
    violations.push({
      property: 'liveness',
      message: `no convergence after the heal: no progress for ${profile.livenessBoundMs} ms, or still busy ${LIVENESS_CAP_FACTOR}× that after the heal`,
      details: { reason: 'not-converged', boundMs: profile.livenessBoundMs },
    })
  }
  const ok = violations.length === 0 && h.converged
  const tailN = o.tailEvents ?? 40
  const net = world.network.stats()
  const replayOpts: { nodes?: number | NodeRange; preset?: string; testFaults?: SrpTestFaults } = {
    preset,
  }
  if (o.nodes !== undefined) replayOpts.nodes = o.nodes
  if (o.testFaults !== undefined) replayOpts.testFaults = o.testFaults
  return {
    seed: o.seed,
    preset,
    profile,
    ok,
    converged: h.converged,
    counts: {
      sent: world.counts.sends,
      refused: world.counts.sendsRefused,
      delivered: world.counts.deliveries,
      configurations: world.counts.configurations,
      crashes: world.counts.crashes,
      stops: world.counts.stops,
      starts: world.counts.starts,
      partitions: h.partitions,
      clogs: h.clogs,
      healAtMs: h.healAtMs,
      endMs: world.queue.nowMs,
      convergeMs: world.queue.nowMs - h.healAtMs,
      events: world.queue.processed,
      traceEvents: world.trace.length,
      network: net,
    },
    violations,
    tail: ok ? [] : world.trace.slice(Math.max(0, world.trace.length - tailN)),
    trace: o.keepTrace === true ? world.trace : undefined,
    replay: replayCommand(o.seed, replayOpts),
  }
}

class Harness {
  readonly #w: SimWorld
  readonly #p: FaultProfile
  readonly #r: SimRandom
  #faults = true
  #load = true
  #partitionGen = 0
  converged = false
  healAtMs = 0
  clogs = 0
  readonly partitions: Record<PartitionMode, number> = { isolate: 0, split: 0, asymmetric: 0 }

  constructor(w: SimWorld, p: FaultProfile) {
    this.#w = w
    this.#p = p
    this.#r = w.random
  }

  async run(): Promise<void> {
    const w = this.#w
    const p = this.#p
    const r = this.#r
    for (const n of w.nodes) w.after(r.floatBetween(0, p.tokenTimeoutMs), () => this.#start(n))
    if (p.partitionModes.length > 0) this.#schedule(p.partitionIntervalMs, () => this.#partition())
    if (p.crashIntervalMs > 0) this.#schedule(p.crashIntervalMs, () => this.#kill())
    if (p.clogIntervalMs > 0) this.#schedule(p.clogIntervalMs, () => this.#clog())

    await w.runUntil(p.faultPhaseMs)
    if (w.budgetExceeded) return
    this.#heal()
    const loadEnd = this.healAtMs + p.loadAfterHealMs
    await w.runUntil(loadEnd)
    if (w.budgetExceeded) return
    this.#load = false
    // The ring must converge within livenessBoundMs of the last progress (a delivery): a backlog
    // built up under load drains at the ring's speed, but a ring that stalls fails at once. A
    // hard cap of LIVENESS_CAP_FACTOR bounds still catches a livelock that keeps delivering.
    const cap = this.healAtMs + LIVENESS_CAP_FACTOR * p.livenessBoundMs
    let lastProgressMs = w.queue.nowMs
    let delivered = w.counts.deliveries
    this.converged = w.converged()
    while (!this.converged && !w.budgetExceeded) {
      const now = w.queue.nowMs
      if (w.counts.deliveries !== delivered) {
        delivered = w.counts.deliveries
        lastProgressMs = now
      }
      const until = Math.min(now + 1000, lastProgressMs + p.livenessBoundMs, cap)
      if (until <= now) break
      this.converged = (await w.runUntil(until, () => w.converged())) && !w.budgetExceeded
    }
  }

  /** Runs `fire` after a gap around `meanMs`, again and again while the fault phase lasts. */
  #schedule(meanMs: number, fire: () => void): void {
    this.#w.after(vary(this.#r, meanMs), () => {
      if (!this.#faults) return
      fire()
      this.#schedule(meanMs, fire)
    })
  }

  #start(n: NodeId): void {
    const w = this.#w
    if (w.node(n).alive) return
    w.start(n)
    const nonce = new Uint8Array(8)
    this.#r.fill(nonce)
    let counter = 0
    const tick = (): void => {
      if (!this.#load) return
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

  #partition(): void {
    const w = this.#w
    const net = w.network
    const r = this.#r
    const nodes = w.nodes
    if (nodes.length < 2) return
    net.clearPartitions()
    const mode = r.pick(this.#p.partitionModes)
    this.partitions[mode]++
    if (mode === 'isolate') {
      net.isolate(r.pick(nodes))
    } else if (mode === 'split') {
      const k = Math.min(nodes.length, r.intBetween(2, 3))
      const order = r.shuffle(nodes)
      const groups: NodeId[][] = Array.from({ length: k }, () => [])
      // Every group gets one node, the rest go anywhere.
      order.forEach((n, i) => {
        ;(groups[i < k ? i : r.int(k)] as NodeId[]).push(n)
      })
      net.partition(groups)
    } else {
      const q = r.floatBetween(0.2, 0.6)
      let blocked = 0
      for (let i = 0; i < nodes.length; i++) {
        for (let j = i + 1; j < nodes.length; j++) {
          if (!r.chance(q)) continue
          const a = nodes[i] as NodeId
          const b = nodes[j] as NodeId
          if (r.chance(0.5)) net.block(a, b)
          else net.block(b, a)
          blocked++
        }
      }
      if (blocked === 0) net.block(nodes[0] as NodeId, nodes[1] as NodeId)
    }
    const gen = ++this.#partitionGen
    w.after(vary(r, this.#p.partitionDurationMs), () => {
      if (this.#partitionGen === gen) net.clearPartitions()
    })
  }

  #kill(): void {
    const w = this.#w
    const r = this.#r
    const live = w.liveNodes()
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
    const n = r.pick(w.nodes)
    const dir = r.chance(0.5) ? 'in' : 'out'
    this.clogs++
    w.network.clog(
      n,
      dir,
      vary(r, this.#p.clogDelayMs),
      w.queue.nowMs + vary(r, this.#p.clogDurationMs),
    )
  }

  #heal(): void {
    const w = this.#w
    this.#faults = false
    this.healAtMs = w.queue.nowMs
    w.markHeal()
    w.network.clearPartitions()
    w.network.clearClogs()
    w.network.setLinkFaults({ lossRate: 0, dupRate: 0 })
    if (!this.#p.keepDownAtHeal || w.liveNodes().length === 0) {
      for (const n of w.nodes) if (!w.node(n).alive) this.#start(n)
    }
  }
}
