import { invalidArgument } from '@totem-ts/common'
import { Reader, Writer } from '../cursor.ts'
import { wireError } from '../errors.ts'

/** Most group names one message may address. */
export const GROUPS_PER_MESSAGE_MAX = 32
/** Longest totempg group name. */
export const PG_GROUP_NAME_BYTES_MAX = 1024

/** The group corosync uses for every service "exec" message. */
export const GROUP_A = 'a'
/** The group of the sync protocol. */
export const GROUP_SYNC = 'sync'

/** A totempg message: the groups it is addressed to and the message proper. */
export interface PgGroupMessage {
  /** Group names, as latin-1 strings (one char per byte, so any bytes round-trip). */
  readonly groups: readonly string[]
  /** The message proper; a view into the input. */
  readonly body: Uint8Array
}

/** Decodes the group header (reference §5.5) at the start of a reassembled totempg message. */
export function decodePgGroupMessage(bytes: Uint8Array, littleEndian: boolean): PgGroupMessage {
  const r = new Reader(bytes, littleEndian, 'group header')
  const count = r.u16('group count')
  if (count > GROUPS_PER_MESSAGE_MAX) {
    wireError('ERR_WIRE_TOO_MANY', 'too many groups in one message', {
      count,
      max: GROUPS_PER_MESSAGE_MAX,
    })
  }
  r.need(2 * count, 'group lengths')
  const lens: number[] = new Array(count)
  for (let i = 0; i < count; i++) lens[i] = r.u16('group length')
  const groups: string[] = new Array(count)
  for (let i = 0; i < count; i++) groups[i] = latin1(r.bytesView(lens[i] as number, 'group name'))
  return { groups, body: r.rest() }
}

/** Size of the group header for these names. */
export function pgGroupHeaderBytes(groups: readonly string[]): number {
  let n = 2 + 2 * groups.length
  for (const g of groups) n += g.length
  return n
}

/** Encodes just the group header (send it as the first iovec before the body, as corosync does). */
export function encodePgGroupHeader(groups: readonly string[], littleEndian = true): Uint8Array {
  if (groups.length > GROUPS_PER_MESSAGE_MAX)
    invalidArgument('too many groups', { count: groups.length })
  const w = new Writer(pgGroupHeaderBytes(groups), littleEndian)
  w.u16(groups.length)
  for (const g of groups) {
    if (g.length > PG_GROUP_NAME_BYTES_MAX)
      invalidArgument('group name too long', { length: g.length })
    w.u16(g.length)
  }
  for (const g of groups) w.bytesFrom(fromLatin1(g))
  return w.done()
}

/** Encodes a whole group message (header + body) into one buffer. */
export function encodePgGroupMessage(m: PgGroupMessage, littleEndian = true): Uint8Array {
  const head = encodePgGroupHeader(m.groups, littleEndian)
  const out = new Uint8Array(head.length + m.body.length)
  out.set(head, 0)
  out.set(m.body, head.length)
  return out
}

/** Bytes → latin-1 string, one char per byte. */
export function latin1(b: Uint8Array): string {
  let s = ''
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number)
  return s
}

/** latin-1 string → bytes; throws on characters above U+00FF. */
export function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length)
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff) invalidArgument('group names are byte strings (latin-1)', { index: i })
    out[i] = c
  }
  return out
}
