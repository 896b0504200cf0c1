import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { isTotemError } from '@totem-ts/common'
import type { CpgConfchgEvent, CpgDeliverEvent, CpgHandle } from '@totem-ts/cpg'
import { encodeCheck, type Member, nameBytes, OpCode, OpsWriter } from './codec.ts'
import { LockError, LockErrorCode, lockError } from './errors.ts'
import {
  type CheckResult,
  type LockInfo,
  type MembershipEvent,
  Replica,
  type ReplicaStats,
} from './replica.ts'

/** Options of {@link createLockService}. */
export interface LockServiceOptions {
  /**
   * Lock and unlock requests are batched into one CPG message of up to this many bytes (a
   * request takes 2 bytes plus its name). Batches go out once per event-loop turn.
   * @defaultValue 4096
   */
  readonly batchBytes?: number
  /** Aborts the wait for the first table (the join itself is not undone). */
  readonly signal?: AbortSignal
}

/** Options of one {@link LockService.lock}. */
export interface LockOptions {
  /** Cancels the request while it waits (rejects with `ERR_LOCK_ABORTED`). */
  readonly signal?: AbortSignal
}

/** The typed events of a {@link LockService}. */
export interface LockServiceEvents {
  /** A configuration change of the group, with the locks handed on because their holders left. */
  membership: [MembershipEvent]
  /** This replica holds a valid table (after a snapshot, or empty when no table survived). */
  synced: [{ readonly via: 'snapshot' | 'empty'; readonly from: Member | undefined }]
  /** This replica lost a merge: these locks it held are no longer held (`ERR_LOCK_REVOKED`). */
  revoked: [readonly string[]]
  /** The CPG handle closed or the service was closed. */
  close: [LockError]
}

/** Counters of a {@link LockService} (this process's side) plus its replica's. */
export interface LockServiceStats extends ReplicaStats {
  /** Locks granted to this process. */
  granted: number
  requests: number
  unlocks: number
  messagesSent: number
  opsSent: number
  /** Times the CPG handle answered try-again (the service then awaits `writable()`). */
  tryAgain: number
}

/**
 * The lock service of one process: its replica of the table, and requests that resolve when the
 * process's own request is delivered while the lock is free (or when it reaches the head of its
 * queue). See the package README for the rules.
 */
export interface LockService extends EventEmitter<LockServiceEvents> {
  /** This process in the group. */
  readonly member: Member
  readonly group: string
  /** True while this replica holds a valid table (requests wait while it does not). */
  readonly synced: boolean
  /** Resolves once this replica holds a valid table. */
  ready(): Promise<void>
  /** Resolves when this process holds `name`. */
  lock(name: string, options?: LockOptions): Promise<void>
  /** Releases `name` (held), or cancels the waiting request (its promise rejects `ERR_LOCK_ABORTED`). */
  unlock(name: string): void
  /** Names this process holds. */
  held(): string[]
  /** The replicated table, sorted by name. */
  table(): LockInfo[]
  /** SHA-256 hex of this replica's table (canonical form). */
  digest(): string
  /**
   * Multicasts a CHECK: every synced replica answers with the digest of its table at the CHECK's
   * place in the order. Resolves with all answers (members that leave meanwhile are not waited for).
   */
  check(): Promise<CheckResult>
  /** The group's members. */
  members(): Member[]
  stats(): LockServiceStats
  /** Leaves the group; waiting requests reject `ERR_LOCK_CLOSED`. The handle stays open. */
  close(): Promise<void>
}

interface Request {
  held: boolean
  resolve: () => void
  reject: (e: unknown) => void
  unhook: () => void
}

/**
 * Joins `group` on `handle` and returns this process's lock service, once it holds the table.
 *
 * @example
 * ```ts
 * import { initialize } from '@totem-ts/cpg'
 * import { createLockService } from '@totem-ts/lockdemo'
 *
 * const cpg = await initialize({ socketPath: '/var/lib/totem-ts/cpg.sock' })
 * const locks = await createLockService(cpg, 'locks')
 * await locks.lock('printer')     // held the moment our request is delivered first
 * locks.unlock('printer')
 * console.log((await locks.check()).equal)
 * ```
 */
export async function createLockService(
  handle: CpgHandle,
  group: string,
  options: LockServiceOptions = {},
): Promise<LockService> {
  const batchBytes = options.batchBytes ?? 4096
  if (!Number.isInteger(batchBytes) || batchBytes < 64 || batchBytes > 512 * 1024)
    lockError(LockErrorCode.InvalidArgument, 'batchBytes must be an integer in 64..524288', {
      batchBytes,
    })
  if (typeof group !== 'string' || group === '')
    lockError(LockErrorCode.InvalidArgument, 'group must be a non-empty string')
  const s = new Service(handle, group, batchBytes)
  try {
    await handle.join(group)
  } catch (e) {
    s.detach()
    throw e
  }
  await s.readyWith(options.signal)
  return s
}

class Service extends EventEmitter<LockServiceEvents> implements LockService {
  readonly member: Member
  readonly group: string
  readonly #handle: CpgHandle
  readonly #replica: Replica
  readonly #writer: OpsWriter
  readonly #batchBytes: number
  readonly #out: Uint8Array[] = []
  #scheduled = false
  #sending = false
  readonly #requests = new Map<string, Request>()
  readonly #unlocking = new Map<string, number>()
  readonly #readyWaiters: (() => void)[] = []
  readonly #checks = new Map<number, (r: CheckResult) => void>()
  #nextCheck = 1
  #closed: LockError | undefined
  readonly #st = { granted: 0, requests: 0, unlocks: 0, messagesSent: 0, opsSent: 0, tryAgain: 0 }
  readonly #onDeliver: (e: CpgDeliverEvent) => void
  readonly #onConfchg: (e: CpgConfchgEvent) => void
  readonly #onClose: () => void

  constructor(handle: CpgHandle, group: string, batchBytes: number) {
    super()
    this.#handle = handle
    this.group = group
    this.member = { nodeId: handle.nodeId, pid: handle.pid }
    this.#batchBytes = batchBytes
    this.#writer = new OpsWriter(batchBytes)
    this.#replica = new Replica(this.member, {
      send: (b) => this.#send(b),
      nonce: () => randomBytes(8).toString('hex'),
      granted: (name) => this.#granted(name),
      refused: (name) => this.#refused(name),
      unlockApplied: (name) => {
        const n = (this.#unlocking.get(name) ?? 1) - 1
        if (n <= 0) this.#unlocking.delete(name)
        else this.#unlocking.set(name, n)
      },
      lost: () => this.#lost(),
      synced: (via, from) => {
        for (const w of this.#readyWaiters.splice(0)) w()
        this.emit('synced', { via, from })
        this.#schedule()
      },
      membership: (ev) => this.emit('membership', ev),
      checked: (r) => {
        const w = this.#checks.get(r.id)
        this.#checks.delete(r.id)
        w?.(r)
      },
    })
    this.#onDeliver = (e) => {
      if (e.group === this.group) this.#replica.deliver(e, e.payload)
    }
    this.#onConfchg = (e) => {
      if (e.group === this.group) this.#replica.confchg(e)
    }
    this.#onClose = () => this.#shut(new LockError(LockErrorCode.Closed, 'the CPG handle closed'))
    handle.on('deliver', this.#onDeliver)
    handle.on('confchg', this.#onConfchg)
    handle.on('close', this.#onClose)
  }

  get synced(): boolean {
    return this.#replica.synced
  }

  detach(): void {
    this.#handle.off('deliver', this.#onDeliver)
    this.#handle.off('confchg', this.#onConfchg)
    this.#handle.off('close', this.#onClose)
  }

  readyWith(signal: AbortSignal | undefined): Promise<void> {
    if (this.#replica.synced) return Promise.resolve()
    if (this.#closed !== undefined) return Promise.reject(this.#closed)
    return new Promise((resolve, reject) => {
      const onAbort = (): void =>
        reject(new LockError(LockErrorCode.Aborted, 'stopped waiting for the lock table'))
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#readyWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      })
    })
  }

  ready(): Promise<void> {
    return this.readyWith(undefined)
  }

  #check(): void {
    if (this.#closed !== undefined) throw this.#closed
  }

  lock(name: string, options: LockOptions = {}): Promise<void> {
    this.#check()
    const bytes = nameBytes(name)
    if (this.#requests.has(name))
      lockError(LockErrorCode.Already, `this process already holds or waits for ${name}`, { name })
    const signal = options.signal
    if (signal?.aborted)
      return Promise.reject(new LockError(LockErrorCode.Aborted, `request for ${name} aborted`))
    this.#st.requests++
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.#requests.get(name)?.held === false) this.unlock(name)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#requests.set(name, {
        held: false,
        resolve,
        reject,
        unhook: () => signal?.removeEventListener('abort', onAbort),
      })
      this.#op(OpCode.Lock, bytes)
    })
  }

  unlock(name: string): void {
    this.#check()
    const bytes = nameBytes(name)
    const r = this.#requests.get(name)
    if (r === undefined)
      lockError(LockErrorCode.NotHeld, `this process neither holds nor waits for ${name}`, { name })
    this.#requests.delete(name)
    r.unhook()
    this.#st.unlocks++
    this.#unlocking.set(name, (this.#unlocking.get(name) ?? 0) + 1)
    this.#op(OpCode.Unlock, bytes)
    if (!r.held) r.reject(new LockError(LockErrorCode.Aborted, `request for ${name} cancelled`))
  }

  held(): string[] {
    return [...this.#requests.entries()].filter(([, r]) => r.held).map(([n]) => n)
  }

  table(): LockInfo[] {
    return this.#replica.table()
  }

  digest(): string {
    return this.#replica.digest()
  }

  members(): Member[] {
    return this.#replica.members
  }

  check(): Promise<CheckResult> {
    this.#check()
    const id = this.#nextCheck++
    if (this.#nextCheck > 0xffffffff) this.#nextCheck = 1
    const p = new Promise<CheckResult>((resolve) => this.#checks.set(id, resolve))
    this.#flushOps()
    this.#send(encodeCheck(id))
    return p
  }

  stats(): LockServiceStats {
    return { ...this.#replica.stats, ...this.#st }
  }

  async close(): Promise<void> {
    if (this.#closed !== undefined) return
    this.#shut(new LockError(LockErrorCode.Closed, 'the lock service was closed'))
    try {
      await this.#handle.leave(this.group)
    } catch (e) {
      if (!isTotemError(e)) throw e
    }
  }

  #shut(e: LockError): void {
    if (this.#closed !== undefined) return
    this.#closed = e
    this.detach()
    for (const r of this.#requests.values()) {
      r.unhook()
      if (!r.held) r.reject(e)
    }
    this.#requests.clear()
    this.#out.length = 0
    this.#writer.take()
    this.emit('close', e)
  }

  // ------------------------------------------------------------------ replica hooks

  #granted(name: string): void {
    if (this.#unlocking.has(name)) return // the grant of a request this process already gave up
    const r = this.#requests.get(name)
    if (r === undefined || r.held) return
    r.held = true
    r.unhook()
    this.#st.granted++
    r.resolve()
  }

  #refused(name: string): void {
    if (this.#unlocking.has(name)) return
    const r = this.#requests.get(name)
    if (r === undefined || r.held) return
    this.#requests.delete(name)
    r.unhook()
    r.reject(new LockError(LockErrorCode.TableFull, `the lock table is full (${name} refused)`))
  }

  #lost(): void {
    const revoked: string[] = []
    const e = new LockError(
      LockErrorCode.Revoked,
      'a partition merge took precedence over this table',
    )
    for (const [name, r] of this.#requests) {
      r.unhook()
      if (r.held) revoked.push(name)
      else r.reject(e)
    }
    this.#requests.clear()
    this.#unlocking.clear()
    this.#writer.take()
    if (revoked.length > 0) this.emit('revoked', revoked)
  }

  // ------------------------------------------------------------------ sending

  #op(op: OpCode, name: Uint8Array): void {
    this.#writer.push(op, name)
    if (this.#writer.bytes >= this.#batchBytes) this.#flushOps()
    this.#schedule()
  }

  #flushOps(): void {
    if (this.#writer.count === 0 || !this.#replica.synced) return
    this.#st.opsSent += this.#writer.count
    this.#out.push(this.#writer.take())
    this.#pump()
  }

  #send(bytes: Uint8Array): void {
    this.#out.push(bytes)
    this.#pump()
  }

  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#flushOps()
    })
  }

  #pump(): void {
    if (this.#sending || this.#closed !== undefined) return
    while (this.#out.length > 0) {
      const b = this.#out[0] as Uint8Array
      try {
        this.#handle.mcast(this.group, b)
      } catch (e) {
        if (isTotemError(e) && e.code === 'ERR_CPG_TRY_AGAIN') {
          this.#st.tryAgain++
          this.#sending = true
          this.#handle.writable().then(
            () => {
              this.#sending = false
              this.#pump()
            },
            (err: unknown) =>
              this.#shut(
                new LockError(LockErrorCode.Closed, 'the CPG handle closed', { cause: err }),
              ),
          )
          return
        }
        if (isTotemError(e) && e.code.startsWith('ERR_CPG_')) {
          this.#shut(
            new LockError(LockErrorCode.Closed, `CPG refused a multicast: ${e.code}`, { cause: e }),
          )
          return
        }
        throw e
      }
      this.#out.shift()
      this.#st.messagesSent++
    }
  }
}
