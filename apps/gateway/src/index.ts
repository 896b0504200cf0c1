/**
 * `totem-gateway`: a processor on two or more rings (one corosync.conf each, `totem { multiring:
 * on }`) joined by the Totem multiple-ring protocol (`@totem-ts/multiring` through
 * `@totem-ts/stack`). It forwards between its rings so that every processor of every ring
 * delivers one total order, serves `totem-cfgtool` (rings, forwarding counters, delivery lag) and
 * CPG clients, and writes the EVS trace with the multiring extension.
 *
 * @example
 * ```ts
 * import { main } from '@totem-ts/gateway'
 *
 * process.exitCode = await main(['-c', 'ringA.conf', '-c', 'ringB.conf', '--nodeid', '5'])
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
export {
  checkGatewayConfigs,
  GATEWAY_RINGS_MAX,
  type GatewayArgs,
  gatewayVersion,
  main,
  type Output,
  parseGatewayArgs,
} from './cli.ts'
export { GatewayErrorCode } from './errors.ts'
export { type Gateway, type GatewayOptions, startGateway } from './gateway.ts'
export { createLagMeter, LAG_TRACKED_MAX, type LagMeter, type LanLag, lanOfRing } from './lag.ts'
