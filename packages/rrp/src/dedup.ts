/**
 * The bounded duplicate filter: per sender, the highest datagram seq seen and a bitmap of the
 * `window` seqs below it. Active mode sends every datagram on every network; the first copy passes,
 * the others stop here. A seq older than the window is dropped too (a copy that late is a
 * duplicate with overwhelming likelihood, and srp retransmits what is really missing).
 */
import { seqDiff } from './frame.ts'

export interface DuplicateFilter {
  /** True when (epoch, seq) is new for `sender` (and records it). */
  accept(sender: number, epoch: number, seq: number): boolean
  /** Forgets a sender (it left the membership). */
  forget(sender: number): void
  readonly senders: number
}

interface SenderWindow {
  epoch: number
  high: number
  bits: Uint32Array
}

export function createDuplicateFilter(window: number, sendersMax: number): DuplicateFilter {
  const words = window >>> 5
  const m = new Map<number, SenderWindow>()
  const clear = (w: SenderWindow, epoch: number, seq: number): void => {
    w.epoch = epoch
    w.high = seq
    w.bits.fill(0)
    w.bits[0] = 1
  }
  return {
    accept(sender, epoch, seq) {
      let w = m.get(sender)
      if (w === undefined) {
        if (m.size >= sendersMax) return false
        w = { epoch, high: seq, bits: new Uint32Array(words) }
        w.bits[0] = 1
        m.set(sender, w)
        return true
      }
      if (w.epoch !== epoch) {
        // A new incarnation of the sender (or, rarely, a straggler of the old one).
        clear(w, epoch, seq)
        return true
      }
      const d = seqDiff(seq, w.high)
      if (d > 0) {
        // Shift the window up by d: bit i means seq high − i.
        if (d >= window) w.bits.fill(0)
        else {
          const ws = d >>> 5
          const bs = d & 31
          for (let i = words - 1; i >= 0; i--) {
            const src = i - ws
            const lo = src >= 0 ? (w.bits[src] as number) : 0
            const lo2 = src - 1 >= 0 ? (w.bits[src - 1] as number) : 0
            w.bits[i] = bs === 0 ? lo : ((lo << bs) | (lo2 >>> (32 - bs))) >>> 0
          }
        }
        w.high = seq
        w.bits[0] = ((w.bits[0] as number) | 1) >>> 0
        return true
      }
      const back = -d
      if (back >= window) return false
      const word = back >>> 5
      const bit = 1 << (back & 31)
      if (((w.bits[word] as number) & bit) !== 0) return false
      w.bits[word] = ((w.bits[word] as number) | bit) >>> 0
      return true
    },
    forget(sender) {
      m.delete(sender)
    },
    get senders() {
      return m.size
    },
  }
}
