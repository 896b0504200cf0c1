import { spawnSync } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { formatKeyId, keyIdOf, readKeyFile } from '@totem-ts/crypto'
import { afterAll, describe, expect, it } from 'vitest'

const bin = join(import.meta.dirname, '../bin/totem-keygen.mjs')
const tmp = mkdtempSync(join(tmpdir(), 'totem-keygen-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: tmp })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('totem-keygen', () => {
  it('writes a 256-byte key file of mode 0400 and prints what it wrote', () => {
    const path = join(tmp, 'authkey')
    const r = run('-k', path)
    expect(r.status).toBe(0)
    expect(statSync(path).mode & 0o777).toBe(0o400)
    const key = readFileSync(path)
    expect(key.length).toBe(256)
    expect(new Set(key).size).toBeGreaterThan(100) // random bytes, not a constant fill
    expect(r.stdout).toContain(path)
    expect(r.stdout).toContain(formatKeyId(keyIdOf(new Uint8Array(key))))
    expect(readKeyFile(path).warnings).toEqual([])
  })

  it('honours -s / --size / -l / --length and --json', () => {
    for (const [flag, n] of [
      ['-s', 32],
      ['--size', 4096],
      ['-l', 64],
      ['--length', 100],
    ] as const) {
      const path = join(tmp, `key${flag}${n}`)
      const r = run('--json', '-k', path, flag, String(n))
      expect(r.status, r.stderr).toBe(0)
      expect(statSync(path).size).toBe(n)
      const j = JSON.parse(r.stdout)
      expect(j).toMatchObject({ path, bytes: n, mode: '0400' })
      expect(j.keyId).toBe(formatKeyId(readKeyFile(path).keyId))
    }
    const a = readFileSync(join(tmp, 'key-s32'))
    const b = readFileSync(join(tmp, 'key-l64')).subarray(0, 32)
    expect(a.equals(b)).toBe(false)
  })

  it('refuses to overwrite without --force (exit 1), and replaces with --force', () => {
    const path = join(tmp, 'existing')
    writeFileSync(path, 'not a key at all, but the operator wants it kept')
    chmodSync(path, 0o600)
    const r = run('-k', path)
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^totem-keygen: .*exists; use --force/)
    expect(readFileSync(path, 'utf8')).toMatch(/^not a key/)
    const f = run('-k', path, '--force')
    expect(f.status).toBe(0)
    expect(statSync(path).size).toBe(256)
    expect(statSync(path).mode & 0o777).toBe(0o400)
  })

  it('explains itself with --help and --version', () => {
    const r = run('--help')
    expect(r.status).toBe(0)
    for (const word of [
      '--key-file',
      '--size',
      '--force',
      '0400',
      '/etc/totem/authkey',
      'Exit status',
    ])
      expect(r.stdout).toContain(word)
    expect(run('-h').stdout).toBe(r.stdout)
    expect(run('--version').stdout).toMatch(/^totem-keygen \d+\.\d+\.\d+/)
  })

  it('exits 2 on usage errors with a clear message and no stack trace', () => {
    for (const args of [
      ['-s', '31'],
      ['-s', '4097'],
      ['-l', 'lots'],
      ['-s', '64', '-l', '128'],
      ['--nope'],
      ['-k'],
      ['stray-argument'],
    ]) {
      const r = run('-k', join(tmp, 'never'), ...args)
      expect(r.status, args.join(' ')).toBe(2)
      expect(r.stderr).toMatch(/^totem-keygen: /)
      expect(r.stderr).not.toMatch(/\n\s+at /)
    }
    expect(() => statSync(join(tmp, 'never'))).toThrow()
  })

  it('exits 1 on I/O errors with the system code and no stack trace', () => {
    const r = run('-k', join(tmp, 'no', 'such', 'dir', 'authkey'))
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^totem-keygen: cannot write key file .*ENOENT/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })
})
