import { EventEmitter } from 'node:events'
import { connect, type Socket } from 'node:net'
import {
  GROUP_NAME_BYTES_MAX,
  type Guarantee,
  isTotemError,
  MESSAGE_BYTES_MAX,
  TotemError,
} from '@totem-ts/common'
import { CPG_ERROR_CODES, CpgErrorCode, cpgError } from './errors.ts'
import {
  decodeDeliver,
  decodeJsonFrame,
  decodeReqFrame,
  encodeHello,
  encodeMcast,
  encodeReqFrame,
  FrameReader,
  FrameType,
} from './frames.ts'
import type { CpgProcess, CpgService } from './service.ts'
import type {
  CpgConfchgEvent,
  CpgDeliverEvent,
  CpgEvent,
  CpgGroupInfo,
  CpgMcastOptions,
  CpgMember,
  CpgTotemConfchgEvent,
} from './types.ts'

/** How {@link initialize} reaches the service: a daemon's socket, or a service in this process. */
export type CpgInitializeOptions = (
  | {
      /** The daemon's CPG socket (`totemd` prints it; default `<stateDir>/cpg.sock`). */
      readonly socketPath: string
      readonly service?: undefined
    }
  | {
      /** An in-process service (`createCpgNode` of @totem-ts/stack): no IPC at all. */
      readonly service: CpgService
      readonly socketPath?: undefined
    }
) & {
  /** The pid members see. @defaultValue process.pid */
  readonly pid?: number
  /**
   * Bytes the handle may have in flight to the daemon before `mcast` answers try-again.
   * @defaultValue 8 MiB
   */
  readonly highWaterMark?: number
  /** Events a `group.events()` iterator buffers before the handle stops reading. @defaultValue 10 000 */
  readonly iteratorBuffer?: number
}

/** The typed events of a {@link CpgHandle}. */
export interface CpgHandleEvents {
  deliver: [CpgDeliverEvent]
  confchg: [CpgConfchgEvent]
  totemConfchg: [CpgTotemConfchgEvent]
  /** The connection to the daemon is gone (`error` is why, undefined after finalize). */
  close: [TotemError | undefined]
  /** A multicast the daemon refused after it was sent (e.g. a leave raced it). */
  mcastError: [TotemError]
}

/** What a transport to the service does (socket or in-process). */
interface Channel {
  readonly nodeId: number
  readonly pid: number
  /** The ring id when the handle was opened. */
  readonly ringId: string
  request(type: number, text: string): Promise<unknown>
  mcast(group: string, nameBytes: Uint8Array, payload: Uint8Array, guarantee: Guarantee): void
  readonly writable: boolean
  waitWritable(): Promise<void>
  /** Stops/starts handing events up (back-pressure from a slow iterator). */
  pause(): void
  resume(): void
  close(): void
}

const utf8 = new TextEncoder()

/** A group this handle joined: a scoped view of the handle. */
export interface CpgGroup {
  readonly name: string
  /** Multicasts to this group (see {@link CpgHandle.mcast}). */
  mcast(payload: Uint8Array, options?: CpgMcastOptions): void
  membership(): Promise<CpgMember[]>
  leave(): Promise<void>
  /** This group's deliveries and confchgs, and the ring's confchgs, as an async iterator. */
  events(): AsyncIterableIterator<CpgEvent>
}

/**
 * One CPG handle (libcpg's `cpg_handle_t`): join groups, multicast to them, and receive their
 * messages and configuration changes in agreed order. Many handles per process are fine.
 */
export class CpgHandle extends EventEmitter<CpgHandleEvents> {
  readonly #ch: Channel
  readonly #groups = new Map<string, { joined: boolean; nameBytes: Uint8Array }>()
  readonly #joinWaiters = new Map<string, { resolve: () => void; reject: (e: unknown) => void }>()
  readonly #iterators = new Set<EventQueue>()
  readonly #iteratorBuffer: number
  #closed: TotemError | undefined
  #finalized = false
  #paused = false
  #ringId: string

  /** @internal */
  constructor(ch: Channel, iteratorBuffer: number) {
    super()
    this.#ch = ch
    this.#iteratorBuffer = iteratorBuffer
    this.#ringId = ch.ringId
  }

  /** The ring (totem) configuration this handle last heard of, `"<rep>.<seq>"`. */
  get ringId(): string {
    return this.#ringId
  }

  /** This node's id. */
  get nodeId(): number {
    return this.#ch.nodeId
  }

  /** The pid this handle's members carry. */
  get pid(): number {
    return this.#ch.pid
  }

  /** @internal events from the channel */
  _event(ev: CpgEvent): void {
    if (ev.type === 'totemConfchg') this.#ringId = ev.ringId
    if (ev.type === 'confchg') {
      const mine = ev.joined.some((m) => m.nodeId === this.nodeId && m.pid === this.pid)
      if (mine) {
        const g = this.#groups.get(ev.group)
        if (g !== undefined) g.joined = true
        const w = this.#joinWaiters.get(ev.group)
        this.#joinWaiters.delete(ev.group)
        w?.resolve()
      }
      if (ev.left.some((m) => m.nodeId === this.nodeId && m.pid === this.pid))
        this.#groups.delete(ev.group)
    }
    switch (ev.type) {
      case 'deliver':
        this.emit('deliver', ev)
        break
      case 'confchg':
        this.emit('confchg', ev)
        break
      default:
        this.emit('totemConfchg', ev)
    }
    for (const q of this.#iterators) q.offer(ev)
    this.#checkIteratorPressure()
  }

  /** @internal the channel closed */
  _closed(error: TotemError | undefined): void {
    if (this.#closed !== undefined) return
    this.#closed = error ?? new TotemError(CpgErrorCode.BadHandle, 'the handle was finalized')
    for (const w of this.#joinWaiters.values()) w.reject(this.#closed)
    this.#joinWaiters.clear()
    for (const q of this.#iterators) q.end()
    this.emit('close', error)
  }

  /** @internal */
  _mcastError(e: TotemError): void {
    this.emit('mcastError', e)
  }

  #checkIteratorPressure(): void {
    let max = 0
    for (const q of this.#iterators) max = Math.max(max, q.size)
    if (!this.#paused && max >= this.#iteratorBuffer) {
      this.#paused = true
      this.#ch.pause()
    } else if (this.#paused && max < this.#iteratorBuffer / 2) {
      this.#paused = false
      this.#ch.resume()
    }
  }

  #check(): void {
    if (this.#closed !== undefined) {
      throw this.#finalized
        ? new TotemError(CpgErrorCode.BadHandle, 'the handle was finalized')
        : new TotemError(CpgErrorCode.BadHandle, `the handle is closed: ${this.#closed.message}`, {
            cause: this.#closed,
          })
    }
  }

  /**
   * Joins `group` and resolves once the join is delivered (this handle then receives the group's
   * messages, starting with a confchg that lists it as joined).
   */
  async join(group: string): Promise<CpgGroup> {
    this.#check()
    const nameBytes = checkName(group)
    if (this.#groups.has(group)) cpgError(CpgErrorCode.Exist, `already joined to ${group}`)
    this.#groups.set(group, { joined: false, nameBytes })
    const joined = new Promise<void>((resolve, reject) =>
      this.#joinWaiters.set(group, { resolve, reject }),
    )
    try {
      await this.#ch.request(FrameType.Join, group)
    } catch (e) {
      this.#groups.delete(group)
      this.#joinWaiters.delete(group)
      throw e
    }
    await joined
    return this.#groupView(group)
  }

  /** Leaves `group`; resolves once the daemon accepted the leave. */
  async leave(group: string): Promise<void> {
    this.#check()
    if (!this.#groups.has(group)) cpgError(CpgErrorCode.NotExist, `not joined to ${group}`)
    await this.#ch.request(FrameType.Leave, group)
    this.#groups.delete(group)
  }

  /**
   * Multicasts `payload` to `group` (which this handle joined), in agreed order by default or
   * `{ guarantee: 'safe' }`. Synchronous; throws `ERR_CPG_TRY_AGAIN` when too much is in flight —
   * `await handle.writable()` then retry.
   */
  mcast(group: string, payload: Uint8Array, options?: CpgMcastOptions): void {
    this.#check()
    const g = this.#groups.get(group)
    if (g === undefined) cpgError(CpgErrorCode.NotExist, `not joined to ${group}`)
    if (!(payload instanceof Uint8Array))
      cpgError(CpgErrorCode.InvalidParam, 'payload must be a Uint8Array')
    if (payload.length > MESSAGE_BYTES_MAX)
      cpgError(CpgErrorCode.TooBig, `message of ${payload.length} bytes is over 1 MiB`, {
        bytes: payload.length,
        max: MESSAGE_BYTES_MAX,
      })
    const guarantee = options?.guarantee ?? 'agreed'
    if (guarantee !== 'agreed' && guarantee !== 'safe')
      cpgError(CpgErrorCode.InvalidParam, "guarantee must be 'agreed' or 'safe'")
    if (!this.#ch.writable) cpgError(CpgErrorCode.TryAgain, 'send buffer full: await writable()')
    this.#ch.mcast(group, g.nameBytes, payload, guarantee)
  }

  /** Resolves when `mcast` will accept more (at once when it would now). */
  writable(): Promise<void> {
    this.#check()
    return this.#ch.writable ? Promise.resolve() : this.#ch.waitWritable()
  }

  /** The group's members as this node sees them now. */
  async membership(group: string): Promise<CpgMember[]> {
    this.#check()
    checkName(group)
    return (await this.#ch.request(FrameType.Membership, group)) as CpgMember[]
  }

  /** Every group in the cluster and its members (what `totem-cpgtool` lists). */
  async groups(): Promise<CpgGroupInfo[]> {
    this.#check()
    return (await this.#ch.request(FrameType.Groups, '')) as CpgGroupInfo[]
  }

  /** Resolves once every message this handle multicast so far has been delivered back to it. */
  async flush(): Promise<void> {
    this.#check()
    await this.#ch.request(FrameType.Flush, '')
  }

  /** Leaves every group and closes the handle. */
  async finalize(): Promise<void> {
    this.#check()
    this.#finalized = true
    try {
      await this.#ch.request(FrameType.Finalize, '')
    } finally {
      this.#ch.close()
      this._closed(undefined)
    }
  }

  /** The groups this handle is in (or joining). */
  get joinedGroups(): string[] {
    return [...this.#groups.keys()]
  }

  #groupView(name: string): CpgGroup {
    return {
      name,
      mcast: (payload, options) => this.mcast(name, payload, options),
      membership: () => this.membership(name),
      leave: () => this.leave(name),
      events: () => this.#iterate(name),
    }
  }

  #iterate(group: string): AsyncIterableIterator<CpgEvent> {
    const q = new EventQueue(group, () => {
      this.#iterators.delete(q)
      this.#checkIteratorPressure()
    })
    this.#iterators.add(q)
    if (this.#closed !== undefined) q.end()
    const self = this
    return {
      [Symbol.asyncIterator]() {
        return this
      },
      async next() {
        const r = await q.next()
        self.#checkIteratorPressure()
        return r
      },
      async return() {
        q.close()
        return { done: true, value: undefined }
      },
    }
  }
}

class EventQueue {
  readonly #group: string
  readonly #onClose: () => void
  #items: CpgEvent[] = []
  #head = 0
  #waiter: ((r: IteratorResult<CpgEvent>) => void) | undefined
  #ended = false

  constructor(group: string, onClose: () => void) {
    this.#group = group
    this.#onClose = onClose
  }

  get size(): number {
    return this.#items.length - this.#head
  }

  offer(ev: CpgEvent): void {
    if (this.#ended) return
    if (ev.type !== 'totemConfchg' && ev.group !== this.#group) return
    if (this.#waiter !== undefined) {
      const w = this.#waiter
      this.#waiter = undefined
      w({ done: false, value: ev })
    } else this.#items.push(ev)
  }

  next(): Promise<IteratorResult<CpgEvent>> {
    if (this.#head < this.#items.length) {
      const v = this.#items[this.#head++] as CpgEvent
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head)
        this.#head = 0
      }
      return Promise.resolve({ done: false, value: v })
    }
    if (this.#ended) return Promise.resolve({ done: true, value: undefined })
    return new Promise((resolve) => {
      this.#waiter = resolve
    })
  }

  end(): void {
    this.#ended = true
    const w = this.#waiter
    this.#waiter = undefined
    w?.({ done: true, value: undefined })
  }

  close(): void {
    this.end()
    this.#items = []
    this.#head = 0
    this.#onClose()
  }
}

function checkName(group: string): Uint8Array {
  if (typeof group !== 'string') cpgError(CpgErrorCode.InvalidParam, 'group name must be a string')
  const b = utf8.encode(group)
  if (b.length === 0 || b.length > GROUP_NAME_BYTES_MAX)
    cpgError(
      CpgErrorCode.NameTooLong,
      `group name must be 1–${GROUP_NAME_BYTES_MAX} bytes of UTF-8 (got ${b.length})`,
      { bytes: b.length, max: GROUP_NAME_BYTES_MAX },
    )
  return b
}

function checkPid(pid: number): number {
  if (!Number.isInteger(pid) || pid < 0 || pid > 0xffffffff)
    cpgError(CpgErrorCode.InvalidParam, 'pid must be an unsigned 32-bit integer', { pid })
  return pid
}

/**
 * Opens a CPG handle (libcpg's `cpg_initialize`), over a daemon's socket or embedded in this
 * process.
 *
 * @example
 * ```ts
 * const cpg = await initialize({ socketPath: '/var/lib/totem-ts/cpg.sock' })
 * const group = await cpg.join('locks')
 * cpg.on('deliver', (m) => console.log(m.nodeId, m.pid, m.payload))
 * group.mcast(new TextEncoder().encode('hello'))
 * await cpg.flush()
 * await cpg.finalize()
 * ```
 */
export async function initialize(options: CpgInitializeOptions): Promise<CpgHandle> {
  const pid = checkPid(options.pid ?? process.pid)
  const iteratorBuffer = options.iteratorBuffer ?? 10_000
  if (options.service !== undefined) return embedded(options.service, pid, iteratorBuffer)
  if (typeof options.socketPath !== 'string' || options.socketPath === '')
    cpgError(CpgErrorCode.InvalidParam, 'give socketPath (a daemon) or service (in-process)')
  return overSocket(
    options.socketPath,
    pid,
    options.highWaterMark ?? 8 * 1024 * 1024,
    iteratorBuffer,
  )
}

function embedded(service: CpgService, pid: number, iteratorBuffer: number): CpgHandle {
  let handle: CpgHandle | undefined
  let paused = false
  const held: CpgEvent[] = []
  const writers: (() => void)[] = []
  const proc: CpgProcess = service.attach(pid, {
    onEvent(ev) {
      // The service's payload is a view valid during this call only.
      const e: CpgEvent = ev.type === 'deliver' ? { ...ev, payload: ev.payload.slice() } : ev
      if (paused) held.push(e)
      else handle?._event(e)
    },
    onWritable() {
      for (const w of writers.splice(0)) w()
    },
  })
  const ch: Channel = {
    nodeId: service.nodeId,
    pid,
    ringId: service.ringId,
    async request(type, text) {
      switch (type) {
        case FrameType.Join:
          return proc.join(text)
        case FrameType.Leave:
          return proc.leave(text)
        case FrameType.Membership:
          return proc.membership(text)
        case FrameType.Groups:
          return service.groups()
        case FrameType.Flush:
          return new Promise<void>((resolve) => proc.flush(resolve))
        default:
          proc.detach('finalize')
          return null
      }
    },
    mcast(group, _nameBytes, payload, guarantee) {
      proc.mcast(group, payload, guarantee)
    },
    get writable() {
      return proc.writable
    },
    waitWritable: () => new Promise<void>((resolve) => writers.push(resolve)),
    pause() {
      paused = true
    },
    resume() {
      paused = false
      while (!paused && held.length > 0) handle?._event(held.shift() as CpgEvent)
    },
    close() {
      proc.detach('finalize')
    },
  }
  handle = new CpgHandle(ch, iteratorBuffer)
  return handle
}

async function overSocket(
  path: string,
  pid: number,
  highWaterMark: number,
  iteratorBuffer: number,
): Promise<CpgHandle> {
  const sock: Socket = connect(path)
  const reader = new FrameReader()
  let nextReq = 1
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  let welcome: { nodeId: number; ringId: string } | undefined
  let handle: CpgHandle | undefined
  let closeError: TotemError | undefined
  let paused = false
  const drainWaiters: (() => void)[] = []
  let resumePump: () => void = () => {}
  let closing = false

  const fail = (e: TotemError): void => {
    closeError ??= e
    for (const w of waiting.values()) w.reject(closeError)
    waiting.clear()
    for (const w of drainWaiters.splice(0)) w()
    handle?._closed(closeError)
    sock.destroy()
  }

  const welcomed = new Promise<{ nodeId: number; ringId: string }>((resolve, reject) => {
    const onFrame = (type: number, body: Uint8Array): void => {
      switch (type) {
        case FrameType.Welcome: {
          const w = decodeJsonFrame(body) as { nodeId: number; ringId: string }
          welcome = w
          resolve(w)
          return
        }
        case FrameType.Deliver: {
          const ev = decodeDeliver(body)
          handle?._event({ ...ev, payload: ev.payload.slice() })
          return
        }
        case FrameType.Confchg:
        case FrameType.TotemConfchg:
          handle?._event(decodeJsonFrame(body) as CpgEvent)
          return
        case FrameType.Result: {
          const { req, text } = decodeReqFrame(body)
          const w = waiting.get(req)
          waiting.delete(req)
          const r = JSON.parse(text) as
            | { ok: true; value: unknown }
            | { ok: false; error: { code: string; message: string } }
          if (r.ok) w?.resolve(r.value)
          else w?.reject(toError(r.error))
          return
        }
        case FrameType.McastError: {
          const e = decodeJsonFrame(body) as { code: string; message: string }
          handle?._mcastError(toError(e))
          return
        }
        case FrameType.Fatal: {
          const e = decodeJsonFrame(body) as { code: string; message: string }
          const err =
            e.code === CpgErrorCode.Protocol || CPG_ERROR_CODES.has(e.code)
              ? toError(e)
              : new TotemError(CpgErrorCode.Library, e.message)
          reject(err)
          fail(err)
          return
        }
        default:
          throw new TotemError(CpgErrorCode.Protocol, `unknown frame type ${type} from the daemon`)
      }
    }
    const pump = (): void => {
      try {
        for (;;) {
          if (paused) return
          const f = reader.next()
          if (f === undefined) return
          onFrame(f.type, f.body)
        }
      } catch (e) {
        const err = isTotemError(e) ? e : new TotemError(CpgErrorCode.Library, String(e))
        reject(err)
        fail(err)
      }
    }
    resumePump = pump
    sock.on('data', (chunk: Buffer) => {
      reader.push(chunk)
      pump()
    })
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const err = new TotemError(
        CpgErrorCode.Library,
        `cannot talk to the daemon at ${path}: ${e.code ?? e.message}`,
        { details: { path, errno: e.code ?? 'EIO' } },
      )
      reject(err)
      fail(err)
    })
    sock.on('close', () => {
      const err = new TotemError(CpgErrorCode.Library, 'the daemon closed the connection')
      reject(err)
      if (handle !== undefined && !closing) fail(err)
    })
    sock.on('drain', () => {
      for (const w of drainWaiters.splice(0)) w()
    })
  })
  sock.write(encodeHello(pid))
  const w = await welcomed
  // Frames written in one turn of the event loop (a burst of mcasts) leave in one writev.
  let corked = false
  const uncork = (): void => {
    corked = false
    sock.uncork()
  }
  const send = (b: Uint8Array): void => {
    if (!corked) {
      corked = true
      sock.cork()
      process.nextTick(uncork)
    }
    sock.write(b)
  }
  const ch: Channel = {
    nodeId: w.nodeId,
    pid,
    ringId: String(w.ringId),
    request(type, text) {
      if (closeError !== undefined) return Promise.reject(closeError)
      const req = nextReq++
      if (nextReq > 0xffffffff) nextReq = 1
      return new Promise((resolve, reject) => {
        waiting.set(req, { resolve, reject })
        send(encodeReqFrame(type, req, text))
      })
    },
    mcast(_group, nameBytes, payload, guarantee) {
      send(encodeMcast(nameBytes, payload, guarantee))
    },
    get writable() {
      return closeError === undefined && sock.writableLength < highWaterMark
    },
    waitWritable() {
      if (closeError !== undefined) return Promise.reject(closeError)
      return new Promise<void>((resolve, reject) =>
        drainWaiters.push(() => (closeError === undefined ? resolve() : reject(closeError))),
      )
    },
    pause() {
      paused = true
      sock.pause()
    },
    resume() {
      paused = false
      sock.resume()
      queueMicrotask(resumePump)
    },
    close() {
      closing = true
      sock.end()
    },
  }
  void welcome
  handle = new CpgHandle(ch, iteratorBuffer)
  return handle
}

function toError(e: { code: string; message: string }): TotemError {
  return new TotemError(e.code, e.message)
}
