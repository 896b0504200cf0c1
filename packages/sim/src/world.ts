/**
 * `SimWorld`: one seeded PRNG, one event queue, one network, and the nodes running a protocol
 * (srp by default, any {@link SimProtocol} otherwise). The harness side (crash, restart, stop,
 * heal, sends) writes the EVS trace of EVS-TRACE.md as it goes, every node's listener the rest.
 * Everything here is deterministic: time is the queue's virtual time, randomness the seed's.
 */
import {
  type Broadcast,
  type BroadcastListener,
  type ConfigurationChange,
  createMemoryLogger,
  type Delivery,
  formatRingId,
  type Guarantee,
  invalidArgument,
  type Logger,
  type MemoryLogger,
  type NodeId,
  nodeId,
  type Runtime,
  TotemError,
  type Transport,
} from '@totem-ts/common'
import { messageId, type TraceEvent } from '@totem-ts/evs-checker'
import {
  createMemoryRingIdStore,
  createSrp,
  type RingIdStore,
  resolveSrpOptions,
  type SrpOptions,
  type SrpTestFaults,
} from '@totem-ts/srp'
import { createEventQueue, type EventQueue } from './event-queue.ts'
import { createSimNetwork, type LinkFaults, type SimNetwork } from './network.ts'
import { createSimRandom, type SimRandom } from './random.ts'
import { createSimRuntime, type SimIncarnation } from './runtime.ts'

/** What a protocol instance gets from the world (one per node incarnation). */
export interface SimProtocolContext {
  readonly nodeId: NodeId
  /** Virtual clock, timers owned by this incarnation, a seeded random stream, the logger. */
  readonly runtime: Runtime
  /** This incarnation's endpoint on the world's network. */
  readonly transport: Transport
  /** One endpoint per ring (network), `transports[0] === transport` (rrp composes them). */
  readonly transports: readonly Transport[]
  /** Receives deliveries and configuration changes (the world traces them). */
  readonly listener: BroadcastListener
  /** The node's stable storage: the same store across restarts (nothing else survives). */
  readonly store: RingIdStore
  /** Size of the nodelist. */
  readonly nodelistSize: number
}

/** A protocol the world can run: a `Broadcast` with a lifecycle (srp, or a test double). */
export interface SimProtocol extends Broadcast {
  start(): Promise<void>
  stop(): Promise<void>
  /** When present, liveness also waits for `'operational'`. */
  readonly state?: string
}

/** Builds one protocol instance for one node incarnation. */
export type SimProtocolFactory = (ctx: SimProtocolContext) => SimProtocol

/**
 * The real single-ring protocol as a {@link SimProtocolFactory}: `createSrp` with
 * `resolveSrpOptions(options, nodelistSize)`, the context's runtime, transport and ring-id store,
 * and optional test-only bugs.
 */
export function srpProtocol(
  options: SrpOptions = {},
  testFaults?: SrpTestFaults,
): SimProtocolFactory {
  return (ctx) =>
    createSrp(resolveSrpOptions(options, ctx.nodelistSize), {
      nodeId: ctx.nodeId,
      runtime: ctx.runtime,
      transport: ctx.transport,
      listener: ctx.listener,
      store: ctx.store,
      ...(testFaults !== undefined ? { testFaults } : {}),
    })
}

/** Options of {@link createSimWorld}. */
export interface SimWorldOptions {
  /** The seed of the world's PRNG (a non-negative safe integer). */
  readonly seed: number
  /**
   * The generator the world splits its streams from. @defaultValue `createSimRandom(seed)`
   */
  readonly random?: SimRandom
  /** Node ids (any non-zero u32s), or a count n meaning ids 1 … n. */
  readonly nodes: number | readonly number[]
  /** @defaultValue the real srp with its defaults ({@link srpProtocol}) */
  readonly protocol?: SimProtocolFactory
  /** Initial link faults. @defaultValue {@link PERFECT_LINK} */
  readonly link?: Partial<LinkFaults>
  /** See {@link SimNetworkOptions.loopback}. @defaultValue false */
  readonly loopback?: boolean
  /** @defaultValue 1500 */
  readonly mtuBytes?: number
  /**
   * Simulated networks, one per redundant ring (each with its own faults and random stream).
   * @defaultValue 1
   */
  readonly rings?: number
  /** Keep every node's log lines in memory (`world.logs`). @defaultValue false (no-op logger) */
  readonly memoryLog?: boolean
  /** Called with every trace event as it is written (e.g. a JSONL writer). */
  readonly onTrace?: (e: TraceEvent) => void
  /**
   * Most queue events the world runs; `runUntil` stops once it is spent and `budgetExceeded`
   * turns true (a protocol stuck in a zero-delay loop must not hang the simulator).
   * @defaultValue 20 000 000
   */
  readonly eventBudget?: number
  /**
   * Most queue events per virtual second (counted as `events > rate × (seconds + 1)`): a message
   * storm that keeps virtual time from advancing spends the budget early instead of after
   * millions of events. @defaultValue 100 000
   */
  readonly eventRateMax?: number
}

/** What the world knows about one node. */
export interface SimNodeInfo {
  readonly id: NodeId
  /** True while an incarnation runs (started, neither crashed nor stopped). */
  readonly alive: boolean
  /** Incarnations started so far. */
  readonly incarnations: number
  /** The running protocol instance, if alive. */
  readonly protocol: SimProtocol | undefined
  /** The persisted ring seq store (survives restarts). */
  readonly store: RingIdStore
  /** Last configuration delivered by the current incarnation. */
  readonly lastConf: ConfigurationChange | undefined
  /** Messages delivered in the current incarnation's last configuration. */
  readonly deliveredInConf: number
  /** Messages this incarnation sent and has not delivered yet. */
  readonly pendingOwn: number
}

/** Counters of a world. */
export interface SimWorldCounts {
  sends: number
  sendsRefused: number
  deliveries: number
  configurations: number
  crashes: number
  stops: number
  starts: number
}

/** A simulated world of nodes on one ring. */
export interface SimWorld {
  readonly seed: number
  readonly queue: EventQueue
  /** The harness's own random stream (faults, load); protocol runtimes and the network get others. */
  readonly random: SimRandom
  readonly network: SimNetwork
  /** Every ring's network (`networks[0] === network`). */
  readonly networks: readonly SimNetwork[]
  readonly nodes: readonly NodeId[]
  /** The EVS trace so far (EVS-TRACE.md events, virtual `t`). */
  readonly trace: readonly TraceEvent[]
  /** Log lines, when `memoryLog` was set. */
  readonly logs: MemoryLogger | undefined
  readonly counts: Readonly<SimWorldCounts>
  /** True once `runUntil` stopped because the event budget was spent. */
  readonly budgetExceeded: boolean
  node(id: NodeId): SimNodeInfo
  /** Node ids with a running incarnation, ascending. */
  liveNodes(): NodeId[]
  /** Starts a new incarnation of a node that is down (writes `start`). */
  start(id: NodeId): void
  /** Kills a node: its protocol is dropped, its timers never fire (writes `crash`). */
  crash(id: NodeId): void
  /** Orderly stop: the protocol's `stop()` (srp sends a leave), then down (writes `stop`). */
  stop(id: NodeId): void
  /**
   * Hands `payload` to the node's protocol; writes `send` when accepted. `'down'` when the node is
   * not running.
   */
  send(id: NodeId, payload: Uint8Array, guarantee: Guarantee): 'queued' | 'full' | 'down'
  /** Writes the `heal` event (the caller removes the faults it injected). */
  markHeal(): void
  /**
   * Schedules `fire` on the world's queue (virtual `delayMs` from now). With `node`, the event
   * belongs to that node's current incarnation and is dropped if it dies.
   */
  after(delayMs: number, fire: () => void, node?: NodeId): void
  /**
   * Runs events up to virtual time `untilMs` (awaiting protocol start/stop between events, so
   * their continuations run at the same virtual time). Stops early when `stop()` turns true.
   * @returns true when it stopped early.
   */
  runUntil(untilMs: number, stop?: () => boolean): Promise<boolean>
  /**
   * True when every live node is operational (if the protocol says), in one regular
   * configuration whose members are exactly the live nodes, has delivered all it sent, and has
   * delivered as many messages in that configuration as every other live node.
   */
  converged(): boolean
}

interface NodeState {
  readonly id: NodeId
  readonly store: RingIdStore
  inc: SimIncarnation | undefined
  incarnations: number
  protocol: SimProtocol | undefined
  lastConf: ConfigurationChange | undefined
  deliveredInConf: number
  pendingOwn: Set<string>
}

/** A cache of ids: hashing every delivery would dominate the run time. */
interface SentMessage {
  readonly sender: number
  readonly payload: Uint8Array
  readonly id: string
}

/** FNV-1a over the sender, the length and the first 32 payload bytes: a cheap cache key. */
const keyOf = (sender: number, p: Uint8Array): number => {
  let h = (0x811c_9dc5 ^ sender) >>> 0
  h = Math.imul(h ^ p.length, 0x0100_0193)
  const n = Math.min(p.length, 32)
  for (let i = 0; i < n; i++) h = Math.imul(h ^ (p[i] as number), 0x0100_0193)
  return h >>> 0
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

class World implements SimWorld {
  readonly seed: number
  readonly queue: EventQueue
  readonly random: SimRandom
  readonly network: SimNetwork
  readonly networks: readonly SimNetwork[]
  readonly nodes: readonly NodeId[]
  readonly trace: TraceEvent[] = []
  readonly logs: MemoryLogger | undefined
  readonly counts: SimWorldCounts = {
    sends: 0,
    sendsRefused: 0,
    deliveries: 0,
    configurations: 0,
    crashes: 0,
    stops: 0,
    starts: 0,
  }
  readonly #nodeRandom: SimRandom
  readonly #protocol: SimProtocolFactory
  readonly #states = new Map<NodeId, NodeState>()
  readonly #onTrace: ((e: TraceEvent) => void) | undefined
  readonly #sent = new Map<number, SentMessage[]>()
  #pending: Promise<void>[] = []
  #hold: TraceEvent[] | undefined
  readonly #budget: number
  readonly #rate: number
  budgetExceeded = false

  constructor(o: SimWorldOptions) {
    this.seed = o.seed
    const root = o.random ?? createSimRandom(o.seed)
    this.random = root.split()
    const netRandom = root.split()
    this.#nodeRandom = root.split()
    this.queue = createEventQueue()
    const ids =
      typeof o.nodes === 'number'
        ? Array.from({ length: o.nodes }, (_, i) => i + 1)
        : o.nodes.slice().sort((a, b) => a - b)
    if (ids.length === 0) invalidArgument('a world needs at least one node')
    this.nodes = Object.freeze(ids.map((n) => nodeId(n)))
    this.network = createSimNetwork({
      queue: this.queue,
      random: netRandom,
      nodes: this.nodes,
      ...(o.link !== undefined ? { link: o.link } : {}),
      ...(o.loopback !== undefined ? { loopback: o.loopback } : {}),
      ...(o.mtuBytes !== undefined ? { mtuBytes: o.mtuBytes } : {}),
    })
    const rings = o.rings ?? 1
    if (!(Number.isInteger(rings) && rings >= 1 && rings <= 8))
      invalidArgument('rings must be 1 … 8', { option: 'rings', value: rings })
    const networks = [this.network]
    // Streams split after the others, so that a one-ring world draws exactly what it always did.
    for (let r = 1; r < rings; r++)
      networks.push(
        createSimNetwork({
          queue: this.queue,
          random: root.split(),
          nodes: this.nodes,
          ringNo: r,
          ...(o.link !== undefined ? { link: o.link } : {}),
          ...(o.loopback !== undefined ? { loopback: o.loopback } : {}),
          ...(o.mtuBytes !== undefined ? { mtuBytes: o.mtuBytes } : {}),
        }),
      )
    this.networks = networks
    this.logs = o.memoryLog === true ? createMemoryLogger('trace') : undefined
    this.#protocol = o.protocol ?? srpProtocol()
    this.#onTrace = o.onTrace
    this.#budget = o.eventBudget ?? 20_000_000
    this.#rate = (o.eventRateMax ?? 100_000) / 1000
    for (const id of this.nodes) {
      this.#states.set(id, {
        id,
        store: createMemoryRingIdStore(),
        inc: undefined,
        incarnations: 0,
        protocol: undefined,
        lastConf: undefined,
        deliveredInConf: 0,
        pendingOwn: new Set(),
      })
    }
  }

  #state(id: NodeId): NodeState {
    const s = this.#states.get(id)
    if (s === undefined) invalidArgument('unknown node', { node: id })
    return s
  }

  #emit(e: TraceEvent): void {
    if (this.#hold !== undefined) {
      this.#hold.push(e)
      return
    }
    this.trace.push(e)
    this.#onTrace?.(e)
  }

  node(id: NodeId): SimNodeInfo {
    const s = this.#state(id)
    return {
      id,
      alive: s.inc?.alive === true,
      incarnations: s.incarnations,
      protocol: s.protocol,
      store: s.store,
      lastConf: s.lastConf,
      deliveredInConf: s.deliveredInConf,
      pendingOwn: s.pendingOwn.size,
    }
  }

  liveNodes(): NodeId[] {
    return this.nodes.filter((n) => this.#state(n).inc?.alive === true)
  }

  #logger(id: NodeId): Logger | undefined {
    return this.logs?.child(`node${id}`)
  }

  start(id: NodeId): void {
    const s = this.#state(id)
    if (s.inc?.alive === true)
      throw new TotemError('ERR_INVALID_STATE', `node ${id} is already running`, {
        details: { node: id },
      })
    const inc: SimIncarnation = { alive: true }
    s.inc = inc
    s.incarnations++
    s.lastConf = undefined
    s.deliveredInConf = 0
    s.pendingOwn = new Set()
    this.counts.starts++
    const logger = this.#logger(id)
    const runtime = createSimRuntime({
      queue: this.queue,
      random: this.#nodeRandom.split(),
      owner: inc,
      ...(logger !== undefined ? { logger } : {}),
    })
    const transports = this.networks.map((net) => net.attach(id, inc))
    const transport = transports[0] as Transport
    const listener: BroadcastListener = {
      onDeliver: (d) => {
        if (inc.alive) this.#onDeliver(s, d)
      },
      onConfigurationChange: (c) => {
        if (inc.alive) this.#onConf(s, c)
      },
    }
    const protocol = this.#protocol({
      nodeId: id,
      runtime,
      transport,
      transports,
      listener,
      store: s.store,
      nodelistSize: this.nodes.length,
    })
    s.protocol = protocol
    this.#emit({ ev: 'start', node: id, t: this.queue.nowMs })
    this.#pending.push(protocol.start())
  }

  crash(id: NodeId): void {
    const s = this.#state(id)
    if (s.inc?.alive !== true) return
    s.inc.alive = false
    s.protocol = undefined
    this.counts.crashes++
    this.#emit({ ev: 'crash', node: id, t: this.queue.nowMs })
  }

  stop(id: NodeId): void {
    const s = this.#state(id)
    if (s.inc?.alive !== true) return
    const p = s.protocol as SimProtocol
    // stop() sends the leave synchronously; the incarnation is over as soon as it returns.
    const done = p.stop()
    s.inc.alive = false
    s.protocol = undefined
    this.counts.stops++
    this.#emit({ ev: 'stop', node: id, t: this.queue.nowMs })
    this.#pending.push(done)
  }

  send(id: NodeId, payload: Uint8Array, guarantee: Guarantee): 'queued' | 'full' | 'down' {
    const s = this.#state(id)
    if (s.inc?.alive !== true || s.protocol === undefined) return 'down'
    const copy = payload.slice()
    const mid = messageId(id, copy)
    s.pendingOwn.add(mid)
    const k = keyOf(id, copy)
    const same = this.#sent.get(k)
    if (same === undefined) this.#sent.set(k, [{ sender: id, payload: copy, id: mid }])
    else same.push({ sender: id, payload: copy, id: mid })
    // A protocol may deliver inside send() (a sequencer that is its own sender): hold what it
    // traces until the send event is written, so the trace shows the send first.
    const held: TraceEvent[] = []
    this.#hold = held
    let r: 'queued' | 'full'
    try {
      r = s.protocol.send(payload, guarantee)
    } finally {
      this.#hold = undefined
    }
    if (r === 'full') {
      this.counts.sendsRefused++
      s.pendingOwn.delete(mid)
    } else {
      this.counts.sends++
      this.#emit({ ev: 'send', node: id, t: this.queue.nowMs, id: mid, g: guarantee })
    }
    for (const e of held) this.#emit(e)
    return r
  }

  #idOf(sender: number, payload: Uint8Array): string {
    const hits = this.#sent.get(keyOf(sender, payload))
    if (hits !== undefined)
      for (const h of hits) if (h.sender === sender && sameBytes(h.payload, payload)) return h.id
    return messageId(sender, payload)
  }

  #onDeliver(s: NodeState, d: Delivery): void {
    const id = this.#idOf(d.sender, d.payload)
    if (d.sender === s.id) s.pendingOwn.delete(id)
    s.deliveredInConf++
    this.counts.deliveries++
    this.#emit({
      ev: 'deliver',
      node: s.id,
      t: this.queue.nowMs,
      id,
      from: d.sender,
      g: d.guarantee,
      ring: formatRingId(d.ringId),
    })
  }

  #onConf(s: NodeState, c: ConfigurationChange): void {
    s.lastConf = {
      ...c,
      members: c.members.slice(),
      left: c.left.slice(),
      joined: c.joined.slice(),
    }
    s.deliveredInConf = 0
    this.counts.configurations++
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
    this.#emit({ ev: 'heal', t: this.queue.nowMs })
  }

  after(delayMs: number, fire: () => void, node?: NodeId): void {
    const owner = node === undefined ? undefined : this.#state(node).inc
    if (node !== undefined && owner?.alive !== true) return
    this.queue.after(delayMs, fire, owner)
  }

  async #settle(): Promise<void> {
    while (this.#pending.length > 0) {
      const p = this.#pending
      this.#pending = []
      await Promise.all(p)
    }
  }

  async runUntil(untilMs: number, stop?: () => boolean): Promise<boolean> {
    await this.#settle()
    const q = this.queue
    for (;;) {
      if (q.processed >= this.#budget || q.processed > this.#rate * (q.nowMs + 1000)) {
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

  converged(): boolean {
    const live = this.liveNodes()
    if (live.length === 0 || this.#pending.length > 0) return false
    let ring: string | undefined
    let delivered = -1
    for (const n of live) {
      const s = this.#state(n)
      const st = s.protocol?.state
      if (st !== undefined && st !== 'operational') return false
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

/**
 * Creates a world: nodes are created but not started (call `start(id)` for each).
 *
 * @example
 * ```ts
 * const world = createSimWorld({ seed: 7, nodes: 3 })
 * for (const n of world.nodes) world.start(n)
 * await world.runUntil(2000)
 * world.converged() // true: one ring of three
 * ```
 */
export function createSimWorld(o: SimWorldOptions): SimWorld {
  return new World(o)
}
