import { invalidArgument } from '@totem-ts/common'
import { checkUint, checkUint64, Reader, Writer } from '../cursor.ts'
import { wireError } from '../errors.ts'
import { fromLatin1, latin1 } from '../pg/group.ts'
import {
  peekRequestId,
  readRequestHeader,
  ServiceId,
  serviceMessageId,
  writeRequestHeader,
} from './request.ts'

/** Fixed part of the cmap exec message before its items. */
export const CMAP_MCAST_HEADER_BYTES = 48
/** Fixed part of one cmap item before its value. */
export const CMAP_ITEM_BYTES = 280
/** Longest cmap key (`ICMAP_KEYNAME_MAXLEN`). */
export const CMAP_KEY_BYTES_MAX = 256
/** Largest value carried by one item (a sanity bound; corosync sends ≤ 8-byte values here). */
export const CMAP_VALUE_BYTES_MAX = 65_536

/** `reason` of a cmap exec message. */
export const CmapReason = { Sync: 0, NewConfigVersion: 1 } as const

/** One key of the cmap exec message. */
export interface CmapItem {
  /** e.g. `totem.config_version`. */
  readonly key: string
  /** icmap value type; 0 = key absent, 8 = u64. */
  readonly valueType: number
  /** The raw value (sender byte order); empty when absent. */
  readonly value: Uint8Array
}

/** The cmap exec message (service 0, function 0; reference §6.1), sent in every sync. */
export interface CmapMessage {
  readonly kind: 'cmap-mcast'
  /** {@link CmapReason}. */
  readonly reason: number
  readonly items: readonly CmapItem[]
  readonly padding?: Uint8Array
}

const roundUp8 = (n: number): number => (n + 7) & ~7

/** Decodes the cmap exec message (the body of a group `a` message whose service is 0). */
export function decodeCmapMessage(body: Uint8Array, littleEndian: boolean): CmapMessage {
  const id = peekRequestId(body, littleEndian, 'cmap')
  if (id !== serviceMessageId(ServiceId.Cmap, 0))
    wireError('ERR_WIRE_BAD_TYPE', 'unknown cmap message', { id })
  const r = new Reader(body, littleEndian, 'cmap-mcast')
  readRequestHeader(r, body.length)
  const reason = r.u8('reason')
  r.pad(7)
  const count = r.u8('no_items')
  r.pad(7)
  r.pad(16, 'reserved')
  const items: CmapItem[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const keyLen = r.u16('key length')
    r.pad(6)
    if (keyLen > CMAP_KEY_BYTES_MAX) wireError('ERR_WIRE_TOO_LONG', 'cmap key too long', { keyLen })
    const key = latin1(r.bytesView(keyLen, 'key'))
    r.pad(CMAP_KEY_BYTES_MAX - keyLen, 'key (fill)')
    const valueType = r.u8('value type')
    r.pad(7)
    const valueLen = r.u64('value length')
    if (valueLen > BigInt(CMAP_VALUE_BYTES_MAX)) {
      wireError('ERR_WIRE_TOO_LONG', 'cmap value longer than the limit', {
        valueLen: valueLen.toString(),
        max: CMAP_VALUE_BYTES_MAX,
      })
    }
    if (valueLen > BigInt(r.remaining)) {
      wireError('ERR_WIRE_TRUNCATED', 'cmap value longer than the message', {
        valueLen: valueLen.toString(),
        remaining: r.remaining,
      })
    }
    const n = Number(valueLen)
    const value = r.bytesView(n, 'value')
    r.pad(roundUp8(n) - n, 'value (fill)')
    items[i] = { key, valueType, value }
  }
  r.end()
  const padding = r.padding()
  return padding
    ? { kind: 'cmap-mcast', reason, items, padding }
    : { kind: 'cmap-mcast', reason, items }
}

/** Encodes the cmap exec message body. */
export function encodeCmapMessage(m: CmapMessage, littleEndian = true): Uint8Array {
  if (m.items.length > 255) invalidArgument('at most 255 cmap items', { count: m.items.length })
  checkUint(m.reason, 8, 'reason')
  let size = CMAP_MCAST_HEADER_BYTES
  for (const it of m.items) size += CMAP_ITEM_BYTES + roundUp8(it.value.length)
  const w = new Writer(size, littleEndian, m.padding)
  writeRequestHeader(w, serviceMessageId(ServiceId.Cmap, 0), size)
  w.u8(m.reason)
  w.pad(7)
  w.u8(m.items.length)
  w.pad(7)
  w.pad(16)
  for (const it of m.items) {
    const key = fromLatin1(it.key)
    if (key.length > CMAP_KEY_BYTES_MAX)
      invalidArgument('cmap key too long', { length: key.length })
    checkUint(it.valueType, 8, 'valueType')
    w.u16(key.length)
    w.pad(6)
    w.bytesFrom(key)
    w.pad(CMAP_KEY_BYTES_MAX - key.length)
    w.u8(it.valueType)
    w.pad(7)
    checkUint64(BigInt(it.value.length), 'value length')
    w.u64(BigInt(it.value.length))
    w.bytesFrom(it.value)
    w.pad(roundUp8(it.value.length) - it.value.length)
  }
  return w.done()
}
