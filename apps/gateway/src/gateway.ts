/**
 * The running gateway: one totem-ts processor on several rings (one corosync.conf each, all with
 * `totem { multiring: on }`), forwarding between them under the multiple-ring protocol
 * (`@totem-ts/stack` with `gatewayConfigs`), with pino logs, the optional EVS trace (multiring
 * extension), the control socket (`totem-cfgtool -s`: rings, forwarding counters, lag), a CPG
 * socket so clients can run on the gateway too, and signal handling.
 */
import { mkdirSync } from 'node:fs'
import {
  type ConfigurationChange,
  type Delivery,
  type LogLevel,
  TotemError,
} from '@totem-ts/common'
import type { TotemNodeConfig } from '@totem-ts/config'
import { type CpgServer, type CpgService, listenCpg } from '@totem-ts/cpg'
import { formatKeyId, readKeyFile } from '@totem-ts/crypto'
import type { MessageKey, MultiringObserver } from '@totem-ts/multiring'
import { type DaemonLogger, openTraceWriter, type TraceWriter } from '@totem-ts/service'
import {
  ControlCommand,
  type ControlServer,
  createCpgNode,
  defaultControlSocketPath,
  defaultCpgSocketPath,
  listenControl,
  type TotemNode,
} from '@totem-ts/stack'
import { GatewayErrorCode } from './errors.ts'
import { createLagMeter, type LagMeter } from './lag.ts'

/** What {@link startGateway} needs (the parsed command line and the loaded configs). */
export interface GatewayOptions {
  /** One config per ring, in command-line order; at least two. */
  readonly configs: readonly TotemNodeConfig[]
  readonly logger: DaemonLogger
  readonly version: string
  readonly nodeId?: number
  readonly evsTrace?: string
  /** @defaultValue `<first config's state_dir>/totemd.sock` */
  readonly controlSocket?: string
  /** @defaultValue `<first config's state_dir>/cpg.sock` */
  readonly cpgSocket?: string
  readonly logLevel: LogLevel | 'silent'
}

/** A started gateway. */
export interface Gateway {
  readonly node: TotemNode
  readonly cpg: CpgService
  readonly controlPath: string
  readonly cpgPath: string
  readonly lag: LagMeter
  /** Orderly stop: leaves every ring, flushes the trace, closes the sockets. */
  stop(): Promise<void>
}

/** Chains observers (trace writer, lag meter). */
function both(a: MultiringObserver | undefined, b: MultiringObserver): MultiringObserver {
  return {
    onReceive(key: MessageKey, lan: number, kind: 'reg' | 'gv' | 'cc') {
      a?.onReceive?.(key, lan, kind)
      b.onReceive?.(key, lan, kind)
    },
    onForward(key: MessageKey, from: number, to: number) {
      a?.onForward?.(key, from, to)
      b.onForward?.(key, from, to)
    },
    onDeliverKey(key: MessageKey) {
      a?.onDeliverKey?.(key)
      b.onDeliverKey?.(key)
    },
    onTopology(key, topo, rings) {
      a?.onTopology?.(key, topo, rings)
      b.onTopology?.(key, topo, rings)
    },
  }
}

/** Starts everything; rejects (after cleaning up) when a part cannot start. */
export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const { configs, logger } = o
  const log = logger
  const first = configs[0]
  if (first === undefined || configs.length < 2)
    throw new TotemError(GatewayErrorCode.usage, 'a gateway joins two or more rings (-c per ring)')
  for (const c of configs) {
    try {
      mkdirSync(c.stateDir, { recursive: true, mode: 0o700 })
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).code ?? 'EIO'
      throw new TotemError(
        GatewayErrorCode.stateDir,
        `cannot create the state dir ${c.stateDir} (${errno})`,
        { details: { path: c.stateDir, errno } },
      )
    }
  }
  const counters = { deliveries: 0, configurationChanges: 0, keyReloads: 0 }
  let trace: TraceWriter | undefined
  const lag = createLagMeter(() => performance.now())
  const observer: MultiringObserver = {
    onReceive: (k, lan, kind) => trace?.observer.onReceive?.(k, lan, kind),
    onForward: (k, f, t) => trace?.observer.onForward?.(k, f, t),
    onDeliverKey: (k) => trace?.observer.onDeliverKey?.(k),
    onTopology: (k, topo, rings) => trace?.observer.onTopology?.(k, topo, rings),
  }
  const { node, cpg } = createCpgNode({
    onCpgSend: (p, g) => trace?.send(p, g),
    config: first,
    gatewayConfigs: configs.slice(1),
    multiringObserver: both(observer, lag.observer),
    ...(o.nodeId === undefined ? {} : { nodeId: o.nodeId }),
    logger,
    listener: {
      onDeliver(d: Delivery) {
        counters.deliveries++
        trace?.deliver(d)
      },
      onConfigurationChange(c: ConfigurationChange) {
        counters.configurationChanges++
        trace?.conf(c)
      },
    },
  })
  if (o.evsTrace !== undefined) {
    trace = await openTraceWriter(
      o.evsTrace,
      node.nodeId,
      (e) =>
        log.error('EVS trace write failed; tracing stops', { file: o.evsTrace, error: e.message }),
      { multiring: true, openErrorCode: GatewayErrorCode.traceIo },
    )
  }
  const controlPath = o.controlSocket ?? defaultControlSocketPath(first.stateDir)
  const cpgPath = o.cpgSocket ?? defaultCpgSocketPath(first.stateDir)
  const addresses = new Map<number, string[]>()
  for (const c of configs)
    for (const n of c.nodes) {
      const list = addresses.get(n.nodeId) ?? []
      for (const a of n.addresses) if (!list.includes(a)) list.push(a)
      addresses.set(n.nodeId, list)
    }
  let cpgServer: CpgServer | undefined
  let control: ControlServer | undefined
  const startedAt = Date.now()
  const multiringStatus = (): Record<string, unknown> => {
    const m = node.status().multiring
    return {
      isGateway: m?.isGateway ?? false,
      topologyId: m?.topologyId ?? null,
      topology: m?.topology ?? [],
      clock: m?.clock ?? 0,
      lans: (m?.lans ?? []).map((l) => ({
        lan: l.lan,
        config: l.config,
        state: l.state,
        ringId: l.ringId,
        members: l.members,
        cryptoKeyId: l.cryptoKeyId,
        rings: l.rings.map((r) => ({ ringNo: r.ringNo, address: r.address, port: r.port })),
      })),
      forwarding: lag.forwarding(),
      lag: lag.lag(),
      stats: m?.stats ?? null,
    }
  }
  const status = (): Record<string, unknown> => {
    const s = node.status()
    return {
      nodeId: s.nodeId,
      ringId: s.ringId,
      members: s.members,
      state: s.state,
      crypto: s.crypto,
      // The first ring's key; every ring's is in multiring.lans.
      cryptoKeyId: s.multiring?.lans[0]?.cryptoKeyId ?? null,
      clusterName: first.clusterName ?? null,
      pid: process.pid,
      version: o.version,
      rrpMode: s.rrpMode,
      rings: [],
      multiring: multiringStatus(),
    }
  }
  /**
   * `totem-cfgtool --stage-key` / `--reload-key`: each ring has its own key file (its config's
   * `totem.keyfile`). Every file is read first, so a missing or bad one changes nothing; then
   * each ring stages (or rotates to) its key. A ring whose file did not change keeps its key
   * (staging or rotating to the current key is a no-op), so rotating one LAN's key means: new
   * file on that LAN's nodes and the gateway, `--stage-key` on all of them, then `--reload-key`.
   */
  const keyCommand = (what: 'stage' | 'reload'): Record<string, unknown> => {
    const withCrypto = configs.filter((c) => c.crypto.enabled)
    if (withCrypto.length === 0)
      throw new TotemError(
        'ERR_INVALID_STATE',
        `crypto is off on every ring: there is no key to ${what}`,
      )
    const keys = withCrypto.map((c) => {
      const { key, keyId, warnings } = readKeyFile(c.crypto.keyFile)
      for (const w of warnings) log.warn(w.message, { code: w.code, config: c.file })
      return { lan: c.multiring?.lan ?? 0, file: c.crypto.keyFile, key, keyId: formatKeyId(keyId) }
    })
    for (const k of keys) {
      if (what === 'stage') node.stageKey(k.key, k.lan)
      else node.rotateKey(k.key, k.lan)
      k.key.fill(0)
      log.info(what === 'stage' ? 'ring key staged' : 'ring key reloaded', {
        lan: k.lan,
        file: k.file,
        keyId: k.keyId,
      })
    }
    if (what === 'reload') counters.keyReloads++
    const lans = keys.map(({ lan, file, keyId }) => ({ lan, file, keyId }))
    return { keyId: lans[0]?.keyId, file: lans[0]?.file, lans }
  }
  const handlers = {
    [ControlCommand.ping]: () => ({ pong: true, pid: process.pid }),
    [ControlCommand.status]: status,
    [ControlCommand.stageKey]: () => keyCommand('stage'),
    [ControlCommand.reloadKey]: () => keyCommand('reload'),
    [ControlCommand.members]: () => ({
      ringId: node.status().ringId,
      members: node.members.map((id) => ({ nodeId: id, addresses: addresses.get(id) ?? [] })),
    }),
    [ControlCommand.stats]: () => {
      const s = node.status()
      return {
        ...status(),
        timers: s.timers,
        srp: s.srp,
        transport: s.transport,
        eventLoopDelayMs: s.eventLoopDelayMs,
        uptimeMs: s.uptimeMs,
        cpg: cpg.stats(),
        daemon: {
          ...counters,
          traceEvents: trace?.written ?? 0,
          controlConnections: control?.stats.connections ?? 0,
          controlRequests: control?.stats.requests ?? 0,
          controlErrors: control?.stats.errors ?? 0,
          cpgClients: cpgServer?.stats() ?? null,
          wallUptimeMs: Date.now() - startedAt,
        },
      }
    },
  }
  try {
    control = await listenControl(controlPath, handlers, {
      alreadyRunningCode: GatewayErrorCode.alreadyRunning,
      controlSocketCode: GatewayErrorCode.controlSocket,
      owners: 'totemd or totem-gateway',
    })
  } catch (e) {
    await trace?.close()
    throw e
  }
  try {
    cpgServer = await listenCpg({ service: cpg, path: cpgPath, logger })
  } catch (e) {
    await control.close()
    await trace?.close()
    throw e
  }
  log.info('totem-gateway starting', {
    version: o.version,
    configs: configs.map((c) => c.file).join(' '),
    lans: configs.map((c) => c.multiring?.lan).join(' '),
    nodeId: node.nodeId,
    controlSocket: controlPath,
    cpgSocket: cpgPath,
    evsTrace: o.evsTrace,
    logLevel: o.logLevel,
  })
  trace?.start()
  try {
    await node.start()
  } catch (e) {
    await control.close()
    await cpgServer.close()
    await trace?.close()
    throw e
  }
  let stopping: Promise<void> | undefined
  return {
    node,
    cpg,
    controlPath,
    cpgPath,
    lag,
    stop() {
      stopping ??= (async () => {
        log.info('leaving every ring (orderly shutdown)', { deliveries: counters.deliveries })
        await cpgServer?.close()
        cpg.stop()
        await node.stop()
        trace?.stop()
        await Promise.all([trace?.close(), control?.close()])
        log.info('totem-gateway stopped')
      })()
      return stopping
    },
  }
}
