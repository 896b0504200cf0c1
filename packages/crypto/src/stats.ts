import type { TransportStats } from '@totem-ts/common'

/**
 * What `stats()` of a `withCrypto` transport returns: the inner transport's counters, with the
 * wrapper's drops merged into `rxDropped` (`ERR_CRYPTO_AUTH`, `ERR_CRYPTO_REPLAY`,
 * `ERR_CRYPTO_KEY_ID`, `ERR_CRYPTO_FORMAT`) and its oversize sends into `sendErrors`, plus:
 */
export interface CryptoStats extends TransportStats {
  /** Datagrams sealed and handed to the inner transport. */
  cryptoSealed: number
  /** Datagrams opened, found fresh and delivered. */
  cryptoOpened: number
  /** Plaintext totem datagrams received (also counted as `ERR_CRYPTO_FORMAT`): a crypto mismatch. */
  cryptoPlaintextRx: number
  /** Sends refused because the sealed datagram would exceed the inner transport's MTU. */
  cryptoTxTooLong: number
  /** Times a known sender started a new epoch (restarted). */
  cryptoEpochChanges: number
  /** Senders whose replay state is kept. */
  cryptoSenders: number
  /** Sender states evicted because `sendersMax` were kept. */
  cryptoSendersEvicted: number
  /** Key id datagrams are sealed with. */
  cryptoKeyId: number
  /** Key id still accepted after the last rotation, or null. */
  cryptoPreviousKeyId: number | null
  /** Clock time (ms) when the previous key stops being accepted, or null. */
  cryptoPreviousKeyExpiresAtMs: number | null
  /** Key id accepted but not yet sent with (staged), or null. */
  cryptoStagedKeyId: number | null
}

/** The wrapper's own counters, before they are merged with the inner transport's. */
export interface CryptoCounters {
  sealed: number
  opened: number
  plaintextRx: number
  txTooLong: number
  readonly rxDropped: Record<string, number>
}

/** Fresh zeroed {@link CryptoCounters}. */
export function createCryptoCounters(): CryptoCounters {
  return { sealed: 0, opened: 0, plaintextRx: 0, txTooLong: 0, rxDropped: {} }
}
