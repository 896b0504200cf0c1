/**
 * The benchmark loop of one instance: join the group, wait for the expected members, then for
 * each size send for a duration with a window of outstanding messages, counting what this
 * instance delivers from every sender and the self-delivery latency of its own messages.
 *
 * Steps are aligned across instances by barrier markers in the group's agreed order: marker `b`
 * opens step `b` and closes step `b - 1`; an instance moves on when it has delivered marker `b`
 * from every participant still in the group. The last marker also proves quiescence: by FIFO
 * order, everything every participant sent has been delivered here before it.
 */
import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { type Guarantee, isTotemError, TotemError } from '@totem-ts/common'
import {
  type CpgConfchgEvent,
  type CpgDeliverEvent,
  CpgErrorCode,
  type CpgHandle,
  type CpgTotemConfchgEvent,
  initialize,
} from '@totem-ts/cpg'
import { ControlCommand, controlRequest } from '@totem-ts/stack'
import { HEADER_BYTES, MessageKind, readHeader, sameNonce, writeHeader } from './payload.ts'
import { type LatencySummary, Samples } from './stats.ts'
import type { BenchTrace } from './trace.ts'

/** Error codes of totem-cpgbench. */
export const CpgbenchErrorCode = {
  /** The CPG socket cannot be reached: totemd is not running. */
  NotRunning: 'ERR_CPGBENCH_NOT_RUNNING',
  /** The connection to totemd closed in the middle of the run (the daemon died). */
  DaemonLost: 'ERR_CPGBENCH_DAEMON_LOST',
  /** Members, barriers or self-deliveries did not come in time. */
  Timeout: 'ERR_CPGBENCH_TIMEOUT',
  /** The first ring configuration for the trace could not be learned. */
  TraceRing: 'ERR_CPGBENCH_TRACE_RING',
} as const
export type CpgbenchErrorCode = (typeof CpgbenchErrorCode)[keyof typeof CpgbenchErrorCode]

/** What one run does. */
export interface BenchOptions {
  readonly socket: string
  /** The control socket (asked for the ring's members when tracing). */
  readonly controlSocket: string
  readonly group: string
  readonly sizes: readonly number[]
  readonly durationMs: number
  readonly window: number
  readonly guarantee: Guarantee
  /** Group members to wait for before the first step (this instance included). */
  readonly members: number
  /** False: take part in the barriers and count deliveries, send no load. */
  readonly send: boolean
  /** Bound on every wait (members, barriers, a self-delivery). */
  readonly waitTimeoutMs: number
  /** Opens the EVS trace once the node id is known (`--trace`); closed when the run ends. */
  readonly openTrace?: (nodeId: number) => Promise<BenchTrace>
  /** Called once a second during a step (progress line). */
  readonly onProgress?: (p: Progress) => void
  readonly pid?: number
}

/** One second of one step, for the progress line. */
export interface Progress {
  readonly size: number
  readonly elapsedS: number
  readonly sentPerS: number
  readonly deliveredPerS: number
  readonly deliveredMBps: number
  readonly latencyUs: LatencySummary | null
}

/** The result of one size. */
export interface StepResult {
  readonly size: number
  /** From the step's opening barrier to its closing barrier, as this instance saw them. */
  readonly elapsedS: number
  readonly sentMsgs: number
  readonly sentPerS: number
  readonly sentMBps: number
  /** Load messages of this step delivered here, from every sender. */
  readonly deliveredMsgs: number
  readonly deliveredPerS: number
  readonly deliveredMBps: number
  /** Times `mcast` answered ERR_CPG_TRY_AGAIN. */
  readonly tryAgain: number
  /** Self-delivery latency of this instance's own load messages, µs. */
  readonly latencyUs: LatencySummary | null
  /** Participants still in the group at the end of the step. */
  readonly participants: number
  /**
   * Their node ids, ascending. A participant that leaves (a node down, or a partition that a merge
   * later heals) is not counted again for the rest of the run: its barrier markers sent while apart
   * never reach this side.
   */
  readonly participantNodes: readonly number[]
}

/** The result of a run. */
export interface BenchResult {
  readonly node: number
  readonly pid: number
  readonly group: string
  readonly guarantee: Guarantee
  readonly window: number
  readonly durationS: number
  readonly members: number
  readonly send: boolean
  readonly steps: readonly StepResult[]
}

const now = (): number => performance.now()
const key = (nodeId: number, pid: number): string => `${nodeId}:${pid}`

/** Runs the benchmark against a daemon; rejects with a TotemError of {@link CpgbenchErrorCode}. */
export async function runBench(o: BenchOptions): Promise<BenchResult> {
  let handle: CpgHandle
  try {
    handle = await initialize({
      socketPath: o.socket,
      ...(o.pid === undefined ? {} : { pid: o.pid }),
    })
  } catch (e) {
    if (!isTotemError(e)) throw e
    const errno = e.details.errno
    if (errno === 'ENOENT' || errno === 'ECONNREFUSED')
      throw new TotemError(
        CpgbenchErrorCode.NotRunning,
        `totemd is not running (no CPG socket at ${o.socket})`,
        {
          details: { path: o.socket },
          cause: e,
        },
      )
    throw e
  }
  let trace: BenchTrace | undefined
  try {
    trace = await o.openTrace?.(handle.nodeId)
  } catch (e) {
    await handle.finalize().catch(() => undefined)
    throw e
  }
  const run = new Run(handle, o, trace)
  let result: BenchResult
  try {
    result = await run.run()
  } catch (e) {
    await trace?.close().catch(() => undefined)
    throw e
  } finally {
    run.dispose()
    if (!run.lost) await handle.finalize().catch(() => undefined)
  }
  await trace?.close()
  return result
}

class Run {
  readonly #h: CpgHandle
  readonly #o: BenchOptions
  readonly #trace: BenchTrace | undefined
  readonly #nonce: Uint8Array = randomBytes(8)
  #counter = 0
  /** Rejects every wait when the daemon goes away. */
  #fail: ((e: TotemError) => void)[] = []
  #failure: TotemError | undefined
  lost = false

  // Trace bookkeeping.
  #joinRing: string | undefined
  #lastReg: CpgTotemConfchgEvent | undefined
  #tracing = false

  // Group.
  readonly #participants = new Set<string>()
  #groupSize = 0
  readonly #barrierSeen = new Map<string, number>()
  #waiters: (() => void)[] = []

  // Current step.
  #step = -1
  #outstanding = 0
  #slot: (() => void) | undefined
  readonly #delivered = new Map<number, { msgs: number; bytes: number }>()
  #lat = new Samples()
  #progress: { sent: number; delivered: number; bytes: number; latFrom: number } = {
    sent: 0,
    delivered: 0,
    bytes: 0,
    latFrom: 0,
  }

  constructor(h: CpgHandle, o: BenchOptions, trace: BenchTrace | undefined) {
    this.#h = h
    this.#o = o
    this.#trace = trace
    h.on('deliver', (ev) => this.#onDeliver(ev))
    h.on('confchg', (ev) => this.#onConfchg(ev))
    h.on('totemConfchg', (ev) => this.#onTotem(ev))
    h.on('close', (err) => {
      if (err === undefined) return
      this.lost = true
      this.#failWith(
        new TotemError(
          CpgbenchErrorCode.DaemonLost,
          `lost totemd at ${o.socket} in the middle of the run (${err.message})`,
          { details: { path: o.socket }, cause: err },
        ),
      )
    })
    h.on('mcastError', (err) => this.#failWith(err))
  }

  dispose(): void {
    this.#h.removeAllListeners()
  }

  #failWith(e: TotemError): void {
    if (this.#failure !== undefined) return
    this.#failure = e
    for (const f of this.#fail.splice(0)) f(e)
  }

  /** Waits for `cond` (re-checked on every event), bounded by `ms`. */
  #until(cond: () => boolean, what: string, ms = this.#o.waitTimeoutMs): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    if (cond()) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        done()
        reject(
          new TotemError(CpgbenchErrorCode.Timeout, `no ${what} within ${ms} ms`, {
            details: { what, ms },
          }),
        )
      }, ms)
      const check = (): void => {
        if (cond()) {
          done()
          resolve()
        } else this.#waiters.push(check)
      }
      const onFail = (e: TotemError): void => {
        done()
        reject(e)
      }
      const done = (): void => {
        clearTimeout(timer)
        this.#fail = this.#fail.filter((f) => f !== onFail)
      }
      this.#fail.push(onFail)
      this.#waiters.push(check)
    })
  }

  #wake(): void {
    const w = this.#waiters
    this.#waiters = []
    for (const f of w) f()
  }

  #onTotem(ev: CpgTotemConfchgEvent): void {
    if (!this.#tracing) {
      if (ev.kind === 'regular') this.#lastReg = ev
      return
    }
    this.#trace?.conf(ev.kind === 'regular' ? 'reg' : 'trans', ev.ringId, ev.members)
  }

  #onConfchg(ev: CpgConfchgEvent): void {
    if (ev.group !== this.#o.group) return
    if (
      this.#joinRing === undefined &&
      ev.joined.some((m) => m.nodeId === this.#h.nodeId && m.pid === this.#h.pid)
    ) {
      this.#joinRing = ev.ringId
      // From here on the ring's configurations are traced (the first one is written by release()).
      this.#tracing = true
    }
    this.#groupSize = ev.members.length
    if (this.#participants.size === 0 && this.#groupSize >= this.#o.members) {
      for (const m of ev.members) this.#participants.add(key(m.nodeId, m.pid))
    } else {
      for (const m of ev.left) this.#participants.delete(key(m.nodeId, m.pid))
    }
    this.#wake()
  }

  #onDeliver(ev: CpgDeliverEvent): void {
    if (ev.group !== this.#o.group) return
    this.#trace?.deliver(ev.nodeId, ev.payload, ev.guarantee, ev.ringId)
    const h = readHeader(ev.payload)
    if (h === undefined) return
    const mine =
      ev.nodeId === this.#h.nodeId && ev.pid === this.#h.pid && sameNonce(h.nonce, this.#nonce)
    if (h.kind === MessageKind.barrier) {
      const k = key(ev.nodeId, ev.pid)
      this.#barrierSeen.set(k, Math.max(this.#barrierSeen.get(k) ?? -1, h.step))
      this.#wake()
      return
    }
    let d = this.#delivered.get(h.step)
    if (d === undefined) {
      d = { msgs: 0, bytes: 0 }
      this.#delivered.set(h.step, d)
    }
    d.msgs++
    d.bytes += ev.payload.length
    if (h.step === this.#step) {
      this.#progress.delivered++
      this.#progress.bytes += ev.payload.length
    }
    if (mine) {
      this.#outstanding--
      if (h.step === this.#step) this.#lat.add((now() - h.sentAtMs) * 1000)
      if (this.#outstanding < this.#o.window && this.#slot !== undefined) {
        const s = this.#slot
        this.#slot = undefined
        s()
      }
    }
  }

  /** Multicasts one message, waiting while the handle answers try-again. */
  async #mcast(buf: Uint8Array, kind: MessageKind, step: number): Promise<number> {
    let tryAgain = 0
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure
      writeHeader(buf, kind, step, this.#nonce, this.#counter, now())
      try {
        this.#h.mcast(this.#o.group, buf, { guarantee: this.#o.guarantee })
      } catch (e) {
        if (isTotemError(e) && e.code === CpgErrorCode.TryAgain) {
          tryAgain++
          await this.#writable()
          continue
        }
        if (isTotemError(e) && this.#failure !== undefined) throw this.#failure
        throw e
      }
      this.#counter++
      this.#trace?.send(buf, this.#o.guarantee)
      return tryAgain
    }
  }

  #writable(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onFail = (e: TotemError): void => reject(e)
      this.#fail.push(onFail)
      this.#h.writable().then(
        () => {
          this.#fail = this.#fail.filter((f) => f !== onFail)
          resolve()
        },
        (e: unknown) => {
          this.#fail = this.#fail.filter((f) => f !== onFail)
          reject(this.#failure ?? e)
        },
      )
    })
  }

  /** Sends barrier `b` and waits until every participant still in the group sent it too. */
  async #barrier(b: number): Promise<void> {
    await this.#mcast(new Uint8Array(HEADER_BYTES), MessageKind.barrier, b)
    await this.#until(() => {
      for (const p of this.#participants) if ((this.#barrierSeen.get(p) ?? -1) < b) return false
      return true
    }, `barrier ${b} from every member`)
  }

  async #firstConfiguration(): Promise<void> {
    const trace = this.#trace
    const ring = this.#joinRing as string
    if (trace === undefined) return
    let members: readonly number[] | undefined
    if (this.#lastReg?.ringId === ring) members = this.#lastReg.members
    else {
      try {
        const r = await controlRequest(this.#o.controlSocket, ControlCommand.status, {
          timeoutMs: 5000,
        })
        const s = r.ok ? (r.result as { ringId?: string; members?: number[] }) : undefined
        if (s?.ringId === ring && Array.isArray(s.members)) members = s.members
      } catch (e) {
        if (!isTotemError(e)) throw e
        throw new TotemError(
          CpgbenchErrorCode.TraceRing,
          `--trace needs the ring's members from the control socket ${this.#o.controlSocket}: ${e.message}`,
          { details: { path: this.#o.controlSocket }, cause: e },
        )
      }
    }
    if (members === undefined)
      throw new TotemError(
        CpgbenchErrorCode.TraceRing,
        `the ring changed while joining (joined in ${ring}); start again`,
        { details: { ring } },
      )
    trace.release(ring, members)
  }

  async run(): Promise<BenchResult> {
    const o = this.#o
    this.#trace?.start()
    await Promise.race([
      this.#h.join(o.group),
      new Promise<never>((_, reject) => this.#fail.push(reject)),
    ])
    await this.#firstConfiguration()
    await this.#until(() => this.#participants.size > 0, `${o.members} members in group ${o.group}`)
    const steps: StepResult[] = []
    await this.#barrier(0)
    for (const [i, size] of o.sizes.entries()) {
      steps.push(await this.#runStep(i, size))
      await this.#barrier(i + 1)
      const last = steps[steps.length - 1] as StepResult & { elapsedS: number }
      const d = this.#delivered.get(i) ?? { msgs: 0, bytes: 0 }
      const elapsedS = (now() - this.#stepStart) / 1000
      steps[steps.length - 1] = {
        ...last,
        elapsedS: round3(elapsedS),
        deliveredMsgs: d.msgs,
        deliveredPerS: Math.round(d.msgs / elapsedS),
        deliveredMBps: round3(d.bytes / elapsedS / 1e6),
        participants: this.#participants.size,
        participantNodes: this.#participantNodes(),
      }
    }
    return {
      node: this.#h.nodeId,
      pid: this.#h.pid,
      group: o.group,
      guarantee: o.guarantee,
      window: o.window,
      durationS: o.durationMs / 1000,
      members: o.members,
      send: o.send,
      steps,
    }
  }

  #stepStart = 0

  async #runStep(i: number, size: number): Promise<StepResult> {
    const o = this.#o
    this.#step = i
    this.#lat = new Samples()
    this.#stepStart = now()
    const end = this.#stepStart + o.durationMs
    const buf = new Uint8Array(size)
    let sent = 0
    let tryAgain = 0
    let lastTick = this.#stepStart
    this.#progress = { sent: 0, delivered: 0, bytes: 0, latFrom: 0 }
    const tick = setInterval(() => {
      const t = now()
      const dt = (t - lastTick) / 1000
      lastTick = t
      const p = this.#progress
      o.onProgress?.({
        size,
        elapsedS: round3((t - this.#stepStart) / 1000),
        sentPerS: Math.round(p.sent / dt),
        deliveredPerS: Math.round(p.delivered / dt),
        deliveredMBps: round3(p.bytes / dt / 1e6),
        latencyUs: this.#lat.summary(p.latFrom),
      })
      this.#progress = { sent: 0, delivered: 0, bytes: 0, latFrom: this.#lat.size }
    }, 1000)
    try {
      while (o.send && now() < end) {
        if (this.#outstanding >= o.window) {
          await this.#waitSlot(`self-delivery of a ${size}-byte message`)
          continue
        }
        tryAgain += await this.#mcast(buf, MessageKind.data, i)
        this.#outstanding++
        sent++
        this.#progress.sent++
        // Let deliveries in now and then even while the window is open.
        if ((sent & 63) === 0) await new Promise<void>((r) => setImmediate(r))
      }
      if (!o.send) await new Promise<void>((r) => setTimeout(r, Math.max(0, end - now())))
    } finally {
      clearInterval(tick)
    }
    const elapsed = (now() - this.#stepStart) / 1000
    return {
      size,
      elapsedS: round3(elapsed),
      sentMsgs: sent,
      sentPerS: Math.round(sent / (o.durationMs / 1000)),
      sentMBps: round3((sent * size) / (o.durationMs / 1000) / 1e6),
      deliveredMsgs: 0,
      deliveredPerS: 0,
      deliveredMBps: 0,
      tryAgain,
      latencyUs: this.#lat.summary(),
      participants: this.#participants.size,
      participantNodes: this.#participantNodes(),
    }
  }

  #participantNodes(): number[] {
    return [...this.#participants].map((k) => Number(k.split(':')[0])).sort((a, b) => a - b)
  }

  #waitSlot(what: string): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure)
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#slot = undefined
        reject(
          new TotemError(
            CpgbenchErrorCode.Timeout,
            `no ${what} within ${this.#o.waitTimeoutMs} ms`,
            {
              details: { what, ms: this.#o.waitTimeoutMs },
            },
          ),
        )
      }, this.#o.waitTimeoutMs)
      const onFail = (e: TotemError): void => {
        clearTimeout(timer)
        reject(e)
      }
      this.#fail.push(onFail)
      this.#slot = () => {
        clearTimeout(timer)
        this.#fail = this.#fail.filter((f) => f !== onFail)
        resolve()
      }
    })
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000
}
