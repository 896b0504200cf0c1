import { invalidArgument } from '@totem-ts/common'

/** Options of the multiple-ring protocol. All optional. */
export interface MultiringOptions {
  /**
   * A gateway sends a guarantee vector (GV) on each attached ring this often while anything
   * changed since the last one (it forwarded or received something): the bound on how long a
   * quiet ring can hold back agreed delivery elsewhere (reference §9 G4).
   * @defaultValue 20
   */
  readonly gvIntervalMs?: number
  /** A gateway sends a GV at least this often even when nothing changed. @defaultValue 200 */
  readonly gvIdleMs?: number
  /**
   * Flow control (reference §9 G14): own messages accepted and not yet delivered here — queued,
   * on an srp ring, or waiting for their turn in the total order — before `send` answers
   * `'full'`. A LAN that cannot carry the whole system's traffic then holds its senders back
   * instead of letting every processor's buffers grow without bound.
   * @defaultValue 256
   */
  readonly sendWindow?: number
  /** Messages a gateway may hold for one outgoing ring. @defaultValue 16384 */
  readonly forwardQueueMax?: number
  /** Messages of rings not yet in the table held until a TC brings their ring in. @defaultValue 16384 */
  readonly joinBufferMax?: number
  /** Retry delay when an srp send queue answered `'full'`. @defaultValue 5 */
  readonly retryMs?: number
}

/** Resolved {@link MultiringOptions}. */
export interface MultiringConfig {
  readonly gvIntervalMs: number
  readonly gvIdleMs: number
  readonly sendWindow: number
  readonly forwardQueueMax: number
  readonly joinBufferMax: number
  readonly retryMs: number
}

const positive = (name: string, v: number, max: number): number => {
  if (!Number.isFinite(v) || v <= 0 || v > max)
    invalidArgument(`${name} must be in (0, ${max}]`, { option: name, value: String(v) })
  return v
}

/** Fills defaults and checks ranges; throws `ERR_INVALID_ARGUMENT` with `details.option`. */
export function resolveMultiringOptions(o: MultiringOptions = {}): Readonly<MultiringConfig> {
  const gvIntervalMs = positive('gvIntervalMs', o.gvIntervalMs ?? 20, 60_000)
  const gvIdleMs = positive('gvIdleMs', o.gvIdleMs ?? 200, 600_000)
  if (gvIdleMs < gvIntervalMs)
    invalidArgument('gvIdleMs must be at least gvIntervalMs', {
      option: 'gvIdleMs',
      value: String(gvIdleMs),
    })
  const int = (name: string, v: number, max: number): number => {
    positive(name, v, max)
    if (!Number.isInteger(v)) invalidArgument(`${name} must be an integer`, { option: name })
    return v
  }
  return Object.freeze({
    gvIntervalMs,
    gvIdleMs,
    sendWindow: int('sendWindow', o.sendWindow ?? 256, 1 << 20),
    forwardQueueMax: int('forwardQueueMax', o.forwardQueueMax ?? 16_384, 1 << 22),
    joinBufferMax: int('joinBufferMax', o.joinBufferMax ?? 16_384, 1 << 22),
    retryMs: positive('retryMs', o.retryMs ?? 5, 10_000),
  })
}
