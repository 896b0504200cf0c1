/**
 * Running hostile bytes through every decoder: each call must either return or throw a
 * WireError; anything else (a TypeError, a RangeError from a DataView, an allocation failure)
 * propagates and fails the test. Successful results are checked against allocation bounds.
 */
import {
  type Assembler,
  createAssembler,
  decodeAppMessage,
  decodeEncapsulated,
  decodePgPacket,
  decodeTotemMessage,
  detectByteOrder,
  isWireError,
  type Mcast,
  WireErrorCode,
} from '../../src/index.ts'

const CODES = new Set<string>(Object.values(WireErrorCode))

/** Outcomes seen, by decoder and code (`ok` for success), to prove the run reached each path. */
export type Tally = Map<string, number>

function count(t: Tally | undefined, key: string): void {
  if (t !== undefined) t.set(key, (t.get(key) ?? 0) + 1)
}

/** A decoder's failure that is not a well-formed WireError: the bug these tests look for. */
export class NotAWireError extends Error {}

/** Runs `fn`; returns its value, or `undefined` after a WireError (anything else is rethrown). */
export function attempt<T>(what: string, fn: () => T, tally?: Tally): T | undefined {
  try {
    const v = fn()
    count(tally, `${what}:ok`)
    return v
  } catch (e) {
    if (!isWireError(e)) throw e
    if (!CODES.has(e.code)) throw new NotAWireError(`${what}: unknown code ${e.code}`)
    for (const [k, v] of Object.entries(e.details)) {
      if (!['string', 'number', 'boolean'].includes(typeof v))
        throw new NotAWireError(`${what}: detail ${k} is a ${typeof v}`)
    }
    count(tally, `${what}:${e.code}`)
    return undefined
  }
}

/**
 * Checks that a decoded value allocates no more than its input could carry: the elements of all
 * its arrays together, and each byte view and string, are at most `inputBytes` long.
 */
export function checkBounds(what: string, value: unknown, inputBytes: number): void {
  let elements = 0
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) {
      if (v.length > inputBytes)
        throw new NotAWireError(`${what}: a ${v.length}-byte view from ${inputBytes} bytes`)
      return
    }
    if (typeof v === 'string') {
      if (v.length > inputBytes)
        throw new NotAWireError(`${what}: a ${v.length}-char string from ${inputBytes} bytes`)
      return
    }
    if (Array.isArray(v)) {
      elements += v.length
      for (const x of v) walk(x)
      return
    }
    if (v !== null && typeof v === 'object') for (const x of Object.values(v)) walk(x)
  }
  walk(value)
  if (elements > inputBytes)
    throw new NotAWireError(`${what}: ${elements} list elements from ${inputBytes} bytes`)
}

/** An assembler with small limits, for feeding hostile packets. */
export function smallAssembler(tally?: Tally): { asm: Assembler; maxBytes: number } {
  const maxBytes = 4096
  const asm = createAssembler({
    messageBytesMax: maxBytes,
    sendersMax: 4,
    onMessage: (_sender, message, littleEndian) => {
      if (message.length > maxBytes)
        throw new NotAWireError(`assembler delivered ${message.length} > ${maxBytes} bytes`)
      count(tally, 'assembler:message')
      const app = attempt('assembled', () => decodeAppMessage(message, littleEndian), tally)
      if (app !== undefined) checkBounds('assembled', app, message.length)
    },
  })
  return { asm, maxBytes }
}

/**
 * Runs `bytes` through every decoder, as a datagram (down through totempg and the service
 * messages) and, unless `direct` is false, also directly as a totempg packet, an app message
 * and an encapsulated payload, in both byte orders. Throws only when a decoder misbehaves.
 */
export function decodeEverything(
  bytes: Uint8Array,
  tally?: Tally,
  asm?: Assembler,
  sender = 1,
  direct = true,
): void {
  const m = attempt('totem', () => decodeTotemMessage(bytes), tally)
  if (m !== undefined) {
    checkBounds('totem', m, bytes.length)
    if (m.type === 'mcast') decodeMcastPayload(m, bytes, tally, asm, sender)
  }
  if (!direct) return
  for (const le of [true, false]) {
    const pg = attempt('pg', () => decodePgPacket(bytes, le), tally)
    if (pg !== undefined) {
      checkBounds('pg', pg, bytes.length)
      if (asm !== undefined) attempt('assembler', () => asm.push(sender, pg, le), tally)
    }
    const app = attempt('app', () => decodeAppMessage(bytes, le), tally)
    if (app !== undefined) checkBounds('app', app, bytes.length)
  }
  const fake: Mcast = {
    type: 'mcast',
    nodeid: 1,
    targetNodeid: 0,
    encapsulated: 1,
    systemFrom: 1,
    seq: 1,
    thisSeqno: 0,
    ringId: { rep: 1, seq: 1n },
    nodeIdUnused: 0,
    guarantee: 0,
    payload: bytes,
  }
  const inner = attempt('encapsulated', () => decodeEncapsulated(fake), tally)
  if (inner !== undefined) checkBounds('encapsulated', inner, bytes.length)
}

function decodeMcastPayload(
  m: Mcast,
  datagram: Uint8Array,
  tally: Tally | undefined,
  asm: Assembler | undefined,
  sender: number,
): void {
  let carrier: Mcast | undefined = m
  let le = detectByteOrder(datagram)
  if (m.encapsulated === 1) {
    carrier = attempt('encapsulated', () => decodeEncapsulated(m), tally)
    if (carrier === undefined) return
    checkBounds('encapsulated', carrier, datagram.length)
    le = detectByteOrder(m.payload)
  }
  const c = carrier
  const pg = attempt('pg', () => decodePgPacket(c.payload, le), tally)
  if (pg === undefined) return
  checkBounds('pg', pg, datagram.length)
  const n = pg.pieces.length
  pg.pieces.forEach((piece, i) => {
    if ((i === 0 && pg.continuation !== 0) || (i === n - 1 && pg.fragmented !== 0)) return
    const app = attempt('app', () => decodeAppMessage(piece, le), tally)
    if (app !== undefined) checkBounds('app', app, piece.length)
  })
  if (asm !== undefined) attempt('assembler', () => asm.push(sender, pg, le), tally)
}
