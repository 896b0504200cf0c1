/**
 * Extracts the wire package's frozen test vectors from the reference captures.
 *
 * For every UDP datagram from or to port 5405 in every `.pcap` of the captures directory, writes
 * `packages/wire/test/fixtures/captures/<capture>/<frame>.bin` (the UDP payload, i.e. the totem
 * message) and a `.json` sidecar with where it came from and what it decodes to. Deterministic:
 * files and frames are processed in order, nothing depends on the clock, so re-running it on the
 * same captures changes nothing.
 *
 * Usage (from the repository root):
 *   npx tsx --conditions=@totem-ts/source tools/dissect/scripts/extract-fixtures.ts [captures-dir]
 * The default captures directory is `../shared/reference/captures` relative to the repository root.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join, resolve } from 'node:path'
import {
  decodeAppMessage,
  decodeEncapsulated,
  decodePgPacket,
  decodeTotemMessage,
  detectByteOrder,
  isWireError,
  type Mcast,
} from '@totem-ts/wire'
import { readUdpDatagrams } from '../src/pcap.ts'

/** The totem port of every captured daemon (`totem.interface.mcastport` default). */
const TOTEM_PORT = 5405

const repoRoot = resolve(import.meta.dirname, '..', '..', '..')
const capturesDir = resolve(
  repoRoot,
  process.argv[2] ?? join('..', 'shared', 'reference', 'captures'),
)
const outDir = join(repoRoot, 'packages', 'wire', 'test', 'fixtures', 'captures')

/** Plain JSON for a decoded value: bigints as decimal strings, bytes as lowercase hex. */
function toJson(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Uint8Array)
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')
  if (Array.isArray(v)) return v.map(toJson)
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = toJson(x)
    return out
  }
  return v
}

/** A decoder's failure, as recorded: only a WireError is expected; anything else is a bug. */
function errorJson(e: unknown): { code: string; details: unknown } {
  if (!isWireError(e)) throw e
  return { code: e.code, details: toJson(e.details) }
}

/** The totempg and service-level view of an mcast. */
function appOf(m: Mcast, datagram: Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  let carrier = m
  let littleEndian: boolean
  try {
    if (m.encapsulated === 1) {
      carrier = decodeEncapsulated(m)
      littleEndian = detectByteOrder(m.payload)
      const { payload: _payload, ...inner } = carrier
      out['encapsulated'] = {
        byteOrder: littleEndian ? 'le' : 'be',
        message: toJson(inner),
      }
    } else {
      littleEndian = detectByteOrder(datagram)
    }
  } catch (e) {
    out['error'] = errorJson(e)
    return out
  }
  let pg: ReturnType<typeof decodePgPacket>
  try {
    pg = decodePgPacket(carrier.payload, littleEndian)
  } catch (e) {
    out['error'] = errorJson(e)
    return out
  }
  out['packet'] = {
    version: pg.version,
    pgType: pg.pgType,
    fragmented: pg.fragmented,
    continuation: pg.continuation,
    pieceLengths: pg.pieces.map((p) => p.length),
  }
  const n = pg.pieces.length
  out['pieces'] = pg.pieces.map((piece, index) => {
    const head = index === 0 && pg.continuation !== 0
    const tail = index === n - 1 && pg.fragmented !== 0
    if (head || tail) return { index, complete: false }
    try {
      const app = decodeAppMessage(piece, littleEndian)
      return { index, complete: true, groups: app.groups, message: toJson(app.message) ?? null }
    } catch (e) {
      return { index, complete: true, error: errorJson(e) }
    }
  })
  return out
}

function sidecar(
  capture: string,
  d: ReturnType<typeof readUdpDatagrams>['datagrams'][number],
): Record<string, unknown> {
  const source = {
    capture,
    frame: d.frame,
    src: `${d.src}:${d.srcPort}`,
    dst: `${d.dst}:${d.dstPort}`,
    timeUs: d.timeUs,
  }
  let m: ReturnType<typeof decodeTotemMessage>
  let littleEndian: boolean
  try {
    littleEndian = detectByteOrder(d.payload)
    m = decodeTotemMessage(d.payload)
  } catch (e) {
    return { source, error: errorJson(e) }
  }
  const out: Record<string, unknown> = {
    source,
    byteOrder: littleEndian ? 'le' : 'be',
    type: m.type,
    decoded: toJson(m),
  }
  if (m.type === 'mcast') out['app'] = appOf(m, d.payload)
  return out
}

const pcaps = readdirSync(capturesDir)
  .filter((f) => f.endsWith('.pcap'))
  .sort()
if (pcaps.length === 0) {
  process.stderr.write(`extract-fixtures: no .pcap files in ${capturesDir}\n`)
  process.exit(1)
}
mkdirSync(outDir, { recursive: true })
let total = 0
for (const file of pcaps) {
  const capture = basename(file, '.pcap')
  const dir = join(outDir, capture)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  const { datagrams } = readUdpDatagrams(new Uint8Array(readFileSync(join(capturesDir, file))))
  let n = 0
  for (const d of datagrams) {
    if (d.srcPort !== TOTEM_PORT && d.dstPort !== TOTEM_PORT) continue
    const name = String(d.frame).padStart(4, '0')
    writeFileSync(join(dir, `${name}.bin`), d.payload)
    writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(sidecar(file, d), null, 2)}\n`)
    n++
  }
  total += n
  process.stdout.write(`extract-fixtures: ${capture}: ${n} datagrams\n`)
}

writeFileSync(
  join(outDir, 'README.md'),
  `# Capture fixtures (frozen test vectors)

Every UDP datagram from or to port ${TOTEM_PORT} in the reference captures of real corosync
3.1.7 daemons (\`udpu\`, crypto off), one file pair per datagram:

- \`<capture>/<frame>.bin\`: the UDP payload, i.e. the totem message exactly as it was on the wire;
- \`<capture>/<frame>.json\`: where it came from (\`source\`: capture file, 1-based frame number as
  Wireshark counts, source and destination \`ip:port\`, capture time in µs), the byte order
  detected from the magic, the message type, the decoded message (bigints as decimal strings,
  bytes as lowercase hex), and for mcasts the totempg packet and the service message of every
  complete piece (\`app\`; fragment pieces are listed as \`complete: false\`).

Source captures (${pcaps.length} files, ${total} datagrams): \`shared/reference/captures/\`
(${pcaps.map((p) => `\`${p}\``).join(', ')}), described in
\`shared/reference/corosync-totem-wire.md\` §10.

These are **frozen vectors**: \`test/fixtures.test.ts\` checks that every \`.bin\` decodes to its
sidecar and re-encodes byte for byte. Do not edit them by hand. If a decoder's output format
changes on purpose, regenerate them and review the diff:

\`\`\`sh
npx tsx --conditions=@totem-ts/source tools/dissect/scripts/extract-fixtures.ts [captures-dir]
\`\`\`

(run from the repository root; the default captures directory is \`../shared/reference/captures\`).
The script is deterministic: re-running it on the same captures produces no diff.
`,
)
process.stdout.write(`extract-fixtures: ${total} datagrams from ${pcaps.length} captures\n`)
