/**
 * The interop suite's library part: the totem-ts CPG client that mirrors the C client on the
 * corosync nodes (see README.md). Private to this repository.
 *
 * @packageDocumentation
 */
export { type InteropClientOptions, runInteropClient } from './client.ts'
