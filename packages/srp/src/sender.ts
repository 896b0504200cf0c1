import type { Guarantee } from '@totem-ts/common'
import { createPacker, type Packer, pgPacketBytesForNetmtu } from '@totem-ts/wire'

/** One totempg packet ready to go into an mcast. */
export interface ReadyPacket {
  readonly bytes: Uint8Array
  readonly guarantee: Guarantee
  /** It holds a message queued as `ordered` (see {@link Sender.take}). */
  readonly ordered: boolean
}

interface QueuedMessage {
  readonly payload: Uint8Array
  readonly guarantee: Guarantee
  readonly ordered: boolean
  /** Index (in packets emitted by the current packer) of the packet holding the last byte. */
  lastPacket: number
}

/**
 * The send side: application messages waiting for the token, packed and fragmented lazily (at
 * token time) into totempg packets. A packet never mixes guarantees, so the sender's FIFO order
 * holds across agreed and safe messages.
 *
 * When a ring ends, {@link Sender.restartRing} takes back every message whose last byte was not
 * sent yet: those are re-sent whole in the next ring, and receivers drop the fragments they hold
 * from the old one. A message is therefore never split across two configurations.
 */
export class Sender {
  readonly #pgBytes: number
  readonly #queueMax: number
  /** Messages not yet given to the packer, in order. */
  #waiting: QueuedMessage[] = []
  /** Payload bytes of the messages not completely sent (waiting or packed). */
  #bytes = 0
  readonly #bytesMax: number
  /** Messages given to the packer whose last packet was not sent, in order. */
  #packed: QueuedMessage[] = []
  #ready: ReadyPacket[] = []
  #packer!: Packer
  #packerGuarantee: Guarantee = 'agreed'
  #packerOrdered = false
  #emitted = 0
  #sent = 0
  /** Messages held back across a ring change (see `holdSendsDuringRingChange`), in order. */
  #held: QueuedMessage[] = []
  /** New messages go to `#held` (between the ring breaking and the next regular configuration). */
  #holdingNew = false

  constructor(netmtu: number, queueMax: number) {
    this.#pgBytes = pgPacketBytesForNetmtu(netmtu)
    this.#queueMax = queueMax
    // The queue is bounded in bytes too: queueMax one-packet messages' worth (a queue of 1 MiB
    // messages must not grow to queueMax MiB).
    this.#bytesMax = queueMax * this.#pgBytes
    this.#newPacker()
  }

  #newPacker(): void {
    this.#emitted = 0
    this.#sent = 0
    this.#packer = createPacker({
      pgPacketBytesMax: this.#pgBytes,
      onPacket: (bytes) => {
        this.#emitted++
        this.#ready.push({
          bytes,
          guarantee: this.#packerGuarantee,
          ordered: this.#packerOrdered,
        })
      },
    })
  }

  /** Messages waiting that may be sent now (not fully sent; held ones excluded). */
  get backlog(): number {
    return this.#waiting.length + this.#packed.length
  }

  /** Messages held back across a ring change. */
  get held(): number {
    return this.#held.length
  }

  /** Queues a message; `'full'` when the queue is at its limit. */
  enqueue(payload: Uint8Array, guarantee: Guarantee, ordered = false): 'queued' | 'full' {
    if (this.backlog + this.#held.length >= this.#queueMax) return 'full'
    if (this.#bytes > 0 && this.#bytes + payload.length > this.#bytesMax) return 'full'
    this.#bytes += payload.length
    const m = { payload: payload.slice(), guarantee, ordered, lastPacket: -1 }
    if (this.#holdingNew) this.#held.push(m)
    else this.#waiting.push(m)
    return 'queued'
  }

  /**
   * The ring broke (call after `restartRing`): everything waiting, and everything queued until
   * `stopHoldingNew`, is held until `release`.
   */
  holdAll(): void {
    this.#held.push(...this.#waiting)
    this.#waiting = []
    this.#holdingNew = true
  }

  /** The new regular configuration is delivered: new messages (the sync's) go out at once. */
  stopHoldingNew(): void {
    this.#holdingNew = false
  }

  /** The layer above re-synchronised: held messages go out first, in their order. */
  release(): void {
    if (this.#held.length === 0) return
    this.#waiting = [...this.#held, ...this.#waiting]
    this.#held = []
  }

  /**
   * Packets to send now, at most `n` (packing more waiting messages as needed). Without
   * `mayOrdered`, nothing from the first message queued as `ordered` on goes (FIFO holds).
   */
  take(n: number, mayOrdered = true): ReadyPacket[] {
    while (this.#ready.length < n) {
      const m = this.#waiting[0]
      if (m === undefined || (!mayOrdered && m.ordered)) {
        this.#packer.flush()
        break
      }
      this.#waiting.shift()
      if (m.guarantee !== this.#packerGuarantee || m.ordered !== this.#packerOrdered) {
        this.#packer.flush()
        this.#packerGuarantee = m.guarantee
        this.#packerOrdered = m.ordered
      }
      this.#packer.add(m.payload)
      m.lastPacket = this.#packer.pending > 0 ? this.#emitted : this.#emitted - 1
      this.#packed.push(m)
    }
    let k = Math.min(n, this.#ready.length)
    if (!mayOrdered) {
      const i = this.#ready.findIndex((p) => p.ordered)
      if (i >= 0 && i < k) k = i
    }
    const out = this.#ready.splice(0, k)
    this.#sent += out.length
    while (this.#packed.length > 0 && (this.#packed[0] as QueuedMessage).lastPacket < this.#sent)
      this.#bytes -= (this.#packed.shift() as QueuedMessage).payload.length
    return out
  }

  /** The ring ended: everything not completely sent goes back to the queue, to be sent whole. */
  restartRing(): void {
    this.#waiting = [...this.#packed, ...this.#waiting]
    for (const m of this.#waiting) m.lastPacket = -1
    this.#packed = []
    this.#ready = []
    this.#newPacker()
  }
}
