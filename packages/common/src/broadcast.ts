import type { NodeId, RingId } from './ids.ts'

/**
 * Delivery guarantee of one message (seed 004): `agreed` is total order; `safe` is total order
 * plus delivery only once every member of the configuration holds a copy.
 */
export type Guarantee = 'agreed' | 'safe'

/** One application message handed up by the ring layer, after reassembly. */
export interface Delivery {
  readonly sender: NodeId
  readonly ringId: RingId
  readonly guarantee: Guarantee
  /** A view valid during the callback only: `slice()` it to keep it. */
  readonly payload: Uint8Array
}

/**
 * A configuration change (extended virtual synchrony): a `transitional` configuration (the
 * survivors of the old ring) then, after the old ring's remaining messages, the `regular` one.
 */
export interface ConfigurationChange {
  readonly kind: 'transitional' | 'regular'
  readonly ringId: RingId
  /** Sorted ascending. */
  readonly members: readonly NodeId[]
  readonly left: readonly NodeId[]
  readonly joined: readonly NodeId[]
}

/** Receives deliveries and configuration changes, synchronously, in the order the core decides. */
export interface BroadcastListener {
  onDeliver(d: Delivery): void
  onConfigurationChange(c: ConfigurationChange): void
}

/**
 * Total-order broadcast. srp implements it for one ring, multiring across rings; cpg depends only
 * on this. `send` answers `'full'` (nothing queued) when the send window is full.
 */
export interface Broadcast {
  send(payload: Uint8Array, guarantee: Guarantee): 'queued' | 'full'
  readonly members: readonly NodeId[]
  /**
   * The layer above has re-synchronised after the last regular configuration (corosync's "trans
   * ack"): messages the ring held back while it re-formed may go out now. Optional; only a ring
   * that holds them (srp's `holdSendsDuringRingChange`) does anything with it.
   */
  syncCompleted?(): void
}
