/**
 * `--evs-trace FILE` of totemd and totem-gateway: a processor's EVS trace (shared/EVS-TRACE.md),
 * with the multiring extension when asked (docs/EVS-TRACE-MULTIRING.md: `ts`, `src_ring`, `kind`
 * on `deliver`; `mrecv`, `fwd`, `topo`), appended as JSON Lines. Every event is one `write()` into
 * a buffered append stream, so the protocol loop never waits for the disk; the stream is ended
 * (flushed) at exit.
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import {
  type ConfigurationChange,
  type Delivery,
  formatRingId,
  type Guarantee,
  type NodeId,
  TotemError,
} from '@totem-ts/common'
import {
  formatMultiringTraceEvent,
  formatTraceEvent,
  type MultiringTraceEvent,
  messageId,
  type TraceEvent,
} from '@totem-ts/evs-checker'
import { formatKey, type MessageKey, type MultiringObserver } from '@totem-ts/multiring'

/** Writes one processor's trace events. `t` is wall-clock ms. */
export interface TraceWriter {
  start(): void
  /** A message the ring layer accepted (`'queued'`), with its id. */
  send(payload: Uint8Array, guarantee: Guarantee): string
  /** A delivery; with the multiring extension, its key is the one the observer heard last. */
  deliver(d: Delivery): void
  conf(c: ConfigurationChange): void
  stop(): void
  /** Feeds the multiring extension (`mrecv`, `fwd`, `topo`, the key of every delivery). */
  readonly observer: MultiringObserver
  /** Events written so far, and those the stream failed to write. */
  readonly written: number
  readonly failed: boolean
  /** Ends the stream: resolves when everything is on disk (or the stream failed). */
  close(): Promise<void>
}

/** Options of {@link openTraceWriter}. */
export interface TraceWriterOptions {
  /** Writes the multiring extension of the trace. @defaultValue false */
  readonly multiring?: boolean
  /** The code of the error when the file cannot be opened (the process's own, e.g. `ERR_DAEMON_TRACE_IO`). */
  readonly openErrorCode: string
}

/**
 * Opens `path` for appending (created when missing). Rejects with a {@link TotemError} of
 * `o.openErrorCode` when it cannot be opened; a later write error is reported through `onError`
 * (once) and ends tracing.
 */
export async function openTraceWriter(
  path: string,
  nodeId: NodeId,
  onError: (e: Error) => void,
  o: TraceWriterOptions,
): Promise<TraceWriter> {
  const multiring = o.multiring === true
  const stream: WriteStream = createWriteStream(path, { flags: 'a' })
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve())
    stream.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new TotemError(o.openErrorCode, `cannot open the EVS trace ${path} (${e.code})`, {
          details: { path, errno: e.code ?? 'EIO' },
        }),
      ),
    )
  })
  let failed = false
  let written = 0
  stream.on('error', (e) => {
    if (!failed) onError(e)
    failed = true
  })
  const write = (e: TraceEvent | MultiringTraceEvent): void => {
    if (failed) return
    written++
    stream.write(
      `${multiring ? formatMultiringTraceEvent(e) : formatTraceEvent(e as TraceEvent)}\n`,
    )
  }
  let pendingKey: MessageKey | undefined
  const observer: MultiringObserver = {
    onReceive: (key, lan) =>
      write({ ev: 'mrecv', node: nodeId, t: Date.now(), key: formatKey(key), via: lan }),
    onForward: (key, from, to) =>
      write({ ev: 'fwd', node: nodeId, t: Date.now(), key: formatKey(key), from, to }),
    onDeliverKey: (key) => {
      pendingKey = key
    },
    onTopology: (key, topo, rings) =>
      write({
        ev: 'topo',
        node: nodeId,
        t: Date.now(),
        key: formatKey(key),
        ring: formatRingId(topo),
        rings: rings.map((r) => formatRingId(r.ring)),
      }),
  }
  return {
    observer,
    start: () => write({ ev: 'start', node: nodeId, t: Date.now() }),
    send(payload, g) {
      const id = messageId(nodeId, payload)
      write({ ev: 'send', node: nodeId, t: Date.now(), id, g })
      return id
    },
    deliver(d) {
      const key = pendingKey
      pendingKey = undefined
      write({
        ev: 'deliver',
        node: nodeId,
        t: Date.now(),
        id: messageId(d.sender, d.payload),
        from: d.sender,
        g: d.guarantee,
        ring: formatRingId(d.ringId),
        ...(multiring && key !== undefined
          ? { ts: key.ts, src_ring: formatRingId(key.ring), kind: 'reg' as const }
          : {}),
      })
    },
    conf: (c) =>
      write({
        ev: 'conf',
        node: nodeId,
        t: Date.now(),
        kind: c.kind === 'regular' ? 'reg' : 'trans',
        ring: formatRingId(c.ringId),
        members: [...c.members].sort((a, b) => a - b),
      }),
    stop: () => write({ ev: 'stop', node: nodeId, t: Date.now() }),
    get written() {
      return written
    },
    get failed() {
      return failed
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (stream.closed || stream.destroyed) resolve()
        else stream.end(() => resolve())
      }),
  }
}
