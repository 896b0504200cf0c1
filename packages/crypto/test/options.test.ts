import { isTotemError } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import {
  COROSYNC_CIPHERS,
  COROSYNC_HASHES,
  CRYPTO_ALGORITHM,
  resolveCryptoOptions,
} from '../src/index.ts'

const details = (f: () => unknown): unknown => {
  try {
    f()
  } catch (e) {
    if (isTotemError(e)) return { code: e.code, ...e.details }
    throw e
  }
  return undefined
}

describe('resolveCryptoOptions', () => {
  it('maps none/none to plaintext and any other corosync cipher or hash to our AEAD', () => {
    const off = resolveCryptoOptions({})
    expect(off).toMatchObject({ enabled: false, algorithm: 'none', cipher: 'none', hash: 'none' })
    expect(resolveCryptoOptions({ cipher: 'none', hash: 'none' }).enabled).toBe(false)
    for (const cipher of COROSYNC_CIPHERS)
      for (const hash of COROSYNC_HASHES) {
        const c = resolveCryptoOptions({ cipher, hash })
        const on = cipher !== 'none' || hash !== 'none'
        expect(c.enabled).toBe(on)
        expect(c.algorithm).toBe(on ? CRYPTO_ALGORITHM : 'none')
      }
  })

  it('fills defaults and checks ranges', () => {
    expect(resolveCryptoOptions({ cipher: 'aes256', hash: 'sha256' })).toEqual({
      enabled: true,
      algorithm: 'xchacha20poly1305+hkdf-sha256',
      cipher: 'aes256',
      hash: 'sha256',
      keyGraceMs: 10_000,
      replayWindow: 1024,
      sendersMax: 384,
      epochQuietMs: 1000,
    })
    expect(details(() => resolveCryptoOptions({ cipher: 'blowfish' }))).toEqual({
      code: 'ERR_INVALID_ARGUMENT',
      option: 'cipher',
      value: 'blowfish',
    })
    expect(details(() => resolveCryptoOptions({ hash: 'crc32' }))).toMatchObject({ option: 'hash' })
    for (const bad of [
      { keyGraceMs: -1 },
      { keyGraceMs: 3_600_001 },
      { replayWindow: 1000 },
      { replayWindow: 16 },
      { sendersMax: 0 },
      { sendersMax: 385 },
      { epochQuietMs: 0.5 },
    ])
      expect(details(() => resolveCryptoOptions(bad))).toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
        option: Object.keys(bad)[0],
      })
  })
})
