/**
 * A trivial total-order protocol for testing the simulator without srp: the lowest node id is a
 * fixed sequencer. Senders submit to it (re-submitting until they deliver their own message), it
 * numbers each message once and multicasts it, and every node pulls what it misses with a
 * periodic sync request. Reliable under loss, duplication and reordering; it knows nothing about
 * partitions or crashes (one static configuration), so tests run it on calm or lossy profiles.
 *
 * `bug: 'swap'` makes one node deliver two consecutive messages in the wrong order, so tests can
 * show that the simulator's checker catches a broken protocol.
 */
import type { Guarantee, NodeId } from '@totem-ts/common'
import type { SimProtocol, SimProtocolContext, SimProtocolFactory } from '../src/index.ts'

export interface FakeOptions {
  readonly syncMs?: number
  /** Node that delivers messages 2 and 3 (1-based sequence numbers) swapped. */
  readonly swapAt?: number
}

const SUBMIT = 1
const ORDERED = 2
const SYNC = 3

interface Entry {
  readonly sender: number
  readonly guarantee: Guarantee
  readonly payload: Uint8Array
}

function encode(type: number, a: number, b: number, g: Guarantee, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(10 + payload.length)
  const v = new DataView(out.buffer)
  out[0] = type
  v.setUint32(1, a, true)
  v.setUint32(5, b, true)
  out[9] = g === 'safe' ? 1 : 0
  out.set(payload, 10)
  return out
}

export function fakeProtocol(o: FakeOptions = {}): SimProtocolFactory {
  return (ctx: SimProtocolContext): SimProtocol => new Fake(ctx, o)
}

class Fake implements SimProtocol {
  readonly #ctx: SimProtocolContext
  readonly #syncMs: number
  readonly #swap: boolean
  readonly #seqr: NodeId
  readonly members: readonly NodeId[]
  #running = false
  // Sender side.
  #localSeq = 0
  readonly #unacked = new Map<number, Entry>()
  // Sequencer side.
  readonly #log: Entry[] = []
  readonly #expected = new Map<number, number>()
  readonly #early = new Map<number, Map<number, Entry & { local: number }>>()
  // Receiver side.
  readonly #received = new Map<number, Entry>()
  #next = 1
  #held: Entry | undefined

  constructor(ctx: SimProtocolContext, o: FakeOptions) {
    this.#ctx = ctx
    this.#syncMs = o.syncMs ?? 20
    this.#swap = o.swapAt === ctx.nodeId
    // The world's nodelist is 1 … n in these tests.
    this.members = Array.from({ length: ctx.nodelistSize }, (_, i) => (i + 1) as NodeId)
    this.#seqr = this.members[0] as NodeId
  }

  start(): Promise<void> {
    this.#running = true
    this.#ctx.transport.onDatagram((b) => this.#onDatagram(b))
    this.#ctx.listener.onConfigurationChange({
      kind: 'regular',
      ringId: { rep: this.#seqr, seq: 4n },
      members: this.members,
      left: [],
      joined: this.members,
    })
    this.#tick()
    return this.#ctx.transport.start()
  }

  stop(): Promise<void> {
    this.#running = false
    return this.#ctx.transport.stop()
  }

  send(payload: Uint8Array, guarantee: Guarantee): 'queued' | 'full' {
    if (this.#unacked.size >= 64) return 'full'
    const n = ++this.#localSeq
    const e = { sender: this.#ctx.nodeId, guarantee, payload: payload.slice() }
    this.#unacked.set(n, e)
    this.#submit(n, e)
    return 'queued'
  }

  #submit(n: number, e: Entry): void {
    const bytes = encode(SUBMIT, e.sender, n, e.guarantee, e.payload)
    if (this.#ctx.nodeId === this.#seqr) this.#onDatagram(bytes)
    else this.#ctx.transport.send({ node: this.#seqr }, bytes)
  }

  #tick(): void {
    if (!this.#running) return
    for (const [n, e] of this.#unacked) this.#submit(n, e)
    if (this.#ctx.nodeId !== this.#seqr)
      this.#ctx.transport.send(
        { node: this.#seqr },
        encode(SYNC, this.#ctx.nodeId, this.#next, 'agreed', new Uint8Array(0)),
      )
    this.#ctx.runtime.timers.after(this.#syncMs, () => this.#tick())
  }

  #onDatagram(b: Uint8Array): void {
    if (!this.#running) return
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength)
    const a = v.getUint32(1, true)
    const c = v.getUint32(5, true)
    const g: Guarantee = b[9] === 1 ? 'safe' : 'agreed'
    const payload = b.subarray(10)
    switch (b[0]) {
      case SUBMIT: {
        // Per sender in submission order (FIFO): hold early arrivals until the gap fills.
        const expected = this.#expected.get(a) ?? 1
        if (c < expected) return
        const early = this.#early.get(a) ?? new Map<number, Entry & { local: number }>()
        this.#early.set(a, early)
        early.set(c, { sender: a, guarantee: g, payload: payload.slice(), local: c })
        let next = expected
        for (let e = early.get(next); e !== undefined; e = early.get(next)) {
          early.delete(next)
          next++
          this.#log.push(e)
          const seq = this.#log.length
          this.#ctx.transport.send('all', this.#ordered(seq, e))
          this.#accept(seq, e)
        }
        this.#expected.set(a, next)
        return
      }
      case ORDERED: {
        const local = v.getUint32(10, true)
        this.#accept(a, {
          sender: c,
          guarantee: g,
          payload: payload.subarray(4).slice(),
          local,
        } as Entry)
        return
      }
      case SYNC: {
        for (let s = c; s <= this.#log.length && s < c + 32; s++)
          this.#ctx.transport.send(
            { node: a as NodeId },
            this.#ordered(s, this.#log[s - 1] as Entry),
          )
        return
      }
    }
  }

  #ordered(seq: number, e: Entry): Uint8Array {
    const body = new Uint8Array(4 + e.payload.length)
    new DataView(body.buffer).setUint32(0, (e as Entry & { local: number }).local, true)
    body.set(e.payload, 4)
    return encode(ORDERED, seq, e.sender, e.guarantee, body)
  }

  #accept(seq: number, e: Entry): void {
    if (seq < this.#next || this.#received.has(seq)) return
    this.#received.set(seq, e)
    for (;;) {
      const d = this.#received.get(this.#next)
      if (d === undefined) break
      this.#received.delete(this.#next)
      const seqNo = this.#next++
      if (this.#swap && seqNo === 2) {
        this.#held = d
        continue
      }
      this.#deliver(d)
      if (this.#held !== undefined && seqNo === 3) {
        this.#deliver(this.#held)
        this.#held = undefined
      }
    }
  }

  #deliver(d: Entry): void {
    if (d.sender === this.#ctx.nodeId) this.#unacked.delete((d as Entry & { local: number }).local)
    this.#ctx.listener.onDeliver({
      sender: d.sender as NodeId,
      ringId: { rep: this.#seqr, seq: 4n },
      guarantee: d.guarantee,
      payload: d.payload,
    })
  }
}
