import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { type Clock, invalidArgument, type Logger, noopLogger } from '@totem-ts/common'
import { cryptoError } from './errors.ts'
import { KEY_GRACE_MS_DEFAULT, KEY_GRACE_MS_MAX } from './options.ts'

/** Shortest cluster key accepted (bytes). */
export const KEY_BYTES_MIN = 32
/** Longest cluster key accepted (bytes), as corosync's authkey. */
export const KEY_BYTES_MAX = 4096
/** What `totem-keygen` writes by default, as corosync-keygen (bytes). */
export const KEY_BYTES_DEFAULT = 256

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
/** HKDF salt: names the scheme and its version, so keys never serve two schemes. */
const SALT = utf8('totem-ts crypto v1')
const INFO_KEY_ID = utf8('totem-ts key id')
const INFO_DATAGRAM = utf8('totem-ts datagram key, channel ')

/** Throws `ERR_CRYPTO_KEY_SIZE` unless `key` is a Uint8Array of 32…4096 bytes. */
export function checkKeyBytes(key: unknown): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array))
    invalidArgument('a cluster key must be a Uint8Array', { type: typeof key })
  if (key.length < KEY_BYTES_MIN || key.length > KEY_BYTES_MAX)
    cryptoError(
      'ERR_CRYPTO_KEY_SIZE',
      `a cluster key has ${KEY_BYTES_MIN}..${KEY_BYTES_MAX} bytes`,
      {
        length: key.length,
        min: KEY_BYTES_MIN,
        max: KEY_BYTES_MAX,
      },
    )
}

/**
 * The key id of a cluster key: the first 4 bytes (big-endian) of HKDF-SHA256(key, "totem-ts key
 * id"). Every node computes the same id from the same key file with no coordination, and the id
 * reveals nothing usable about the key. `totem-keygen` prints it, stats show it.
 */
export function keyIdOf(key: Uint8Array): number {
  checkKeyBytes(key)
  const h = hkdf(sha256, key, SALT, INFO_KEY_ID, 4)
  return (
    (((h[0] as number) << 24) |
      ((h[1] as number) << 16) |
      ((h[2] as number) << 8) |
      (h[3] as number)) >>>
    0
  )
}

/** A key id as logs and tools show it: `0x` and 8 hex digits. */
export function formatKeyId(id: number): string {
  return `0x${id.toString(16).padStart(8, '0')}`
}

/**
 * The 32-byte XChaCha20-Poly1305 key for one key and one channel (redundant ring number):
 * HKDF-SHA256(key, salt "totem-ts crypto v1", info "totem-ts datagram key, channel " ‖ channel).
 * Per-channel keys make a datagram captured on one network fail authentication on another.
 */
function derivePacketKey(key: Uint8Array, channel: number): Uint8Array {
  const info = new Uint8Array(INFO_DATAGRAM.length + 1)
  info.set(INFO_DATAGRAM)
  info[INFO_DATAGRAM.length] = channel
  return hkdf(sha256, key, SALT, info, 32)
}

interface KeyEntry {
  readonly id: number
  readonly bytes: Uint8Array
  readonly packetKeys: Map<number, Uint8Array>
}

function entryOf(key: Uint8Array): KeyEntry {
  checkKeyBytes(key)
  return { id: keyIdOf(key), bytes: key.slice(), packetKeys: new Map() }
}

function wipe(e: KeyEntry): void {
  e.bytes.fill(0)
  for (const k of e.packetKeys.values()) k.fill(0)
  e.packetKeys.clear()
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let d = 0
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number)
  return d === 0
}

/** Which keys a {@link Keyring} holds; ids only, never key bytes. */
export interface KeyringState {
  /** The key every datagram is sealed with. */
  readonly currentKeyId: number
  /** The key replaced by the last rotation, still accepted until `previousExpiresAtMs`. */
  readonly previousKeyId: number | null
  /** Clock time (ms) when the previous key stops being accepted. */
  readonly previousExpiresAtMs: number | null
  /** A key accepted on receive but not yet used to send (see {@link Keyring.stage}). */
  readonly stagedKeyId: number | null
}

/**
 * The cluster keys of one node. One keyring can serve several `withCrypto` wrappers (one per
 * redundant ring). Key changes happen only through its methods (STYLE §7: named run-time changes).
 */
export interface Keyring {
  /** Grace period of the previous key after {@link Keyring.rotate}, in ms. */
  readonly graceMs: number
  /**
   * Makes `key` the current key at once: every datagram from now on is sealed with it, and it is
   * accepted on receive. The key it replaces stays accepted for `graceMs`, then is wiped. Rotating
   * to the current key changes nothing. Returns the new state.
   */
  rotate(key: Uint8Array): KeyringState
  /**
   * Accepts `key` on receive without sending with it yet: stage the new key on every node, then
   * rotate every node, and no datagram is dropped in between. Replaces an earlier staged key.
   * Returns its key id.
   */
  stage(key: Uint8Array): number
  /** The key ids held now (expires the previous key when its grace period is over). */
  state(): KeyringState
}

/** What {@link createKeyring} needs. */
export interface KeyringOptions {
  /** Clock of the grace period (`Runtime.clock`). */
  readonly clock: Clock
  /**
   * Grace period of the previous key after a rotation, ms (0…3 600 000).
   * @defaultValue 10000
   */
  readonly graceMs?: number
  /** Logs rotations and expiries at info under `CRYPTO`. @defaultValue no-op logger */
  readonly logger?: Logger
}

/** The parts of a keyring only `withCrypto` uses. */
export interface KeyringCore {
  /** Key id and packet key to seal with. */
  sendKey(channel: number): { readonly id: number; readonly key: Uint8Array }
  /** Packet key for a received key id, or undefined when no such key is held (now). */
  receiveKey(id: number, channel: number): Uint8Array | undefined
}

const cores = new WeakMap<Keyring, KeyringCore>()

/** The internal side of a keyring made by {@link createKeyring}; throws for anything else. */
export function keyringCore(keyring: Keyring): KeyringCore {
  const core = cores.get(keyring)
  if (core === undefined) invalidArgument('not a keyring made by createKeyring()')
  return core
}

/**
 * Creates a keyring holding `key` (32…4096 bytes, e.g. from `readKeyFile`). The bytes are copied;
 * wipe your copy if you like.
 *
 * @example
 * ```ts
 * const keyring = createKeyring(readKeyFile('/etc/totem/authkey').key, { clock: runtime.clock })
 * // later, online: every node stages the new key, then every node rotates to it
 * keyring.stage(newKey)
 * keyring.rotate(newKey)
 * ```
 */
export function createKeyring(key: Uint8Array, options: KeyringOptions): Keyring {
  const graceMs = options.graceMs ?? KEY_GRACE_MS_DEFAULT
  if (!Number.isInteger(graceMs) || graceMs < 0 || graceMs > KEY_GRACE_MS_MAX)
    invalidArgument(`keyring graceMs must be an integer in 0..${KEY_GRACE_MS_MAX}`, {
      value: String(graceMs),
    })
  const clock = options.clock
  const log = (options.logger ?? noopLogger).child('CRYPTO')
  let current = entryOf(key)
  let previous: KeyEntry | undefined
  let previousExpiresAtMs = 0
  let staged: KeyEntry | undefined

  const expire = (now: number): void => {
    if (previous !== undefined && now >= previousExpiresAtMs) {
      log.info('previous key expired', { keyId: formatKeyId(previous.id) })
      wipe(previous)
      previous = undefined
    }
  }
  const packetKey = (e: KeyEntry, channel: number): Uint8Array => {
    let k = e.packetKeys.get(channel)
    if (k === undefined) {
      k = derivePacketKey(e.bytes, channel)
      e.packetKeys.set(channel, k)
    }
    return k
  }
  const state = (): KeyringState => {
    expire(clock.nowMs())
    return {
      currentKeyId: current.id,
      previousKeyId: previous?.id ?? null,
      previousExpiresAtMs: previous === undefined ? null : previousExpiresAtMs,
      stagedKeyId: staged?.id ?? null,
    }
  }
  /** The held entry with this id, checking that equal ids mean equal bytes. */
  const held = (e: KeyEntry): KeyEntry | undefined => {
    for (const h of [current, previous, staged]) {
      if (h !== undefined && h.id === e.id) {
        if (!sameBytes(h.bytes, e.bytes))
          invalidArgument('two different keys with the same key id; generate another key', {
            keyId: formatKeyId(e.id),
          })
        return h
      }
    }
    return undefined
  }

  const keyring: Keyring = {
    graceMs,
    rotate(newKey: Uint8Array): KeyringState {
      const now = clock.nowMs()
      expire(now)
      const fresh = entryOf(newKey)
      const existing = held(fresh)
      if (existing === current) {
        wipe(fresh)
        return state()
      }
      const next = existing ?? fresh
      if (existing !== undefined) wipe(fresh)
      if (staged === next) staged = undefined
      const old = current
      if (previous !== undefined && previous !== next) wipe(previous)
      current = next
      if (graceMs > 0) {
        previous = old
        previousExpiresAtMs = now + graceMs
      } else {
        wipe(old)
        previous = undefined
      }
      log.info('key rotated', {
        keyId: formatKeyId(current.id),
        previousKeyId: formatKeyId(old.id),
        graceMs,
      })
      return state()
    },
    stage(newKey: Uint8Array): number {
      expire(clock.nowMs())
      const fresh = entryOf(newKey)
      const existing = held(fresh)
      if (existing !== undefined) {
        wipe(fresh)
        return existing.id
      }
      if (staged !== undefined) wipe(staged)
      staged = fresh
      log.info('key staged', { keyId: formatKeyId(fresh.id) })
      return fresh.id
    },
    state,
  }
  cores.set(keyring, {
    sendKey(channel: number) {
      return { id: current.id, key: packetKey(current, channel) }
    },
    receiveKey(id: number, channel: number): Uint8Array | undefined {
      if (id === current.id) return packetKey(current, channel)
      if (previous !== undefined && id === previous.id) {
        const now = clock.nowMs()
        if (now < previousExpiresAtMs) return packetKey(previous, channel)
        expire(now)
        return undefined
      }
      if (staged !== undefined && id === staged.id) return packetKey(staged, channel)
      return undefined
    },
  })
  return Object.freeze(keyring)
}
