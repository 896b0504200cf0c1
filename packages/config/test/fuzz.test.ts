import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ConfigErrors, checkConfig, loadConfig, parseCorosyncConf } from '../src/index.ts'

const RUNS = Number(process.env['TOTEM_FUZZ_RUNS'] ?? 300)
const dir = join(import.meta.dirname, 'fixtures')
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.conf'))
  .map((f) => readFileSync(join(dir, f)))

/** Runs `f` and fails the property if it throws anything but ConfigErrors. */
function onlyConfigErrors(f: () => unknown): void {
  try {
    f()
  } catch (e) {
    if (!(e instanceof ConfigErrors)) throw e
    expect(e.code).toBe('ERR_CONFIG_INVALID')
    expect(e.errors.length + e.omitted).toBeGreaterThan(0)
    for (const err of e.errors) {
      expect(err.code).toMatch(/^ERR_CONFIG_[A-Z_]+$/)
      expect(typeof err.details['line']).toBe('number')
      expect(typeof err.details['path']).toBe('string')
    }
  }
}

/** Lines built from corosync.conf's own vocabulary, so the fuzzer reaches the mapper. */
const line = fc.oneof(
  fc.constantFrom(
    'totem {',
    'nodelist {',
    'node {',
    'interface {',
    'logging {',
    'logger_subsys {',
    'quorum {',
    'system {',
    '}',
    '',
    '# comment',
    'version: 2',
    'transport: udpu',
    'transport: knet',
    'crypto_cipher: aes256',
    'crypto_hash: sha256',
    'secauth: on',
    'rrp_mode: passive',
    'link_mode: rr',
    'ip_version: ipv4',
    'nodeid: 1',
    'nodeid: 2',
    'ring0_addr: 10.0.0.1',
    'ring0_addr: 10.0.0.2',
    'ring1_addr: fe80::1',
    'ring0_addr: node1',
    'token: 3000',
    'token: 0',
    'consensus: 100',
    'max_messages: 100',
    'mcastport: 5405',
    'linknumber: 1',
    'to_logfile: yes',
    'subsys: TOTEM',
    'state_dir: /tmp/x',
    'key = value',
  ),
  fc
    .tuple(fc.stringMatching(/^[a-z_0-9]{1,12}$/), fc.string({ maxLength: 20 }))
    .map(([k, v]) => `${k}: ${v}`),
  fc.string({ maxLength: 30 }),
)

describe('hostile input raises only ConfigErrors', () => {
  it('random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        onlyConfigErrors(() => loadConfig(text, 'f.conf'))
        onlyConfigErrors(() => parseCorosyncConf(text, 'f.conf'))
      }),
      { numRuns: RUNS },
    )
  })

  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        onlyConfigErrors(() => loadConfig(bytes, 'f.conf'))
      }),
      { numRuns: RUNS },
    )
  })

  it('random corosync-like line sequences', () => {
    fc.assert(
      fc.property(
        fc.array(line, { maxLength: 40 }),
        fc.constantFrom('\n', '\r\n'),
        (lines, eol) => {
          const text = lines.join(eol)
          onlyConfigErrors(() => loadConfig(text, 'f.conf'))
          // checkConfig never throws and agrees with loadConfig.
          const r = checkConfig(text, 'f.conf')
          expect(r.config === undefined).toBe(r.errors.length + r.omitted > 0)
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('fixtures with bytes flipped, cut or spliced', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fixtures),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.nat(),
        (base, flips, cut) => {
          const bytes = Uint8Array.from(base)
          for (const [at, v] of flips) if (bytes.length > 0) bytes[at % bytes.length] = v
          onlyConfigErrors(() => loadConfig(bytes, 'f.conf'))
          onlyConfigErrors(() => loadConfig(bytes.subarray(0, cut % (bytes.length + 1)), 'f.conf'))
        },
      ),
      { numRuns: RUNS },
    )
  })
})
