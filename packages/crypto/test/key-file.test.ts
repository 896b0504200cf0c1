import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isTotemError } from '@totem-ts/common'
import { afterAll, describe, expect, it } from 'vitest'
import { keyIdOf, readKeyFile, writeKeyFile } from '../src/index.ts'
import { testKey } from './support/runtime.ts'

const tmp = mkdtempSync(join(tmpdir(), 'totem-crypto-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const err = (f: () => unknown): Record<string, unknown> | undefined => {
  try {
    f()
  } catch (e) {
    if (isTotemError(e)) return { code: e.code, ...e.details, message: e.message }
    throw e
  }
  return undefined
}

describe('key files', () => {
  it('writes mode 0400 and reads the same bytes back', () => {
    const path = join(tmp, 'authkey')
    const key = testKey(3)
    expect(writeKeyFile(path, key)).toEqual({ path, bytes: 256, mode: 0o400, keyId: keyIdOf(key) })
    expect(statSync(path).mode & 0o777).toBe(0o400)
    expect(new Uint8Array(readFileSync(path))).toEqual(key)
    const f = readKeyFile(path)
    expect(f).toEqual({ key, keyId: keyIdOf(key), mode: 0o400, warnings: [] })
  })

  it('refuses to overwrite without force, and replaces atomically with force', () => {
    const path = join(tmp, 'exists')
    writeKeyFile(path, testKey(1))
    expect(err(() => writeKeyFile(path, testKey(2)))).toMatchObject({
      code: 'ERR_CRYPTO_KEY_EXISTS',
      path,
    })
    expect(readKeyFile(path).key).toEqual(testKey(1))
    writeKeyFile(path, testKey(2, 64), { force: true })
    expect(readKeyFile(path).key).toEqual(testKey(2, 64))
    expect(statSync(path).mode & 0o777).toBe(0o400)
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('checks sizes, file types and I/O errors with codes, never key bytes in messages', () => {
    const small = join(tmp, 'small')
    writeFileSync(small, new Uint8Array(31), { mode: 0o600 })
    expect(err(() => readKeyFile(small))).toMatchObject({ code: 'ERR_CRYPTO_KEY_SIZE', length: 31 })
    const big = join(tmp, 'big')
    writeFileSync(big, new Uint8Array(4097), { mode: 0o600 })
    expect(err(() => readKeyFile(big))).toMatchObject({ code: 'ERR_CRYPTO_KEY_SIZE', length: 4097 })
    expect(err(() => readKeyFile(join(tmp, 'missing')))).toMatchObject({
      code: 'ERR_CRYPTO_KEY_IO',
      errno: 'ENOENT',
    })
    const dir = join(tmp, 'dir')
    mkdirSync(dir)
    expect(err(() => readKeyFile(dir))).toMatchObject({ code: 'ERR_CRYPTO_KEY_IO' })
    expect(err(() => writeKeyFile(join(tmp, 'x'), new Uint8Array(31)))).toMatchObject({
      code: 'ERR_CRYPTO_KEY_SIZE',
    })
    expect(err(() => writeKeyFile(join(tmp, 'no/such/dir/key'), testKey(0)))).toMatchObject({
      code: 'ERR_CRYPTO_KEY_IO',
      errno: 'ENOENT',
    })
    expect(
      err(() => writeKeyFile(join(tmp, 'no/such/dir/key'), testKey(0), { force: true })),
    ).toMatchObject({
      code: 'ERR_CRYPTO_KEY_IO',
    })
  })

  it('warns when group or others can access the file, and throws in strict mode', () => {
    const path = join(tmp, 'open')
    const key = new TextEncoder().encode('KEYMATERIAL-'.repeat(4))
    writeKeyFile(path, key)
    chmodSync(path, 0o644)
    const f = readKeyFile(path)
    expect(f.key).toEqual(key)
    expect(f.warnings).toHaveLength(1)
    expect(f.warnings[0]).toMatchObject({ code: 'ERR_CRYPTO_KEY_MODE', mode: 0o644 })
    expect(f.warnings[0]?.message).toContain('chmod 0400')
    const e = err(() => readKeyFile(path, { strictMode: true }))
    expect(e).toMatchObject({ code: 'ERR_CRYPTO_KEY_MODE', mode: 0o644 })
    expect(JSON.stringify(e)).not.toContain('KEYMATERIAL')
  })
})
