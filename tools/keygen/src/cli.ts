/**
 * `totem-keygen`: writes a cluster key file like corosync-keygen. See `--help`.
 * Exit status: 0 when the key was written; 1 on an I/O error or an existing file without --force;
 * 2 on a usage error.
 */
import { parseArgs } from 'node:util'
import {
  createCryptoRandom,
  DEFAULT_KEY_FILE,
  formatKeyId,
  isCryptoError,
  KEY_BYTES_DEFAULT,
  KEY_BYTES_MAX,
  KEY_BYTES_MIN,
  writeKeyFile,
} from '@totem-ts/crypto'

const HELP = `Usage: totem-keygen [options]

Writes a cluster key for totem-ts crypto: random bytes from the system's CSPRNG
in a file of mode 0400, like corosync-keygen. Copy the same file to every node
(e.g. with scp) and keep its mode. The key id printed is a fingerprint of the
key: every node shows it in its crypto stats, so you can check they agree.

Options:
  -k, --key-file FILE  where to write (default ${DEFAULT_KEY_FILE})
  -s, --size BYTES     key length, ${KEY_BYTES_MIN}..${KEY_BYTES_MAX} (default ${KEY_BYTES_DEFAULT})
  -l, --length BYTES   same as --size
  -f, --force          replace an existing file (atomically)
  -r, --less-secure    accepted for corosync-keygen compatibility; does nothing
                       (the system CSPRNG never blocks)
      --json           print what was written as one JSON object
  -h, --help           show this help
      --version        print the version

Exit status: 0 when the key was written, 1 on an I/O error or when the file
exists and --force was not given, 2 on a usage error.

Examples:
  totem-keygen                         # ${KEY_BYTES_DEFAULT} bytes to ${DEFAULT_KEY_FILE}
  totem-keygen -k ./authkey -s 64
  totem-keygen -k /etc/totem/authkey --force
`

/** Where the tool writes text; tests and embedders can capture it. */
export interface Output {
  out(text: string): void
  err(text: string): void
}

const stdio: Output = {
  out: (t) => {
    process.stdout.write(t)
  },
  err: (t) => {
    process.stderr.write(t)
  },
}

class UsageError extends Error {}

function parseSize(values: { size?: string | undefined; length?: string | undefined }): number {
  const given = [values.size, values.length].filter((v): v is string => v !== undefined)
  if (given.length === 2 && given[0] !== given[1])
    throw new UsageError(`--size ${given[0]} and --length ${given[1]} disagree`)
  const raw = given[0]
  if (raw === undefined) return KEY_BYTES_DEFAULT
  if (!/^\d+$/.test(raw)) throw new UsageError(`key length must be a number of bytes, got '${raw}'`)
  const n = Number(raw)
  if (n < KEY_BYTES_MIN || n > KEY_BYTES_MAX)
    throw new UsageError(`key length must be ${KEY_BYTES_MIN}..${KEY_BYTES_MAX} bytes, got ${n}`)
  return n
}

/** Runs `totem-keygen` with `argv` (without the program name); returns the exit status. */
export function main(argv: readonly string[], io: Output = stdio): number {
  const usage = (message: string): number => {
    io.err(`totem-keygen: ${message}\nTry 'totem-keygen --help'.\n`)
    return 2
  }
  let values: ReturnType<typeof parseOptions>['values']
  try {
    const parsed = parseOptions(argv)
    values = parsed.values
    if (parsed.positionals.length > 0)
      return usage(`unexpected argument '${parsed.positionals[0]}' (use -k FILE)`)
  } catch (e) {
    return usage((e as Error).message)
  }
  if (values.help === true) {
    io.out(HELP)
    return 0
  }
  if (values.version === true) {
    io.out('totem-keygen 0.1.0\n')
    return 0
  }
  let size: number
  try {
    size = parseSize(values)
  } catch (e) {
    if (e instanceof UsageError) return usage(e.message)
    throw e
  }
  const path = values['key-file'] ?? DEFAULT_KEY_FILE
  if (path === '') return usage('the key file path is empty')
  const key = new Uint8Array(size)
  createCryptoRandom().fill(key)
  try {
    const w = writeKeyFile(path, key, { force: values.force === true })
    if (values.json === true)
      io.out(
        `${JSON.stringify({ path: w.path, bytes: w.bytes, mode: '0400', keyId: formatKeyId(w.keyId) })}\n`,
      )
    else
      io.out(
        `totem-keygen: wrote a ${w.bytes}-byte key to ${w.path} (mode 0400, key id ${formatKeyId(w.keyId)})\n`,
      )
    return 0
  } catch (e) {
    if (!isCryptoError(e)) throw e
    if (e.code === 'ERR_CRYPTO_KEY_EXISTS')
      io.err(`totem-keygen: ${path} exists; use --force to replace it\n`)
    else io.err(`totem-keygen: ${e.message}\n`)
    return 1
  } finally {
    key.fill(0)
  }
}

function parseOptions(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      'key-file': { type: 'string', short: 'k' },
      size: { type: 'string', short: 's' },
      length: { type: 'string', short: 'l' },
      force: { type: 'boolean', short: 'f' },
      'less-secure': { type: 'boolean', short: 'r' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  })
}
