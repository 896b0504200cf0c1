/**
 * `--burn-in RATE`: the node itself sends RATE unique messages per second, every tenth `safe`, the
 * rest `agreed` — an operator's burn-in test of a new network, and the load of trace runs.
 * Payloads are `totemd burn-in <nonce> <counter>`: a random nonce per start and a counter, so
 * they are unique across nodes and restarts (EVS-TRACE.md's message ids).
 */
import { randomBytes } from 'node:crypto'
import type { Guarantee } from '@totem-ts/common'

/** The most RATE accepts (messages per second). */
export const BURN_IN_RATE_MAX = 100_000

/** Counters of a running burn-in. */
export interface BurnInStats {
  /** Messages the ring accepted. */
  sent: number
  /** Sends refused as `'full'` (retried on the next tick). */
  full: number
  /** Of `sent`, how many were `safe`. */
  safe: number
}

/** A running burn-in load. */
export interface BurnIn {
  readonly nonce: string
  readonly stats: Readonly<BurnInStats>
  stop(): void
}

/**
 * Starts sending. `send` is the ring's send; `onQueued` sees every accepted message (the trace's
 * `send` event). The schedule catches up after a slow turn, at most one second's worth at once.
 */
export function startBurnIn(
  rate: number,
  send: (payload: Uint8Array, g: Guarantee) => 'queued' | 'full',
  onQueued: (payload: Uint8Array, g: Guarantee) => void,
): BurnIn {
  const nonce = randomBytes(8).toString('hex')
  const stats: BurnInStats = { sent: 0, full: 0, safe: 0 }
  const encoder = new TextEncoder()
  const tickMs = Math.max(10, Math.min(100, Math.floor(1000 / rate)))
  let t0 = performance.now()
  let base = 0
  const tick = (): void => {
    let due = base + Math.floor(((performance.now() - t0) * rate) / 1000)
    if (due - stats.sent > rate) {
      // Far behind (the loop stalled): drop the backlog instead of a burst.
      t0 = performance.now()
      base = stats.sent
      due = stats.sent + 1
    }
    while (stats.sent < due) {
      const g: Guarantee = stats.sent % 10 === 9 ? 'safe' : 'agreed'
      const payload = encoder.encode(`totemd burn-in ${nonce} ${stats.sent}`)
      if (send(payload, g) === 'full') {
        stats.full++
        return
      }
      stats.sent++
      if (g === 'safe') stats.safe++
      onQueued(payload, g)
    }
  }
  const timer = setInterval(tick, tickMs)
  return {
    nonce,
    stats,
    stop: () => clearInterval(timer),
  }
}
