import { invalidArgument } from './errors.ts'
import { NODES_MAX } from './limits.ts'

/**
 * A processor (node) id: a non-zero unsigned 32-bit integer, as in corosync's nodelist. On the
 * wire of corosync 3.x the node id *is* the node's address.
 */
export type NodeId = number & { readonly __brand: 'NodeId' }

/** True when `n` is a valid node id (1 … 2³²−1). */
export function isNodeId(n: unknown): n is NodeId {
  return typeof n === 'number' && Number.isInteger(n) && n > 0 && n <= 0xffff_ffff
}

/** Checks and brands a node id; throws `ERR_INVALID_ARGUMENT` otherwise. */
export function nodeId(n: number): NodeId {
  if (!isNodeId(n))
    invalidArgument(`node id must be an integer in 1..4294967295, got ${n}`, { value: String(n) })
  return n
}

/**
 * Ring identifier `memb_ring_id` (reference §1.5): the representative's node id and a 64-bit
 * ring sequence number. `seq` is a `bigint` because it is 64 bits on the wire (ADR 0002).
 */
export interface RingId {
  /** Node id of the representative (lowest node id of the ring when it formed). */
  readonly rep: number
  /** Ring sequence number; grows by at least 4 per new ring. */
  readonly seq: bigint
}

/** Builds a {@link RingId}, checking both fields. */
export function ringId(rep: number, seq: bigint): RingId {
  if (!Number.isInteger(rep) || rep < 0 || rep > 0xffff_ffff)
    invalidArgument('ring id rep must be a u32', { rep })
  if (seq < 0n || seq > 0xffff_ffff_ffff_ffffn)
    invalidArgument('ring id seq must be a u64', { seq: seq.toString() })
  return { rep, seq }
}

/** True when both ring ids are the same ring. */
export function ringIdEquals(a: RingId, b: RingId): boolean {
  return a.rep === b.rep && a.seq === b.seq
}

/** Orders ring ids by seq, then rep. */
export function compareRingId(a: RingId, b: RingId): number {
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1
  return a.rep - b.rep
}

/** The EVS trace form `"<rep>.<seq>"` in decimal (EVS-TRACE.md). */
export function formatRingId(r: RingId): string {
  return `${r.rep}.${r.seq}`
}

/** corosync's log form `"<rep>.<seq>"` in hex, e.g. `1.d`. */
export function formatRingIdHex(r: RingId): string {
  return `${r.rep.toString(16)}.${r.seq.toString(16)}`
}

/** Sorts node ids ascending (ring order), checking count and uniqueness. */
export function sortedMembers(members: readonly number[]): NodeId[] {
  if (members.length > NODES_MAX)
    invalidArgument(`at most ${NODES_MAX} members`, { count: members.length })
  const out = members.map(nodeId).sort((a, b) => a - b)
  for (let i = 1; i < out.length; i++) {
    if (out[i] === out[i - 1]) invalidArgument('duplicate node id', { node: out[i] as number })
  }
  return out
}
