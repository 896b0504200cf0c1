/**
 * The serving side of the control socket (the protocol of control.ts), shared by totemd and
 * totem-gateway: a Unix socket of mode 0600, newline-delimited JSON, bounded lines, a bounded
 * number of connections. Bad input gets an error reply and never reaches past this file.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { TotemError } from '@totem-ts/common'
import {
  ControlErrorCode,
  type ControlResponse,
  controlError,
  createControlLineReader,
  decodeControlRequest,
  encodeControlLine,
} from './control.ts'

/** Most connections served at once; more are closed at once. */
export const CONTROL_CONNECTIONS_MAX = 32
/** A client that leaves more than this unread is disconnected. */
export const CONTROL_OUTPUT_BYTES_MAX = 1_048_576

/** A command handler: returns the result, or throws (a `TotemError` keeps its code as the cause). */
export type ControlHandler = () => unknown

/** Counters of the control socket. */
export interface ControlServerStats {
  connections: number
  requests: number
  errors: number
}

/** Who listens: the program's error codes and how it names the programs that may hold the socket. */
export interface ControlListenerIdentity {
  /** Code of the error when something already answers on the path. */
  readonly alreadyRunningCode: string
  /** Code of the error when the socket cannot be created. */
  readonly controlSocketCode: string
  /** Completes "another … answers on PATH", e.g. `totemd`. */
  readonly owners: string
}

/** A listening control socket. */
export interface ControlServer {
  readonly path: string
  readonly stats: Readonly<ControlServerStats>
  close(): Promise<void>
}

function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path)
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/**
 * Listens on `path`. A stale socket file (nothing answers) is replaced; a live one is
 * `who.alreadyRunningCode`. Other failures are `who.controlSocketCode`.
 */
export async function listenControl(
  path: string,
  handlers: Readonly<Record<string, ControlHandler>>,
  who: ControlListenerIdentity,
): Promise<ControlServer> {
  if (existsSync(path)) {
    if (await probe(path)) {
      throw new TotemError(who.alreadyRunningCode, `another ${who.owners} answers on ${path}`, {
        details: { path },
      })
    }
    try {
      unlinkSync(path)
    } catch {
      // Gone already, or not ours to remove: listen() reports it.
    }
  }
  const stats: ControlServerStats = { connections: 0, requests: 0, errors: 0 }
  const sockets = new Set<Socket>()
  const reply = (sock: Socket, r: ControlResponse): void => {
    if (!r.ok) stats.errors++
    if (sock.destroyed) return
    sock.write(encodeControlLine(r))
    if (sock.writableLength > CONTROL_OUTPUT_BYTES_MAX) sock.destroy()
  }
  const serve = (sock: Socket): void => {
    if (sockets.size >= CONTROL_CONNECTIONS_MAX) {
      sock.destroy()
      return
    }
    stats.connections++
    sockets.add(sock)
    sock.on('close', () => sockets.delete(sock))
    sock.on('error', () => sock.destroy())
    const reader = createControlLineReader({
      onLine(line) {
        stats.requests++
        const d = decodeControlRequest(line)
        if (!d.ok) {
          reply(sock, d.response)
          return
        }
        const { id, cmd } = d.request
        const handler = Object.hasOwn(handlers, cmd) ? handlers[cmd] : undefined
        if (handler === undefined) {
          reply(
            sock,
            controlError(id, ControlErrorCode.unknownCommand, `unknown command '${cmd}'`, {
              known: Object.keys(handlers).join(','),
            }),
          )
          return
        }
        try {
          reply(sock, { id, ok: true, result: handler() })
        } catch (e) {
          const cause = e instanceof TotemError ? e.code : 'ERR_INTERNAL'
          reply(
            sock,
            controlError(
              id,
              ControlErrorCode.commandFailed,
              `${cmd} failed: ${e instanceof Error ? e.message : String(e)}`,
              { cause },
            ),
          )
        }
      },
      onMalformed() {
        stats.requests++
        reply(sock, controlError(null, ControlErrorCode.malformed, 'the request is not UTF-8'))
      },
      onTooLong() {
        stats.requests++
        reply(sock, controlError(null, ControlErrorCode.tooLong, 'request line too long; closing'))
        sock.end()
      },
    })
    sock.on('data', (b: Uint8Array) => reader.push(b))
  }
  const server: Server = createServer(serve)
  const oldMask = process.umask(0o177)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new TotemError(
            who.controlSocketCode,
            `cannot listen on the control socket ${path} (${e.code ?? e.message})`,
            { details: { path, errno: e.code ?? 'EIO' } },
          ),
        ),
      )
      server.listen(path, () => resolve())
    })
  } finally {
    process.umask(oldMask)
  }
  chmodSync(path, 0o600)
  server.on('error', () => {})
  return {
    path,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => {
          try {
            unlinkSync(path)
          } catch {
            // Already removed.
          }
          resolve()
        })
      }),
  }
}
