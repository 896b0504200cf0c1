import {
  closeSync,
  fchmodSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { CryptoError, cryptoError } from './errors.ts'
import { checkKeyBytes, KEY_BYTES_MAX, KEY_BYTES_MIN, keyIdOf } from './keyring.ts'
import { createCryptoRandom } from './random.ts'

/** Where `totem-keygen` writes and the daemon reads the cluster key by default. */
export const DEFAULT_KEY_FILE = '/etc/totem/authkey'
/** Mode of a key file written by {@link writeKeyFile}: read-only, owner only. */
export const KEY_FILE_MODE = 0o400

/** A problem with a key file that does not stop it from being used. */
export interface KeyFileWarning {
  readonly code: 'ERR_CRYPTO_KEY_MODE'
  /** Says what is wrong and how to fix it; no key bytes. */
  readonly message: string
  /** The file's permission bits. */
  readonly mode: number
}

/** What {@link readKeyFile} returns. */
export interface KeyFile {
  /** The key bytes (32…4096). */
  readonly key: Uint8Array
  /** Key id of the key (see `keyIdOf`). */
  readonly keyId: number
  /** Permission bits of the file. */
  readonly mode: number
  /** E.g. the file is readable by group or others. */
  readonly warnings: readonly KeyFileWarning[]
}

/** Options of {@link readKeyFile}. */
export interface ReadKeyFileOptions {
  /**
   * Throw `ERR_CRYPTO_KEY_MODE` instead of returning a warning when group or others have any
   * access to the file.
   * @defaultValue false
   */
  readonly strictMode?: boolean
}

/** Options of {@link writeKeyFile}. */
export interface WriteKeyFileOptions {
  /**
   * Replace an existing file (atomically: write a temporary file, then rename it).
   * @defaultValue false
   */
  readonly force?: boolean
}

/** What {@link writeKeyFile} wrote. */
export interface WrittenKeyFile {
  readonly path: string
  readonly bytes: number
  readonly mode: number
  readonly keyId: number
}

function ioError(op: string, path: string, e: unknown): never {
  if (e instanceof CryptoError) throw e
  const errno = (e as NodeJS.ErrnoException | undefined)?.code ?? 'EIO'
  throw new CryptoError('ERR_CRYPTO_KEY_IO', `cannot ${op} key file ${path}: ${errno}`, {
    details: { op, path, errno },
  })
}

/**
 * Reads a cluster key file (corosync's authkey format: the file's bytes are the key). Checks that
 * it is a regular file of 32…4096 bytes (`ERR_CRYPTO_KEY_SIZE`, `ERR_CRYPTO_KEY_IO`) and warns
 * (`ERR_CRYPTO_KEY_MODE`) when group or others have access to it.
 *
 * @example
 * ```ts
 * const { key, keyId, warnings } = readKeyFile('/etc/totem/authkey')
 * for (const w of warnings) logger.warn(w.message, { code: w.code })
 * ```
 */
export function readKeyFile(path: string, options: ReadKeyFileOptions = {}): KeyFile {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    ioError('open', path, e)
  }
  try {
    let st: ReturnType<typeof fstatSync>
    try {
      st = fstatSync(fd)
    } catch (e) {
      ioError('stat', path, e)
    }
    if (!st.isFile())
      cryptoError('ERR_CRYPTO_KEY_IO', `key file ${path} is not a regular file`, {
        op: 'stat',
        path,
        errno: 'ENOTREG',
      })
    const size = st.size
    if (size < KEY_BYTES_MIN || size > KEY_BYTES_MAX)
      cryptoError(
        'ERR_CRYPTO_KEY_SIZE',
        `key file ${path} has ${size} bytes; a key has ${KEY_BYTES_MIN}..${KEY_BYTES_MAX}`,
        { path, length: size, min: KEY_BYTES_MIN, max: KEY_BYTES_MAX },
      )
    const key = new Uint8Array(size)
    let got = 0
    try {
      while (got < size) {
        const n = readSync(fd, key, got, size - got, got)
        if (n === 0) break
        got += n
      }
    } catch (e) {
      ioError('read', path, e)
    }
    if (got !== size)
      cryptoError('ERR_CRYPTO_KEY_IO', `key file ${path} shrank while being read`, {
        op: 'read',
        path,
        errno: 'ESHORT',
      })
    const mode = st.mode & 0o777
    const warnings: KeyFileWarning[] = []
    if ((mode & 0o077) !== 0) {
      const message = `key file ${path} has mode 0${mode.toString(8)}: group or others can access it; run chmod 0400 ${path}`
      if (options.strictMode === true) cryptoError('ERR_CRYPTO_KEY_MODE', message, { path, mode })
      warnings.push({ code: 'ERR_CRYPTO_KEY_MODE', message, mode })
    }
    return { key, keyId: keyIdOf(key), mode, warnings }
  } finally {
    closeSync(fd)
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off)
}

/** Creates `path` exclusively with mode 0400 and writes `bytes` into it. */
function createWith(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'wx', KEY_FILE_MODE)
  try {
    fchmodSync(fd, KEY_FILE_MODE)
    writeAll(fd, bytes)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}

/**
 * Writes a cluster key file with mode 0400. Refuses to replace an existing file
 * (`ERR_CRYPTO_KEY_EXISTS`) unless `force` is set, in which case the new file replaces the old one
 * atomically. I/O failures throw `ERR_CRYPTO_KEY_IO` with `details.errno`.
 *
 * @example
 * ```ts
 * const key = new Uint8Array(KEY_BYTES_DEFAULT)
 * createCryptoRandom().fill(key)
 * writeKeyFile('/etc/totem/authkey', key) // mode 0400
 * ```
 */
export function writeKeyFile(
  path: string,
  bytes: Uint8Array,
  options: WriteKeyFileOptions = {},
): WrittenKeyFile {
  checkKeyBytes(bytes)
  const written = { path, bytes: bytes.length, mode: KEY_FILE_MODE, keyId: keyIdOf(bytes) }
  if (options.force !== true) {
    try {
      createWith(path, bytes)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST')
        cryptoError('ERR_CRYPTO_KEY_EXISTS', `key file ${path} exists; use force to replace it`, {
          path,
        })
      ioError('write', path, e)
    }
    return written
  }
  const suffix = new Uint8Array(6)
  createCryptoRandom().fill(suffix)
  const hex = Array.from(suffix, (b) => b.toString(16).padStart(2, '0')).join('')
  const tmp = join(dirname(path), `.${basename(path)}.${hex}.tmp`)
  try {
    createWith(tmp, bytes)
    renameSync(tmp, path)
  } catch (e) {
    try {
      unlinkSync(tmp)
    } catch {
      // the temporary file was never created, or is gone already
    }
    ioError('write', path, e)
  }
  return written
}
