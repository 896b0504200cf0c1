import { invalidArgument, MESSAGE_BYTES_MAX, NETMTU_OVERHEAD } from '@totem-ts/common'
import { Writer } from '../cursor.ts'
import { PG_HEADER_BYTES } from './packet.ts'

/** corosync's `net_mtu` for a `totem.netmtu`: the largest totempg packet (1500 → 1410). */
export function pgPacketBytesForNetmtu(netmtu: number): number {
  return netmtu - NETMTU_OVERHEAD
}

/** Options of {@link createPacker}. */
export interface PackerOptions {
  /**
   * Largest totempg packet (corosync's `net_mtu`). Use {@link pgPacketBytesForNetmtu}.
   * @defaultValue 1410 (netmtu 1500)
   */
  readonly pgPacketBytesMax?: number
  /** @defaultValue true */
  readonly littleEndian?: boolean
  /** Receives each finished packet (a totempg payload, ready for an mcast header). */
  readonly onPacket: (packet: Uint8Array) => void
}

/** Counters of a {@link Packer}. */
export interface PackerStats {
  messagesIn: number
  bytesIn: number
  packetsOut: number
  /** Packets that ended in a fragment (the message continues in the next packet). */
  fragmentsOut: number
}

/**
 * Packs many small messages into one packet and fragments large ones (reference §5.2–5.3). It
 * follows corosync's `mcast_msg` step for step, so a totem-ts node emits the same packets a
 * corosync node would for the same messages.
 */
export interface Packer {
  /**
   * Appends one message, given as its parts (iovec; corosync passes the group header and the body
   * as two parts). Full packets go to `onPacket` at once; the rest waits for {@link Packer.flush}.
   */
  add(parts: Uint8Array | readonly Uint8Array[]): void
  /** Emits the partly filled packet, if any (corosync does this when the token arrives). */
  flush(): void
  /** Number of messages (or message tails) waiting in the partial packet. */
  readonly pending: number
  stats(): Readonly<PackerStats>
}

/** Creates a {@link Packer}. */
export function createPacker(options: PackerOptions): Packer {
  const netMtu = options.pgPacketBytesMax ?? 1410
  if (!Number.isInteger(netMtu) || netMtu < PG_HEADER_BYTES + 64 || netMtu > 65_535) {
    invalidArgument('pgPacketBytesMax out of range', { value: netMtu })
  }
  const littleEndian = options.littleEndian ?? true
  const onPacket = options.onPacket
  /** TOTEMPG_PACKET_SIZE: room for lengths and data. */
  const packetSize = netMtu - PG_HEADER_BYTES
  const data = new Uint8Array(packetSize)
  // Enough length slots for the most pieces one packet can hold (each piece ≥ 1 byte + 2 length).
  const lens: number[] = new Array(Math.ceil(packetSize / 3) + 2).fill(0)
  let count = 0
  let fragmentSize = 0
  let fragmentContinuation = 0
  let nextFragment = 1
  const st: PackerStats = { messagesIn: 0, bytesIn: 0, packetsOut: 0, fragmentsOut: 0 }

  const emit = (n: number, dataBytes: number, fragmented: number, continuation: number): void => {
    const w = new Writer(PG_HEADER_BYTES + 2 * n + dataBytes, littleEndian)
    w.i16(0)
    w.i16(0)
    w.u8(fragmented)
    w.u8(continuation)
    w.u16(n)
    for (let i = 0; i < n; i++) w.u16(lens[i] as number)
    w.bytesFrom(data.subarray(0, dataBytes))
    st.packetsOut++
    if (fragmented !== 0) st.fragmentsOut++
    onPacket(w.done())
  }

  const add = (input: Uint8Array | readonly Uint8Array[]): void => {
    const iov = (input instanceof Uint8Array ? [input] : input).filter((p) => p.length > 0)
    let total = 0
    for (const p of iov) total += p.length
    if (total === 0) invalidArgument('cannot send an empty message')
    if (total > MESSAGE_BYTES_MAX + 4096) invalidArgument('message too large', { bytes: total })
    st.messagesIn++
    st.bytesIn += total

    let maxPacket = packetSize - 2 * (count + 1)
    lens[count] = 0
    let copyBase = 0
    for (let i = 0; i < iov.length; ) {
      const part = iov[i] as Uint8Array
      let fragmented = 0
      const continuation = fragmentContinuation
      let copyLen = part.length - copyBase
      if (part.length + fragmentSize < maxPacket - 2) {
        // It fits with room to spare: append it.
        data.set(part.subarray(copyBase), fragmentSize)
        fragmentSize += copyLen
        lens[count] = (lens[count] as number) + copyLen
        nextFragment = 1
        copyBase = 0
        i++
        continue
      }
      // It just fits or is too big: fill the packet and send it.
      copyLen = Math.min(copyLen, maxPacket - fragmentSize)
      data.set(part.subarray(copyBase, copyBase + copyLen), fragmentSize)
      lens[count] = (lens[count] as number) + copyLen
      if (i < iov.length - 1 || copyBase + copyLen < part.length) {
        if (nextFragment === 0) nextFragment = 1
        fragmentContinuation = nextFragment
        fragmented = nextFragment
        nextFragment = (nextFragment + 1) & 0xff
      } else {
        fragmentContinuation = 0
      }
      count++
      emit(count, fragmentSize + copyLen, fragmented, continuation)
      lens[0] = 0
      count = 0
      fragmentSize = 0
      maxPacket = packetSize - 2
      if (copyBase + copyLen === part.length) {
        copyBase = 0
        i++
      } else {
        copyBase += copyLen
      }
    }
    // Count the message (or its tail) only if it added data to the partial packet.
    if ((lens[count] as number) > 0) count++
  }

  const flush = (): void => {
    if (count === 0) return
    const continuation = fragmentContinuation
    fragmentContinuation = 0
    emit(count, fragmentSize, 0, continuation)
    count = 0
    fragmentSize = 0
  }

  return {
    add,
    flush,
    get pending() {
      return count
    },
    stats: () => ({ ...st }),
  }
}
