/**
 * Closed process groups (seed 000, MISSION §2): processes on several nodes join named groups and
 * exchange messages in one agreed (or safe) order, with membership changes delivered in the same
 * place of that order at every member (extended virtual synchrony at group level).
 *
 * - {@link createCpgService} — the service, above a `Broadcast` (srp or multiring), with
 *   corosync's CPG exec messages on the wire (reference §8);
 * - {@link listenCpg} — the daemon's client socket;
 * - {@link initialize} — the client library: a {@link CpgHandle} over the daemon's socket, or
 *   embedded in-process with no IPC at all.
 *
 * @example
 * ```ts
 * import { initialize } from '@totem-ts/cpg'
 *
 * const cpg = await initialize({ socketPath: '/var/lib/totem-ts/cpg.sock' })
 * const group = await cpg.join('A')
 * for await (const ev of group.events()) {
 *   if (ev.type === 'deliver') console.log(ev.nodeId, ev.pid, ev.payload.length)
 * }
 * ```
 *
 * @packageDocumentation
 */

export {
  type CpgGroup,
  CpgHandle,
  type CpgHandleEvents,
  type CpgInitializeOptions,
  initialize,
} from './client.ts'
export { CPG_ERROR_CODES, CpgErrorCode, cpgError } from './errors.ts'
export {
  CPG_FRAME_BYTES_MAX,
  CPG_PROTOCOL_VERSION,
  type Frame,
  FrameReader,
  FrameType,
} from './frames.ts'
export {
  type CpgServer,
  type CpgServerLimits,
  type CpgServerOptions,
  type CpgServerStats,
  listenCpg,
} from './server.ts'
export {
  CPG_LIMITS_DEFAULT,
  CPG_SERVICE_ID,
  type CpgLimits,
  type CpgProcess,
  type CpgProcessSink,
  type CpgService,
  type CpgServiceOptions,
  type CpgServiceStats,
  createCpgService,
  groupDisplayName,
  groupWireName,
  isCpgError,
} from './service.ts'
export type {
  CpgConfchgEvent,
  CpgDeliverEvent,
  CpgEvent,
  CpgGroupInfo,
  CpgMcastOptions,
  CpgMember,
  CpgMemberChange,
  CpgReason,
  CpgTotemConfchgEvent,
} from './types.ts'
