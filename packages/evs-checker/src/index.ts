/**
 * The EVS checker of totem-ts: the trace format every level writes (EVS-TRACE.md: simulator, real
 * daemons, interop runs) and one pure checker of extended virtual synchrony over it (integrity,
 * self delivery, agreed order, FIFO, same view, configuration order, virtual synchrony, safe
 * delivery, liveness after `heal`). No runtime dependencies besides `@totem-ts/common`; no I/O.
 *
 * @example
 * ```ts
 * import { checkTraceText, messageId } from '@totem-ts/evs-checker'
 *
 * const id = messageId(1, new TextEncoder().encode('hello'))
 * const trace = [
 *   { ev: 'start', node: 1, t: 0 },
 *   { ev: 'conf', node: 1, t: 1, kind: 'reg', ring: '1.4', members: [1] },
 *   { ev: 'send', node: 1, t: 2, id, g: 'agreed' },
 *   { ev: 'deliver', node: 1, t: 3, id, from: 1, g: 'agreed', ring: '1.4' },
 * ].map((e) => JSON.stringify(e)).join('\n')
 * const result = checkTraceText(trace)
 * if (!result.ok) for (const v of result.violations) console.error(v.property, v.details)
 * ```
 *
 * @packageDocumentation
 */

export {
  type CheckOptions,
  type CheckResult,
  type CheckStats,
  checkTrace,
  checkTraceText,
  MAX_VIOLATIONS_DEFAULT,
} from './check.ts'
export { EvsErrorCode, EvsTraceError, TRACE_LINE_CHARS_MAX } from './errors.ts'
export {
  baseTrace,
  checkMultiringTrace,
  deliverKey,
  type FwdEvent,
  formatMultiringTraceEvent,
  isTraceKey,
  type MrecvEvent,
  MULTIRING_PROPERTIES,
  type MultiringCheckResult,
  type MultiringDeliverEvent,
  type MultiringProperty,
  type MultiringTraceEvent,
  type MultiringViolation,
  parseMultiringTrace,
  parseMultiringTraceLine,
  type TopoEvent,
} from './multiring.ts'
export { PROPERTIES, Property, type Violation } from './properties.ts'
export { sha256 } from './sha256.ts'
export {
  type ConfEvent,
  type ConfKind,
  type CrashEvent,
  type DeliverEvent,
  formatTraceEvent,
  type HealEvent,
  isTraceRingId,
  messageId,
  parseTrace,
  parseTraceLine,
  type SendEvent,
  type StartEvent,
  type StopEvent,
  type TraceEvent,
  TraceEventKind,
} from './trace.ts'
