import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import {
  type Clock,
  countDrop,
  type DatagramHandler,
  type Destination,
  invalidArgument,
  isNodeId,
  type Logger,
  type NodeId,
  type Random,
  type Transport,
} from '@totem-ts/common'
import { type CryptoError, cryptoError, isCryptoError } from './errors.ts'
import {
  AAD_BYTES,
  COUNTER_MAX,
  isTotemPlaintext,
  SEALED_HEADER_BYTES,
  SEALED_MAGIC_0,
  SEALED_MAGIC_1,
  SEALED_OVERHEAD_BYTES,
  SEALED_VERSION,
  SealedOffset,
} from './format.ts'
import { formatKeyId, type Keyring, type KeyringCore, keyringCore } from './keyring.ts'
import { CRYPTO_ALGORITHM, resolveCryptoOptions } from './options.ts'
import { ReplayGuard } from './replay.ts'
import { type CryptoCounters, type CryptoStats, createCryptoCounters } from './stats.ts'

/** What {@link withCrypto} needs besides the transport and the keyring. */
export interface WithCryptoOptions {
  /** This node's id, written into every sealed datagram. */
  readonly nodeId: NodeId
  /** Clock (epoch-change rule, log rate limits), randomness (nonces, epoch) and logger. */
  readonly runtime: { readonly clock: Clock; readonly random: Random; readonly logger: Logger }
  /** Overrides `runtime.random` (e.g. `createCryptoRandom()` next to a simulated runtime). */
  readonly random?: Random
  /**
   * Key-derivation label of this network, 0…255: give each redundant ring its own (its ring
   * number) so that a datagram captured on one network fails authentication on another.
   * @defaultValue 0
   */
  readonly channel?: number
  /** See {@link CryptoOptions.replayWindow}. @defaultValue 1024 */
  readonly replayWindow?: number
  /** See {@link CryptoOptions.sendersMax}. @defaultValue 384 */
  readonly sendersMax?: number
  /** See {@link CryptoOptions.epochQuietMs}. @defaultValue 1000 */
  readonly epochQuietMs?: number
}

/** A `Transport` made by {@link withCrypto}: its stats carry the crypto counters. */
export interface CryptoTransport extends Transport {
  stats(): Readonly<CryptoStats>
}

/** At most one crypto-mismatch warning per this many ms. */
const MISMATCH_WARN_INTERVAL_MS = 10_000
/** At most one debug line about drops per this many ms. */
const DROP_LOG_INTERVAL_MS = 1000
const TWO_32 = 2 ** 32

class SealingTransport implements CryptoTransport {
  readonly mtuBytes: number
  readonly #inner: Transport
  readonly #keyring: Keyring
  readonly #core: KeyringCore
  readonly #nodeId: NodeId
  readonly #clock: Clock
  readonly #random: Random
  readonly #log: Logger
  readonly #channel: number
  readonly #guard: ReplayGuard
  readonly #counters: CryptoCounters = createCryptoCounters()
  readonly #epoch = new Uint8Array(8)
  #counter = 0
  #handler: DatagramHandler | undefined
  #warnAtMs = Number.NEGATIVE_INFINITY
  #warnSuppressed = 0
  #dropLogAtMs = Number.NEGATIVE_INFINITY
  #dropLogSuppressed = 0

  constructor(inner: Transport, keyring: Keyring, o: WithCryptoOptions) {
    if (!isNodeId(o.nodeId)) invalidArgument('withCrypto: nodeId must be a node id', {})
    const channel = o.channel ?? 0
    if (!Number.isInteger(channel) || channel < 0 || channel > 255)
      invalidArgument('withCrypto: channel must be an integer in 0..255', {
        value: String(channel),
      })
    if (!(inner.mtuBytes > SEALED_OVERHEAD_BYTES))
      invalidArgument(`withCrypto: the inner MTU must exceed ${SEALED_OVERHEAD_BYTES} bytes`, {
        mtuBytes: inner.mtuBytes,
      })
    const cfg = resolveCryptoOptions({
      ...(o.replayWindow !== undefined ? { replayWindow: o.replayWindow } : {}),
      ...(o.sendersMax !== undefined ? { sendersMax: o.sendersMax } : {}),
      ...(o.epochQuietMs !== undefined ? { epochQuietMs: o.epochQuietMs } : {}),
    })
    this.#inner = inner
    this.#keyring = keyring
    this.#core = keyringCore(keyring)
    this.#nodeId = o.nodeId
    this.#clock = o.runtime.clock
    this.#random = o.random ?? o.runtime.random
    this.#log = o.runtime.logger.child('CRYPTO')
    this.#channel = channel
    this.#guard = new ReplayGuard(cfg.replayWindow, cfg.sendersMax, cfg.epochQuietMs)
    this.mtuBytes = inner.mtuBytes - SEALED_OVERHEAD_BYTES
    this.#random.fill(this.#epoch)
    inner.onDatagram((bytes, ringNo) => this.#receive(bytes, ringNo))
  }

  send(to: Destination, bytes: Uint8Array): void {
    const n = bytes.length
    if (n > this.mtuBytes) {
      this.#counters.txTooLong++
      return
    }
    const { id, key } = this.#core.sendKey(this.#channel)
    if (this.#counter >= COUNTER_MAX) {
      // Never reached in practice (2⁵³ datagrams); a fresh epoch keeps counters unique anyway.
      this.#random.fill(this.#epoch)
      this.#counter = 0
    }
    const counter = ++this.#counter
    const out = new Uint8Array(SEALED_HEADER_BYTES + n + 16)
    const view = new DataView(out.buffer)
    out[SealedOffset.magic] = SEALED_MAGIC_0
    out[SealedOffset.magic + 1] = SEALED_MAGIC_1
    out[SealedOffset.version] = SEALED_VERSION
    view.setUint32(SealedOffset.keyId, id)
    view.setUint32(SealedOffset.sender, this.#nodeId)
    out.set(this.#epoch, SealedOffset.epoch)
    view.setUint32(SealedOffset.counter, Math.floor(counter / TWO_32))
    view.setUint32(SealedOffset.counter + 4, counter >>> 0)
    const nonce = out.subarray(SealedOffset.nonce, SealedOffset.ciphertext)
    this.#random.fill(nonce)
    xchacha20poly1305(key, nonce, out.subarray(0, AAD_BYTES)).encrypt(
      bytes,
      out.subarray(SealedOffset.ciphertext),
    )
    this.#counters.sealed++
    this.#inner.send(to, out)
  }

  onDatagram(handler: DatagramHandler): void {
    this.#handler = handler
  }

  setMembers(members: readonly NodeId[]): void {
    this.#inner.setMembers(members)
  }

  async start(): Promise<void> {
    await this.#inner.start()
    this.#log.info('crypto on', {
      algorithm: CRYPTO_ALGORITHM,
      keyId: formatKeyId(this.#keyring.state().currentKeyId),
      channel: this.#channel,
    })
  }

  stop(): Promise<void> {
    return this.#inner.stop()
  }

  stats(): Readonly<CryptoStats> {
    const inner = this.#inner.stats()
    const c = this.#counters
    const rxDropped: Record<string, number> = { ...inner.rxDropped }
    for (const [code, n] of Object.entries(c.rxDropped))
      rxDropped[code] = (rxDropped[code] ?? 0) + n
    const k = this.#keyring.state()
    return {
      ...inner,
      sendErrors: inner.sendErrors + c.txTooLong,
      rxDropped,
      cryptoSealed: c.sealed,
      cryptoOpened: c.opened,
      cryptoPlaintextRx: c.plaintextRx,
      cryptoTxTooLong: c.txTooLong,
      cryptoEpochChanges: this.#guard.counters.epochChanges,
      cryptoSenders: this.#guard.senders,
      cryptoSendersEvicted: this.#guard.counters.sendersEvicted,
      cryptoKeyId: k.currentKeyId,
      cryptoPreviousKeyId: k.previousKeyId,
      cryptoPreviousKeyExpiresAtMs: k.previousExpiresAtMs,
      cryptoStagedKeyId: k.stagedKeyId,
    }
  }

  /** The one place where this layer catches: a CryptoError becomes a counted drop. */
  #receive(bytes: Uint8Array, ringNo: number): void {
    let plain: Uint8Array
    try {
      plain = this.#open(bytes, ringNo)
    } catch (e) {
      if (!isCryptoError(e)) throw e
      this.#drop(e, ringNo)
      return
    }
    this.#counters.opened++
    this.#handler?.(plain, ringNo)
  }

  #open(bytes: Uint8Array, ringNo: number): Uint8Array {
    const length = bytes.length
    if (isTotemPlaintext(bytes)) {
      this.#counters.plaintextRx++
      this.#warnMismatch(ringNo)
      cryptoError('ERR_CRYPTO_FORMAT', 'plaintext totem datagram where crypto is expected', {
        reason: 'plaintext',
        length,
      })
    }
    if (length < SEALED_OVERHEAD_BYTES)
      cryptoError('ERR_CRYPTO_FORMAT', 'datagram shorter than a sealed header and tag', {
        reason: 'too-short',
        length,
        min: SEALED_OVERHEAD_BYTES,
      })
    if (bytes[0] !== SEALED_MAGIC_0 || bytes[1] !== SEALED_MAGIC_1)
      cryptoError('ERR_CRYPTO_FORMAT', 'not a sealed datagram (magic)', { reason: 'magic', length })
    if (bytes[SealedOffset.version] !== SEALED_VERSION)
      cryptoError('ERR_CRYPTO_FORMAT', 'unsupported sealed datagram version', {
        reason: 'version',
        version: bytes[SealedOffset.version] as number,
      })
    if (bytes[SealedOffset.reserved] !== 0)
      cryptoError('ERR_CRYPTO_FORMAT', 'reserved header bits set', { reason: 'reserved' })
    const view = new DataView(bytes.buffer, bytes.byteOffset, length)
    const keyId = view.getUint32(SealedOffset.keyId)
    const key = this.#core.receiveKey(keyId, this.#channel)
    if (key === undefined)
      cryptoError('ERR_CRYPTO_KEY_ID', 'datagram sealed under a key this node does not hold', {
        keyId: formatKeyId(keyId),
      })
    let plain: Uint8Array
    try {
      plain = xchacha20poly1305(
        key,
        bytes.subarray(SealedOffset.nonce, SealedOffset.ciphertext),
        bytes.subarray(0, AAD_BYTES),
      ).decrypt(bytes.subarray(SealedOffset.ciphertext))
    } catch {
      // Lengths were checked above: the only way decrypt fails is a tag mismatch.
      cryptoError('ERR_CRYPTO_AUTH', 'datagram failed authentication', {
        keyId: formatKeyId(keyId),
        length,
      })
    }
    // From here on the header is authentic: only a key holder can have written these values.
    const sender = view.getUint32(SealedOffset.sender)
    const counterHi = view.getUint32(SealedOffset.counter)
    const counter = counterHi * TWO_32 + view.getUint32(SealedOffset.counter + 4)
    if (sender === 0 || counter === 0 || counter > COUNTER_MAX)
      cryptoError('ERR_CRYPTO_FORMAT', 'authentic datagram with a sender or counter out of range', {
        reason: 'range',
        sender,
      })
    const decision = this.#guard.admit(
      sender,
      view.getUint32(SealedOffset.epoch),
      view.getUint32(SealedOffset.epoch + 4),
      counter,
      this.#clock.nowMs(),
    )
    if (decision !== 'accept')
      cryptoError('ERR_CRYPTO_REPLAY', 'replayed or stale datagram', { reason: decision, sender })
    return plain
  }

  #drop(e: CryptoError, ringNo: number): void {
    countDrop(this.#counters, e.code)
    if (!this.#log.isEnabled('debug')) return
    const now = this.#clock.nowMs()
    if (now - this.#dropLogAtMs < DROP_LOG_INTERVAL_MS) {
      this.#dropLogSuppressed++
      return
    }
    this.#log.debug('datagram dropped', {
      code: e.code,
      ...e.details,
      ringNo,
      suppressed: this.#dropLogSuppressed,
    })
    this.#dropLogAtMs = now
    this.#dropLogSuppressed = 0
  }

  #warnMismatch(ringNo: number): void {
    const now = this.#clock.nowMs()
    if (now - this.#warnAtMs < MISMATCH_WARN_INTERVAL_MS) {
      this.#warnSuppressed++
      return
    }
    this.#log.warn(
      'plaintext totem datagram received with crypto on: a peer likely runs with ' +
        'crypto_cipher and crypto_hash set to none (crypto mismatch); dropped, never accepted',
      {
        code: 'ERR_CRYPTO_FORMAT',
        ringNo,
        channel: this.#channel,
        plaintextRx: this.#counters.plaintextRx,
        suppressed: this.#warnSuppressed,
      },
    )
    this.#warnAtMs = now
    this.#warnSuppressed = 0
  }
}

/**
 * Wraps any `Transport` so that every datagram it sends is sealed (XChaCha20-Poly1305, key
 * from the keyring, header as associated data) and every datagram it receives is opened, checked
 * against replays and only then handed to the handler. Anything that fails is dropped and counted
 * in `stats().rxDropped` by code; nothing is thrown out of the receive path and nothing
 * unauthenticated is delivered. `mtuBytes` is the inner MTU minus {@link SEALED_OVERHEAD_BYTES}.
 *
 * @example
 * ```ts
 * const keyring = createKeyring(readKeyFile('/etc/totem/authkey').key, { clock: runtime.clock })
 * const net = withCrypto(udp, keyring, { nodeId: nodeId(1), runtime })
 * net.onDatagram((bytes, ringNo) => srp.receive(bytes, ringNo))
 * await net.start()
 * net.send('all', datagram)
 * net.stats().rxDropped['ERR_CRYPTO_AUTH'] // forged or tampered datagrams so far
 * ```
 */
export function withCrypto(
  transport: Transport,
  keyring: Keyring,
  options: WithCryptoOptions,
): CryptoTransport {
  return new SealingTransport(transport, keyring, options)
}
