/**
 * Dissects the totem traffic of one capture: decodes every datagram on the totem port through
 * @totem-ts/wire down to the sync/CPG/cmap level, reassembles fragmented messages from the
 * delivered stream, and (optionally) verifies that re-encoding reproduces every byte.
 */
import { formatRingId, isTotemError, type RingId } from '@totem-ts/common'
import {
  createAssembler,
  type DecodedAppMessage,
  decodeAppMessage,
  decodeEncapsulated,
  decodeHeader,
  decodePgPacket,
  decodeTotemMessage,
  detectByteOrder,
  Encapsulation,
  encodeAppMessage,
  encodePgPacket,
  encodeTotemMessage,
  type Mcast,
  type PgPacket,
  type TotemMessage,
} from '@totem-ts/wire'
import { readUdpDatagrams, type UdpDatagram } from './pcap.ts'

/** Options of {@link dissectCapture}. */
export interface DissectOptions {
  /** UDP port of totem traffic. @defaultValue 5405 */
  readonly port?: number
  /** Re-encode every decoded message and compare. @defaultValue false */
  readonly verify?: boolean
}

/** An application message found in a datagram (a complete piece or a finished reassembly). */
export interface AppRecord {
  /** Decoded groups and service message, when decoding succeeded. */
  readonly decoded?: DecodedAppMessage
  /** Error code when the app message did not decode or verify. */
  readonly error?: string
  readonly errorDetail?: string
  /** Frames whose fragments make up this message, when it was reassembled. */
  readonly reassembledFrom?: readonly number[]
  readonly bytes: number
}

/** What became of one datagram. */
export interface DatagramRecord {
  readonly datagram: UdpDatagram
  readonly littleEndian?: boolean
  readonly message?: TotemMessage
  /** For an encapsulated mcast, the old-ring message inside. */
  readonly inner?: Mcast
  readonly packet?: PgPacket
  readonly apps: AppRecord[]
  /** A duplicate of an mcast seen before (retransmission, self copy, recovery re-send). */
  duplicate: boolean
  /** Set when the datagram (or anything in it) failed to decode or verify. */
  error?: string
  errorDetail?: string
}

/** Counts over one capture (or many, added up). */
export interface DissectSummary {
  datagrams: number
  decoded: number
  failed: number
  verified: number
  verifyFailed: number
  byType: Record<string, number>
  byApp: Record<string, number>
  appFailed: number
  reassembled: number
  /** Fragments that could not be joined (their chain is cut by the capture's start, end or a gap). */
  fragmentsIncomplete: number
  duplicates: number
  /** Frames that carry no complete UDP datagram, by reason. */
  skippedFrames: Record<string, number>
  /** UDP datagrams on other ports. */
  otherUdp: number
}

/** The result of {@link dissectCapture}. */
export interface DissectResult {
  readonly records: DatagramRecord[]
  readonly summary: DissectSummary
}

/** A zeroed summary. */
export function emptySummary(): DissectSummary {
  return {
    datagrams: 0,
    decoded: 0,
    failed: 0,
    verified: 0,
    verifyFailed: 0,
    byType: {},
    byApp: {},
    appFailed: 0,
    reassembled: 0,
    fragmentsIncomplete: 0,
    duplicates: 0,
    skippedFrames: {},
    otherUdp: 0,
  }
}

/** Adds `b` into `a`. */
export function addSummary(a: DissectSummary, b: DissectSummary): void {
  for (const k of [
    'datagrams',
    'decoded',
    'failed',
    'verified',
    'verifyFailed',
    'appFailed',
    'reassembled',
    'fragmentsIncomplete',
    'duplicates',
    'otherUdp',
  ] as const) {
    a[k] += b[k]
  }
  for (const k of ['byType', 'byApp', 'skippedFrames'] as const) {
    for (const [t, n] of Object.entries(b[k])) a[k][t] = (a[k][t] ?? 0) + n
  }
}

const bump = (m: Record<string, number>, k: string): void => {
  m[k] = (m[k] ?? 0) + 1
}

const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const errorCode = (e: unknown): string => {
  if (isTotemError(e)) return e.code
  throw e // anything else is a bug in the decoder and must be seen
}

const ringKey = (r: RingId): string => formatRingId(r)

/** One mcast of the delivered stream of a ring. */
interface Delivered {
  readonly seq: number
  readonly mcast: Mcast
  readonly packet: PgPacket
  readonly record: DatagramRecord
}

/** Decodes and (optionally) verifies one app message. */
function appRecord(
  bytes: Uint8Array,
  littleEndian: boolean,
  verify: boolean,
  from?: number[],
): AppRecord {
  const base = from ? { reassembledFrom: from, bytes: bytes.length } : { bytes: bytes.length }
  try {
    const decoded = decodeAppMessage(bytes, littleEndian)
    if (verify && decoded.message !== undefined) {
      const again = encodeAppMessage(decoded.message, littleEndian)
      if (!equalBytes(again, bytes))
        return { ...base, decoded, error: 'VERIFY_MISMATCH', errorDetail: 'app message' }
    }
    return { ...base, decoded }
  } catch (e) {
    return { ...base, error: errorCode(e), errorDetail: isTotemError(e) ? e.message : '' }
  }
}

/** Dissects the totem datagrams of a classic pcap file's bytes. */
export function dissectCapture(file: Uint8Array, options: DissectOptions = {}): DissectResult {
  const port = options.port ?? 5405
  const verify = options.verify ?? false
  const summary = emptySummary()
  const { datagrams, skipped } = readUdpDatagrams(file)
  for (const s of skipped) bump(summary.skippedFrames, s.reason)
  const records: DatagramRecord[] = []
  // The delivered stream per ring: first copy of each (ring, seq).
  const rings = new Map<string, Map<number, Delivered>>()
  const ringOrder: string[] = []
  const deliver = (ring: RingId, d: Delivered): boolean => {
    const key = ringKey(ring)
    let m = rings.get(key)
    if (m === undefined) {
      m = new Map()
      rings.set(key, m)
      ringOrder.push(key)
    }
    if (m.has(d.seq)) return false
    m.set(d.seq, d)
    return true
  }

  for (const dg of datagrams) {
    if (dg.srcPort !== port && dg.dstPort !== port) {
      summary.otherUdp++
      continue
    }
    summary.datagrams++
    const rec: DatagramRecord = { datagram: dg, apps: [], duplicate: false }
    records.push(rec)
    let message: TotemMessage
    let littleEndian: boolean
    try {
      littleEndian = decodeHeader(dg.payload).littleEndian
      message = decodeTotemMessage(dg.payload)
    } catch (e) {
      rec.error = errorCode(e)
      rec.errorDetail = isTotemError(e) ? e.message : ''
      bump(summary.byType, 'undecodable')
      continue
    }
    Object.assign(rec, { message, littleEndian })
    bump(summary.byType, message.type === 'join' && message.nodeid === 0 ? 'leave' : message.type)
    if (verify) {
      const again = encodeTotemMessage(message, littleEndian)
      if (!equalBytes(again, dg.payload)) {
        rec.error = 'VERIFY_MISMATCH'
        rec.errorDetail = `re-encoded ${message.type} differs`
      }
    }
    if (message.type !== 'mcast') continue
    try {
      let m: Mcast = message
      let ring = message.ringId
      if (message.encapsulated === Encapsulation.Encapsulated) {
        m = decodeEncapsulated(message)
        ring = m.ringId
        Object.assign(rec, { inner: m })
      }
      const mLe = m === message ? littleEndian : detectByteOrder(message.payload)
      const packet = decodePgPacket(m.payload, mLe)
      Object.assign(rec, { packet })
      if (verify && !equalBytes(encodePgPacket(packet, mLe), m.payload)) {
        rec.error = 'VERIFY_MISMATCH'
        rec.errorDetail = 'totempg packet differs'
      }
      // Complete pieces decode on their own; fragments wait for the stream pass below.
      const n = packet.pieces.length
      packet.pieces.forEach((piece, i) => {
        const partial =
          (i === 0 && packet.continuation !== 0) || (i === n - 1 && packet.fragmented !== 0)
        if (!partial) rec.apps.push(appRecord(piece, mLe, verify))
      })
      rec.duplicate = !deliver(ring, { seq: m.seq, mcast: m, packet, record: rec })
      if (rec.duplicate) summary.duplicates++
    } catch (e) {
      rec.error = errorCode(e)
      rec.errorDetail = isTotemError(e) ? e.message : ''
    }
  }

  // Reassemble fragments from each ring's delivered stream, in seq order, per sender.
  for (const key of ringOrder) {
    const stream = [...(rings.get(key) as Map<number, Delivered>).values()].sort(
      (a, b) => a.seq - b.seq,
    )
    /** Frames of each sender's open fragment chain. */
    const open = new Map<number, number[]>()
    let current: Delivered | undefined
    let completing = false
    const assembler = createAssembler({
      onMessage: (sender, bytes, le) => {
        // Whole pieces were decoded with their datagram; only a finished chain is new here.
        if (!completing) return
        completing = false
        const frames = open.get(sender) ?? []
        open.delete(sender)
        summary.reassembled++
        ;(current as Delivered).record.apps.push(appRecord(bytes, le, verify, frames))
      },
      onDrop: (sender) => {
        summary.fragmentsIncomplete++
        completing = false
        open.delete(sender)
      },
    })
    let lastSeq: number | undefined
    for (const d of stream) {
      current = d
      // A gap in the captured stream breaks every open chain.
      if (lastSeq !== undefined && d.seq !== lastSeq + 1) assembler.clear()
      lastSeq = d.seq
      const sender = d.mcast.nodeid
      const p = d.packet
      const frame = d.record.datagram.frame
      const middle = p.continuation !== 0 && p.pieces.length === 1 && p.fragmented !== 0
      const chain = open.get(sender)
      if (p.continuation !== 0 && chain !== undefined) chain.push(frame)
      completing = p.continuation !== 0 && chain !== undefined && !middle
      assembler.push(sender, p, d.record.littleEndian ?? true)
      completing = false
      if (p.fragmented !== 0 && p.pieces.length > 0 && !middle) open.set(sender, [frame])
    }
    // Chains still open at the end of the capture.
    summary.fragmentsIncomplete += open.size
  }

  for (const rec of records) {
    if (rec.error === undefined) {
      const bad = rec.apps.find((a) => a.error !== undefined)
      if (bad) {
        rec.error = bad.error as string
        rec.errorDetail = `app message: ${bad.errorDetail ?? ''}`
      }
    }
    for (const a of rec.apps) {
      if (a.error !== undefined) summary.appFailed++
      else bump(summary.byApp, a.decoded?.message?.kind ?? `group:${a.decoded?.groups.join(',')}`)
    }
    if (rec.error === undefined) {
      summary.decoded++
      if (verify) summary.verified++
    } else {
      summary.failed++
      if (rec.error === 'VERIFY_MISMATCH') summary.verifyFailed++
    }
  }
  return { records, summary }
}
