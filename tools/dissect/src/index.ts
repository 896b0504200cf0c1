/**
 * totem-dissect as a library: read pcap captures and dissect their totem traffic with
 * @totem-ts/wire. The command-line tool is `totem-dissect` (see `--help`).
 *
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * import { dissectCapture } from '@totem-ts/dissect'
 *
 * const { summary } = dissectCapture(readFileSync('ring.pcap'), { verify: true })
 * console.log(summary.datagrams, summary.decoded, summary.byType)
 * ```
 *
 * @packageDocumentation
 */
export { main } from './cli.ts'
export {
  type AppRecord,
  addSummary,
  type DatagramRecord,
  type DissectOptions,
  type DissectResult,
  type DissectSummary,
  dissectCapture,
  emptySummary,
} from './dissect.ts'
export {
  describeService,
  describeTotem,
  formatRecord,
  formatSummary,
  recordToJson,
} from './format.ts'
export { toHex, toJsonValue } from './json.ts'
export {
  LinkType,
  type PcapError,
  type PcapErrorCode,
  type PcapFrame,
  type PcapHeader,
  readPcapFrames,
  readPcapHeader,
  readUdpDatagrams,
  type SkippedFrame,
  type UdpDatagram,
  udpOf,
} from './pcap.ts'
