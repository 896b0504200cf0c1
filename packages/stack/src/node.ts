import { channel } from 'node:diagnostics_channel'
import { networkInterfaces } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import {
  type BroadcastListener,
  type ConfigurationChange,
  type Delivery,
  formatRingId,
  type Guarantee,
  invalidArgument,
  type Logger,
  type NodeId,
  noopLogger,
  type RingId,
  type Runtime,
  TotemError,
  type Transport,
} from '@totem-ts/common'
import type { TotemNodeConfig } from '@totem-ts/config'
import {
  createCryptoRandom,
  createKeyring,
  type Keyring,
  readKeyFile,
  SEALED_OVERHEAD_BYTES,
  withCrypto,
} from '@totem-ts/crypto'
import { createRrp, RRP_HEADER_BYTES, type Rrp, type RrpNetworkStats } from '@totem-ts/rrp'
import {
  createSrp,
  type RingIdStore,
  resolveSrpOptions,
  type Srp,
  type SrpStats,
  type SrpTestFaults,
} from '@totem-ts/srp'
import { createUdpTransport, type UdpTransport } from '@totem-ts/udp'
import { createFileRingIdStore } from './ring-id-store.ts'
import { createNodeRuntime } from './runtime.ts'

/** What {@link createTotemNode} needs. */
export interface TotemNodeOptions {
  /** The node's configuration (`@totem-ts/config`'s `readConfigFile`). */
  readonly config: TotemNodeConfig
  /**
   * Which node of the nodelist this is. @defaultValue corosync 2's `totem.nodeid`, else the node
   * whose ring0 address is on a local interface
   */
  readonly nodeId?: number
  /** @defaultValue a real runtime with `logger` */
  readonly runtime?: Runtime
  /** @defaultValue noopLogger */
  readonly logger?: Logger
  /** The cluster key when crypto is on. @defaultValue read from `config.crypto.keyFile` */
  readonly key?: Uint8Array
  /** @defaultValue `<config.stateDir>/ringid_<nodeid>` */
  readonly ringIdStore?: RingIdStore
  /** Deliveries and configuration changes, synchronously, in EVS order. */
  readonly listener?: BroadcastListener
  /** Test-only protocol bugs (see `@totem-ts/srp`). */
  readonly srpTestFaults?: SrpTestFaults
  /**
   * Tunables the config file cannot express: `tokenHold`; `holdSendsDuringRingChange` (set by
   * `createCpgNode` in `interop: corosync3`, whose CPG service calls `syncCompleted`).
   */
  readonly srpOverrides?: {
    readonly tokenHold?: boolean
    readonly holdSendsDuringRingChange?: boolean
  }
}

/** A point-in-time view of a node, for tools (`totem-cfgtool`) and metrics. */
export interface TotemNodeStatus {
  readonly nodeId: number
  readonly state: string
  readonly ringId: string
  readonly members: readonly number[]
  readonly crypto: boolean
  /** Effective protocol timers and limits. */
  readonly timers: Readonly<Record<string, number | boolean>>
  readonly srp: Readonly<SrpStats>
  readonly transport: Readonly<Record<string, unknown>>
  /**
   * One entry per ring (redundant ring protocol; one entry, ring 0, without it): the ring's local
   * address and port, its state (`ok`, `suspect`, `recovering`, `faulty`) and counters.
   */
  readonly rings: readonly TotemRingStatus[]
  /** `active`, `passive`, or `none` with one ring. */
  readonly rrpMode: string
  /** Event-loop delay, ms (mean / p99 / max since start): a busy loop causes false failures. */
  readonly eventLoopDelayMs: { readonly mean: number; readonly p99: number; readonly max: number }
  readonly uptimeMs: number
}

/** One ring (network) of a node, as `totem-cfgtool -s` shows it. */
export interface TotemRingStatus {
  readonly ringNo: number
  readonly address: string
  readonly port: number
  /** `ok` | `suspect` | `recovering` | `faulty` (`ok` always without rrp). */
  readonly state: string
  readonly inUse: boolean
  /** The rrp counters of this ring (absent without rrp). */
  readonly rrp?: Readonly<RrpNetworkStats>
}

/** One running totem-ts node: udp (+ crypto) + srp, from a corosync.conf. */
export interface TotemNode {
  readonly nodeId: NodeId
  start(): Promise<void>
  /** Orderly leave, then closes the sockets. */
  stop(): Promise<void>
  send(payload: Uint8Array, guarantee: Guarantee): 'queued' | 'full'
  readonly members: readonly NodeId[]
  /** Releases what the ring held back across a ring change (see `srpOverrides`). */
  syncCompleted(): void
  readonly ringId: RingId
  status(): TotemNodeStatus
  /**
   * Accepts `key` on receive without sending with it yet (crypto on only). Stage the new key on
   * every node first, then {@link TotemNode.rotateKey} every node: no datagram is dropped between.
   * Returns the key id.
   */
  stageKey(key: Uint8Array): number
  /** Sends with `key` from now on; the previous key stays accepted for the grace period. */
  rotateKey(key: Uint8Array): void
  /**
   * `corosync-cfgtool -r`: clears every ring fault on every node (redundant rings only; throws
   * `ERR_INVALID_STATE` with one ring).
   */
  reenableRings(): void
}

/** diagnostics_channel names the stack publishes on (STYLE §8). */
export const CHANNELS: {
  readonly confchg: string
  readonly deliver: string
  readonly rrpFaulty: string
} = {
  confchg: 'totem:srp:confchg',
  deliver: 'totem:srp:deliver',
  /** Every rrp event (faulty, recovered, in-use, out-of-use, reenabled, all-faulty). */
  rrpFaulty: 'totem:rrp:faulty',
}

function localAddresses(): Set<string> {
  const out = new Set<string>()
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) out.add(a.address)
  return out
}

/** Finds this node in the nodelist: explicit id, corosync 2's totem.nodeid, or a local address. */
export function findLocalNode(config: TotemNodeConfig, nodeId?: number): NodeId {
  if (nodeId !== undefined) {
    if (!config.nodes.some((n) => n.nodeId === nodeId)) {
      invalidArgument(`node id ${nodeId} is not in the nodelist of ${config.file}`, { nodeId })
    }
    return nodeId as NodeId
  }
  if (config.localNodeId !== undefined) return config.localNodeId
  const local = localAddresses()
  const found = config.nodes.filter(
    (n) => n.addresses[0] !== undefined && local.has(n.addresses[0]),
  )
  if (found.length === 1) return (found[0] as { nodeId: NodeId }).nodeId
  throw new TotemError(
    'ERR_STACK_LOCAL_NODE',
    found.length === 0
      ? `no nodelist address of ${config.file} is on a local interface; give the node id (--nodeid)`
      : `several nodelist addresses of ${config.file} are local; give the node id (--nodeid)`,
    { details: { file: config.file } },
  )
}

/**
 * Composes a node: the udpu transport on ring 0 (`@totem-ts/udp`), authenticated encryption when
 * the config turns crypto on (`@totem-ts/crypto`), and the single-ring protocol (`@totem-ts/srp`).
 * Redundant rings, the multiple-ring protocol and CPG join here in later issues.
 *
 * @example
 * ```ts
 * const { config } = readConfigFile('/etc/corosync/corosync.conf')
 * const node = createTotemNode({ config, nodeId: 1, logger, listener })
 * await node.start()
 * node.send(new TextEncoder().encode('hello'), 'agreed')
 * ```
 */
export function createTotemNode(options: TotemNodeOptions): TotemNode {
  const { config } = options
  const logger = options.logger ?? noopLogger
  const runtime = options.runtime ?? createNodeRuntime(logger)
  const me = findLocalNode(config, options.nodeId)
  const log = logger.child('MAIN')
  // One udpu transport per ring (ringN_addr, the ring's port), each wrapped by crypto (its own
  // channel), joined by the redundant ring protocol when there is more than one.
  const rings = Math.max(1, config.rrp.rings)
  const udps: UdpTransport[] = []
  for (let r = 0; r < rings; r++) {
    udps.push(
      createUdpTransport({
        nodeId: me,
        nodelist: config.nodes.map((n) => ({
          nodeId: n.nodeId,
          address: n.addresses[r] as string,
        })),
        port: config.transport.ports[r] ?? 5405 + r,
        blockUnlistedIps: config.transport.blockUnlistedIps,
        netmtu: config.srpResolved.netmtu,
        logger,
      }),
    )
  }
  let keyring: Keyring | undefined
  let perRing: Transport[] = udps
  if (config.crypto.enabled) {
    const key = options.key ?? readKeyFile(config.crypto.keyFile).key
    keyring = createKeyring(key, { clock: runtime.clock, logger })
    const k = keyring
    perRing = udps.map((u, r) =>
      withCrypto(u, k, {
        nodeId: me,
        runtime,
        random: createCryptoRandom(),
        ...(rings > 1 ? { channel: r } : {}),
      }),
    )
  }
  const rrpChannel = channel(CHANNELS.rrpFaulty)
  const rrp: Rrp | undefined =
    rings > 1
      ? createRrp(
          perRing,
          {
            ...config.rrp.options,
            mode: config.rrp.mode === 'active' ? 'active' : 'passive',
            nodeId: me,
            tokenRetransmitTimeoutMs: config.srpResolved.tokenRetransmitTimeoutMs,
            onEvent: (e) => {
              if (rrpChannel.hasSubscribers) rrpChannel.publish({ nodeId: me, event: e })
            },
          },
          runtime,
        )
      : undefined
  const transport: Transport = rrp ?? (perRing[0] as Transport)
  // Sealing adds a header and a tag to every datagram, rrp its header: the ring packs to what is
  // left of the MTU, as corosync lowers its net_mtu by the crypto header.
  const netmtu =
    config.srpResolved.netmtu -
    (config.crypto.enabled ? SEALED_OVERHEAD_BYTES : 0) -
    (rrp === undefined ? 0 : RRP_HEADER_BYTES)
  const srpConfig = resolveSrpOptions(
    {
      ...config.srp,
      netmtu,
      ...(options.srpOverrides?.tokenHold === undefined
        ? {}
        : { tokenHold: options.srpOverrides.tokenHold }),
      ...(options.srpOverrides?.holdSendsDuringRingChange === undefined
        ? {}
        : { holdSendsDuringRingChange: options.srpOverrides.holdSendsDuringRingChange }),
    },
    config.nodes.length,
  )
  const store = options.ringIdStore ?? createFileRingIdStore(config.stateDir, me, logger)
  const confchgChannel = channel(CHANNELS.confchg)
  const deliverChannel = channel(CHANNELS.deliver)
  const listener = options.listener
  const srp: Srp = createSrp(srpConfig, {
    nodeId: me,
    runtime,
    transport,
    store,
    ...(options.srpTestFaults ? { testFaults: options.srpTestFaults } : {}),
    listener: {
      onDeliver(d: Delivery) {
        listener?.onDeliver(d)
        if (deliverChannel.hasSubscribers) deliverChannel.publish({ nodeId: me, delivery: d })
      },
      onConfigurationChange(c: ConfigurationChange) {
        log.info(
          `${c.kind === 'regular' ? 'A new membership' : 'Transitional membership'} (${formatRingId(c.ringId)})`,
          {
            members: c.members.join(' '),
            left: c.left.join(' '),
            joined: c.joined.join(' '),
          },
        )
        listener?.onConfigurationChange(c)
        if (confchgChannel.hasSubscribers) confchgChannel.publish({ nodeId: me, change: c })
      },
    },
  })
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  let startedAt = 0
  return {
    nodeId: me,
    async start() {
      startedAt = runtime.clock.nowMs()
      loopDelay.enable()
      log.info('starting', {
        nodeId: me,
        token: srpConfig.tokenTimeoutMs,
        tokenRetransmit: srpConfig.tokenRetransmitTimeoutMs,
        consensus: srpConfig.consensusTimeoutMs,
        join: srpConfig.joinTimeoutMs,
        windowSize: srpConfig.windowSize,
        maxMessages: srpConfig.maxMessages,
        crypto: config.crypto.enabled,
        rings,
        rrpMode: rrp === undefined ? 'none' : rrp.config.mode,
      })
      await srp.start()
    },
    async stop() {
      await srp.stop()
      loopDelay.disable()
      if ('flush' in store && typeof store.flush === 'function')
        await (store as { flush(): Promise<void> }).flush()
    },
    send: (payload, guarantee) => srp.send(payload, guarantee),
    syncCompleted: () => srp.syncCompleted?.(),
    get members() {
      return srp.members
    },
    get ringId() {
      return srp.ringId
    },
    status(): TotemNodeStatus {
      const ns = (v: number): number => (Number.isFinite(v) ? Math.round(v / 1e4) / 100 : 0)
      return {
        nodeId: me,
        state: srp.state,
        ringId: formatRingId(srp.ringId),
        members: [...srp.members],
        crypto: config.crypto.enabled,
        timers: { ...srpConfig },
        srp: srp.stats(),
        transport: { ...transport.stats() },
        rrpMode: rrp === undefined ? 'none' : rrp.config.mode,
        rings: udps.map((u, r): TotemRingStatus => {
          const n = rrp?.networks()[r]
          const base = {
            ringNo: r,
            address: config.nodes.find((x) => x.nodeId === me)?.addresses[r] ?? '',
            port: u.config.port,
          }
          return n === undefined
            ? { ...base, state: 'ok', inUse: true }
            : { ...base, state: n.state, inUse: n.inUse, rrp: n }
        }),
        eventLoopDelayMs: {
          mean: ns(loopDelay.mean),
          p99: ns(loopDelay.percentile(99)),
          max: ns(loopDelay.max),
        },
        uptimeMs: Math.round(runtime.clock.nowMs() - startedAt),
      }
    },
    stageKey(key: Uint8Array): number {
      if (keyring === undefined)
        throw new TotemError('ERR_INVALID_STATE', 'crypto is off: there is no key to stage')
      const id = keyring.stage(key)
      log.info('cluster key staged (accepted on receive, not yet used to send)')
      return id
    },
    rotateKey(key: Uint8Array) {
      if (keyring === undefined)
        throw new TotemError('ERR_INVALID_STATE', 'crypto is off: there is no key to rotate')
      keyring.rotate(key)
      log.info('cluster key rotated')
    },
    reenableRings() {
      if (rrp === undefined)
        throw new TotemError('ERR_INVALID_STATE', 'one ring only: there is no ring to re-enable')
      rrp.reenable()
      log.info('rings re-enabled by the administrator (cluster-wide)')
    },
  }
}
