/**
 * totem-cfgtool as a library: the command's `main` and corosync's counter names. The command
 * shows a running totemd's ring status, members and counters and reloads its key, through the
 * control socket (`@totem-ts/stack`'s control protocol), like corosync-cfgtool.
 *
 * @example
 * ```ts
 * import { main } from '@totem-ts/cfgtool'
 *
 * const status = await main(['-s', '--socket', '/var/lib/corosync/totemd.sock'])
 * ```
 *
 * @packageDocumentation
 */
export { DEFAULT_SOCKET, main, type Output } from './cli.ts'
export {
  COROSYNC_SRP_NAMES,
  type Counters,
  corosyncStats,
  flattenCounters,
  snakeCase,
} from './names.ts'
