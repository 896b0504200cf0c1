import type { NodeId, TransportStats } from '@totem-ts/common'

/** Counters kept per nodelist member. */
export interface UdpPeerStats {
  readonly nodeId: NodeId
  readonly address: string
  /** Datagrams handed to the kernel for this peer (an `'all'` send counts once per peer). */
  datagramsTx: number
  bytesTx: number
  /** Datagrams accepted from this peer's address. */
  datagramsRx: number
  bytesRx: number
  /** Failed sends to this peer, ICMP errors reported for it (`ECONNREFUSED`) included. */
  sendErrors: number
}

/**
 * `stats()` of the UDP transport: the common {@link TransportStats} (`rxDropped` keys are
 * `ERR_UDP_UNLISTED_SOURCE`, `ERR_UDP_OVERSIZE`, or the code of a `TotemError` the handler threw)
 * plus the fields below.
 */
export interface UdpStats extends TransportStats {
  /** `sendErrors` split by cause: `ERR_UDP_*` codes or the errno (`EHOSTUNREACH`, `ENOBUFS`…). */
  sendErrorsByCode: Record<string, number>
  /** Errors the listening socket reported that are not about a send, by errno. */
  socketErrors: Record<string, number>
  /**
   * `SO_RCVBUF` of the listening socket as the kernel reports it after the request (Linux doubles
   * the granted value for its bookkeeping and caps it at `net.core.rmem_max`). 0 before `start()`.
   */
  receiveBufferBytes: number
  /** `SO_SNDBUF` of the sending socket(s) as reported by the kernel; 0 before `start()`. */
  sendBufferBytes: number
  /** The last `setMembers()` list (udpu sends to the whole nodelist regardless). */
  members: readonly NodeId[]
  /** One entry per nodelist member, sorted by node id, self included. */
  readonly peers: readonly UdpPeerStats[]
}

/** A zeroed {@link UdpStats} for the given peers. */
export function createUdpStats(
  peers: readonly { readonly nodeId: NodeId; readonly address: string }[],
): UdpStats {
  return {
    datagramsTx: 0,
    datagramsRx: 0,
    bytesTx: 0,
    bytesRx: 0,
    sendErrors: 0,
    rxDropped: {},
    sendErrorsByCode: {},
    socketErrors: {},
    receiveBufferBytes: 0,
    sendBufferBytes: 0,
    members: [],
    peers: peers.map((p) => ({
      nodeId: p.nodeId,
      address: p.address,
      datagramsTx: 0,
      bytesTx: 0,
      datagramsRx: 0,
      bytesRx: 0,
      sendErrors: 0,
    })),
  }
}

/** Adds one to `counts[code]`. */
export function countCode(counts: Record<string, number>, code: string): void {
  counts[code] = (counts[code] ?? 0) + 1
}
