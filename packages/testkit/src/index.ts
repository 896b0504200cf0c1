/**
 * @totem-ts/testkit — what the integration tests of totem-ts share (private, never published):
 * polling, free UDP ports, and a cluster of real totemd processes on loopback.
 *
 * @packageDocumentation
 */
export { type ClusterOptions, DaemonCluster, type Running, TOTEMD } from './cluster.ts'
export { bindable, freePort } from './ports.ts'
export { sleep, type WaitOptions, waitFor } from './wait.ts'
