/**
 * totemd as a library: the daemon's command line (`main`), its start/stop (`startDaemon`) and the
 * burn-in load (the logger, the EVS trace writer and the orderly stop are @totem-ts/service's). The command runs one totem-ts node from a corosync.conf in the foreground; tools talk to
 * it over the control socket (`@totem-ts/stack`'s control protocol).
 *
 * @example
 * ```ts
 * import { main } from '@totem-ts/daemon'
 *
 * const status = await main(['-c', 'corosync.conf', '--check']) // 0 valid, 1 invalid, 2 usage
 * ```
 *
 * @packageDocumentation
 */

export {
  CONTROL_CONNECTIONS_MAX,
  CONTROL_OUTPUT_BYTES_MAX,
  type ControlHandler,
  type ControlServer,
  type ControlServerStats,
  listenControl,
} from '@totem-ts/stack'
export { BURN_IN_RATE_MAX, type BurnIn, type BurnInStats, startBurnIn } from './burn-in.ts'
export {
  type DaemonArgs,
  DEFAULT_CONFIG_FILE,
  daemonVersion,
  main,
  type Output,
  parseDaemonArgs,
} from './cli.ts'
export { type Daemon, type DaemonOptions, startDaemon } from './daemon.ts'
export { DaemonErrorCode } from './errors.ts'
