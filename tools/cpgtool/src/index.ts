/**
 * totem-cpgtool as a library: the command's `main` and its text layout. The command lists the
 * closed process groups of a running totemd and their members (pid, node id, the node's
 * addresses) through the daemon's CPG socket (`@totem-ts/cpg`'s `groups()`) and control socket
 * (`members`), like corosync-cpgtool.
 *
 * @example
 * ```ts
 * import { main } from '@totem-ts/cpgtool'
 *
 * const status = await main(['--json', '--socket', '/var/lib/corosync/cpg.sock'])
 * ```
 *
 * @packageDocumentation
 */

export { CPG_SOCKET_NAME } from '@totem-ts/stack'
export {
  DEFAULT_CPG_SOCKET,
  escapeGroupName,
  type ListedGroup,
  type ListedMember,
  main,
  type Output,
  renderGroups,
} from './cli.ts'
