/** Counters of one multiring processor. Deterministic; cost nothing to keep. */
export interface MultiringStats {
  /** Application messages accepted by `send` / refused with `'full'`. */
  sent: number
  sendRefused: number
  /** Messages handed to an srp (own, forwarded, control). */
  srpTx: number
  /** Multiring messages accepted into a receive list (regular, CC) or merged (GV). */
  received: number
  /** Copies dropped because their source ring already reached their timestamp (other paths). */
  duplicates: number
  /** Messages forwarded onto another ring (gateways). */
  forwarded: number
  /** Guarantee vectors sent (gateways). */
  gvTx: number
  /** Application messages delivered; configuration changes (topology changes) delivered. */
  delivered: number
  topologyChanges: number
  /** Rings established here (start rounds completed) / abandoned before completion. */
  ringsEstablished: number
  ringsAbandoned: number
  /** Start rounds begun again on the same srp ring: the members of its CC proposed different topologies. */
  roundsRestarted: number
  /** Network-topology messages sent (a gateway at a CC of its ring) / topology changes sent. */
  ntTx: number
  tcTx: number
  /** Decision acknowledgements sent (one per CC decided, per LAN with a ring) and received. */
  acksTx: number
  acksRx: number
  /** CCs given up: their ring became unreachable before its topology change arrived. */
  ccsAbandoned: number
  /** Rings cut off from this processor that a later topology brought back (ordered again from its CC). */
  ringsReopened: number
  /** Transitional configurations entered early for safe messages no longer provably held. */
  transitionalEarly: number
  /**
   * Previous rings whose tail srp delivered to mates only (in configurations whose start rounds
   * were abandoned): this processor went through a configuration of its own.
   */
  tailsLost: number
  /**
   * Held or pending messages dropped for lack of space (`joinBufferMax`) that srp had delivered
   * here: this processor went through a configuration of its own, the CCs below them given up.
   */
  lostForSpace: number
  /** Own messages sent again because their ring left the topology before they were stamped. */
  resent: number
  /** Deliveries skipped because the same message (sender, nonce, seq) was already delivered. */
  duplicateDeliveries: number
  /** Received datagrams dropped, by error code (`ERR_MULTIRING_*`). */
  rxDropped: Record<string, number>
}

/** A zeroed {@link MultiringStats}. */
export function createMultiringStats(): MultiringStats {
  return {
    sent: 0,
    sendRefused: 0,
    srpTx: 0,
    received: 0,
    duplicates: 0,
    forwarded: 0,
    gvTx: 0,
    delivered: 0,
    topologyChanges: 0,
    ringsEstablished: 0,
    ringsAbandoned: 0,
    roundsRestarted: 0,
    ntTx: 0,
    tcTx: 0,
    acksTx: 0,
    acksRx: 0,
    ccsAbandoned: 0,
    ringsReopened: 0,
    transitionalEarly: 0,
    tailsLost: 0,
    lostForSpace: 0,
    resent: 0,
    duplicateDeliveries: 0,
    rxDropped: {},
  }
}
