import { chmodSync, mkdirSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { dirname } from 'node:path'
import { isTotemError, type Logger, noopLogger, TotemError } from '@totem-ts/common'
import { CpgErrorCode } from './errors.ts'
import {
  CPG_PROTOCOL_VERSION,
  decodeHello,
  decodeMcast,
  decodeReqFrame,
  encodeDeliver,
  encodeJsonFrame,
  encodeReqFrame,
  FrameReader,
  FrameType,
} from './frames.ts'
import type { CpgProcess, CpgService } from './service.ts'
import type { CpgEvent } from './types.ts'

/** Limits of the client socket. */
export interface CpgServerLimits {
  /** Connected clients at once. @defaultValue 256 */
  readonly clients: number
  /**
   * Bytes of events waiting to be written to one client; a client that does not read is
   * disconnected beyond this (a slow client cannot exhaust the daemon's memory). @defaultValue 64 MiB
   */
  readonly outBufferBytes: number
}

/** Counters of the client socket. */
export interface CpgServerStats {
  connections: number
  connected: number
  frames: number
  /** Connections closed for breaking the protocol (garbage, oversized frames). */
  protocolErrors: number
  /** Connections closed for not reading their events. */
  slowClientsDropped: number
  /** Multicasts held while the service said try-again (the socket is paused meanwhile). */
  backPressurePauses: number
  requestErrors: number
}

/** What {@link listenCpg} needs. */
export interface CpgServerOptions {
  readonly service: CpgService
  /** Unix socket path (an abstract or Windows pipe name works too). */
  readonly path: string
  readonly logger?: Logger
  readonly limits?: Partial<CpgServerLimits>
  /** File mode of the socket. @defaultValue 0o660 */
  readonly mode?: number
}

/** A listening client socket. */
export interface CpgServer {
  readonly path: string
  stats(): Readonly<CpgServerStats>
  /** Stops accepting, disconnects every client (their processes leave their groups). */
  close(): Promise<void>
}

const utf8 = new TextEncoder()

/**
 * Serves the CPG client protocol (frames.ts) on a local socket: one connection is one handle.
 * Back-pressure: when the service answers try-again, the connection stops being read until the
 * handle is writable again, so the client's own socket buffer fills and its library answers
 * `ERR_CPG_TRY_AGAIN`. Garbage closes only the offending connection.
 */
export async function listenCpg(o: CpgServerOptions): Promise<CpgServer> {
  const log = (o.logger ?? noopLogger).child('CPG')
  const limits: CpgServerLimits = { clients: 256, outBufferBytes: 64 * 1024 * 1024, ...o.limits }
  const stats: CpgServerStats = {
    connections: 0,
    connected: 0,
    frames: 0,
    protocolErrors: 0,
    slowClientsDropped: 0,
    backPressurePauses: 0,
    requestErrors: 0,
  }
  const sockets = new Set<Socket>()
  const groupBytes = new Map<string, Uint8Array>()
  const nameBytes = (s: string): Uint8Array => {
    const known = groupBytes.get(s)
    if (known !== undefined) return known
    const b = utf8.encode(s)
    if (groupBytes.size > 4096) groupBytes.clear()
    groupBytes.set(s, b)
    return b
  }

  const onConnection = (sock: Socket): void => {
    stats.connections++
    if (sockets.size >= limits.clients) {
      sock.end(
        encodeJsonFrame(FrameType.Fatal, {
          code: CpgErrorCode.NoResources,
          message: `at most ${limits.clients} clients`,
        }),
      )
      return
    }
    sockets.add(sock)
    stats.connected = sockets.size
    const reader = new FrameReader()
    let proc: CpgProcess | undefined
    let closed = false
    let pending: { group: string; payload: Uint8Array; guarantee: 'agreed' | 'safe' }[] = []

    const fatal = (code: string, message: string): void => {
      if (closed) return
      closed = true
      if (code === CpgErrorCode.Protocol) stats.protocolErrors++
      log.info('closing a CPG client', { code, message, pid: proc?.pid ?? -1 })
      sock.end(encodeJsonFrame(FrameType.Fatal, { code, message }))
      sock.destroySoon()
      cleanup()
    }
    const cleanup = (): void => {
      closed = true
      sockets.delete(sock)
      stats.connected = sockets.size
      pending = []
      proc?.detach('died')
    }
    // Frames written in one turn of the event loop (a token visit delivers dozens of messages)
    // leave in one writev instead of one syscall each.
    let corked = false
    const uncork = (): void => {
      corked = false
      sock.uncork()
    }
    const write = (b: Uint8Array): void => {
      if (closed) return
      if (!corked) {
        corked = true
        sock.cork()
        process.nextTick(uncork)
      }
      sock.write(b)
      if (sock.writableLength > limits.outBufferBytes) {
        stats.slowClientsDropped++
        closed = true
        log.warn('disconnecting a CPG client that does not read its events', {
          pid: proc?.pid ?? -1,
          buffered: sock.writableLength,
        })
        sock.destroy()
        cleanup()
      }
    }
    const sink = {
      onEvent(ev: CpgEvent): void {
        if (ev.type === 'deliver')
          write(encodeDeliver(ev, nameBytes(ev.group), nameBytes(ev.ringId)))
        else
          write(
            encodeJsonFrame(ev.type === 'confchg' ? FrameType.Confchg : FrameType.TotemConfchg, ev),
          )
      },
      onWritable(): void {
        drainPending()
      },
    }
    const result = (req: number, value: unknown): void =>
      write(encodeReqFrame(FrameType.Result, req, JSON.stringify({ ok: true, value })))
    const failure = (req: number, e: unknown): void => {
      stats.requestErrors++
      const err = isTotemError(e)
        ? { code: e.code, message: e.message }
        : { code: 'ERR_ASSERTION', message: String(e) }
      write(encodeReqFrame(FrameType.Result, req, JSON.stringify({ ok: false, error: err })))
    }
    const mcast = (group: string, payload: Uint8Array, guarantee: 'agreed' | 'safe'): boolean => {
      try {
        ;(proc as CpgProcess).mcast(group, payload, guarantee)
        return true
      } catch (e) {
        if (isTotemError(e) && e.code === CpgErrorCode.TryAgain) return false
        stats.requestErrors++
        const err = isTotemError(e)
          ? { code: e.code, message: e.message }
          : { code: 'ERR_ASSERTION', message: String(e) }
        write(encodeJsonFrame(FrameType.McastError, { group, ...err }))
        return true
      }
    }
    const drainPending = (): void => {
      while (pending.length > 0 && !closed) {
        const m = pending[0] as (typeof pending)[number]
        if (!mcast(m.group, m.payload, m.guarantee)) return
        pending.shift()
      }
      if (!closed && sock.isPaused()) {
        sock.resume()
        pump()
      }
    }
    const handle = (type: number, body: Uint8Array): void => {
      stats.frames++
      if (proc === undefined) {
        if (type !== FrameType.Hello) {
          fatal(CpgErrorCode.Protocol, 'the first frame must be HELLO')
          return
        }
        const h = decodeHello(body)
        if (h.version !== CPG_PROTOCOL_VERSION) {
          fatal(
            CpgErrorCode.Protocol,
            `client protocol ${h.version}, daemon speaks ${CPG_PROTOCOL_VERSION}`,
          )
          return
        }
        try {
          proc = o.service.attach(h.pid, sink)
        } catch (e) {
          fatal(isTotemError(e) ? e.code : 'ERR_ASSERTION', (e as Error).message)
          return
        }
        write(
          encodeJsonFrame(FrameType.Welcome, {
            version: CPG_PROTOCOL_VERSION,
            nodeId: o.service.nodeId,
            handle: proc.id,
            ringId: o.service.ringId,
          }),
        )
        return
      }
      const p = proc
      switch (type) {
        case FrameType.Mcast: {
          const m = decodeMcast(body)
          if (pending.length > 0 || !mcast(m.group, m.payload, m.guarantee)) {
            // Keep it (a copy: the reader's buffer moves on) and stop reading until writable.
            pending.push({ group: m.group, payload: m.payload.slice(), guarantee: m.guarantee })
            if (!sock.isPaused()) {
              stats.backPressurePauses++
              sock.pause()
            }
          }
          return
        }
        case FrameType.Join:
        case FrameType.Leave:
        case FrameType.Membership:
        case FrameType.Flush:
        case FrameType.Groups:
        case FrameType.Finalize: {
          const { req, text } = decodeReqFrame(body)
          try {
            if (type === FrameType.Join) result(req, p.join(text))
            else if (type === FrameType.Leave) result(req, p.leave(text))
            else if (type === FrameType.Membership) result(req, p.membership(text))
            else if (type === FrameType.Groups) result(req, o.service.groups())
            else if (type === FrameType.Flush) p.flush(() => result(req, null))
            else {
              p.detach('finalize')
              result(req, null)
              closed = true
              sockets.delete(sock)
              stats.connected = sockets.size
              sock.end()
            }
          } catch (e) {
            failure(req, e)
          }
          return
        }
        default:
          fatal(CpgErrorCode.Protocol, `unknown frame type ${type}`)
          return
      }
    }
    const pump = (): void => {
      try {
        for (;;) {
          if (closed || sock.isPaused()) return
          const f = reader.next()
          if (f === undefined) return
          handle(f.type, f.body)
        }
      } catch (e) {
        if (isTotemError(e)) fatal(e.code, e.message)
        else {
          log.error('CPG client handler failed', { error: String(e) })
          fatal('ERR_ASSERTION', 'internal error')
        }
      }
    }
    sock.on('data', (chunk: Buffer) => {
      if (closed) return
      reader.push(chunk)
      pump()
    })
    sock.on('error', () => {})
    sock.on('close', () => {
      if (!closed) cleanup()
    })
  }

  mkdirSync(dirname(o.path), { recursive: true, mode: 0o755 })
  rmSync(o.path, { force: true })
  const server: Server = createServer({ allowHalfOpen: false }, onConnection)
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: Error) =>
      reject(new TotemError('ERR_CPG_LIBRARY', `cannot listen on ${o.path}: ${e.message}`)),
    )
    server.listen(o.path, () => resolve())
  })
  try {
    chmodSync(o.path, o.mode ?? 0o660)
  } catch {
    // abstract sockets have no file
  }
  return {
    path: o.path,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => {
          rmSync(o.path, { force: true })
          resolve()
        })
      }),
  }
}
