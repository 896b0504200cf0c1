/**
 * One replica of the lock table: a deterministic state machine fed with a CPG group's deliveries
 * and configuration changes in agreed order (seeds 000–002). Every member applies the same
 * events in the same order and so holds the same table; a requester learns that it holds a lock
 * when its own request is applied, with no round trip.
 *
 * State transfer (a joiner, or the losing side of a merge, has no valid table):
 * - every regular confchg starts a *round*, tagged with a hash of (ring id, members);
 * - in each round a member without a table multicasts STATUS(pending, fresh nonce), and members
 *   with a table multicast STATUS(synced) when the group has a member without one;
 * - when a pending member's STATUS is delivered, the lowest synced member (node id, then pid)
 *   multicasts a SNAPSHOT of the table *as it is at that point of the order*, tagged with the
 *   nonce; the pending member drops what it delivered before its own STATUS, buffers what comes
 *   after, installs the snapshot when it is delivered and replays the buffer;
 * - a SNAPSHOT counts only in the round of its STATUS (a confchg in between makes the pending
 *   member ask again), so every member agrees on who became synced where;
 * - when every member's STATUS of a round has been delivered and none is synced, nobody holds a
 *   table any more: every member starts from the empty table at that point (every lock's holder
 *   and waiters are gone, since only synced members can hold or wait);
 * - a merge of two partitions that both have tables: the side holding the lowest member of the
 *   merged group keeps its table; the other side's members drop theirs (their holders get a
 *   `revoked` event, their waiters `ERR_LOCK_REVOKED`) and are transferred like joiners.
 */
import { createHash } from 'node:crypto'
import {
  compareMemberKeys,
  type Decoded,
  decodeMessage,
  encodeDigest,
  encodeSnapshot,
  encodeStatus,
  LOCKS_MAX,
  type LockEntry,
  type Member,
  MsgType,
  memberKey,
  OpCode,
  parseMemberKey,
  WAITERS_MAX,
} from './codec.ts'
import { isLockErrorLike } from './util.ts'

/** A member in a confchg's left or joined list, with CPG's reason. */
export interface MemberChange extends Member {
  readonly reason: 'join' | 'leave' | 'nodedown' | 'nodeup' | 'procdown'
}

/** A group configuration change as the replica needs it (CPG's `CpgConfchgEvent`). */
export interface GroupChange {
  readonly kind: 'transitional' | 'regular'
  readonly ringId: string
  readonly members: readonly Member[]
  readonly left: readonly MemberChange[]
  readonly joined: readonly MemberChange[]
}

/** A lock handed on because its holder left (or released it). */
export interface Handover {
  readonly name: string
  readonly from: Member
  /** The next waiter, now the holder; undefined when nobody waited (the lock is free). */
  readonly to: Member | undefined
}

/** What a replica reports at each configuration change. */
export interface MembershipEvent extends GroupChange {
  /** Locks whose holder left, and who holds them now. */
  readonly released: readonly Handover[]
  /** Waiting requests of departed members that were removed. */
  readonly dropped: number
  /** This replica was on the losing side of a merge and dropped its table. */
  readonly lost: boolean
}

/** The result of a digest check (CHECK multicast, DIGEST answers). */
export interface CheckResult {
  readonly id: number
  /** Each synced replica's digest of its table at the CHECK's place in the order. */
  readonly digests: readonly { readonly member: Member; readonly digest: string }[]
  /** True when every answer is the same digest. */
  readonly equal: boolean
}

/** One lock of {@link Replica.table}. */
export interface LockInfo {
  readonly name: string
  readonly holder: Member
  readonly waiters: readonly Member[]
}

/** How a replica talks to its service (the service does the I/O). */
export interface ReplicaHooks {
  send(bytes: Uint8Array): void
  /** 16 random hex digits. */
  nonce(): string
  /** A lock was granted to this process. */
  granted(name: string): void
  /** This process's request was refused everywhere (table full). */
  refused(name: string): void
  /** This process's own UNLOCK was applied (whatever it released or cancelled). */
  unlockApplied(name: string): void
  /** This replica dropped its table (merge lost): local holders and waiters are gone. */
  lost(): void
  synced(via: 'snapshot' | 'empty', from: Member | undefined): void
  membership(ev: MembershipEvent): void
  checked(r: CheckResult): void
}

/** Counters of a replica. */
export interface ReplicaStats {
  opsApplied: number
  grants: number
  messagesDelivered: number
  statusSent: number
  snapshotsSent: number
  snapshotsInstalled: number
  /** Messages buffered while waiting for a snapshot. */
  buffered: number
  /** Undecodable messages, dropped by every replica alike. */
  malformed: number
  refusedFull: number
  rounds: number
}

const ZERO_NONCE = '0000000000000000'

function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h >>> 0
}

type Buffered =
  | { readonly sender: string; readonly bytes: Uint8Array }
  | { readonly synced: string }

/** The replicated lock table of one process; see the module comment for the rules. */
export class Replica {
  readonly me: string
  readonly #hooks: ReplicaHooks
  /** name → holder and FIFO queue; only held locks are present. */
  #locks = new Map<string, LockEntry>()
  #waiters = 0
  /** Members that hold a valid table (replicated; meaningful only when this one is synced). */
  #synced = new Set<string>()
  #members: string[] = []
  #memberSet = new Set<string>()
  #isSynced = false
  // Round state: computed live by every member, synced or not.
  #tag = 0
  readonly #heard = new Map<string, boolean>()
  readonly #nonces = new Map<string, string>()
  #resolved = false
  // While pending.
  #myNonce: string | undefined
  #buffering = false
  #buffer: Buffered[] = []
  readonly #checks = new Map<number, { expected: Set<string>; answers: Map<string, string> }>()
  readonly stats: ReplicaStats = {
    opsApplied: 0,
    grants: 0,
    messagesDelivered: 0,
    statusSent: 0,
    snapshotsSent: 0,
    snapshotsInstalled: 0,
    buffered: 0,
    malformed: 0,
    refusedFull: 0,
    rounds: 0,
  }

  constructor(me: Member, hooks: ReplicaHooks) {
    this.me = memberKey(me.nodeId, me.pid)
    this.#hooks = hooks
  }

  /** True once this replica holds a valid table. */
  get synced(): boolean {
    return this.#isSynced
  }

  /** Current group members, sorted. */
  get members(): Member[] {
    return this.#members.map(parseMemberKey)
  }

  /** Members that hold a valid table (as far as this replica knows). */
  get syncedMembers(): Member[] {
    return [...this.#synced].sort(compareMemberKeys).map(parseMemberKey)
  }

  get lockCount(): number {
    return this.#locks.size
  }

  /** The table, sorted by name. */
  table(): LockInfo[] {
    return [...this.#locks.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, e]) => ({
        name,
        holder: parseMemberKey(e.holder),
        waiters: e.queue.map(parseMemberKey),
      }))
  }

  /** The holder of `name`, if held. */
  holder(name: string): Member | undefined {
    const e = this.#locks.get(name)
    return e === undefined ? undefined : parseMemberKey(e.holder)
  }

  /** SHA-256 (hex) of the table in canonical form: names sorted, holder, then waiters in order. */
  digest(): string {
    const h = createHash('sha256')
    const names = [...this.#locks.keys()].sort()
    for (const n of names) {
      const e = this.#locks.get(n) as LockEntry
      h.update(`${n}\u0000${e.holder}\u0000${e.queue.join(',')}\n`)
    }
    return h.digest('hex')
  }

  // ------------------------------------------------------------------ configuration changes

  confchg(ev: GroupChange): void {
    const departed = new Set(ev.left.map((m) => memberKey(m.nodeId, m.pid)))
    this.#members = ev.members.map((m) => memberKey(m.nodeId, m.pid)).sort(compareMemberKeys)
    this.#memberSet = new Set(this.#members)
    // Whoever is not a member any more is departed too (a transitional confchg lists the
    // survivors; make removal independent of how the left list was split between confchgs).
    for (const k of this.#synced) if (!this.#memberSet.has(k)) departed.add(k)
    for (const k of this.#nonces.keys()) if (!this.#memberSet.has(k)) this.#nonces.delete(k)
    const released: Handover[] = []
    let dropped = 0
    if (this.#isSynced && departed.size > 0) dropped = this.#removeMembers(departed, released)
    for (const k of departed) this.#synced.delete(k)
    for (const c of this.#checks.values()) for (const k of departed) c.expected.delete(k)

    let lost = false
    if (ev.kind === 'regular') {
      const fresh: string[] = []
      const other: string[] = []
      for (const j of ev.joined) {
        const k = memberKey(j.nodeId, j.pid)
        if (j.reason === 'join') fresh.push(k)
        else other.push(k)
      }
      if (this.#isSynced) {
        for (const k of fresh) this.#synced.delete(k)
        if (other.length > 0) {
          const joinedKeys = new Set([...fresh, ...other])
          const mine = this.#members.filter((k) => !joinedKeys.has(k))
          const lowest = [...mine, ...other].sort(compareMemberKeys)[0]
          if (lowest !== undefined && other.includes(lowest)) {
            lost = true
            this.#drop()
          } else for (const k of other) this.#synced.delete(k)
        }
      }
    }
    this.#hooks.membership({ ...ev, released, dropped, lost })
    if (lost) this.#hooks.lost()
    this.#settleChecks()
    if (ev.kind === 'regular') this.#startRound(ev.ringId)
  }

  #drop(): void {
    this.#isSynced = false
    this.#locks = new Map()
    this.#waiters = 0
    this.#synced.clear()
  }

  #startRound(ringId: string): void {
    this.stats.rounds++
    this.#tag = fnv1a(`${ringId}|${this.#members.join(',')}`)
    this.#heard.clear()
    this.#nonces.clear()
    this.#resolved = false
    this.#buffering = false
    this.#buffer = []
    this.#myNonce = undefined
    if (!this.#isSynced) {
      this.#myNonce = this.#hooks.nonce()
      this.stats.statusSent++
      this.#hooks.send(encodeStatus(this.#tag, false, this.#myNonce))
    } else if (this.#members.some((k) => !this.#synced.has(k))) {
      this.stats.statusSent++
      this.#hooks.send(encodeStatus(this.#tag, true, ZERO_NONCE))
    }
  }

  /** Removes departed members from every queue and hands their locks on. */
  #removeMembers(departed: Set<string>, released: Handover[]): number {
    let dropped = 0
    for (const [name, e] of this.#locks) {
      if (e.queue.length > 0) {
        const before = e.queue.length
        e.queue = e.queue.filter((k) => !departed.has(k))
        dropped += before - e.queue.length
        this.#waiters -= before - e.queue.length
      }
      if (departed.has(e.holder)) {
        const from = parseMemberKey(e.holder)
        const next = e.queue.shift()
        if (next === undefined) {
          this.#locks.delete(name)
          released.push({ name, from, to: undefined })
        } else {
          this.#waiters--
          e.holder = next
          released.push({ name, from, to: parseMemberKey(next) })
          this.#granted(name, next)
        }
      }
    }
    return dropped
  }

  // ------------------------------------------------------------------ deliveries

  deliver(sender: Member, bytes: Uint8Array): void {
    const s = memberKey(sender.nodeId, sender.pid)
    if (!this.#memberSet.has(s)) return
    this.stats.messagesDelivered++
    let m: Decoded
    try {
      m = decodeMessage(bytes)
    } catch (e) {
      if (!isLockErrorLike(e)) throw e
      this.stats.malformed++
      return
    }
    switch (m.type) {
      case MsgType.Ops:
        if (this.#isSynced) this.#applyOps(s, m.ops)
        else if (this.#buffering) {
          this.stats.buffered++
          this.#buffer.push({ sender: s, bytes: bytes.slice() })
        }
        return
      case MsgType.Status:
        this.#onStatus(s, m.tag, m.synced, m.nonce)
        return
      case MsgType.Snapshot:
        this.#onSnapshot(s, m)
        return
      case MsgType.Check:
        if (this.#isSynced) this.#hooks.send(encodeDigest(m.id, s, this.digest()))
        if (s === this.me) {
          if (this.#isSynced) {
            const expected = new Set([...this.#synced].filter((k) => this.#memberSet.has(k)))
            this.#checks.set(m.id, { expected, answers: new Map() })
          } else this.#hooks.checked({ id: m.id, digests: [], equal: false })
        }
        return
      case MsgType.Digest: {
        if (m.origin !== this.me) return
        const c = this.#checks.get(m.id)
        if (c === undefined || !c.expected.has(s)) return
        c.answers.set(s, m.digest)
        this.#settleChecks()
        return
      }
    }
  }

  #settleChecks(): void {
    for (const [id, c] of this.#checks) {
      for (const k of c.expected) if (!c.answers.has(k)) return
      this.#checks.delete(id)
      const digests = [...c.answers.entries()]
        .filter(([k]) => c.expected.has(k))
        .sort(([a], [b]) => compareMemberKeys(a, b))
        .map(([k, d]) => ({ member: parseMemberKey(k), digest: d }))
      const equal = digests.length > 0 && digests.every((d) => d.digest === digests[0]?.digest)
      this.#hooks.checked({ id, digests, equal })
    }
  }

  #onStatus(s: string, tag: number, synced: boolean, nonce: string): void {
    if (tag !== this.#tag || this.#resolved) return
    this.#heard.set(s, synced)
    if (!synced) {
      this.#nonces.set(s, nonce)
      if (s === this.me && nonce === this.#myNonce) {
        // The snapshot I will get is the table at this point: start buffering after it.
        this.#buffering = true
        this.#buffer = []
      }
      if (this.#isSynced && this.#designated() === this.me) {
        this.stats.snapshotsSent++
        this.#hooks.send(
          encodeSnapshot({
            tag,
            target: s,
            nonce,
            synced: [...this.#synced],
            locks: [...this.#locks.entries()],
          }),
        )
      }
    }
    // Nobody left with a table: everyone starts empty here.
    if (this.#heard.size < this.#members.length) return
    for (const k of this.#members) if (this.#heard.get(k) !== false) return
    this.#resolved = true
    this.#nonces.clear()
    this.#locks = new Map()
    this.#waiters = 0
    this.#synced = new Set(this.#members)
    this.#buffering = false
    this.#buffer = []
    if (!this.#isSynced) {
      this.#isSynced = true
      this.#hooks.synced('empty', undefined)
    }
  }

  #designated(): string | undefined {
    for (const k of this.#members) if (this.#synced.has(k)) return k
    return undefined
  }

  #onSnapshot(s: string, m: Decoded & { type: typeof MsgType.Snapshot }): void {
    if (m.tag !== this.#tag || this.#nonces.get(m.target) !== m.nonce) return
    this.#nonces.delete(m.target)
    if (m.target === this.me && !this.#isSynced) {
      this.#locks = new Map()
      this.#waiters = 0
      for (const [name, e] of m.locks) {
        this.#locks.set(name, { holder: e.holder, queue: [...e.queue] })
        this.#waiters += e.queue.length
      }
      this.#synced = new Set(m.synced)
      this.#isSynced = true
      this.stats.snapshotsInstalled++
      const buffer = this.#buffer
      this.#buffer = []
      this.#buffering = false
      for (const b of buffer) {
        if ('synced' in b) this.#synced.add(b.synced)
        else this.deliver(parseMemberKey(b.sender), b.bytes)
      }
      this.#synced.add(this.me)
      this.#hooks.synced('snapshot', parseMemberKey(s))
      return
    }
    if (this.#isSynced) this.#synced.add(m.target)
    else if (this.#buffering) this.#buffer.push({ synced: m.target })
  }

  // ------------------------------------------------------------------ the lock table

  #granted(name: string, holder: string): void {
    this.stats.grants++
    if (holder === this.me) this.#hooks.granted(name)
  }

  #applyOps(s: string, ops: readonly [number, string][]): void {
    if (!this.#synced.has(s)) return
    for (const [op, name] of ops) {
      this.stats.opsApplied++
      const e = this.#locks.get(name)
      if (op === OpCode.Lock) {
        if (e === undefined) {
          if (this.#locks.size >= LOCKS_MAX) {
            this.#refuse(name, s)
            continue
          }
          this.#locks.set(name, { holder: s, queue: [] })
          this.#granted(name, s)
        } else if (e.holder !== s && !e.queue.includes(s)) {
          if (this.#waiters >= WAITERS_MAX) {
            this.#refuse(name, s)
            continue
          }
          e.queue.push(s)
          this.#waiters++
        }
      } else {
        if (s === this.me) this.#hooks.unlockApplied(name)
        if (e === undefined) continue
        if (e.holder === s) {
          const next = e.queue.shift()
          if (next === undefined) this.#locks.delete(name)
          else {
            this.#waiters--
            e.holder = next
            this.#granted(name, next)
          }
        } else {
          const i = e.queue.indexOf(s)
          if (i >= 0) {
            e.queue.splice(i, 1)
            this.#waiters--
          }
        }
      }
    }
  }

  #refuse(name: string, s: string): void {
    this.stats.refusedFull++
    if (s === this.me) this.#hooks.refused(name)
  }
}
