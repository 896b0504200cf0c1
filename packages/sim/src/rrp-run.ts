/**
 * Simulated runs of srp over the redundant ring protocol (`@totem-ts/rrp`): one simulated network
 * per ring, and a fault schedule that fails, flaps, degrades and heals single networks (and, in
 * about one seed in ten, all of them at once). Besides the EVS checker, a run checks what RRP
 * promises: while at least one network works, the membership never changes; a network that is
 * down long enough is taken out of use on every node; after the heal every node uses every network
 * again, by itself.
 */
import { invalidArgument, type NodeId } from '@totem-ts/common'
import { checkTrace, type TraceEvent, type Violation } from '@totem-ts/evs-checker'
import {
  createRrp,
  RRP_HEADER_BYTES,
  type Rrp,
  type RrpMode,
  type RrpOptions,
  resolveRrpOptions,
} from '@totem-ts/rrp'
import { createSrp, resolveSrpOptions, type SrpOptions } from '@totem-ts/srp'
import type { SimNetwork } from './network.ts'
import { createSimRandom, type SimRandom } from './random.ts'
import { formatSeed } from './run.ts'
import { createSimWorld, type SimProtocolFactory, type SimWorld } from './world.ts'

/** How one fault episode hits one network. */
export type RrpFaultKind = 'down' | 'nic' | 'one-way' | 'lossy' | 'flap' | 'all-down'

/** One scheduled fault episode. */
export interface RrpEpisode {
  readonly kind: RrpFaultKind
  /** The network (−1 for `all-down`). */
  readonly ringNo: number
  readonly startMs: number
  readonly endMs: number
}

/** What a seed draws for an RRP run. */
export interface RrpProfile {
  readonly mode: RrpMode
  readonly nodes: number
  readonly rings: number
  readonly tokenTimeoutMs: number
  readonly tokenHold: boolean
  /** Per network: latency, jitter, background loss. */
  readonly links: readonly { delayBaseMs: number; delayJitterMs: number; lossRate: number }[]
  readonly loadIntervalMs: number
  readonly safeFraction: number
  readonly messageBytesMax: number
  readonly faultPhaseMs: number
  /** rrp tunables drawn per seed (faster detection and recovery than the defaults, often). */
  readonly rrp: {
    readonly problemCountThreshold: number
    readonly autorecoveryCheckTimeoutMs: number
  }
  readonly episodes: readonly RrpEpisode[]
  /** Virtual ms after the heal within which the ring converges and every network is back. */
  readonly livenessBoundMs: number
}

/** Options of {@link runRrpSeed}. */
export interface RrpRunOptions {
  readonly seed: number
  readonly mode: RrpMode
  /** Cluster size, or a range drawn from. @defaultValue 2–5 */
  readonly nodes?: number | { readonly min: number; readonly max: number }
  /** Extra rrp options (over the derived defaults). */
  readonly rrpOptions?: RrpOptions
  /** Keep the whole trace in the result. */
  readonly keepTrace?: boolean
}

/** A violation of an RRP promise (the EVS ones are in `violations`). */
export interface RrpViolation {
  readonly property: 'rrp-membership' | 'rrp-detection' | 'rrp-recovery'
  readonly message: string
}

/** What {@link runRrpSeed} found. */
export interface RrpRunResult {
  readonly seed: number
  readonly profile: RrpProfile
  readonly ok: boolean
  readonly converged: boolean
  readonly violations: readonly Violation[]
  readonly rrpViolations: readonly RrpViolation[]
  readonly counts: {
    readonly sent: number
    readonly delivered: number
    /** `conf` events after the ring first formed with every node. */
    readonly confsAfterFormed: number
    readonly faultyMarks: number
    readonly recoveries: number
    readonly events: number
    readonly endMs: number
  }
  readonly tail: readonly TraceEvent[]
  readonly trace: readonly TraceEvent[] | undefined
  readonly replay: string
}

/**
 * srp over rrp over the world's networks, as `@totem-ts/stack` composes them: srp packs to the
 * MTU less the RRP header, and the rrp defaults derive from srp's token retransmit timeout.
 * `onRrp` sees every incarnation's rrp.
 */
export function rrpProtocol(
  mode: RrpMode,
  srpOptions: SrpOptions = {},
  rrpOptions: RrpOptions = {},
  onRrp?: (node: NodeId, rrp: Rrp) => void,
): SimProtocolFactory {
  return (ctx) => {
    const config = resolveSrpOptions(
      { ...srpOptions, netmtu: (srpOptions.netmtu ?? 1500) - RRP_HEADER_BYTES },
      ctx.nodelistSize,
    )
    const rrp = createRrp(
      ctx.transports,
      {
        tokenRetransmitTimeoutMs: config.tokenRetransmitTimeoutMs,
        ...rrpOptions,
        mode,
        nodeId: ctx.nodeId,
      },
      ctx.runtime,
    )
    onRrp?.(ctx.nodeId, rrp)
    return createSrp(config, {
      nodeId: ctx.nodeId,
      runtime: ctx.runtime,
      transport: rrp,
      listener: ctx.listener,
      store: ctx.store,
    })
  }
}

const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d

/** Draws the profile of an RRP run (every field from the seed). */
export function drawRrpProfile(
  r: SimRandom,
  mode: RrpMode,
  nodes: number | { readonly min: number; readonly max: number } = { min: 2, max: 5 },
): RrpProfile {
  const range = typeof nodes === 'number' ? { min: nodes, max: nodes } : nodes
  if (!(range.min >= 2 && range.max >= range.min && range.max <= 16))
    invalidArgument('rrp runs take 2 … 16 nodes', { option: 'nodes' })
  const n = r.intBetween(range.min, range.max)
  const rings = r.chance(0.2) ? 3 : 2
  const links = Array.from({ length: rings }, () => ({
    delayBaseMs: round(r.floatBetween(0.05, 3), 3),
    delayJitterMs: r.chance(0.5) ? round(r.floatBetween(0.01, 1), 3) : 0,
    lossRate: r.chance(0.5) ? round(r.floatBetween(0, 0.005), 4) : 0,
  }))
  const tokenTimeoutMs = r.intBetween(300, 1000)
  const faultPhaseMs = r.intBetween(5000, 12000)
  const allDown = r.chance(0.1)
  const episodes: RrpEpisode[] = []
  let t = r.intBetween(1500, 2500) // after the ring formed
  const kinds: RrpFaultKind[] = ['down', 'nic', 'one-way', 'lossy', 'flap']
  while (t < faultPhaseMs - 300) {
    const kind: RrpFaultKind =
      allDown && episodes.length === 1 ? 'all-down' : (r.pick(kinds) as RrpFaultKind)
    const len = r.intBetween(300, 5000)
    const end = Math.min(faultPhaseMs, t + len)
    episodes.push({ kind, ringNo: kind === 'all-down' ? -1 : r.int(rings), startMs: t, endMs: end })
    t = end + r.intBetween(0, 1500)
  }
  return Object.freeze({
    mode,
    nodes: n,
    rings,
    tokenTimeoutMs,
    tokenHold: r.chance(0.5),
    links,
    loadIntervalMs: r.intBetween(2, 40),
    safeFraction: round(r.float(), 2),
    messageBytesMax: r.pick([64, 512, 1400, 3000]),
    faultPhaseMs,
    rrp: {
      problemCountThreshold: r.intBetween(3, 10),
      autorecoveryCheckTimeoutMs: r.intBetween(250, 1000),
    },
    episodes,
    livenessBoundMs: 90_000,
  })
}

/** Applies (`on`) or lifts an episode's fault on the networks. */
function applyEpisode(
  w: SimWorld,
  p: RrpProfile,
  e: RrpEpisode,
  on: boolean,
  r: SimRandom,
  flapTimers: { gen: number },
): void {
  const rings = e.kind === 'all-down' ? w.networks.map((_, i) => i) : [e.ringNo]
  const nets = rings.map((i) => w.networks[i] as SimNetwork)
  for (const i of rings) {
    w.networks[i]?.clearPartitions()
    w.networks[i]?.setLinkFaults({ lossRate: p.links[i]?.lossRate ?? 0 })
  }
  if (!on) {
    flapTimers.gen++
    return
  }
  const net = nets[0] as SimNetwork
  const block = (x: SimNetwork): void => {
    for (const a of w.nodes) for (const b of w.nodes) if (a !== b) x.block(a, b)
  }
  switch (e.kind) {
    case 'down':
      block(net)
      break
    case 'all-down':
      for (const x of nets) block(x)
      break
    case 'nic':
      net.isolate(r.pick(w.nodes))
      break
    case 'one-way': {
      let k = 0
      for (const a of w.nodes)
        for (const b of w.nodes)
          if (a !== b && r.chance(0.4)) {
            net.block(a, b)
            k++
          }
      if (k === 0) net.block(w.nodes[0] as NodeId, w.nodes[1] as NodeId)
      break
    }
    case 'lossy':
      net.setLinkFaults({ lossRate: round(r.floatBetween(0.05, 0.5), 3) })
      break
    case 'flap': {
      const gen = ++flapTimers.gen
      const period = r.intBetween(100, 600)
      let down = true
      const toggle = (): void => {
        if (flapTimers.gen !== gen) return
        if (down) block(net)
        else net.clearPartitions()
        down = !down
        w.after(period, toggle)
      }
      toggle()
      break
    }
  }
}

/**
 * One RRP run: the seed draws the profile; nodes start within the first token timeout; load runs
 * during the fault phase while the episodes fire; then every network heals and the run waits until
 * the ring converges and every node uses every network again.
 *
 * @example
 * ```ts
 * const r = await runRrpSeed({ seed: 7, mode: 'passive' })
 * if (!r.ok) console.error(r.violations, r.rrpViolations, r.replay)
 * ```
 */
export async function runRrpSeed(o: RrpRunOptions): Promise<RrpRunResult> {
  const root = createSimRandom(o.seed)
  const profile = drawRrpProfile(root.split(), o.mode, o.nodes)
  const rrps = new Map<NodeId, Rrp>()
  /** `${episode index}/${node}`: the node had the episode's network out of use at some sample. */
  const detected = new Set<string>()
  let faultyMarks = 0
  let recoveries = 0
  const protocol = rrpProtocol(
    o.mode,
    { tokenTimeoutMs: profile.tokenTimeoutMs, tokenHold: profile.tokenHold },
    { ...profile.rrp, ...o.rrpOptions },
    (node, rrp) => rrps.set(node, rrp),
  )
  const w = createSimWorld({
    seed: o.seed,
    random: root.split(),
    nodes: profile.nodes,
    rings: profile.rings,
    protocol,
  })
  for (const [i, net] of w.networks.entries()) {
    const l = profile.links[i] as RrpProfile['links'][number]
    net.setLinkFaults({
      delayBaseMs: l.delayBaseMs,
      delayJitterMs: l.delayJitterMs,
      lossRate: l.lossRate,
    })
  }
  const r = w.random
  const flap = { gen: 0 }
  for (const n of w.nodes) w.after(r.floatBetween(0, profile.tokenTimeoutMs), () => startNode(n))
  let load = true
  function startNode(n: NodeId): void {
    if (w.node(n).alive) return
    w.start(n)
    const nonce = new Uint8Array(8)
    r.fill(nonce)
    let counter = 0
    const tick = (): void => {
      if (!load) return
      const size = r.intBetween(12, Math.max(12, profile.messageBytesMax))
      const payload = new Uint8Array(size)
      payload.set(nonce, 0)
      new DataView(payload.buffer).setUint32(8, counter, true)
      for (let i = 12; i < size; i++) payload[i] = (i * 31 + counter) & 0xff
      counter++
      w.send(n, payload, r.chance(profile.safeFraction) ? 'safe' : 'agreed')
      w.after(r.floatBetween(0, 2 * profile.loadIntervalMs), tick, n)
    }
    w.after(r.floatBetween(0, 2 * profile.loadIntervalMs), tick, n)
  }
  for (const e of profile.episodes) {
    w.after(e.startMs, () => applyEpisode(w, profile, e, true, r, flap))
    w.after(e.endMs, () => applyEpisode(w, profile, e, false, r, flap))
  }
  // Sample the networks in use every 10 virtual ms (cheap: a few nodes × rings) and record when
  // each node stops using one.
  const sample = (): void => {
    const now = w.queue.nowMs
    for (const [i, e] of profile.episodes.entries()) {
      if (e.ringNo < 0 || now < e.startMs || now > e.endMs) continue
      for (const [node, rrp] of rrps) {
        if (w.node(node).alive && rrp.networks()[e.ringNo]?.inUse === false)
          detected.add(`${i}/${node}`)
      }
    }
    if (w.queue.nowMs < profile.faultPhaseMs) w.after(10, sample)
  }
  w.after(10, sample)

  // Formation: the first moment every node is in one regular configuration of all nodes.
  let formedAt = -1
  const formed = (): boolean => {
    if (formedAt < 0 && allInOneRing(w)) formedAt = w.trace.length
    return false
  }
  await w.runUntil(profile.faultPhaseMs, formed)
  // Heal.
  flap.gen++
  w.markHeal()
  for (const [i, net] of w.networks.entries()) {
    net.clearPartitions()
    net.clearClogs()
    net.setLinkFaults({
      lossRate: 0,
      dupRate: 0,
      delayJitterMs: profile.links[i]?.delayJitterMs ?? 0,
    })
  }
  await w.runUntil(w.queue.nowMs + 200)
  load = false
  const healAt = w.queue.nowMs
  const allBack = (): boolean => {
    for (const [node, rrp] of rrps) {
      if (!w.node(node).alive) continue
      if (rrp.networks().some((n) => !n.inUse)) return false
    }
    return true
  }
  const done = (): boolean => w.converged() && allBack()
  let converged = done()
  while (!converged && !w.budgetExceeded && w.queue.nowMs < healAt + profile.livenessBoundMs) {
    converged =
      (await w.runUntil(Math.min(w.queue.nowMs + 1000, healAt + profile.livenessBoundMs), done)) &&
      !w.budgetExceeded
    converged ||= done()
  }
  const netsBack = allBack()

  for (const rrp of rrps.values()) {
    for (const n of rrp.networks()) {
      faultyMarks += n.faultyCount
      recoveries += n.recoveredCount
    }
  }
  // ---- checks ----
  const check = checkTrace(w.trace)
  const violations: Violation[] = [...check.violations]
  if (!w.converged())
    violations.push({
      property: 'liveness',
      message: `no convergence within ${profile.livenessBoundMs} ms after the heal`,
      details: { reason: 'not-converged' },
    })
  const rrpViolations: RrpViolation[] = []
  const allDown = profile.episodes.some((e) => e.kind === 'all-down')
  let confsAfterFormed = 0
  if (formedAt >= 0) {
    for (let i = formedAt; i < w.trace.length; i++)
      if (w.trace[i]?.ev === 'conf') confsAfterFormed++
  }
  if (formedAt < 0)
    rrpViolations.push({
      property: 'rrp-membership',
      message: 'the ring never formed with every node before the heal',
    })
  else if (!allDown && confsAfterFormed > 0)
    rrpViolations.push({
      property: 'rrp-membership',
      message: `${confsAfterFormed} configuration changes after the ring formed, while a network always worked`,
    })
  if (!netsBack)
    rrpViolations.push({
      property: 'rrp-recovery',
      message: `networks still out of use ${profile.livenessBoundMs} ms after the heal: ${[...rrps]
        .map(
          ([n, x]) =>
            `${n}:${x
              .networks()
              .map((s) => (s.inUse ? 'U' : s.localFaulty ? 'F' : 'R'))
              .join('')}`,
        )
        .join(' ')}`,
    })
  // Detection: a network down (or one node cut off from it) long enough is taken out of use on
  // every node before the episode ends.
  if (!allDown) {
    // The bound follows from the profile's rrp settings (not from test overrides of them).
    const running = [...rrps.values()][0]?.config
    const c =
      running === undefined
        ? undefined
        : resolveRrpOptions({
            tokenRetransmitTimeoutMs: running.tokenRetransmitTimeoutMs,
            ...profile.rrp,
          })
    if (c !== undefined) {
      const rate = 1 / c.tokenExpiredTimeoutMs - 1 / c.problemCountTimeoutMs
      const bound =
        c.problemCountThreshold / rate + 2 * c.tokenExpiredTimeoutMs + 2 * c.heartbeatIntervalMs
      for (const [i, e] of profile.episodes.entries()) {
        if ((e.kind !== 'down' && e.kind !== 'nic') || e.endMs - e.startMs < bound + 50) continue
        for (const node of w.nodes) {
          if (!detected.has(`${i}/${node}`))
            rrpViolations.push({
              property: 'rrp-detection',
              message: `node ${node} used ring ${e.ringNo} throughout a '${e.kind}' episode of ${e.endMs - e.startMs} ms at ${e.startMs} ms (detection bound ${Math.round(bound)} ms)`,
            })
        }
      }
    }
  }
  const ok = violations.length === 0 && rrpViolations.length === 0 && converged
  return {
    seed: o.seed,
    profile,
    ok,
    converged,
    violations,
    rrpViolations,
    counts: {
      sent: w.counts.sends,
      delivered: w.counts.deliveries,
      confsAfterFormed,
      faultyMarks,
      recoveries,
      events: w.queue.processed,
      endMs: w.queue.nowMs,
    },
    tail: ok ? [] : w.trace.slice(-40),
    trace: o.keepTrace === true ? w.trace : undefined,
    replay: `runRrpSeed({ seed: ${formatSeed(o.seed)}, mode: '${o.mode}'${typeof o.nodes === 'number' ? `, nodes: ${o.nodes}` : ''} }) (packages/sim/test/rrp.sim.test.ts: TOTEM_SIM_RRP_SEED=${formatSeed(o.seed)})`,
  }
}

/** Every node alive and its last configuration a regular one of all nodes, the same ring. */
function allInOneRing(w: SimWorld): boolean {
  let ring: string | undefined
  for (const n of w.nodes) {
    const info = w.node(n)
    const c = info.lastConf
    if (
      !info.alive ||
      c === undefined ||
      c.kind !== 'regular' ||
      c.members.length !== w.nodes.length
    )
      return false
    const id = `${c.ringId.rep}.${c.ringId.seq}`
    if (ring === undefined) ring = id
    else if (id !== ring) return false
  }
  return true
}
