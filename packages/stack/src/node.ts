import { channel } from 'node:diagnostics_channel'
import { networkInterfaces } from 'node:os'
import { join } from 'node:path'
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
import type { MultiringSectionConfig, TotemNodeConfig } from '@totem-ts/config'
import {
  createCryptoRandom,
  createKeyring,
  formatKeyId,
  type Keyring,
  readKeyFile,
  SEALED_OVERHEAD_BYTES,
  withCrypto,
} from '@totem-ts/crypto'
import {
  createMultiring,
  type Multiring,
  type MultiringObserver,
  type MultiringStats,
} from '@totem-ts/multiring'
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
  /**
   * Further rings this node joins as a multiring gateway, one config per ring: each (and
   * `config`) needs `totem { multiring: on }` and its own `multiring_lan`, and the node has the
   * same id in every nodelist. The ring ids are kept in `<stateDir>/lan<N>/`; `key` (when given)
   * is `config`'s, the others come from their key files; `stageKey`/`rotateKey` act on `config`'s
   * ring unless given another LAN. The multiring tunables are `config`'s. @defaultValue none (not a gateway)
   */
  readonly gatewayConfigs?: readonly TotemNodeConfig[]
  /** Hears the multiring protocol's keys (the EVS trace extension); multiring nodes only. */
  readonly multiringObserver?: MultiringObserver
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
  /** Present on a multiring node (`totem { multiring: on }`, or a gateway). */
  readonly multiring?: TotemMultiringStatus
}

/** The multiple-ring protocol's side of {@link TotemNodeStatus}. */
export interface TotemMultiringStatus {
  /** True for a gateway (on two or more LANs). */
  readonly isGateway: boolean
  /** The current topology id (`rep.seq`), null before the first. */
  readonly topologyId: string | null
  /** The rings of the current topology. */
  readonly topology: readonly {
    readonly ring: string
    readonly lan: number
    readonly members: readonly number[]
  }[]
  /** The Lamport clock. */
  readonly clock: number
  readonly stats: Readonly<MultiringStats>
  /** One entry per LAN this node is on (one, or several for a gateway). */
  readonly lans: readonly TotemLanStatus[]
}

/** One LAN of a multiring node: its srp ring and networks. */
export interface TotemLanStatus {
  readonly lan: number
  /** The config file of this ring. */
  readonly config: string
  readonly state: string
  readonly ringId: string
  readonly members: readonly number[]
  /** The key id this ring's datagrams are sealed with (`0x…`), or null with crypto off. */
  readonly cryptoKeyId: string | null
  readonly srp: Readonly<SrpStats>
  readonly rings: readonly TotemRingStatus[]
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
  /** The multiple-ring protocol, on a multiring node (`totem { multiring: on }` or a gateway). */
  readonly multiring?: Multiring
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
   * Returns the key id. A gateway has one key per ring: `lan` picks the ring by its multiring
   * LAN number (default: the first config's); an unknown LAN throws `ERR_INVALID_ARGUMENT`.
   */
  stageKey(key: Uint8Array, lan?: number): number
  /**
   * Sends with `key` from now on; the previous key stays accepted for the grace period. `lan` as
   * for {@link TotemNode.stageKey}.
   */
  rotateKey(key: Uint8Array, lan?: number): void
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

/** One ring's transport stack (udp per redundant ring, crypto, rrp) and srp config. */
interface RingStack {
  readonly config: TotemNodeConfig
  readonly udps: UdpTransport[]
  readonly rrp: Rrp | undefined
  readonly transport: Transport
  readonly keyring: Keyring | undefined
  readonly srpConfig: ReturnType<typeof resolveSrpOptions>
  readonly store: RingIdStore
  readonly rings: number
  srp: Srp | undefined
}

function buildRing(
  config: TotemNodeConfig,
  me: NodeId,
  runtime: Runtime,
  logger: Logger,
  options: TotemNodeOptions,
  stateDir: string,
  key: Uint8Array | undefined,
): RingStack {
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
    const k = createKeyring(key ?? readKeyFile(config.crypto.keyFile).key, {
      clock: runtime.clock,
      logger,
    })
    keyring = k
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
  const store = options.ringIdStore ?? createFileRingIdStore(stateDir, me, logger)
  return { config, udps, rrp, transport, keyring, srpConfig, store, rings, srp: undefined }
}

function ringStatuses(r: RingStack, me: NodeId): TotemRingStatus[] {
  return r.udps.map((u, i): TotemRingStatus => {
    const n = r.rrp?.networks()[i]
    const base = {
      ringNo: i,
      address: r.config.nodes.find((x) => x.nodeId === me)?.addresses[i] ?? '',
      port: u.config.port,
    }
    return n === undefined
      ? { ...base, state: 'ok', inUse: true }
      : { ...base, state: n.state, inUse: n.inUse, rrp: n }
  })
}

/**
 * Checks the configs of a multiring node (one per LAN it is on) and returns its node id: every
 * config has `totem { multiring: on }`, the LAN numbers differ, and the node is in every nodelist.
 */
function multiringNodeId(configs: readonly TotemNodeConfig[], nodeId?: number): NodeId {
  const lans = new Map<number, string>()
  for (const c of configs) {
    if (c.multiring === undefined)
      invalidArgument(
        `${c.file} does not have totem { multiring: on }: a gateway joins multiring rings only`,
        { file: c.file },
      )
    const other = lans.get(c.multiring.lan)
    if (other !== undefined)
      invalidArgument(
        `${c.file} and ${other} are both multiring_lan ${c.multiring.lan}: each ring a gateway joins needs its own LAN number`,
        { file: c.file, lan: c.multiring.lan },
      )
    lans.set(c.multiring.lan, c.file)
  }
  const first = configs[0] as TotemNodeConfig
  const me = findLocalNode(first, nodeId ?? configs.find((c) => c.localNodeId)?.localNodeId)
  for (const c of configs)
    if (!c.nodes.some((n) => n.nodeId === me))
      invalidArgument(
        `node id ${me} is not in the nodelist of ${c.file}: a gateway has the same node id on every ring`,
        { file: c.file, nodeId: me },
      )
  return me
}

/**
 * Composes a node: the udpu transport on ring 0 (`@totem-ts/udp`), authenticated encryption when
 * the config turns crypto on (`@totem-ts/crypto`), redundant rings (`@totem-ts/rrp`) and the
 * single-ring protocol (`@totem-ts/srp`). With `totem { multiring: on }` the multiple-ring
 * protocol (`@totem-ts/multiring`) runs over srp and the node is one processor of the multi-ring
 * system; with `gatewayConfigs` it is a gateway: one such stack per config (each its own ports,
 * addresses and key) under one multiring.
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
  const configs = [config, ...(options.gatewayConfigs ?? [])]
  const multi = configs.length > 1 || config.multiring !== undefined
  if (configs.length > 1 && options.ringIdStore !== undefined)
    invalidArgument('ringIdStore cannot be shared by the rings of a gateway')
  const me = multi
    ? multiringNodeId(configs, options.nodeId)
    : findLocalNode(config, options.nodeId)
  const log = logger.child('MAIN')
  const stacks = configs.map((c, i) =>
    buildRing(
      c,
      me,
      runtime,
      logger,
      options,
      configs.length > 1 ? join(c.stateDir, `lan${c.multiring?.lan ?? i}`) : c.stateDir,
      i === 0 ? options.key : undefined,
    ),
  )
  const primary = stacks[0] as RingStack
  const confchgChannel = channel(CHANNELS.confchg)
  const deliverChannel = channel(CHANNELS.deliver)
  const listener = options.listener
  const upper: BroadcastListener = {
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
  }
  const makeSrp = (st: RingStack, l: BroadcastListener): Srp => {
    const srp = createSrp(st.srpConfig, {
      nodeId: me,
      runtime,
      transport: st.transport,
      store: st.store,
      ...(options.srpTestFaults ? { testFaults: options.srpTestFaults } : {}),
      listener: l,
    })
    st.srp = srp
    return srp
  }
  let mr: Multiring | undefined
  let srp: Srp | undefined
  if (multi) {
    const lanLog = logger.child('GW')
    mr = createMultiring((config.multiring as MultiringSectionConfig).resolved, {
      nodeId: me,
      runtime,
      listener: upper,
      ...(options.multiringObserver === undefined ? {} : { observer: options.multiringObserver }),
      rings: stacks.map((st) => ({
        lan: (st.config.multiring as MultiringSectionConfig).lan,
        create: (l: BroadcastListener) =>
          makeSrp(st, {
            onDeliver: (d) => l.onDeliver(d),
            onConfigurationChange(c) {
              if (c.kind === 'regular')
                lanLog.info(`ring of LAN ${st.config.multiring?.lan} (${formatRingId(c.ringId)})`, {
                  members: c.members.join(' '),
                })
              l.onConfigurationChange(c)
            },
          }),
      })),
    })
  } else srp = makeSrp(primary, upper)
  const broadcast = (mr ?? srp) as Multiring | Srp
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  let startedAt = 0
  /** The multiring LAN a ring stack is on (0 for a single ring). */
  const lanOf = (st: RingStack): number => st.config.multiring?.lan ?? 0
  /** The ring of multiring LAN `lan` (the first config's when absent). */
  const stackOf = (lan: number | undefined): RingStack => {
    if (lan === undefined) return primary
    const st = stacks.find((x) => lanOf(x) === lan)
    if (st === undefined)
      invalidArgument(`this node is on no LAN ${lan} (its LANs: ${stacks.map(lanOf).join(', ')})`, {
        lan,
      })
    return st
  }
  const onLan = (st: RingStack): string =>
    stacks.length > 1 ? ` on LAN ${lanOf(st)} (${st.config.file})` : ''
  const lanField = (st: RingStack): Record<string, unknown> =>
    stacks.length > 1 ? { lan: lanOf(st), config: st.config.file } : {}
  const lanStatus = (st: RingStack): TotemLanStatus => {
    const s = st.srp as Srp
    return {
      lan: lanOf(st),
      config: st.config.file,
      state: s.state,
      ringId: formatRingId(s.ringId),
      members: [...s.members],
      cryptoKeyId: st.keyring === undefined ? null : formatKeyId(st.keyring.state().currentKeyId),
      srp: s.stats(),
      rings: ringStatuses(st, me),
    }
  }
  return {
    nodeId: me,
    ...(mr === undefined ? {} : { multiring: mr }),
    async start() {
      startedAt = runtime.clock.nowMs()
      loopDelay.enable()
      for (const st of stacks)
        log.info('starting', {
          nodeId: me,
          config: st.config.file,
          token: st.srpConfig.tokenTimeoutMs,
          tokenRetransmit: st.srpConfig.tokenRetransmitTimeoutMs,
          consensus: st.srpConfig.consensusTimeoutMs,
          join: st.srpConfig.joinTimeoutMs,
          windowSize: st.srpConfig.windowSize,
          maxMessages: st.srpConfig.maxMessages,
          crypto: st.config.crypto.enabled,
          rings: st.rings,
          rrpMode: st.rrp === undefined ? 'none' : st.rrp.config.mode,
          ...(st.config.multiring === undefined ? {} : { lan: st.config.multiring.lan }),
        })
      await broadcast.start()
    },
    async stop() {
      await broadcast.stop()
      loopDelay.disable()
      for (const st of stacks)
        if ('flush' in st.store && typeof st.store.flush === 'function')
          await (st.store as { flush(): Promise<void> }).flush()
    },
    send: (payload, guarantee) => broadcast.send(payload, guarantee),
    syncCompleted: () => broadcast.syncCompleted?.(),
    get members() {
      return broadcast.members
    },
    get ringId() {
      return mr === undefined ? (srp as Srp).ringId : (mr.topologyId ?? NO_TOPOLOGY)
    },
    status(): TotemNodeStatus {
      const ns = (v: number): number => (Number.isFinite(v) ? Math.round(v / 1e4) / 100 : 0)
      const p = primary.srp as Srp
      return {
        nodeId: me,
        state: p.state,
        ringId: formatRingId(mr === undefined ? p.ringId : (mr.topologyId ?? NO_TOPOLOGY)),
        members: [...broadcast.members],
        crypto: config.crypto.enabled,
        timers: { ...primary.srpConfig },
        srp: p.stats(),
        transport: { ...primary.transport.stats() },
        rrpMode: primary.rrp === undefined ? 'none' : primary.rrp.config.mode,
        rings: ringStatuses(primary, me),
        eventLoopDelayMs: {
          mean: ns(loopDelay.mean),
          p99: ns(loopDelay.percentile(99)),
          max: ns(loopDelay.max),
        },
        uptimeMs: Math.round(runtime.clock.nowMs() - startedAt),
        ...(mr === undefined
          ? {}
          : {
              multiring: {
                isGateway: mr.isGateway,
                topologyId: mr.topologyId === undefined ? null : formatRingId(mr.topologyId),
                topology: mr.topology.map((r) => ({
                  ring: formatRingId(r.ring),
                  lan: r.lan,
                  members: [...r.members],
                })),
                clock: mr.clock,
                stats: mr.stats(),
                lans: stacks.map(lanStatus),
              },
            }),
      }
    },
    stageKey(key: Uint8Array, lan?: number): number {
      const st = stackOf(lan)
      const keyring = st.keyring
      if (keyring === undefined)
        throw new TotemError(
          'ERR_INVALID_STATE',
          `crypto is off${onLan(st)}: there is no key to stage`,
        )
      const id = keyring.stage(key)
      log.info('cluster key staged (accepted on receive, not yet used to send)', lanField(st))
      return id
    },
    rotateKey(key: Uint8Array, lan?: number) {
      const st = stackOf(lan)
      const keyring = st.keyring
      if (keyring === undefined)
        throw new TotemError(
          'ERR_INVALID_STATE',
          `crypto is off${onLan(st)}: there is no key to rotate`,
        )
      keyring.rotate(key)
      log.info('cluster key rotated', lanField(st))
    },
    reenableRings() {
      const withRrp = stacks.filter((st) => st.rrp !== undefined)
      if (withRrp.length === 0)
        throw new TotemError('ERR_INVALID_STATE', 'one ring only: there is no ring to re-enable')
      for (const st of withRrp) st.rrp?.reenable()
      log.info('rings re-enabled by the administrator (cluster-wide)')
    },
  }
}

/** The ring id a multiring node reports before its first topology is installed. */
const NO_TOPOLOGY: RingId = { rep: 0, seq: 0n }
