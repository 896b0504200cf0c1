import { compareRingId, type RingId } from '@totem-ts/common'

/**
 * Ordering ranks of the kinds that enter a receive list (reference §2.3): a regular message
 * sorts before the configuration change (CC) that carries the same timestamp and source ring.
 */
export const Rank = { Regular: 1, Cc: 2 } as const
/** One of {@link Rank}. */
export type Rank = (typeof Rank)[keyof typeof Rank]

/**
 * The message-ordering key (TOCS §4.1): Lamport timestamp, then source ring id, then rank.
 * It is also the identity of a message across the whole system.
 */
export interface MessageKey {
  readonly ts: number
  readonly ring: RingId
  readonly rank: Rank
}

/** Orders keys: timestamp, then source ring (seq, rep), then rank. */
export function compareKey(a: MessageKey, b: MessageKey): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1
  const r = compareRingId(a.ring, b.ring)
  if (r !== 0) return r
  return a.rank - b.rank
}

/** A map key for a ring id. */
export function ringKey(r: RingId): string {
  return `${r.rep}.${r.seq}`
}

/** The trace form of a key: `"<ts>@<rep>.<seq>/<reg|cc>"`. */
export function formatKey(k: MessageKey): string {
  return `${k.ts}@${ringKey(k.ring)}/${k.rank === Rank.Regular ? 'reg' : 'cc'}`
}
