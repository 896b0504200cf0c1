import { invalidArgument, MESSAGE_BYTES_MAX, NODES_MAX } from '@totem-ts/common'
import type { WireErrorCode } from '../errors.ts'
import type { PgPacket } from './packet.ts'

/** Options of {@link createAssembler}. */
export interface AssemblerOptions {
  /**
   * Largest reassembled message (group header included). A chain that grows past it is dropped.
   * @defaultValue 1 MiB + 4 KiB
   */
  readonly messageBytesMax?: number
  /**
   * Most senders with a partial message at once. A fragment from one more sender is dropped.
   * @defaultValue 384
   */
  readonly sendersMax?: number
  /** Called with every reassembled message, in order, per sender. */
  readonly onMessage: (sender: number, message: Uint8Array, littleEndian: boolean) => void
  /** Called for every message or fragment dropped, with why. */
  readonly onDrop?: (sender: number, code: WireErrorCode, bytes: number) => void
}

/** Counters of an {@link Assembler}. */
export interface AssemblerStats {
  packetsIn: number
  messagesOut: number
  /** Messages that arrived in pieces. */
  reassembled: number
  /** Pieces dropped because they did not continue the chain in progress. */
  fragmentsDropped: number
  /** Partial messages abandoned (chain broken, too large, or cleared at a configuration change). */
  partialsDropped: number
  /** Bytes currently buffered across all senders. */
  bufferedBytes: number
}

/**
 * Reassembles totempg messages per sender from packets in delivery order (reference §5.4). Its
 * memory is bounded: at most `sendersMax` partial messages of at most `messageBytesMax` each.
 * Unlike corosync, the complete messages that follow a broken chain in the same packet are still
 * delivered.
 */
export interface Assembler {
  /** Feeds one delivered packet from `sender`. */
  push(sender: number, packet: PgPacket, littleEndian: boolean): void
  /** Drops the partial message of `sender` (it left), or of everyone. */
  clear(sender?: number): void
  stats(): Readonly<AssemblerStats>
}

interface Partial {
  pieces: Uint8Array[]
  bytes: number
  /** The `fragmented` value the next packet's `continuation` must match. */
  chain: number
}

/** Creates an {@link Assembler}. */
export function createAssembler(options: AssemblerOptions): Assembler {
  const maxBytes = options.messageBytesMax ?? MESSAGE_BYTES_MAX + 4096
  const sendersMax = options.sendersMax ?? NODES_MAX
  if (!Number.isInteger(maxBytes) || maxBytes < 1)
    invalidArgument('messageBytesMax', { value: maxBytes })
  if (!Number.isInteger(sendersMax) || sendersMax < 1)
    invalidArgument('sendersMax', { value: sendersMax })
  const { onMessage, onDrop } = options
  const partials = new Map<number, Partial>()
  const st: AssemblerStats = {
    packetsIn: 0,
    messagesOut: 0,
    reassembled: 0,
    fragmentsDropped: 0,
    partialsDropped: 0,
    bufferedBytes: 0,
  }

  const abandon = (sender: number, code: WireErrorCode): void => {
    const p = partials.get(sender)
    if (p === undefined) return
    partials.delete(sender)
    st.bufferedBytes -= p.bytes
    st.partialsDropped++
    onDrop?.(sender, code, p.bytes)
  }

  const dropPiece = (sender: number, piece: Uint8Array): void => {
    st.fragmentsDropped++
    onDrop?.(sender, 'ERR_WIRE_BAD_FRAGMENT', piece.length)
  }

  /** Appends to the sender's partial message (copying: packets are views into datagrams). */
  const extend = (sender: number, piece: Uint8Array, chain: number): void => {
    let p = partials.get(sender)
    if (p === undefined) {
      if (partials.size >= sendersMax) {
        st.fragmentsDropped++
        onDrop?.(sender, 'ERR_WIRE_TOO_MANY', piece.length)
        return
      }
      p = { pieces: [], bytes: 0, chain }
      partials.set(sender, p)
    }
    if (p.bytes + piece.length > maxBytes) {
      abandon(sender, 'ERR_WIRE_TOO_LONG')
      return
    }
    p.pieces.push(piece.slice())
    p.bytes += piece.length
    p.chain = chain
    st.bufferedBytes += piece.length
  }

  const complete = (sender: number, last: Uint8Array, littleEndian: boolean): void => {
    const p = partials.get(sender)
    if (p === undefined) return
    partials.delete(sender)
    st.bufferedBytes -= p.bytes
    if (p.bytes + last.length > maxBytes) {
      st.partialsDropped++
      onDrop?.(sender, 'ERR_WIRE_TOO_LONG', p.bytes + last.length)
      return
    }
    const out = new Uint8Array(p.bytes + last.length)
    let at = 0
    for (const piece of p.pieces) {
      out.set(piece, at)
      at += piece.length
    }
    out.set(last, at)
    st.messagesOut++
    st.reassembled++
    onMessage(sender, out, littleEndian)
  }

  const push = (sender: number, packet: PgPacket, littleEndian: boolean): void => {
    st.packetsIn++
    const pieces = packet.pieces
    const n = pieces.length
    if (n === 0) return
    let first = 0
    const inProgress = partials.get(sender)
    if (packet.continuation !== 0) {
      // The first piece continues a chain: it must be the chain this sender left open.
      const piece = pieces[0] as Uint8Array
      if (inProgress === undefined || inProgress.chain !== packet.continuation) {
        if (inProgress !== undefined) abandon(sender, 'ERR_WIRE_BAD_FRAGMENT')
        dropPiece(sender, piece)
      } else if (n === 1 && packet.fragmented !== 0) {
        extend(sender, piece, packet.fragmented) // a middle fragment
        return
      } else {
        complete(sender, piece, littleEndian)
      }
      first = 1
    } else if (inProgress !== undefined) {
      // A new message starts while one was still open: the open one lost its tail.
      abandon(sender, 'ERR_WIRE_BAD_FRAGMENT')
    }
    const whole = packet.fragmented !== 0 ? n - 1 : n
    for (let i = first; i < whole; i++) {
      st.messagesOut++
      onMessage(sender, pieces[i] as Uint8Array, littleEndian)
    }
    if (packet.fragmented !== 0 && n - 1 >= first)
      extend(sender, pieces[n - 1] as Uint8Array, packet.fragmented)
  }

  return {
    push,
    clear(sender?: number) {
      if (sender === undefined)
        for (const s of [...partials.keys()]) abandon(s, 'ERR_WIRE_BAD_FRAGMENT')
      else abandon(sender, 'ERR_WIRE_BAD_FRAGMENT')
    },
    stats: () => ({ ...st }),
  }
}
