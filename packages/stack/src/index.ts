/**
 * A totem-ts node over real sockets: `createTotemNode()` composes the udpu transport, authenticated
 * encryption (when the config asks for it) and the single-ring protocol from a corosync.conf, with
 * the production runtime and the ring id kept on disk where corosync keeps it.
 *
 * @example
 * ```ts
 * import { readConfigFile } from '@totem-ts/config'
 * import { createTotemNode } from '@totem-ts/stack'
 *
 * const { config } = readConfigFile('corosync.conf')
 * const node = createTotemNode({
 *   config,
 *   nodeId: 1,
 *   listener: { onDeliver: (d) => console.log(d.sender, d.payload), onConfigurationChange: console.log },
 * })
 * await node.start()
 * ```
 *
 * @packageDocumentation
 */

export {
  CONTROL_LINE_BYTES_MAX,
  CONTROL_SOCKET_NAME,
  ControlCommand,
  type ControlErrorBody,
  ControlErrorCode,
  type ControlId,
  type ControlLineHandlers,
  type ControlLineReader,
  type ControlRequest,
  type ControlRequestOptions,
  type ControlResponse,
  CPG_SOCKET_NAME,
  controlError,
  controlRequest,
  createControlLineReader,
  type DecodedControlRequest,
  decodeControlRequest,
  decodeControlResponse,
  defaultControlSocketPath,
  defaultCpgSocketPath,
  encodeControlLine,
} from './control.ts'
export {
  CONTROL_CONNECTIONS_MAX,
  CONTROL_OUTPUT_BYTES_MAX,
  type ControlHandler,
  type ControlListenerIdentity,
  type ControlServer,
  type ControlServerStats,
  listenControl,
} from './control-server.ts'
export { type CpgNode, type CpgNodeOptions, createCpgNode } from './cpg-node.ts'
export type { TotemLanStatus, TotemMultiringStatus, TotemRingStatus } from './node.ts'
export {
  CHANNELS,
  createTotemNode,
  findLocalNode,
  type TotemNode,
  type TotemNodeOptions,
  type TotemNodeStatus,
} from './node.ts'
export { createFileRingIdStore, type FileRingIdStore } from './ring-id-store.ts'
export { createNodeRuntime } from './runtime.ts'
