/**
 * The one error type of totem-ts. Every layer narrows `code` to its own union of stable codes
 * (`ERR_<LAYER>_<CONDITION>`); tests and callers branch on `code`, never on message text.
 */

const BRAND: symbol = Symbol.for('totem-ts.TotemError')

/** Key/value facts about an error, safe to log (never key bytes or payload). */
export type ErrorDetails = Readonly<Record<string, string | number | boolean>>

/** Codes shared by every layer. */
export const CommonErrorCode = {
  /** A caller passed a value outside its documented range or type. */
  InvalidArgument: 'ERR_INVALID_ARGUMENT',
  /** A call was made in a state that does not allow it (e.g. `send` before `start`). */
  InvalidState: 'ERR_INVALID_STATE',
  /** An internal invariant failed: this is a bug in totem-ts. */
  Assertion: 'ERR_ASSERTION',
} as const
/** One of {@link CommonErrorCode}. */
export type CommonErrorCode = (typeof CommonErrorCode)[keyof typeof CommonErrorCode]

/** Options accepted by {@link TotemError}'s constructor. */
export interface TotemErrorOptions {
  readonly details?: ErrorDetails
  readonly cause?: unknown
}

/**
 * Base class of every error totem-ts throws on purpose.
 *
 * @example
 * ```ts
 * try { decodeTotemMessage(bytes) } catch (e) {
 *   if (isTotemError(e) && e.code === 'ERR_WIRE_TRUNCATED') drops++
 *   else throw e
 * }
 * ```
 */
export class TotemError<C extends string = string> extends Error {
  /** Stable machine-readable code, `ERR_<LAYER>_<CONDITION>`. */
  readonly code: C
  /** Facts about the failure (lengths, offsets, node ids). */
  readonly details: ErrorDetails

  constructor(code: C, message: string, options?: TotemErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.details = Object.freeze({ ...(options?.details ?? {}) })
  }

  override get name(): string {
    return this.constructor.name
  }
}

// The brand lives on the prototype, so it survives duplicate installs of this package (undici's
// trick) without being an own enumerable field of every error.
Object.defineProperty(TotemError.prototype, BRAND, { value: true, enumerable: false })

/**
 * True when `e` is a {@link TotemError}, even one created by another copy of this package.
 */
export function isTotemError(e: unknown): e is TotemError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as Record<symbol, unknown>)[BRAND] === true &&
    typeof (e as { code?: unknown }).code === 'string'
  )
}

/** Thrown by {@link assert}: an internal invariant was broken. */
export class AssertionError extends TotemError<'ERR_ASSERTION'> {}

/**
 * Checks an invariant that only a bug can break. Stays on in production (TigerBeetle's rule);
 * bad input must be rejected by the edge before it can reach an assert.
 */
export function assert(
  condition: unknown,
  message: string,
  details?: ErrorDetails,
): asserts condition {
  if (!condition) {
    throw new AssertionError(
      'ERR_ASSERTION',
      `assertion failed: ${message}`,
      details ? { details } : undefined,
    )
  }
}

/** Throws `ERR_INVALID_ARGUMENT` at an API edge. */
export function invalidArgument(message: string, details?: ErrorDetails): never {
  throw new TotemError('ERR_INVALID_ARGUMENT', message, details ? { details } : undefined)
}
