/**
 * An in-memory CPG group for tests: agreed order within each component (partition), confchgs
 * with CPG's reasons, partitions and merges, and fake CpgHandles the lock service runs on.
 */
import { EventEmitter } from 'node:events'
import type { CpgConfchgEvent, CpgDeliverEvent, CpgHandle, CpgMemberChange } from '@totem-ts/cpg'

const byMember = (a: { nodeId: number; pid: number }, b: { nodeId: number; pid: number }): number =>
  a.nodeId - b.nodeId || a.pid - b.pid

export class FakeHandle extends EventEmitter {
  readonly nodeId: number
  readonly pid: number
  readonly bus: Bus
  comp = 0
  joined = false
  alive = true
  joinWaiter: (() => void) | undefined

  constructor(bus: Bus, nodeId: number, pid: number) {
    super()
    this.bus = bus
    this.nodeId = nodeId
    this.pid = pid
  }
  get key(): string {
    return `${this.nodeId}:${this.pid}`
  }
  join(_group: string): Promise<void> {
    return new Promise((resolve) => {
      this.joinWaiter = resolve
      this.bus.join(this)
    })
  }
  async leave(_group: string): Promise<void> {
    this.bus.remove(this, 'leave')
  }
  mcast(_group: string, payload: Uint8Array): void {
    if (!this.alive) return
    this.bus.queue.push({ from: this, comp: this.comp, payload: payload.slice() })
    this.bus.wake()
  }
  writable(): Promise<void> {
    return Promise.resolve()
  }
  asHandle(): CpgHandle {
    return this as unknown as CpgHandle
  }
}

export class Bus {
  readonly group = 'locks'
  readonly handles: FakeHandle[] = []
  queue: { from: FakeHandle; comp: number; payload: Uint8Array }[] = []
  #ring = 1
  #scheduled = false
  delivered = 0
  /** When set, deliveries stop (to build up in-flight messages). */
  paused = false

  handle(nodeId: number, pid = 100): FakeHandle {
    const h = new FakeHandle(this, nodeId, pid)
    this.handles.push(h)
    return h
  }

  members(comp: number): FakeHandle[] {
    return this.handles.filter((h) => h.alive && h.joined && h.comp === comp).sort(byMember)
  }

  wake(): void {
    if (this.#scheduled || this.paused) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.pump()
    })
  }

  /** Delivers every queued message, in order, to the live members of its sender's component. */
  pump(): void {
    this.step(Number.POSITIVE_INFINITY)
  }

  /** Delivers at most `n` queued messages (not those they cause, when `n` is the queue length). */
  step(n: number): void {
    for (let i = 0; i < n && !this.paused && this.queue.length > 0; i++) {
      const m = this.queue.shift() as (typeof this.queue)[number]
      this.delivered++
      for (const h of this.members(m.comp)) {
        const ev: CpgDeliverEvent = {
          type: 'deliver',
          group: this.group,
          nodeId: m.from.nodeId,
          pid: m.from.pid,
          guarantee: 'agreed',
          ringId: `1.${this.#ring}`,
          payload: m.payload,
        }
        h.emit('deliver', ev)
      }
    }
  }

  #confchg(
    to: readonly FakeHandle[],
    kind: 'transitional' | 'regular',
    members: readonly FakeHandle[],
    left: readonly CpgMemberChange[],
    joined: readonly CpgMemberChange[],
  ): void {
    for (const h of to) {
      const ev: CpgConfchgEvent = {
        type: 'confchg',
        group: this.group,
        kind,
        ringId: `1.${this.#ring}`,
        members: members.map((m) => ({ nodeId: m.nodeId, pid: m.pid })),
        left: [...left],
        joined: [...joined],
      }
      h.emit('confchg', ev)
    }
  }

  join(h: FakeHandle, comp = 0): void {
    this.pump()
    h.comp = comp
    h.joined = true
    const members = this.members(comp)
    this.#confchg(
      members,
      'regular',
      members,
      [],
      [{ nodeId: h.nodeId, pid: h.pid, reason: 'join' }],
    )
    h.joinWaiter?.()
  }

  /** A leave, a procdown, or a nodedown (a ring change: transitional, in-flight, regular). */
  remove(h: FakeHandle, reason: 'leave' | 'procdown' | 'nodedown', inFlightFirst = false): void {
    if (!inFlightFirst) this.pump()
    h.alive = false
    const members = this.members(h.comp)
    const left = [{ nodeId: h.nodeId, pid: h.pid, reason }]
    if (reason === 'nodedown') {
      this.#ring++
      this.#confchg(members, 'transitional', members, left, [])
      // The old ring's last messages (possibly from the dead member) come after the
      // transitional configuration.
      this.pump()
      this.#confchg(members, 'regular', members, [], [])
    } else this.#confchg(members, 'regular', members, left, [])
  }

  /** Splits component 0 into the given sides (component ids 0, 1, ...). */
  partition(sides: FakeHandle[][]): void {
    this.pump()
    this.#ring++
    sides.forEach((side, i) => {
      for (const h of side) h.comp = i
    })
    for (const side of sides) {
      const gone = this.handles
        .filter((h) => h.alive && h.joined && !side.includes(h))
        .map((h) => ({ nodeId: h.nodeId, pid: h.pid, reason: 'nodedown' as const }))
        .sort(byMember)
      const members = [...side].sort(byMember)
      this.#confchg(members, 'transitional', members, gone, [])
      this.#confchg(members, 'regular', members, [], [])
    }
  }

  /** Merges every component into component 0. */
  merge(): void {
    this.pump()
    this.#ring++
    const all = this.handles.filter((h) => h.alive && h.joined).sort(byMember)
    const sides = [...new Set(all.map((h) => h.comp))].map((c) => all.filter((h) => h.comp === c))
    // Everyone is in component 0 before the confchgs: what they send in reaction goes to all.
    for (const h of all) h.comp = 0
    for (const side of sides) {
      const others = all
        .filter((h) => !side.includes(h))
        .map((h) => ({ nodeId: h.nodeId, pid: h.pid, reason: 'nodeup' as const }))
      this.#confchg(side, 'regular', all, [], others)
    }
  }

  /** Lets the services and the bus run until nothing moves. */
  async settle(): Promise<void> {
    let quiet = 0
    while (quiet < 5) {
      const before = this.delivered
      await new Promise((r) => setImmediate(r))
      this.pump()
      quiet = this.delivered === before && this.queue.length === 0 ? quiet + 1 : 0
    }
  }
}
