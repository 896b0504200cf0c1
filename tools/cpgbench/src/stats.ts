/** Latency samples and their percentiles. */

/** Percentiles of one set of samples, in µs (null when there are none). */
export interface LatencySummary {
  readonly n: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
}

/** Samples kept per step; beyond it the rest are counted but not kept. */
export const LATENCY_SAMPLES_MAX = 2_000_000

/** A growable array of latency samples in µs. */
export class Samples {
  #a: Float64Array = new Float64Array(1024)
  #n = 0
  dropped = 0

  add(us: number): void {
    if (this.#n === this.#a.length) {
      if (this.#n >= LATENCY_SAMPLES_MAX) {
        this.dropped++
        return
      }
      const b = new Float64Array(Math.min(this.#n * 2, LATENCY_SAMPLES_MAX))
      b.set(this.#a)
      this.#a = b
    }
    this.#a[this.#n++] = us
  }

  get size(): number {
    return this.#n
  }

  /** Percentiles (nearest rank) of the samples from index `from` on. */
  summary(from = 0): LatencySummary | null {
    return summarize(this.#a.subarray(from, this.#n))
  }
}

/** Nearest-rank percentiles of `samples` (copied, then sorted). */
export function summarize(samples: ArrayLike<number>): LatencySummary | null {
  const n = samples.length
  if (n === 0) return null
  const s = Float64Array.from(samples).sort()
  const at = (p: number): number => s[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] as number
  const round = (x: number): number => Math.round(x * 10) / 10
  return { n, p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(at(1)) }
}
