/**
 * The local control protocol between `totemd` and its tools (`totem-cfgtool`): newline-delimited
 * JSON over a Unix socket. One request per line, one response per line, matched by `id`:
 *
 * ```
 * → {"id":1,"cmd":"status"}
 * ← {"id":1,"ok":true,"result":{"ringId":"1.12","members":[1,2,3],"state":"OPERATIONAL",…}}
 * ← {"id":2,"ok":false,"error":{"code":"ERR_CONTROL_UNKNOWN_COMMAND","message":"…"}}
 * ```
 *
 * It lives here, in the lowest package both sides share, because apps and tools never import each
 * other (STYLE §3). The server side (the daemon) and the client side (tools, tests) use the same
 * framing ({@link createControlLineReader}) and codecs.
 */
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { TotemError } from '@totem-ts/common'

/** The commands `totemd` answers on its control socket. */
export const ControlCommand = {
  /** Ring id, members, protocol state, crypto on/off. */
  status: 'status',
  /** The members of the current ring, with their addresses from the nodelist. */
  members: 'members',
  /** Every counter: srp, transport (and crypto), event-loop delay, daemon. */
  stats: 'stats',
  /** Reads the key file again and rotates the cluster key (crypto on only). */
  reloadKey: 'reload-key',
  /**
   * Reads the key file again and only stages the key: accepted on receive, not yet used to send.
   * Stage on every node, then `reload-key` on every node, and the rotation drops nothing.
   */
  stageKey: 'stage-key',
  /** Liveness check: answers `{ pong: true }`. */
  ping: 'ping',
} as const
/** One of {@link ControlCommand}'s values. */
export type ControlCommand = (typeof ControlCommand)[keyof typeof ControlCommand]

/** Error codes of the control protocol (in `error.code` of a failed response). */
export const ControlErrorCode = {
  /** A line that is not UTF-8 JSON, or JSON that is not a request object. */
  malformed: 'ERR_CONTROL_MALFORMED',
  /** A line longer than {@link CONTROL_LINE_BYTES_MAX}; the server closes the connection after it. */
  tooLong: 'ERR_CONTROL_TOO_LONG',
  /** A well-formed request whose `cmd` the daemon does not know. */
  unknownCommand: 'ERR_CONTROL_UNKNOWN_COMMAND',
  /** The command ran and failed (`details.cause` holds the underlying code). */
  commandFailed: 'ERR_CONTROL_COMMAND_FAILED',
  /** Client side: nothing listens at the socket path (no daemon running). */
  notRunning: 'ERR_CONTROL_NOT_RUNNING',
  /** Client side: the daemon did not answer in time, or closed the connection first. */
  noResponse: 'ERR_CONTROL_NO_RESPONSE',
} as const
/** One of {@link ControlErrorCode}'s values. */
export type ControlErrorCode = (typeof ControlErrorCode)[keyof typeof ControlErrorCode]

/** Longest request or response line, in bytes, newline excluded (the framing's bound). */
export const CONTROL_LINE_BYTES_MAX = 65_536

/** File name of the control socket inside the state dir. */
export const CONTROL_SOCKET_NAME = 'totemd.sock'

/**
 * Where `totemd` listens by default: `<stateDir>/totemd.sock` (corosync keeps its state, the
 * ring id files, in `/var/lib/corosync`).
 */
export function defaultControlSocketPath(stateDir: string): string {
  return join(stateDir, CONTROL_SOCKET_NAME)
}

/** File name of the CPG client socket inside the state dir. */
export const CPG_SOCKET_NAME = 'cpg.sock'

/** Where `totemd` serves CPG clients by default: `<stateDir>/cpg.sock`. */
export function defaultCpgSocketPath(stateDir: string): string {
  return join(stateDir, CPG_SOCKET_NAME)
}

/** A request id: echoed back in the response. */
export type ControlId = number | string | null

/** One request line. */
export interface ControlRequest {
  readonly id: ControlId
  readonly cmd: string
}

/** The error part of a failed response. */
export interface ControlErrorBody {
  readonly code: string
  readonly message: string
  readonly details?: Readonly<Record<string, string | number | boolean>>
}

/** One response line. */
export type ControlResponse =
  | { readonly id: ControlId; readonly ok: true; readonly result: unknown }
  | { readonly id: ControlId; readonly ok: false; readonly error: ControlErrorBody }

/** What {@link decodeControlRequest} makes of one line. */
export type DecodedControlRequest =
  | { readonly ok: true; readonly request: ControlRequest }
  | { readonly ok: false; readonly response: ControlResponse }

/** Encodes one request or response as a line (JSON and a newline). */
export function encodeControlLine(message: ControlRequest | ControlResponse): string {
  return `${JSON.stringify(message)}\n`
}

/** A failed response. */
export function controlError(
  id: ControlId,
  code: string,
  message: string,
  details?: Readonly<Record<string, string | number | boolean>>,
): ControlResponse {
  return { id, ok: false, error: details ? { code, message, details } : { code, message } }
}

const isId = (v: unknown): v is ControlId =>
  v === null ||
  (typeof v === 'number' && Number.isFinite(v)) ||
  (typeof v === 'string' && v.length <= 256)

/**
 * Server side: one line → a request, or the error response to send back (malformed JSON, not an
 * object, no string `cmd`, a bad `id`). Never throws.
 */
export function decodeControlRequest(line: string): DecodedControlRequest {
  let v: unknown
  try {
    v = JSON.parse(line)
  } catch {
    return {
      ok: false,
      response: controlError(null, ControlErrorCode.malformed, 'the request is not valid JSON'),
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    return {
      ok: false,
      response: controlError(null, ControlErrorCode.malformed, 'a request is a JSON object'),
    }
  }
  const r = v as Record<string, unknown>
  const id = r.id === undefined ? null : r.id
  if (!isId(id)) {
    return {
      ok: false,
      response: controlError(
        null,
        ControlErrorCode.malformed,
        'id must be a number, a string or null',
      ),
    }
  }
  if (typeof r.cmd !== 'string' || r.cmd.length === 0 || r.cmd.length > 64) {
    return {
      ok: false,
      response: controlError(id, ControlErrorCode.malformed, 'cmd must be a command name'),
    }
  }
  return { ok: true, request: { id, cmd: r.cmd } }
}

/** Client side: one line → a response. Throws `ERR_CONTROL_MALFORMED` on anything else. */
export function decodeControlResponse(line: string): ControlResponse {
  let v: unknown
  try {
    v = JSON.parse(line)
  } catch {
    throw new TotemError(ControlErrorCode.malformed, 'the response is not valid JSON')
  }
  const r = v as Record<string, unknown> | null
  if (typeof r !== 'object' || r === null || !isId(r.id ?? null) || typeof r.ok !== 'boolean') {
    throw new TotemError(ControlErrorCode.malformed, 'the response is not a control response')
  }
  if (r.ok) return { id: (r.id ?? null) as ControlId, ok: true, result: r.result }
  const e = r.error as Record<string, unknown> | null
  if (typeof e !== 'object' || e === null || typeof e.code !== 'string') {
    throw new TotemError(ControlErrorCode.malformed, 'a failed response has an error code')
  }
  return controlError(
    (r.id ?? null) as ControlId,
    e.code,
    typeof e.message === 'string' ? e.message : '',
    typeof e.details === 'object' && e.details !== null
      ? (e.details as Record<string, string | number | boolean>)
      : undefined,
  )
}

/** Framing events of {@link createControlLineReader}. */
export interface ControlLineHandlers {
  /** A complete line, decoded as UTF-8 (newline and a trailing `\r` removed). */
  onLine(line: string): void
  /** A line that is not valid UTF-8 (the reader goes on with the next line). */
  onMalformed(): void
  /** A line over the limit: the reader discards everything after it (close the connection). */
  onTooLong(): void
}

/** Splits a byte stream into bounded lines. */
export interface ControlLineReader {
  /** Feeds bytes; calls the handlers synchronously for every complete line. */
  push(chunk: Uint8Array): void
  /** Bytes held for an incomplete line. */
  readonly pendingBytes: number
}

/**
 * Newline framing with a bound: at most `maxLineBytes` bytes are ever held. A line over the bound
 * is reported once through `onTooLong` and the reader stops (it cannot find the next line's
 * start in a stream it no longer reads).
 */
export function createControlLineReader(
  handlers: ControlLineHandlers,
  maxLineBytes: number = CONTROL_LINE_BYTES_MAX,
): ControlLineReader {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let parts: Uint8Array[] = []
  let held = 0
  let dead = false
  const emit = (bytes: Uint8Array): void => {
    let text: string
    try {
      text = decoder.decode(bytes)
    } catch {
      handlers.onMalformed()
      return
    }
    if (text.endsWith('\r')) text = text.slice(0, -1)
    if (text.trim().length > 0) handlers.onLine(text)
  }
  return {
    push(chunk: Uint8Array): void {
      let start = 0
      while (!dead && start <= chunk.length) {
        const nl = chunk.indexOf(0x0a, start)
        const end = nl === -1 ? chunk.length : nl
        const piece = chunk.subarray(start, end)
        if (held + piece.length > maxLineBytes) {
          dead = true
          parts = []
          held = 0
          handlers.onTooLong()
          return
        }
        if (nl === -1) {
          if (piece.length > 0) {
            parts.push(piece.slice())
            held += piece.length
          }
          return
        }
        let line = piece
        if (parts.length > 0) {
          parts.push(piece)
          line = new Uint8Array(held + piece.length)
          let o = 0
          for (const p of parts) {
            line.set(p, o)
            o += p.length
          }
          parts = []
          held = 0
        }
        emit(line)
        start = nl + 1
      }
    },
    get pendingBytes() {
      return held
    },
  }
}

/** Options of {@link controlRequest}. */
export interface ControlRequestOptions {
  /** Gives up after this long. @defaultValue 5000 */
  readonly timeoutMs?: number
}

/**
 * Client side: connects to the socket, sends one request, resolves with the response, closes.
 * Rejects with a `TotemError`: `ERR_CONTROL_NOT_RUNNING` (nothing listens at `path`,
 * `details.path`, `details.errno`), `ERR_CONTROL_NO_RESPONSE` (timeout or closed early) or
 * `ERR_CONTROL_MALFORMED`.
 *
 * @example
 * ```ts
 * const r = await controlRequest('/var/lib/corosync/totemd.sock', 'status')
 * if (r.ok) console.log(r.result)
 * ```
 */
export function controlRequest(
  path: string,
  cmd: string,
  options: ControlRequestOptions = {},
): Promise<ControlResponse> {
  const timeoutMs = options.timeoutMs ?? 5000
  return new Promise<ControlResponse>((resolve, reject) => {
    let done = false
    let sock: Socket | undefined
    const finish = (err: TotemError | undefined, r?: ControlResponse): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock?.destroy()
      if (err) reject(err)
      else resolve(r as ControlResponse)
    }
    const timer = setTimeout(
      () =>
        finish(
          new TotemError(ControlErrorCode.noResponse, `no answer from ${path} in ${timeoutMs} ms`, {
            details: { path },
          }),
        ),
      timeoutMs,
    )
    const reader = createControlLineReader({
      onLine: (line) => {
        try {
          finish(undefined, decodeControlResponse(line))
        } catch (e) {
          finish(e as TotemError)
        }
      },
      onMalformed: () =>
        finish(new TotemError(ControlErrorCode.malformed, 'the response is not UTF-8')),
      onTooLong: () =>
        finish(new TotemError(ControlErrorCode.tooLong, 'the response line is too long')),
    })
    sock = connect(path)
    sock.on('connect', () => sock?.write(encodeControlLine({ id: 1, cmd })))
    sock.on('data', (b: Uint8Array) => reader.push(b))
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const errno = e.code ?? 'EIO'
      const notRunning = errno === 'ENOENT' || errno === 'ECONNREFUSED' || errno === 'ENOTSOCK'
      finish(
        new TotemError(
          notRunning ? ControlErrorCode.notRunning : ControlErrorCode.noResponse,
          notRunning
            ? `totemd is not running (no socket at ${path})`
            : `cannot talk to totemd at ${path} (${errno})`,
          { details: { path, errno } },
        ),
      )
    })
    sock.on('close', () =>
      finish(
        new TotemError(ControlErrorCode.noResponse, `totemd closed ${path} without an answer`, {
          details: { path },
        }),
      ),
    )
  })
}
