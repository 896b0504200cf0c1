/**
 * totemd's command line through the bin launcher: --help/--version/usage, --check, bad config
 * files (exit 1 with FILE:LINE), and hostile bytes on the control socket (an error reply, the
 * daemon keeps running).
 */
import { spawnSync } from 'node:child_process'
import { statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import {
  CONTROL_LINE_BYTES_MAX,
  type ControlResponse,
  decodeControlResponse,
} from '@totem-ts/stack'
import { afterAll, describe, expect, it } from 'vitest'
import { Cluster, TOTEMD } from './harness.ts'

const clusters: Cluster[] = []
afterAll(async () => {
  await Promise.all(clusters.map((c) => c.destroy()))
})

function totemd(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [TOTEMD, ...args], { encoding: 'utf8', timeout: 20_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('totemd command line', () => {
  it('--help, --version and usage errors', () => {
    const h = totemd(['--help'])
    expect(h.status).toBe(0)
    expect(h.stdout).toContain('--evs-trace FILE')
    const v = totemd(['--version'])
    expect(v.status).toBe(0)
    expect(v.stdout).toMatch(/^totemd \d+\.\d+\.\d+\n$/)
    for (const bad of [
      ['--bogus'],
      ['--burn-in', 'x'],
      ['--nodeid', '0'],
      ['--log-level', 'loud'],
      ['extra'],
    ]) {
      const r = totemd(bad)
      expect(r.status, bad.join(' ')).toBe(2)
      expect(r.stderr).toContain("Try 'totemd --help'")
    }
  }, 60_000)

  it('--check prints the effective settings of a valid file and starts nothing', async () => {
    const c = await new Cluster().init()
    clusters.push(c)
    writeFileSync(
      c.confPath(1),
      c.conf(1).replace('  token: 500\n', '  token: 500\n  bogus_key: 1\n'),
    )
    const r = totemd(['-c', c.confPath(1), '--check'])
    expect(r.status).toBe(0)
    expect(r.stdout).toContain('token: 500')
    expect(r.stdout).toContain('consensus: 600')
    expect(r.stderr).toMatch(new RegExp(`${c.confPath(1)}:\\d+: totem.bogus_key`))
    expect(() => statSync(c.stateDir(1))).toThrow() // nothing started, nothing created
  })

  it('bad config files exit 1 with FILE:LINE: key path', async () => {
    const c = await new Cluster().init()
    clusters.push(c)
    const base = c.conf(1)
    const cases: [string, string, RegExp][] = [
      ['syntax', base.replace('  token: 500\n', '  token 500 {\n'), /:\d+: /],
      ['unclosed', base.replace(/\}\nlogging[\s\S]*$/, ''), /:\d+: /],
      [
        'unknown nodeid',
        base.replace('  version: 2\n', '  version: 2\n  nodeid: 9\n'),
        /:\d+: totem\.nodeid/,
      ],
      [
        'bad address',
        base.replace('ring0_addr: 127.0.0.2', 'ring0_addr: 127.0.0.2/24'),
        /:\d+: nodelist\.node\.1\.ring0_addr/,
      ],
      ['token < 1', base.replace('  token: 500\n', '  token: 0\n'), /:\d+: totem\.token/],
      ['empty', '', /empty\.conf: no configuration/],
      ['binary', '\u0000\u0001\u00ff garbage \u0000', /:\d+: /],
    ]
    for (const [what, text, re] of cases) {
      const file = join(c.dir, `${what.replace(/\W/g, '-')}.conf`)
      writeFileSync(file, text)
      for (const args of [
        ['-c', file, '--nodeid', '1'],
        ['-c', file, '--check'],
      ]) {
        const r = totemd(args)
        expect(r.status, `${what} ${args.join(' ')}: ${r.stderr}`).toBe(1)
        expect(r.stderr, what).toContain(`${file}:`)
        expect(r.stderr, what).toMatch(re)
        expect(r.stderr, what).not.toMatch(/\n\s+at /) // no stack trace
      }
    }
    // A node id that is not in the nodelist, given on the command line.
    const r = totemd(['-c', c.confPath(1), '--nodeid', '7'])
    writeFileSync(c.confPath(1), base)
    const r2 = totemd(['-c', c.confPath(1), '--nodeid', '7'])
    expect(r.status).toBe(1)
    expect(r2.status).toBe(1)
    expect(r2.stderr).toContain('ERR_INVALID_ARGUMENT')
    // 16 runs of totemd through tsx, one after another: about 1 s each on an idle machine.
  }, 120_000)
})

/** Sends raw bytes on a fresh connection; resolves with the reply lines and whether it closed. */
function raw(
  path: string,
  bytes: Uint8Array,
  waitMs = 400,
): Promise<{ replies: ControlResponse[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(path)
    let buf = ''
    let closed = false
    s.on('data', (b) => {
      buf += b.toString()
    })
    s.on('close', () => {
      closed = true
    })
    s.on('error', () => {})
    s.on('connect', () => s.write(bytes))
    setTimeout(() => {
      s.destroy()
      const replies = buf
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => decodeControlResponse(l))
      resolve({ replies, closed })
    }, waitMs)
  })
}

describe('control socket', () => {
  it('answers malformed bytes, unknown commands and oversized lines with errors; keeps running', async () => {
    const c = await new Cluster({ nodes: [1, 2] }).init()
    clusters.push(c)
    c.start(1)
    await c.ready(1)
    expect(statSync(c.socket(1)).mode & 0o777).toBe(0o600)
    const path = c.socket(1)
    const enc = new TextEncoder()
    const a = await raw(
      path,
      new Uint8Array([
        ...enc.encode('{"id":1,"cmd":"ping"}\n'),
        0xff,
        0xfe,
        0x00,
        0x0a,
        ...enc.encode(
          '{not json\n[1,2]\n{"id":5,"cmd":"format-disk"}\n{"id":6}\n{"id":7,"cmd":"members"}\n',
        ),
      ]),
    )
    const codes = a.replies.map((r) => (r.ok ? `ok:${r.id}` : `${r.error.code}:${r.id}`))
    expect(codes).toEqual([
      'ok:1',
      'ERR_CONTROL_MALFORMED:null',
      'ERR_CONTROL_MALFORMED:null',
      'ERR_CONTROL_MALFORMED:null',
      'ERR_CONTROL_UNKNOWN_COMMAND:5',
      'ERR_CONTROL_MALFORMED:6',
      'ok:7',
    ])
    // An oversized line: one error reply, then the daemon closes the connection.
    const big = await raw(path, new Uint8Array(CONTROL_LINE_BYTES_MAX + 10).fill(0x41))
    expect(big.replies.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ERR_CONTROL_TOO_LONG'])
    expect(big.closed).toBe(true)
    // reload-key with crypto off is a command error, not a crash.
    const rk = await c.request(1, 'reload-key')
    expect(rk.ok ? 'ok' : [rk.error.code, rk.error.details?.cause]).toEqual([
      'ERR_CONTROL_COMMAND_FAILED',
      'ERR_INVALID_STATE',
    ])
    // Still running and answering; the counters saw the errors.
    const stats = await c.result(1, 'stats')
    expect((stats.daemon as { controlErrors: number }).controlErrors).toBe(7)
    // A second daemon on the same socket refuses to start.
    const second = totemd(['-c', c.confPath(1), '--nodeid', '1'])
    expect(second.status).toBe(1)
    expect(second.stderr).toContain('ERR_DAEMON_ALREADY_RUNNING')
    // SIGTERM: orderly stop, exit 0, socket removed.
    expect(await c.stop(1)).toBe(0)
    expect(() => statSync(path)).toThrow()
  })
})
