/** The nine EVS properties (EVS-TRACE.md, "What a checker verifies") and how a violation is reported. */
import type { ErrorDetails } from '@totem-ts/common'

/** The nine properties the checker verifies, in the order it checks and reports them. */
export const Property = {
  /** Every delivered id was sent by `from`; no incarnation delivers an id twice. */
  Integrity: 'integrity',
  /** A node that neither crashes nor stops delivers every message it sent. */
  SelfDelivery: 'self-delivery',
  /** All deliveries fit one total order (any two incarnations agree on their common messages). */
  AgreedOrder: 'agreed-order',
  /** Each incarnation delivers one sender incarnation's messages in the order they were sent. */
  Fifo: 'fifo',
  /** Every node that installs the same configuration lists the same members. */
  SameView: 'same-view',
  /** `trans` then `reg` with the same ring id, subsets, self inclusion, rising ring seq. */
  ConfigurationOrder: 'configuration-order',
  /** Nodes that move together from one regular configuration to the next delivered the same set. */
  VirtualSynchrony: 'virtual-synchrony',
  /** A `safe` message delivered in a regular configuration reaches every surviving member. */
  SafeDelivery: 'safe-delivery',
  /** After `heal`, live nodes end in one regular configuration of exactly themselves. */
  Liveness: 'liveness',
} as const
/** One of {@link Property}. */
export type Property = (typeof Property)[keyof typeof Property]

/** All properties, in checking and reporting order. */
export const PROPERTIES: readonly Property[] = Object.freeze(Object.values(Property))

/** One broken property, with the facts that prove it. */
export interface Violation {
  /** Which property is broken. */
  readonly property: Property
  /** Human-readable explanation (for people; programs read `property` and `details`). */
  readonly message: string
  /**
   * Facts: `reason` (a stable kebab-case word, see the README), `node` and `incarnation` (0-based
   * index among that node's incarnations), `otherNode`/`otherIncarnation`, `id`/`otherId`
   * (message ids), `ring`, … depending on the property.
   */
  readonly details: ErrorDetails
}

/** Collects one violation (internal: the checks call it, `checkTrace` caps and orders the results). */
export type Report = (property: Property, message: string, details: ErrorDetails) => void
