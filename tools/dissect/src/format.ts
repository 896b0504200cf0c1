/** Human-readable and JSON renderings of dissected datagrams. */
import { formatRingIdHex, type RingId } from '@totem-ts/common'
import { MESSAGE_TYPE_NAMES, type ServiceMessage, type TotemMessage } from '@totem-ts/wire'
import type { AppRecord, DatagramRecord, DissectSummary } from './dissect.ts'
import { toJsonValue } from './json.ts'

const ring = (r: RingId): string => formatRingIdHex(r)
const list = (xs: readonly number[]): string => `[${xs.join(',')}]`
const printable = (s: string): string => JSON.stringify(s)

/** One-line summary of a totemsrp message, in corosync's vocabulary (ring ids in hex, `1.d`). */
export function describeTotem(m: TotemMessage): string {
  switch (m.type) {
    case 'orf-token': {
      const rtr = m.rtr.length > 0 ? ` rtr=${list(m.rtr.map((x) => x.seq))}` : ''
      return `ORF_TOKEN from=${m.nodeid} ring=${ring(m.ringId)} seq=${m.seq} tseq=${m.tokenSeq} aru=${m.aru} aru_addr=${m.aruAddr} fcc=${m.fcc} backlog=${m.backlog} retrans=${m.retransFlg}${rtr}`
    }
    case 'mcast':
      return `MCAST from=${m.nodeid} sys_from=${m.systemFrom} ring=${ring(m.ringId)} seq=${m.seq}${m.encapsulated === 1 ? ' ENCAPSULATED' : ''}${m.guarantee !== 0 ? ` guarantee=${m.guarantee}` : ''}`
    case 'merge-detect':
      return `MERGE_DETECT from=${m.systemFrom} ring=${ring(m.ringId)}`
    case 'join':
      return `${m.nodeid === 0 ? 'LEAVE' : 'JOIN'} from=${m.systemFrom} proc=${list(m.procList)} failed=${list(m.failedList)} ring_seq=${m.ringSeq}`
    case 'commit-token':
      return `COMMIT_TOKEN from=${m.nodeid} ring=${ring(m.ringId)} tseq=${m.tokenSeq} idx=${m.membIndex} members=${m.members
        .map((e) =>
          e.ringId.rep === 0 && e.ringId.seq === 0n
            ? `${e.nodeid}(-)`
            : `${e.nodeid}(${ring(e.ringId)} aru=${e.aru} hd=${e.highDelivered} rf=${e.receivedFlg})`,
        )
        .join(' ')}`
    case 'token-hold-cancel':
      return `TOKEN_HOLD_CANCEL from=${m.nodeid} ring=${ring(m.ringId)}`
  }
}

/** One-line summary of a service message. */
export function describeService(m: ServiceMessage): string {
  switch (m.kind) {
    case 'sync-barrier':
      return `sync BARRIER ring=${ring(m.ringId)}`
    case 'sync-memb-determine':
      return `sync MEMB_DETERMINE ring=${ring(m.ringId)}`
    case 'sync-service-build':
      return `sync SERVICE_BUILD ring=${ring(m.ringId)} services=${list(m.services)}`
    case 'cmap-mcast':
      return `cmap ${m.reason === 0 ? 'SYNC' : 'CONFIG_VERSION'} ${m.items.map((i) => `${i.key}${i.valueType === 0 ? '(absent)' : `(type ${i.valueType}, ${i.value.length} B)`}`).join(' ')}`
    case 'cpg-procjoin':
      return `cpg PROCJOIN group=${printable(m.group)} pid=${m.pid} reason=${m.reason}`
    case 'cpg-procleave':
      return `cpg PROCLEAVE group=${printable(m.group)} pid=${m.pid} reason=${m.reason}`
    case 'cpg-mcast':
      return `cpg MCAST group=${printable(m.group)} pid=${m.pid} nodeid=${m.sourceNodeid} len=${m.data.length}`
    case 'cpg-partial-mcast':
      return `cpg PARTIAL_MCAST group=${printable(m.group)} pid=${m.pid} part=${m.partType} len=${m.data.length}/${m.msglen}`
    case 'cpg-joinlist':
      return `cpg JOINLIST ${m.entries.length === 0 ? '(empty)' : m.entries.map((e) => `${printable(e.group)}/${e.pid}`).join(' ')}`
    case 'cpg-downlist':
      return `cpg DOWNLIST old_members=${m.oldMembers} left=${list(m.leftNodes)}`
    case 'cpg-downlist-old':
      return `cpg DOWNLIST_OLD left=${list(m.leftNodes)}`
    case 'service-raw':
      return `service ${m.service} fn ${m.fn} (${m.bytes.length} B)`
  }
}

function describeApp(a: AppRecord): string {
  const from = a.reassembledFrom ? ` [reassembled from frames ${a.reassembledFrom.join(',')}]` : ''
  if (a.error !== undefined) return `!${a.error}${from}`
  const d = a.decoded
  if (d === undefined) return `?${from}`
  if (d.message === undefined)
    return `group ${d.groups.map(printable).join(',')} (${d.body.length} B)${from}`
  return `${describeService(d.message)}${from}`
}

/** One text line for a datagram. */
export function formatRecord(r: DatagramRecord, t0Us: number): string {
  const d = r.datagram
  const t = ((d.timeUs - t0Us) / 1e6).toFixed(6)
  const head = `${String(d.frame).padStart(5)} ${t.padStart(11)} ${`${d.src}:${d.srcPort}`.padStart(21)} > ${`${d.dst}:${d.dstPort}`.padEnd(21)}`
  if (r.message === undefined)
    return `${head} !${r.error} ${r.errorDetail ?? ''} (${d.payload.length} B)`
  let line = `${head} ${describeTotem(r.message)}`
  if (r.inner) line += ` { ${describeTotem(r.inner)} }`
  if (r.packet) {
    const p = r.packet
    if (p.fragmented !== 0 || p.continuation !== 0)
      line += ` frag=${p.fragmented} cont=${p.continuation}`
    line += ` n=${p.pieces.length}`
  }
  if (r.duplicate) line += ' (copy)'
  for (const a of r.apps) line += ` | ${describeApp(a)}`
  if (r.error !== undefined && r.message !== undefined)
    line += ` !${r.error} ${r.errorDetail ?? ''}`
  return line
}

/** One JSON object (as a line) for a datagram. */
export function recordToJson(r: DatagramRecord, capture: string): string {
  const d = r.datagram
  const obj: Record<string, unknown> = {
    capture,
    frame: d.frame,
    timeUs: d.timeUs,
    src: `${d.src}:${d.srcPort}`,
    dst: `${d.dst}:${d.dstPort}`,
    length: d.payload.length,
  }
  if (r.littleEndian !== undefined) obj.byteOrder = r.littleEndian ? 'le' : 'be'
  if (r.message !== undefined) {
    obj.type = r.message.type === 'join' && r.message.nodeid === 0 ? 'leave' : r.message.type
    const { payload: _payload, ...rest } = r.message as TotemMessage & { payload?: Uint8Array }
    obj.message = toJsonValue(rest)
  }
  if (r.inner !== undefined) {
    const { payload: _p, ...inner } = r.inner
    obj.inner = toJsonValue(inner)
  }
  if (r.packet !== undefined) {
    obj.totempg = {
      fragmented: r.packet.fragmented,
      continuation: r.packet.continuation,
      lengths: r.packet.pieces.map((p) => p.length),
    }
  }
  if (r.duplicate) obj.duplicate = true
  if (r.apps.length > 0) {
    obj.apps = r.apps.map((a) => {
      const o: Record<string, unknown> = { bytes: a.bytes }
      if (a.reassembledFrom) o.reassembledFrom = a.reassembledFrom
      if (a.decoded) {
        o.groups = a.decoded.groups
        if (a.decoded.message) o.message = toJsonValue(a.decoded.message)
      }
      if (a.error !== undefined) o.error = a.error
      return o
    })
  }
  if (r.error !== undefined) {
    obj.error = r.error
    if (r.errorDetail) obj.errorDetail = r.errorDetail
  }
  return JSON.stringify(obj)
}

/** The human-readable summary block. */
export function formatSummary(name: string, s: DissectSummary, verify: boolean): string {
  const lines: string[] = []
  const counts = (m: Record<string, number>): string =>
    Object.entries(m)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none'
  lines.push(`== ${name}`)
  lines.push(
    `datagrams ${s.datagrams}, decoded ${s.decoded}, failed ${s.failed}${verify ? `, verified ${s.verified} (byte-identical re-encode), verify mismatches ${s.verifyFailed}` : ''}`,
  )
  lines.push(`by message type: ${counts(s.byType)}`)
  lines.push(
    `application messages: ${counts(s.byApp)}${s.appFailed > 0 ? `; failed ${s.appFailed}` : ''}`,
  )
  lines.push(
    `reassembled ${s.reassembled}, incomplete fragment chains ${s.fragmentsIncomplete}, duplicate mcasts (retransmits/self copies/re-sends) ${s.duplicates}`,
  )
  const skipped = Object.values(s.skippedFrames).reduce((a, b) => a + b, 0)
  if (skipped > 0 || s.otherUdp > 0) {
    lines.push(
      `not totem: ${s.otherUdp} UDP datagrams on other ports, ${skipped} frames without UDP (${counts(s.skippedFrames)})`,
    )
  }
  return lines.join('\n')
}

/** Message type names by number, re-exported for `--help`. */
export const TYPE_NAMES: readonly string[] = MESSAGE_TYPE_NAMES
