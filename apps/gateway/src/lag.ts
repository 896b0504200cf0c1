/**
 * Forwarding counters and delivery lag of a gateway, from the multiring observer: per direction
 * (`"0->1"`) how many messages were put onto the other LAN, and per source LAN how long a regular
 * message waited between entering its receive list here and its delivery (what the total order
 * across rings costs: the wait for every other ring to pass its timestamp).
 */
import type { MessageKey, MultiringObserver } from '@totem-ts/multiring'

/** Most messages waiting for delivery that the meter remembers; older ones are forgotten. */
export const LAG_TRACKED_MAX = 65_536

/** Lag of the messages of one source LAN, ms. */
export interface LanLag {
  /** Source LAN (the low 16 bits of the multiring ring id's seq). */
  readonly lan: number
  /** Messages delivered and measured. */
  readonly delivered: number
  /** Received here, not delivered yet. */
  readonly waiting: number
  readonly meanMs: number
  readonly maxMs: number
  readonly lastMs: number
}

/** The meter: its observer, and what it measured. */
export interface LagMeter {
  readonly observer: MultiringObserver
  /** Messages forwarded, by `"<from>-><to>"`. */
  forwarding(): Record<string, number>
  /** Per source LAN, ascending. */
  lag(): LanLag[]
}

/** The LAN a multiring ring id belongs to (docs/EVS-TRACE-MULTIRING.md: seq × 65536 + LAN). */
export function lanOfRing(seq: bigint): number {
  return Number(seq % 65_536n)
}

const keyOf = (k: MessageKey): string => `${k.ts}@${k.ring.rep}.${k.ring.seq}`

/** A meter reading the time from `nowMs`. */
export function createLagMeter(nowMs: () => number): LagMeter {
  const waiting = new Map<string, number>()
  const fwd = new Map<string, number>()
  const per = new Map<number, { n: number; sum: number; max: number; last: number }>()
  return {
    observer: {
      onReceive(key, _lan, kind) {
        if (kind !== 'reg') return
        const k = keyOf(key)
        if (waiting.has(k)) return
        if (waiting.size >= LAG_TRACKED_MAX) {
          const oldest = waiting.keys().next()
          if (oldest.done !== true) waiting.delete(oldest.value)
        }
        waiting.set(k, nowMs())
      },
      onForward(_key, from, to) {
        const d = `${from}->${to}`
        fwd.set(d, (fwd.get(d) ?? 0) + 1)
      },
      onDeliverKey(key) {
        const k = keyOf(key)
        const t0 = waiting.get(k)
        if (t0 === undefined) return
        waiting.delete(k)
        const ms = nowMs() - t0
        const lan = lanOfRing(key.ring.seq)
        const p = per.get(lan) ?? { n: 0, sum: 0, max: 0, last: 0 }
        p.n++
        p.sum += ms
        if (ms > p.max) p.max = ms
        p.last = ms
        per.set(lan, p)
      },
    },
    forwarding: () => Object.fromEntries([...fwd].sort(([a], [b]) => (a < b ? -1 : 1))),
    lag() {
      const wait = new Map<number, number>()
      for (const k of waiting.keys()) {
        const seq = BigInt(k.slice(k.indexOf('.') + 1))
        const lan = lanOfRing(seq)
        wait.set(lan, (wait.get(lan) ?? 0) + 1)
      }
      const lans = [...new Set([...per.keys(), ...wait.keys()])].sort((a, b) => a - b)
      const r2 = (x: number): number => Math.round(x * 100) / 100
      return lans.map((lan) => {
        const p = per.get(lan) ?? { n: 0, sum: 0, max: 0, last: 0 }
        return {
          lan,
          delivered: p.n,
          waiting: wait.get(lan) ?? 0,
          meanMs: p.n === 0 ? 0 : r2(p.sum / p.n),
          maxMs: r2(p.max),
          lastMs: r2(p.last),
        }
      })
    },
  }
}
