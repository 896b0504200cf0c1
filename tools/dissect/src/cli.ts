/**
 * `totem-dissect`: decodes corosync/totem traffic in pcap files. See `--help`.
 * Exit status: 0 when every totem datagram decoded (and, with --verify, re-encoded identically);
 * 1 when some did not; 2 on a usage error or an unreadable file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import { isTotemError } from '@totem-ts/common'
import { addSummary, dissectCapture, emptySummary } from './dissect.ts'
import { formatRecord, formatSummary, recordToJson } from './format.ts'
import { toJsonValue } from './json.ts'

const HELP = `Usage: totem-dissect [options] FILE.pcap|DIR ...

Decodes every totem datagram (UDP port 5405 by default) in classic pcap captures
(Ethernet, Linux cooked v1/v2, loopback or raw IP link types) through @totem-ts/wire:
the six totemsrp messages (ORF token, mcast, merge-detect, join/leave, commit token,
token-hold-cancel), the totempg packing inside mcasts, and the service messages they
carry (sync SERVICE_BUILD/BARRIER, CPG PROCJOIN/PROCLEAVE/MCAST/JOINLIST/DOWNLIST,
cmap). Fragmented messages are reassembled from each ring's delivered stream (mcasts
in seq order, retransmissions, self copies and recovery re-sends counted as copies).
A directory argument means every *.pcap file in it.

Prints one line per datagram, then a summary per capture (datagrams, decoded, failed,
counts by message type) and a total when several captures are given.

Options:
  --json           one JSON object per datagram per line, then {"summary": …} lines
  --verify         re-encode every decoded message and fail on any byte difference
  --port N         UDP port of totem traffic (default 5405)
  --summary-only   print only the summaries
  -h, --help       show this help
  --version        print the version

Exit status: 0 if every totem datagram decoded (and verified with --verify),
1 if some did not, 2 on a usage error or an unreadable file.

Examples:
  totem-dissect capture.pcap
  totem-dissect --verify --summary-only ../shared/reference/captures/
  totem-dissect --json capture.pcap | jq 'select(.type == "commit-token")'
`

function fail(message: string): never {
  process.stderr.write(`totem-dissect: ${message}\n`)
  process.exit(2)
}

function expand(paths: readonly string[]): string[] {
  const files: string[] = []
  for (const p of paths) {
    let st: ReturnType<typeof statSync>
    try {
      st = statSync(p)
    } catch (e) {
      fail(`cannot read ${p}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
    }
    if (st.isDirectory()) {
      const inDir = readdirSync(p)
        .filter((f) => f.endsWith('.pcap'))
        .sort()
        .map((f) => join(p, f))
      if (inDir.length === 0) fail(`no .pcap files in ${p}`)
      files.push(...inDir)
    } else {
      files.push(p)
    }
  }
  return files
}

export function main(argv: readonly string[]): number {
  let parsed: ReturnType<typeof parseOptions>
  try {
    parsed = parseOptions(argv)
  } catch (e) {
    fail(`${(e as Error).message}\nTry 'totem-dissect --help'.`)
  }
  const { values, positionals } = parsed
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  if (values.version) {
    process.stdout.write('totem-dissect 0.1.0\n')
    return 0
  }
  if (positionals.length === 0) fail("no capture given\nTry 'totem-dissect --help'.")
  const port = values.port === undefined ? 5405 : Number(values.port)
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    fail(`--port must be 1..65535, got ${values.port}`)
  const verify = values.verify === true
  const json = values.json === true
  const summaryOnly = values['summary-only'] === true
  const files = expand(positionals)
  const total = emptySummary()
  const out = (s: string): void => {
    process.stdout.write(`${s}\n`)
  }

  for (const file of files) {
    let bytes: Uint8Array
    try {
      bytes = readFileSync(file)
    } catch (e) {
      fail(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
    }
    let result: ReturnType<typeof dissectCapture>
    try {
      result = dissectCapture(bytes, { port, verify })
    } catch (e) {
      if (isTotemError(e)) fail(`${file}: ${e.message}`)
      throw e
    }
    const name = basename(file)
    if (!summaryOnly) {
      const t0 = result.records[0]?.datagram.timeUs ?? 0
      for (const r of result.records) out(json ? recordToJson(r, name) : formatRecord(r, t0))
    }
    if (json) out(JSON.stringify({ summary: toJsonValue({ capture: name, ...result.summary }) }))
    else out(formatSummary(name, result.summary, verify))
    addSummary(total, result.summary)
  }
  if (files.length > 1) {
    if (json) out(JSON.stringify({ summary: { capture: '(total)', ...total } }))
    else out(formatSummary(`total over ${files.length} captures`, total, verify))
  }
  return total.failed === 0 ? 0 : 1
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      json: { type: 'boolean' },
      verify: { type: 'boolean' },
      port: { type: 'string' },
      'summary-only': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  })
}
