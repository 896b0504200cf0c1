/**
 * `--trace FILE`: this instance's EVS trace (shared/EVS-TRACE.md) — its own sends, its
 * deliveries, and the ring's configuration changes as the CPG handle's `totemConfchg` events.
 * Ids are computed with node:crypto (the same sha256 as @totem-ts/evs-checker's `messageId`,
 * much faster for 64 KiB payloads).
 */
import { createHash } from 'node:crypto'
import { createWriteStream, type WriteStream } from 'node:fs'
import { type Guarantee, type NodeId, TotemError } from '@totem-ts/common'
import { formatTraceEvent, type TraceEvent } from '@totem-ts/evs-checker'

/** `messageId` of @totem-ts/evs-checker: first 16 bytes of sha256(u32le sender ‖ payload), hex. */
export function fastMessageId(sender: number, payload: Uint8Array): string {
  const prefix = Buffer.alloc(4)
  prefix.writeUInt32LE(sender >>> 0, 0)
  return createHash('sha256')
    .update(prefix)
    .update(payload)
    .digest()
    .subarray(0, 16)
    .toString('hex')
}

/** Writes one instance's trace; events can be held back until the first configuration is known. */
export interface BenchTrace {
  start(): void
  send(payload: Uint8Array, g: Guarantee): void
  deliver(from: number, payload: Uint8Array, g: Guarantee, ring: string): void
  conf(kind: 'trans' | 'reg', ring: string, members: readonly number[]): void
  /** Writes the first (regular) configuration, then everything held since `start`. */
  release(ring: string, members: readonly number[]): void
  close(): Promise<void>
}

/** Opens `path` for writing (truncated). Rejects with `ERR_CPGBENCH_TRACE_IO`. */
export async function openBenchTrace(path: string, nodeId: number): Promise<BenchTrace> {
  const node = nodeId as NodeId
  const sorted = (m: readonly number[]): NodeId[] => [...m].sort((a, b) => a - b) as NodeId[]
  const stream: WriteStream = createWriteStream(path)
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve())
    stream.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new TotemError('ERR_CPGBENCH_TRACE_IO', `cannot open the trace ${path} (${e.code})`, {
          details: { path, errno: e.code ?? 'EIO' },
        }),
      ),
    )
  })
  let error: Error | undefined
  stream.on('error', (e) => {
    error ??= e
  })
  let held: TraceEvent[] | undefined = []
  const write = (e: TraceEvent): void => {
    if (held !== undefined) held.push(e)
    else stream.write(`${formatTraceEvent(e)}\n`)
  }
  return {
    start() {
      stream.write(`${formatTraceEvent({ ev: 'start', node, t: Date.now() })}\n`)
    },
    send(payload, g) {
      write({ ev: 'send', node, t: Date.now(), id: fastMessageId(node, payload), g })
    },
    deliver(from, payload, g, ring) {
      write({
        ev: 'deliver',
        node,
        t: Date.now(),
        id: fastMessageId(from, payload),
        from: from as NodeId,
        g,
        ring,
      })
    },
    conf(kind, ring, members) {
      write({
        ev: 'conf',
        node,
        t: Date.now(),
        kind,
        ring,
        members: sorted(members),
      })
    },
    release(ring, members) {
      const h = held ?? []
      held = undefined
      write({
        ev: 'conf',
        node,
        t: Date.now(),
        kind: 'reg',
        ring,
        members: sorted(members),
      })
      for (const e of h) write(e)
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (held !== undefined) {
          // The first configuration never became known: nothing after `start` is written.
          held = undefined
        }
        stream.end(() =>
          error === undefined
            ? resolve()
            : reject(
                new TotemError(
                  'ERR_CPGBENCH_TRACE_IO',
                  `writing the trace ${path} failed: ${error.message}`,
                  { details: { path } },
                ),
              ),
        )
      }),
  }
}
