/**
 * A lock service with no server (seeds 000–002, MISSION §1): every process in a CPG group keeps a
 * replica of the lock table; lock and unlock requests are CPG messages in agreed order, so every
 * replica takes the same decisions, and a process holds a lock the moment its own request is
 * delivered first — no request/response round trip, no single point of failure. Members that
 * leave (leave, procdown, nodedown) lose their locks at that point of the order; joiners get the
 * table by state transfer in agreed order; a digest check compares all replicas.
 *
 * @example
 * ```ts
 * import { initialize } from '@totem-ts/cpg'
 * import { createLockService } from '@totem-ts/lockdemo'
 *
 * const cpg = await initialize({ socketPath: '/var/lib/totem-ts/cpg.sock' })
 * const locks = await createLockService(cpg, 'locks')
 * await locks.lock('printer')
 * locks.unlock('printer')
 * const { equal } = await locks.check()
 * ```
 *
 * @packageDocumentation
 */

export {
  decodeMessage,
  LOCK_NAME_BYTES_MAX,
  LOCKS_MAX,
  MEMBERS_MAX,
  type Member,
  WAITERS_MAX,
} from './codec.ts'
export { LockError, LockErrorCode, lockError } from './errors.ts'
export {
  type CheckResult,
  type GroupChange,
  type Handover,
  type LockInfo,
  type MemberChange,
  type MembershipEvent,
  Replica,
  type ReplicaHooks,
  type ReplicaStats,
} from './replica.ts'
export {
  createLockService,
  type LockOptions,
  type LockService,
  type LockServiceEvents,
  type LockServiceOptions,
  type LockServiceStats,
} from './service.ts'
