/**
 * Fault profiles, swarm style (VOPR, FoundationDB): every seed draws which faults are on and how
 * hard they hit, so that a corpus of seeds covers calm runs, single faults and every mix of them.
 */
import { invalidArgument } from '@totem-ts/common'
import type { SimRandom } from './random.ts'

/** How a partition event splits the nodes. */
export const PartitionMode = {
  /** One node cut off from all others, both ways. */
  Isolate: 'isolate',
  /** The nodes split at random into 2 or 3 groups that cannot hear each other. */
  Split: 'split',
  /** One-way: a random set of directed links A → B is blocked while B → A still works. */
  Asymmetric: 'asymmetric',
} as const
/** One of {@link PartitionMode}. */
export type PartitionMode = (typeof PartitionMode)[keyof typeof PartitionMode]

/** Every partition mode, in a fixed order. */
export const PARTITION_MODES: readonly PartitionMode[] = Object.freeze(Object.values(PartitionMode))

/**
 * The faults and the load of one run. A field that switches a fault off is 0 (rates, intervals)
 * or empty (`partitionModes`). Times are virtual milliseconds.
 */
export interface FaultProfile {
  /** Nodes in the nodelist (ids 1 … nodes). */
  readonly nodes: number
  /** Length of the fault phase (safety), before the heal. */
  readonly faultPhaseMs: number
  /** Per-datagram loss probability during the fault phase. */
  readonly lossRate: number
  /** Per-datagram duplication probability during the fault phase. */
  readonly dupRate: number
  /** One-way latency (kept after the heal). */
  readonly delayBaseMs: number
  /** Latency jitter: datagrams reorder when > 0 (kept after the heal). */
  readonly delayJitterMs: number
  /** Partition kinds drawn from; empty = no partitions. */
  readonly partitionModes: readonly PartitionMode[]
  /** Mean gap between partition events. */
  readonly partitionIntervalMs: number
  /** Mean duration of one partition. */
  readonly partitionDurationMs: number
  /** Mean gap between crashes (or orderly stops); 0 = none. */
  readonly crashIntervalMs: number
  /** Share of kills that are orderly stops (`stop`, a leave message) instead of crashes. */
  readonly stopFraction: number
  /** Mean time a killed node stays down before it restarts. */
  readonly restartDelayMs: number
  /** At the heal, nodes that are down stay down (true) or are all restarted (false). */
  readonly keepDownAtHeal: boolean
  /** Mean gap between clog events; 0 = no clogging. */
  readonly clogIntervalMs: number
  /** Mean duration of a clog. */
  readonly clogDurationMs: number
  /** Mean extra delay on a clogged node's traffic. */
  readonly clogDelayMs: number
  /** srp `tokenHold`: the representative holds an idle token. */
  readonly tokenHold: boolean
  /** srp `tokenTimeoutMs` (for two nodes). */
  readonly tokenTimeoutMs: number
  /** srp `tokenCoefficientMs`: added per node beyond two. */
  readonly tokenCoefficientMs: number
  /** Mean gap between two sends of one node. */
  readonly loadIntervalMs: number
  /** Share of messages sent `safe` (the rest `agreed`). */
  readonly safeFraction: number
  /** Largest payload (bytes); above the MTU, messages are fragmented. */
  readonly messageBytesMax: number
  /** How long the load goes on after the heal. */
  readonly loadAfterHealMs: number
  /**
   * Bound on the liveness phase: the run fails when this long passes after the heal without a
   * delivery and without convergence (and in any case 10× this long after the heal).
   */
  readonly livenessBoundMs: number
}

/** Range of cluster sizes drawn from (`--nodes 2-9`). */
export interface NodeRange {
  readonly min: number
  readonly max: number
}

/** Parses `"3"` or `"2-9"` into a {@link NodeRange} (2 … 64 nodes). */
export function parseNodeRange(s: string): NodeRange {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s.trim())
  if (m === null) invalidArgument('nodes must look like 3 or 2-9', { value: s })
  const min = Number(m[1])
  const max = m[2] === undefined ? min : Number(m[2])
  if (!(min >= 1 && max >= min && max <= 64))
    invalidArgument('nodes must be within 1..64 and min <= max', { value: s })
  return { min, max }
}

/** The default cluster sizes. */
export const DEFAULT_NODE_RANGE: NodeRange = Object.freeze({ min: 2, max: 9 })

const round = (x: number, digits: number): number => {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/**
 * Draws a profile from `random`: each fault is switched on with probability ½ and given a rate in
 * its range; `overrides` replace drawn fields (the numbers are still drawn, so a seed's other
 * fields do not move when one is overridden).
 *
 * Ranges: loss 0–20 %, duplication 0–10 %, latency 0.05–5 ms with jitter up to 2× the base,
 * partitions (one to three modes) every 0.3–3 s for 0.1–2 s, crashes every 0.4–4 s with 0–50 %
 * orderly stops and 50 ms–2 s down time, clogging every 0.3–3 s for 50 ms–1 s adding 20–600 ms,
 * token timeout 200–1000 ms plus 0–100 ms per node beyond two, token hold on or off, one send per
 * node every 1–50 ms, 0–100 % safe, payloads up to 64 B … 4 KiB, a fault phase of 1–6 s.
 */
export function drawProfile(
  random: SimRandom,
  nodes: NodeRange = DEFAULT_NODE_RANGE,
  overrides: Partial<FaultProfile> = {},
): FaultProfile {
  const r = random
  const on = (): boolean => r.chance(0.5)
  const n = r.intBetween(nodes.min, nodes.max)
  const faultPhaseMs = r.intBetween(1000, 6000)
  const loss = on() ? round(r.floatBetween(0.001, 0.2), 4) : 0
  const dup = on() ? round(r.floatBetween(0.001, 0.1), 4) : 0
  const delayBaseMs = round(r.floatBetween(0.05, 5), 3)
  const delayJitterMs = on() ? round(r.floatBetween(0.01, 2 * delayBaseMs), 3) : 0
  let partitionModes: PartitionMode[] = []
  if (on()) {
    const k = r.intBetween(1, PARTITION_MODES.length)
    partitionModes = r.shuffle(PARTITION_MODES).slice(0, k)
    partitionModes.sort((a, b) => PARTITION_MODES.indexOf(a) - PARTITION_MODES.indexOf(b))
  }
  const partitionIntervalMs = r.intBetween(300, 3000)
  const partitionDurationMs = r.intBetween(100, 2000)
  const crashIntervalMs = on() ? r.intBetween(400, 4000) : 0
  const stopFraction = r.chance(0.5) ? round(r.floatBetween(0, 0.5), 2) : 0
  const restartDelayMs = r.intBetween(50, 2000)
  const keepDownAtHeal = r.chance(0.3)
  const clogIntervalMs = on() ? r.intBetween(300, 3000) : 0
  const clogDurationMs = r.intBetween(50, 1000)
  const clogDelayMs = r.intBetween(20, 600)
  const tokenHold = on()
  const tokenTimeoutMs = r.intBetween(200, 1000)
  const tokenCoefficientMs = r.intBetween(0, 100)
  const loadIntervalMs = r.intBetween(1, 50)
  const safeFraction = round(r.float(), 2)
  const messageBytesMax = r.pick([64, 256, 1024, 1400, 4096])
  const loadAfterHealMs = r.intBetween(0, 500)
  const p: FaultProfile = {
    nodes: n,
    faultPhaseMs,
    lossRate: loss,
    dupRate: dup,
    delayBaseMs,
    delayJitterMs,
    partitionModes,
    partitionIntervalMs,
    partitionDurationMs,
    crashIntervalMs,
    stopFraction,
    restartDelayMs,
    keepDownAtHeal,
    clogIntervalMs,
    clogDurationMs,
    clogDelayMs,
    tokenHold,
    tokenTimeoutMs,
    tokenCoefficientMs,
    loadIntervalMs,
    safeFraction,
    messageBytesMax,
    loadAfterHealMs,
    livenessBoundMs: 0,
    ...overrides,
  }
  const token = p.tokenTimeoutMs + Math.max(0, p.nodes - 2) * p.tokenCoefficientMs
  const bound =
    overrides.livenessBoundMs ?? Math.max(30_000, 15 * (token + Math.trunc(1.2 * token)))
  return Object.freeze({
    ...p,
    partitionModes: Object.freeze(p.partitionModes.slice()),
    livenessBoundMs: bound,
  })
}

/** A profile with every fault off: the calm baseline (latency only). */
export const CALM: Partial<FaultProfile> = Object.freeze({
  lossRate: 0,
  dupRate: 0,
  delayJitterMs: 0,
  partitionModes: [],
  crashIntervalMs: 0,
  clogIntervalMs: 0,
})

/**
 * Named profile families for corpora: `swarm` draws everything; the others pin some faults so a
 * corpus hits each fault family often. Each maps to {@link drawProfile} overrides.
 */
export const PROFILE_PRESETS: Readonly<Record<string, Partial<FaultProfile>>> = Object.freeze({
  swarm: {},
  calm: CALM,
  lossy: { ...CALM, lossRate: 0.1, dupRate: 0.05, delayJitterMs: 1 },
  partitions: { ...CALM, partitionModes: PARTITION_MODES, partitionIntervalMs: 800 },
  crashes: { ...CALM, crashIntervalMs: 700, stopFraction: 0.3 },
  clogging: { ...CALM, clogIntervalMs: 500, clogDelayMs: 400 },
})

/** The faults a profile switches on, as short names (for summaries). */
export function profileFeatures(p: FaultProfile): string[] {
  const f: string[] = []
  if (p.lossRate > 0) f.push('loss')
  if (p.dupRate > 0) f.push('dup')
  if (p.delayJitterMs > 0) f.push('reorder')
  for (const m of p.partitionModes) f.push(`partition:${m}`)
  if (p.crashIntervalMs > 0) {
    f.push('crash')
    if (p.stopFraction > 0) f.push('stop')
    if (p.keepDownAtHeal) f.push('keep-down')
  }
  if (p.clogIntervalMs > 0) f.push('clog')
  if (p.tokenHold) f.push('token-hold')
  if (p.messageBytesMax > 1400) f.push('fragment')
  return f
}
