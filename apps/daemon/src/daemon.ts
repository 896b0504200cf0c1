/**
 * The running daemon: a totem-ts node from a corosync.conf (`@totem-ts/stack`), with pino logs,
 * the optional EVS trace and burn-in load, the control socket, and signal handling (SIGTERM or
 * SIGINT: orderly leave, flush, exit 0; a second signal: exit at once).
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
import { type BurnIn, startBurnIn } from './burn-in.ts'
import { DaemonErrorCode } from './errors.ts'

/** What {@link runDaemon} needs (the parsed command line and the loaded config). */
export interface DaemonOptions {
  readonly config: TotemNodeConfig
  readonly logger: DaemonLogger
  readonly version: string
  readonly nodeId?: number
  readonly evsTrace?: string
  readonly burnIn?: number
  readonly controlSocket?: string
  /** @defaultValue `<stateDir>/cpg.sock` */
  readonly cpgSocket?: string
  readonly logLevel: LogLevel | 'silent'
}

/** A started daemon. */
export interface Daemon {
  readonly node: TotemNode
  readonly cpg: CpgService
  readonly controlPath: string
  readonly cpgPath: string
  /** Orderly stop: stops the load, leaves the ring, flushes the trace, closes the socket. */
  stop(): Promise<void>
}

/** Counts the daemon keeps besides the stack's. */
interface DaemonCounters {
  deliveries: number
  configurationChanges: number
  keyReloads: number
}

/** The key id datagrams are sealed with, as `0x…`, or null with crypto off. */
function keyIdOfStats(transport: Readonly<Record<string, unknown>>): string | null {
  const id = transport.cryptoKeyId
  return typeof id === 'number' ? formatKeyId(id) : null
}

/** Starts everything; rejects (after cleaning up) when a part cannot start. */
export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const { config, logger } = o
  const log = logger
  try {
    mkdirSync(config.stateDir, { recursive: true, mode: 0o700 })
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code ?? 'EIO'
    throw new TotemError(
      DaemonErrorCode.stateDir,
      `cannot create the state dir ${config.stateDir} (${errno})`,
      { details: { path: config.stateDir, errno } },
    )
  }
  const counters: DaemonCounters = { deliveries: 0, configurationChanges: 0, keyReloads: 0 }
  let trace: TraceWriter | undefined
  const { node, cpg } = createCpgNode({
    onCpgSend: (p, g) => trace?.send(p, g),
    config,
    ...(o.nodeId === undefined ? {} : { nodeId: o.nodeId }),
    ...(config.multiring === undefined
      ? {}
      : {
          multiringObserver: {
            onReceive: (k, lan, kind) => trace?.observer.onReceive?.(k, lan, kind),
            onForward: (k, from, to) => trace?.observer.onForward?.(k, from, to),
            onDeliverKey: (k) => trace?.observer.onDeliverKey?.(k),
            onTopology: (k, topo, rings) => trace?.observer.onTopology?.(k, topo, rings),
          },
        }),
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
  const addresses = new Map(config.nodes.map((n) => [n.nodeId as number, n.addresses]))
  if (o.evsTrace !== undefined) {
    trace = await openTraceWriter(
      o.evsTrace,
      node.nodeId,
      (e) =>
        log.error('EVS trace write failed; tracing stops', { file: o.evsTrace, error: e.message }),
      { multiring: config.multiring !== undefined, openErrorCode: DaemonErrorCode.traceIo },
    )
  }
  const controlPath = o.controlSocket ?? defaultControlSocketPath(config.stateDir)
  const cpgPath = o.cpgSocket ?? defaultCpgSocketPath(config.stateDir)
  let cpgServer: CpgServer | undefined
  let burnIn: BurnIn | undefined
  const startedAt = Date.now()
  let control: ControlServer | undefined
  const status = (): Record<string, unknown> => {
    const s = node.status()
    return {
      nodeId: s.nodeId,
      ringId: s.ringId,
      members: s.members,
      state: s.state,
      crypto: s.crypto,
      cryptoKeyId: keyIdOfStats(s.transport),
      clusterName: config.clusterName ?? null,
      pid: process.pid,
      version: o.version,
      rrpMode: s.rrpMode,
      rings: s.rings.map((r) => ({
        ringNo: r.ringNo,
        address: r.address,
        port: r.port,
        state: r.state,
        inUse: r.inUse,
        reportedFaultyBy: r.rrp?.reportedFaultyBy ?? [],
      })),
      ...(s.multiring === undefined
        ? {}
        : {
            multiring: {
              isGateway: s.multiring.isGateway,
              topologyId: s.multiring.topologyId,
              topology: s.multiring.topology,
              clock: s.multiring.clock,
              lans: s.multiring.lans.map((l) => ({
                lan: l.lan,
                state: l.state,
                ringId: l.ringId,
                members: l.members,
              })),
              stats: s.multiring.stats,
            },
          }),
    }
  }
  const handlers = {
    [ControlCommand.ping]: () => ({ pong: true, pid: process.pid }),
    [ControlCommand.status]: status,
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
        rings: s.rings,
        eventLoopDelayMs: s.eventLoopDelayMs,
        uptimeMs: s.uptimeMs,
        cpg: cpg.stats(),
        daemon: {
          ...counters,
          burnInSent: burnIn?.stats.sent ?? 0,
          burnInSafe: burnIn?.stats.safe ?? 0,
          burnInFull: burnIn?.stats.full ?? 0,
          traceEvents: trace?.written ?? 0,
          controlConnections: control?.stats.connections ?? 0,
          controlRequests: control?.stats.requests ?? 0,
          controlErrors: control?.stats.errors ?? 0,
          cpgClients: cpgServer?.stats() ?? null,
          wallUptimeMs: Date.now() - startedAt,
        },
      }
    },
    // totem-cfgtool -r (redundant rings): clears every ring fault, cluster-wide.
    'ring-reenable': () => {
      node.reenableRings()
      return { reenabled: true }
    },
    [ControlCommand.stageKey]: () => {
      if (!config.crypto.enabled)
        throw new TotemError('ERR_INVALID_STATE', 'crypto is off: there is no key to stage')
      const { key, keyId, warnings } = readKeyFile(config.crypto.keyFile)
      for (const w of warnings) log.warn(w.message, { code: w.code })
      node.stageKey(key)
      log.info('cluster key staged', { file: config.crypto.keyFile, keyId: formatKeyId(keyId) })
      return { keyId: formatKeyId(keyId), file: config.crypto.keyFile }
    },
    [ControlCommand.reloadKey]: () => {
      if (!config.crypto.enabled)
        throw new TotemError('ERR_INVALID_STATE', 'crypto is off: there is no key to reload')
      const { key, keyId, warnings } = readKeyFile(config.crypto.keyFile)
      for (const w of warnings) log.warn(w.message, { code: w.code })
      node.rotateKey(key)
      counters.keyReloads++
      log.info('cluster key reloaded', { file: config.crypto.keyFile, keyId: formatKeyId(keyId) })
      return { keyId: formatKeyId(keyId), file: config.crypto.keyFile }
    },
  }
  try {
    control = await listenControl(controlPath, handlers, {
      alreadyRunningCode: DaemonErrorCode.alreadyRunning,
      controlSocketCode: DaemonErrorCode.controlSocket,
      owners: 'totemd',
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
  log.info('totemd starting', {
    version: o.version,
    config: config.file,
    nodeId: node.nodeId,
    cluster: config.clusterName,
    stateDir: config.stateDir,
    controlSocket: controlPath,
    cpgSocket: cpgPath,
    evsTrace: o.evsTrace,
    burnIn: o.burnIn,
    logLevel: o.logLevel,
    token: config.srpResolved.tokenTimeoutMs,
    consensus: config.srpResolved.consensusTimeoutMs,
    join: config.srpResolved.joinTimeoutMs,
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
  if (o.burnIn !== undefined && o.burnIn > 0) {
    burnIn = startBurnIn(
      o.burnIn,
      (p, g) => node.send(p, g),
      (p, g) => trace?.send(p, g),
    )
    log.info('burn-in load started', { rate: o.burnIn, nonce: burnIn.nonce })
  }
  let stopping: Promise<void> | undefined
  return {
    node,
    cpg,
    controlPath,
    cpgPath,
    stop() {
      stopping ??= (async () => {
        burnIn?.stop()
        log.info('leaving the ring (orderly shutdown)', {
          burnInSent: burnIn?.stats.sent ?? 0,
          deliveries: counters.deliveries,
        })
        await cpgServer?.close()
        cpg.stop()
        await node.stop()
        trace?.stop()
        await Promise.all([trace?.close(), control?.close()])
        log.info('totemd stopped')
      })()
      return stopping
    },
  }
}
