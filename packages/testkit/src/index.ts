/**
 * @totem-ts/testkit — what the integration tests of totem-ts share (private, never published):
 * polling, free UDP ports, and a cluster of real totemd processes on loopback.
 *
 * @packageDocumentation
 */
export { type ClusterOptions, DaemonCluster, TOTEMD } from './cluster.ts'
export { bindable, freePort } from './ports.ts'
export { mergeTraceFiles, ProcessHarness, type Running } from './processes.ts'
export { sleep, type WaitOptions, waitFor } from './wait.ts'
