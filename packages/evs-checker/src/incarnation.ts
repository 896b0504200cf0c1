/** The per-incarnation model the checks share (internal). */
import type { NodeId } from '@totem-ts/common'
import type { ConfEvent, TraceEvent } from './trace.ts'

/** How an incarnation ended: still running at the end of the trace, crashed, stopped, or restarted without a crash line. */
export type IncarnationEnd = 'running' | 'crash' | 'stop' | 'restart'

export interface Reg {
  readonly ring: string
  readonly seq: bigint
  readonly members: readonly NodeId[]
}

export interface Incarnation {
  /** Index in the global incarnation list. */
  readonly index: number
  readonly node: NodeId
  /** 0-based index among this node's incarnations. */
  readonly ordinal: number
  /** The node's events; this incarnation owns `[from, to)`. */
  readonly events: readonly TraceEvent[]
  readonly from: number
  to: number
  end: IncarnationEnd
  /** Message indices sent, in send order (duplicate sends left out). */
  readonly sends: number[]
  /** Global delivery indices, in delivery order (duplicate deliveries left out). */
  readonly deliveries: number[]
  /** Regular configurations installed, in order. */
  readonly regs: Reg[]
  /** Last configuration installed, if any. */
  lastConf: ConfEvent | undefined
}

/** Joins node ids (or message indices) as `"1,2,3"` for violation details. */
export const list = (xs: readonly number[]): string => xs.join(',')
