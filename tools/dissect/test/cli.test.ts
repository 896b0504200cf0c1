import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeMembJoin } from '@totem-ts/wire'
import { afterAll, describe, expect, it } from 'vitest'
import { LinkType } from '../src/index.ts'
import { ethernet, ipv4, pcapFile, udp } from './pcap-builder.ts'

const bin = join(import.meta.dirname, '../bin/totem-dissect.mjs')
const capture = join(
  import.meta.dirname,
  '../../../../shared/reference/captures/corosync317-udpu-selfdelivery-lo.pcap',
)
const tmp = mkdtempSync(join(tmpdir(), 'totem-dissect-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('totem-dissect', () => {
  it('explains itself with --help', () => {
    const r = run('--help')
    expect(r.status).toBe(0)
    for (const word of ['--json', '--verify', '--port', 'Exit status'])
      expect(r.stdout).toContain(word)
  })

  it('prints one JSON object per datagram and a JSON summary with --json', () => {
    const r = run('--json', '--verify', capture)
    expect(r.status).toBe(0)
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const summary = lines.at(-1).summary
    expect(summary).toMatchObject({ datagrams: 70, decoded: 70, failed: 0, verified: 70 })
    const datagrams = lines.slice(0, -1)
    expect(datagrams).toHaveLength(70)
    expect(datagrams.every((d) => typeof d.frame === 'number' && typeof d.type === 'string')).toBe(
      true,
    )
  })

  it('exits 1 when a datagram does not decode', () => {
    const bad = encodeMembJoin({
      nodeid: 1,
      systemFrom: 1,
      procList: [1],
      failedList: [],
      ringSeq: 1n,
    }).slice(0, 30)
    const file = join(tmp, 'bad.pcap')
    writeFileSync(
      file,
      pcapFile([ethernet(ipv4([10, 0, 0, 1], [10, 0, 0, 2], udp(5405, 5405, bad)))], {
        linkType: LinkType.Ethernet,
      }),
    )
    const r = run(file)
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('ERR_WIRE_TRUNCATED')
    expect(r.stdout).toMatch(/datagrams 1, decoded 0, failed 1/)
  })

  it('exits 2 with a clear message and no stack trace on bad files and options', () => {
    const notPcap = join(tmp, 'x.pcap')
    writeFileSync(notPcap, 'hello, this is not a capture at all')
    for (const args of [
      [notPcap],
      [join(tmp, 'missing.pcap')],
      ['--port', '99999', capture],
      ['--nope'],
      [],
    ]) {
      const r = run(...args)
      expect(r.status).toBe(2)
      expect(r.stderr).toMatch(/^totem-dissect: /)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
  })
})
