/**
 * The totem-ts side of the interop suite's CPG clients: the same behaviour and the same two logs
 * as the C client `c/tti-cpgclient.c` that runs on the corosync nodes, so the suite can compare
 * them line for line.
 *
 * It joins one group, waits until the group has `members` processes, multicasts `count` unique
 * messages (one every `intervalMs`), and keeps receiving until stopped. It writes
 * - an EVS trace (shared/EVS-TRACE.md): `start`, `send`, `deliver`, the ring's regular
 *   configuration changes after the start as `conf` events (libcpg's totem confchg has no
 *   transitional one, so neither side logs one), `stop`;
 * - the group's sequence: `D <id>` per delivery, `C <nodeid>:<pid>,…` per regular group
 *   configuration change (members sorted by node id, then pid).
 */
import { closeSync, openSync, writeSync } from 'node:fs'
import { isTotemError, TotemError } from '@totem-ts/common'
import { type CpgHandle, initialize } from '@totem-ts/cpg'
import { formatTraceEvent, messageId, type TraceEvent } from '@totem-ts/evs-checker'

/** What {@link runInteropClient} needs. */
export interface InteropClientOptions {
  /** totemd's CPG socket. */
  readonly cpgSocket: string
  readonly group: string
  /** Processes the group must have before the first multicast (this one included). */
  readonly members: number
  readonly count: number
  readonly intervalMs: number
  readonly tracePath: string
  readonly seqPath: string
  /** Resolves when the client should leave and exit. */
  readonly stop: Promise<void>
  /** Called once the join is confirmed, with this process's CPG identity. */
  readonly onJoined?: (nodeId: number, pid: number) => void
}

/**
 * A trace or sequence file written synchronously, line by line: the clients are killed with
 * SIGKILL in the failure tests, and what a line says must be in the file before anything can
 * depend on it (a buffered `send` line lost with the process made its delivered message look
 * sent by nobody: a CI run failed on it).
 */
interface SyncFile {
  write(text: string): void
  end(done: () => void): void
}

function open(path: string): Promise<SyncFile> {
  let fd: number
  try {
    fd = openSync(path, 'w')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO'
    return Promise.reject(
      new TotemError('ERR_INTEROP_IO', `cannot open ${path} (${code})`, {
        details: { path, errno: code },
      }),
    )
  }
  return Promise.resolve({
    write: (text) => {
      writeSync(fd, text)
    },
    end: (done) => {
      closeSync(fd)
      done()
    },
  })
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Runs one client until `options.stop` resolves (or the daemon goes away: rejects then). */
export async function runInteropClient(o: InteropClientOptions): Promise<void> {
  const trace = await open(o.tracePath)
  const seq = await open(o.seqPath)
  const cpg: CpgHandle = await initialize({ socketPath: o.cpgSocket })
  const node = cpg.nodeId
  const ev = (e: TraceEvent): void => {
    trace.write(`${formatTraceEvent(e)}\n`)
  }
  const nonce = Math.floor(Math.random() * 0x1_0000_0000)
    .toString(16)
    .padStart(8, '0')
  let ring = cpg.ringId
  let groupSize = 0
  let closed: TotemError | undefined
  let wake: (() => void) | undefined
  const poke = (): void => {
    wake?.()
  }
  ev({ ev: 'start', node: node as never, t: Date.now() })
  // No `conf` for the ring the client starts in: the process joins its group in the middle of
  // that configuration, so its deliveries there are compared by the group sequence, not as an
  // EVS segment (the C client does the same).
  cpg.on('totemConfchg', (c) => {
    if (c.kind !== 'regular') return
    ring = c.ringId
    ev({
      ev: 'conf',
      node: node as never,
      t: Date.now(),
      kind: 'reg',
      ring,
      members: [...c.members] as never,
    })
  })
  cpg.on('confchg', (c) => {
    if (c.group !== o.group || c.kind !== 'regular') return
    seq.write(`C ${c.members.map((m) => `${m.nodeId}:${m.pid}`).join(',')}\n`)
    groupSize = c.members.length
    poke()
  })
  cpg.on('deliver', (d) => {
    if (d.group !== o.group) return
    const id = messageId(d.nodeId, d.payload)
    ev({
      ev: 'deliver',
      node: node as never,
      t: Date.now(),
      id,
      from: d.nodeId as never,
      g: 'agreed',
      ring,
    })
    seq.write(`D ${id}\n`)
  })
  cpg.on('close', (e) => {
    closed = e
    poke()
  })
  let stopped = false
  void o.stop.then(() => {
    stopped = true
    poke()
  })
  await cpg.join(o.group)
  o.onJoined?.(node, cpg.pid)
  const enc = new TextEncoder()
  let sent = 0
  let announced = -1
  while (!stopped && closed === undefined) {
    if (sent < o.count && groupSize >= o.members) {
      const payload = enc.encode(`tti:${node}:${cpg.pid}:${nonce}:${sent}`)
      // Written ahead (once per message; a try-again sends the same payload again): after the
      // mcast, a SIGKILL could separate a delivered message from its `send` line.
      if (announced !== sent) {
        ev({
          ev: 'send',
          node: node as never,
          t: Date.now(),
          id: messageId(node, payload),
          g: 'agreed',
        })
        announced = sent
      }
      try {
        cpg.mcast(o.group, payload)
        sent++
        await sleep(o.intervalMs)
      } catch (e) {
        if (!isTotemError(e) || e.code !== 'ERR_CPG_TRY_AGAIN') throw e
        await cpg.writable()
      }
      continue
    }
    await new Promise<void>((r) => {
      wake = r
      setTimeout(r, 100)
    })
    wake = undefined
  }
  if (closed !== undefined) throw closed
  await cpg.leave(o.group)
  await cpg.finalize()
  ev({ ev: 'stop', node: node as never, t: Date.now() })
  await Promise.all([new Promise<void>((r) => trace.end(r)), new Promise<void>((r) => seq.end(r))])
}
