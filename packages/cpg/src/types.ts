import type { Guarantee } from '@totem-ts/common'

/** A process group member: a process on a node (seed 000: "processor and process id"). */
export interface CpgMember {
  readonly nodeId: number
  readonly pid: number
}

/**
 * Why a member joined or left, as corosync's `CPG_REASON_*`: `join`/`leave` are the process's own
 * calls; `nodedown`/`nodeup` come with ring changes; `procdown` is a process that vanished (its
 * client died, or its node no longer announces it).
 */
export type CpgReason = 'join' | 'leave' | 'nodedown' | 'nodeup' | 'procdown'

/** A member in a `left` or `joined` list, with the reason. */
export interface CpgMemberChange extends CpgMember {
  readonly reason: CpgReason
}

/** A message delivered to a joined group, in agreed (or safe) order. */
export interface CpgDeliverEvent {
  readonly type: 'deliver'
  readonly group: string
  readonly nodeId: number
  readonly pid: number
  readonly guarantee: Guarantee
  /** The ring configuration it is delivered in, `"<rep>.<seq>"`. */
  readonly ringId: string
  /**
   * The application data. In the service's own callbacks it is a view valid during the call; the
   * client library hands out a copy.
   */
  readonly payload: Uint8Array
}

/**
 * A group configuration change. `transitional` comes with a ring change (the group's members on
 * the surviving nodes, before the old ring's last messages); `regular` follows once the groups are
 * re-synchronised on the new ring, and on every join and leave.
 */
export interface CpgConfchgEvent {
  readonly type: 'confchg'
  readonly group: string
  readonly kind: 'transitional' | 'regular'
  readonly ringId: string
  /** Sorted by node id, then pid. */
  readonly members: readonly CpgMember[]
  readonly left: readonly CpgMemberChange[]
  readonly joined: readonly CpgMemberChange[]
}

/** A ring (totem) configuration change, transitional or regular. */
export interface CpgTotemConfchgEvent {
  readonly type: 'totemConfchg'
  readonly kind: 'transitional' | 'regular'
  readonly ringId: string
  /** Node ids, sorted. */
  readonly members: readonly number[]
}

/** Everything a handle receives. */
export type CpgEvent = CpgDeliverEvent | CpgConfchgEvent | CpgTotemConfchgEvent

/** One group and its members, cluster-wide (`totem-cpgtool`). */
export interface CpgGroupInfo {
  readonly group: string
  readonly members: readonly CpgMember[]
}

/** Options of one multicast. */
export interface CpgMcastOptions {
  /** @defaultValue 'agreed' */
  readonly guarantee?: Guarantee
}
