import { mkdirSync, readFileSync } from 'node:fs'
import { rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from '@totem-ts/common'
import { noopLogger, TotemError } from '@totem-ts/common'
import type { RingIdStore } from '@totem-ts/srp'

/** A {@link RingIdStore} on disk, with the counters the daemon reports. */
export interface FileRingIdStore extends RingIdStore {
  readonly path: string
  /** Writes finished / failed (a failed write is logged and retried with the next seq). */
  readonly writes: { ok: number; failed: number }
  /** Resolves when every write issued so far is on disk. */
  flush(): Promise<void>
}

/**
 * Keeps the ring seq where corosync does: `<stateDir>/ringid_<nodeid>`, 8 bytes, little-endian u64.
 * `load()` reads it synchronously (at start); `store()` never blocks the event loop: it records
 * the value at once and writes it in the background (temporary file, then rename), one write at
 * a time, always the latest value. A crash between `store()` and the end of the write loses at
 * most that one value; the next ring still gets a higher seq, because a new ring's seq is the
 * highest seen + 4 and every member compares against its own.
 */
export function createFileRingIdStore(
  stateDir: string,
  nodeId: number,
  logger: Logger = noopLogger,
): FileRingIdStore {
  const path = join(stateDir, `ringid_${nodeId}`)
  const log = logger.child('TOTEM')
  let latest = 0n
  let writing: Promise<void> = Promise.resolve()
  let pending = false
  const writes = { ok: 0, failed: 0 }

  const write = async (): Promise<void> => {
    while (pending) {
      pending = false
      const bytes = new Uint8Array(8)
      new DataView(bytes.buffer).setBigUint64(0, latest, true)
      const tmp = `${path}.tmp`
      try {
        await writeFile(tmp, bytes, { mode: 0o600 })
        await rename(tmp, path)
        writes.ok++
      } catch (e) {
        writes.failed++
        log.error('cannot store the ring id', { path, error: String(e) })
      }
    }
  }

  return {
    path,
    writes,
    load() {
      try {
        mkdirSync(stateDir, { recursive: true, mode: 0o700 })
      } catch (e) {
        throw new TotemError(
          'ERR_STACK_STATE_DIR',
          `cannot create the state directory ${stateDir}`,
          {
            details: { path: stateDir },
            cause: e,
          },
        )
      }
      let bytes: Buffer
      try {
        bytes = readFileSync(path)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0n
        throw new TotemError('ERR_STACK_STATE_DIR', `cannot read ${path}`, {
          details: { path },
          cause: e,
        })
      }
      if (bytes.length !== 8) {
        log.warn('ignoring a ring id file that is not 8 bytes long', { path, length: bytes.length })
        return 0n
      }
      latest = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true)
      return latest
    },
    store(seq: bigint) {
      latest = seq
      if (!pending) {
        pending = true
        writing = writing.then(write)
      }
    },
    flush: () => writing,
  }
}
