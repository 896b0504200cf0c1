/** A scripted single-ring stand-in: the test plays srp, delivering what it wants in order. */
import {
  type BroadcastListener,
  type ConfigurationChange,
  type Guarantee,
  type NodeId,
  nodeId,
  noopLogger,
  type RingId,
  type Runtime,
  type Timer,
} from '@totem-ts/common'
import {
  type CcMessage,
  createMultiring,
  decodeMrMessage,
  encodeMrMessage,
  type MrMessage,
  type Multiring,
  type MultiringOptions,
  NO_PRED,
  resolveMultiringOptions,
} from '../src/index.ts'

export interface FakeRing {
  listener: BroadcastListener
  /** `ordered`: sent as a message that takes a stamp (srp's gap-free origination). */
  readonly sent: { bytes: Uint8Array; g: Guarantee; ordered: boolean }[]
  full: boolean
  /**
   * The members of the last configuration `install` gave it. While `autoAgree` is on (the
   * default), every proposal and decision ack the processor sends is delivered back after each
   * `deliver` or `install`, from every member in turn (the processor's own copy too): the mates
   * propose and decide what it did. Its own NTs come back to it too, as srp delivers them.
   */
  mates: number[]
  autoAgree: boolean
  readonly echo: Uint8Array[]
  /** The srp ring id of the last configuration `install` gave it. */
  srpRing: RingId
  /** Each member's incarnation nonce, from the last start `deliver` gave (echoes carry it). */
  readonly nonces: Map<number, number>
  /** Every fake ring of the same processor (echoes are flushed on all of them). */
  readonly peers: Map<number, FakeRing>
}

export interface Recorded {
  readonly delivered: { sender: number; payload: string; ring: string; g: Guarantee }[]
  readonly confs: ConfigurationChange[]
}

/** A runtime whose timers fire only when the test calls `advance`. */
export function manualRuntime(): Runtime & { advance(ms: number): void } {
  let now = 0
  let seq = 0
  const timers: { at: number; seq: number; fire: () => void; dead: boolean }[] = []
  return {
    clock: { nowMs: () => now },
    timers: {
      after(delayMs: number, fire: () => void): Timer {
        const t = { at: now + delayMs, seq: seq++, fire, dead: false }
        timers.push(t)
        return { cancel: () => (t.dead = true) }
      },
    },
    random: { float: () => 0.5, int: (n: number) => Math.floor(n / 2), fill: (o) => o.fill(7) },
    logger: noopLogger,
    advance(ms: number) {
      const until = now + ms
      for (;;) {
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq)
        const t = timers.find((x) => !x.dead && x.at <= until)
        if (t === undefined) break
        t.dead = true
        now = t.at
        t.fire()
      }
      now = until
    },
  }
}

/** A processor on `lans` fake rings, with everything it delivers recorded. */
export function processor(
  me: number,
  lans: readonly number[],
  runtime: Runtime = manualRuntime(),
  options: MultiringOptions = {},
): { mr: Multiring; rings: Map<number, FakeRing>; rec: Recorded } {
  const rings = new Map<number, FakeRing>()
  const rec: Recorded = { delivered: [], confs: [] }
  const dec = new TextDecoder()
  const mr = createMultiring(resolveMultiringOptions(options), {
    nodeId: nodeId(me),
    runtime,
    listener: {
      onDeliver: (d) =>
        rec.delivered.push({
          sender: d.sender,
          payload: dec.decode(d.payload),
          ring: `${d.ringId.rep}.${d.ringId.seq}`,
          g: d.guarantee,
        }),
      onConfigurationChange: (c) => rec.confs.push(c),
    },
    rings: lans.map((lan) => ({
      lan,
      create: (listener: BroadcastListener) => {
        const f: FakeRing = {
          listener,
          sent: [],
          full: false,
          mates: [],
          autoAgree: true,
          echo: [],
          srpRing: { rep: 0, seq: 0n },
          nonces: new Map(),
          peers: rings,
          // biome-ignore lint/suspicious/noExplicitAny: test double
        } as any
        const ring = Object.assign(f, {
          members: [] as NodeId[],
          send: (bytes: Uint8Array, g: Guarantee, opts?: { readonly ordered?: boolean }) => {
            if (f.full) return 'full' as const
            f.sent.push({ bytes: bytes.slice(), g, ordered: opts?.ordered === true })
            const kind = decodeMrMessage(bytes).kind
            if (f.autoAgree && (kind === 'ack' || kind === 'nt')) f.echo.push(bytes.slice())
            return 'queued' as const
          },
          start: async () => {},
          stop: async () => {},
        })
        rings.set(lan, f)
        return ring
      },
    })),
  })
  // start() marks the processor running synchronously; the fake rings start at once.
  void mr.start()
  return { mr, rings, rec }
}

/** srp delivers `m` from `sender` on `ring`. */
export function deliver(
  ring: FakeRing,
  sender: number,
  m: MrMessage | Uint8Array,
  srpRing: RingId,
  g: Guarantee = 'agreed',
): void {
  const payload = m instanceof Uint8Array ? m : encodeMrMessage(m)
  try {
    const d = decodeMrMessage(payload)
    if (d.kind === 'start') ring.nonces.set(sender, d.nonce)
  } catch {
    // a malformed payload (a test of the drop counters): nothing to note
  }
  ring.listener.onDeliver({ sender: nodeId(sender), ringId: srpRing, guarantee: g, payload })
  flushEcho(ring)
}

let echoing = false
/** Delivers what `autoAgree` queued: each ack from every member, in turn. */
function flushEcho(first: FakeRing): void {
  if (echoing) return
  echoing = true
  try {
    for (;;) {
      const ring = [...first.peers.values()].find((r) => r.echo.length > 0)
      if (ring === undefined) break
      const b = ring.echo.shift() as Uint8Array
      const srpRing = ring.srpRing
      const a = decodeMrMessage(b)
      // srp delivers our own NT back to us (the others' NTs are the test's to deliver).
      if (a.kind === 'nt') {
        if (ring.mates.includes(a.sender))
          ring.listener.onDeliver({
            sender: a.sender,
            ringId: srpRing,
            guarantee: 'agreed',
            payload: b,
          })
        continue
      }
      if (a.kind !== 'ack') continue
      for (const n of ring.mates)
        ring.listener.onDeliver({
          sender: nodeId(n),
          ringId: srpRing,
          guarantee: 'agreed',
          payload: encodeMrMessage({
            ...a,
            sender: nodeId(n),
            nonce: ring.nonces.get(n) ?? HARNESS_NONCE,
          }),
        })
    }
  } finally {
    echoing = false
  }
}

/** srp installs a regular configuration. */
export function install(
  ring: FakeRing,
  srpRing: RingId,
  members: readonly number[],
  trans?: readonly number[],
): void {
  // srp's transitional configuration first, when the test gives one: the members of the old
  // ring that move to the new one with us.
  if (trans !== undefined)
    ring.listener.onConfigurationChange({
      kind: 'transitional',
      ringId: ring.srpRing,
      members: trans.map((n) => nodeId(n)),
      left: [],
      joined: [],
    })
  ring.mates = members.slice()
  ring.srpRing = srpRing
  ring.echo.length = 0
  ring.listener.onConfigurationChange({
    kind: 'regular',
    ringId: srpRing,
    members: members.map((n) => nodeId(n)),
    left: [],
    joined: [],
  })
  flushEcho(ring)
}

/** The incarnation nonce every harness processor draws (`random.int(n)` = n / 2). */
export const HARNESS_NONCE = 0x8000_0000

/** The CC of a remote ring `ring` (LAN `lan`, `members`) with gateway 50, as 50 forwards it. */
export const remoteCc = (
  ring: RingId,
  ts: number,
  lan: number,
  members: readonly number[],
): CcMessage => ({
  kind: 'cc',
  ts,
  ring,
  sender: 50,
  lan,
  members: members.map((n) => nodeId(n)).sort((a, b) => a - b),
  preds: [],
  gateways: [nodeId(50)],
  gatewayNonces: [HARNESS_NONCE],
  memberPreds: members.map(() => NO_PRED),
})

/** The last message the processor handed to `ring` (decoded). */
export function lastSent(ring: FakeRing): MrMessage {
  const s = ring.sent[ring.sent.length - 1]
  if (s === undefined) throw new Error('nothing sent')
  return decodeMrMessage(s.bytes)
}

export function sentKinds(ring: FakeRing): string[] {
  return ring.sent.map((s) => decodeMrMessage(s.bytes).kind)
}
