import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import {
  CONTROL_LINE_BYTES_MAX,
  ControlErrorCode,
  controlRequest,
  createControlLineReader,
  decodeControlRequest,
  decodeControlResponse,
  defaultControlSocketPath,
  encodeControlLine,
} from '../src/index.ts'

const enc = new TextEncoder()

function collect(max = CONTROL_LINE_BYTES_MAX) {
  const got: string[] = []
  const reader = createControlLineReader(
    {
      onLine: (l) => got.push(l),
      onMalformed: () => got.push('<malformed>'),
      onTooLong: () => got.push('<too-long>'),
    },
    max,
  )
  return { got, reader }
}

describe('control line framing', () => {
  it('splits lines across chunks, drops \\r and blank lines', () => {
    const { got, reader } = collect()
    reader.push(enc.encode('{"a":1}\n{"b"'))
    expect(reader.pendingBytes).toBe(4)
    reader.push(enc.encode(':2}\r\n\n'))
    reader.push(enc.encode('x'))
    reader.push(enc.encode('y\n'))
    expect(got).toEqual(['{"a":1}', '{"b":2}', 'xy'])
    expect(reader.pendingBytes).toBe(0)
  })
  it('reports invalid UTF-8 and goes on', () => {
    const { got, reader } = collect()
    reader.push(new Uint8Array([0xff, 0xfe, 0x0a, 0x61, 0x0a]))
    expect(got).toEqual(['<malformed>', 'a'])
  })
  it('stops at a line over the bound, holding at most the bound', () => {
    const { got, reader } = collect(8)
    reader.push(enc.encode('12345678'))
    expect(got).toEqual([])
    reader.push(enc.encode('9'))
    expect(got).toEqual(['<too-long>'])
    reader.push(enc.encode('\nok\n'))
    expect(got).toEqual(['<too-long>'])
    expect(reader.pendingBytes).toBe(0)
  })
})

describe('control codecs', () => {
  it('decodes requests and answers bad ones with an error response', () => {
    expect(decodeControlRequest('{"id":7,"cmd":"status"}')).toEqual({
      ok: true,
      request: { id: 7, cmd: 'status' },
    })
    expect(decodeControlRequest('{"cmd":"ping"}')).toEqual({
      ok: true,
      request: { id: null, cmd: 'ping' },
    })
    for (const bad of ['{', '[]', '1', 'null', '{"id":{},"cmd":"x"}', '{"id":1}', '{"cmd":5}']) {
      const d = decodeControlRequest(bad)
      expect(d.ok, bad).toBe(false)
      if (!d.ok && !d.response.ok) expect(d.response.error.code).toBe(ControlErrorCode.malformed)
    }
    const d = decodeControlRequest('{"id":3}')
    expect(!d.ok && d.response.id).toBe(3)
  })
  it('round-trips responses', () => {
    const ok = { id: 1, ok: true as const, result: { members: [1, 2] } }
    expect(decodeControlResponse(encodeControlLine(ok).trim())).toEqual(ok)
    const err = {
      id: 'a',
      ok: false as const,
      error: { code: 'ERR_X', message: 'm', details: { cause: 'ERR_Y' } },
    }
    expect(decodeControlResponse(encodeControlLine(err).trim())).toEqual(err)
    expect(() => decodeControlResponse('{"id":1}')).toThrow(
      expect.objectContaining({ code: ControlErrorCode.malformed }),
    )
    expect(() => decodeControlResponse('nope')).toThrow(
      expect.objectContaining({ code: ControlErrorCode.malformed }),
    )
  })
  it('puts the socket in the state dir', () => {
    expect(defaultControlSocketPath('/var/lib/corosync')).toBe('/var/lib/corosync/totemd.sock')
  })
})

describe('controlRequest', () => {
  let dir = ''
  let server: Server | undefined
  const conns = new Set<Socket>()
  const track = (s: Socket): void => {
    conns.add(s)
    s.on('error', () => {})
    s.on('close', () => conns.delete(s))
  }
  afterEach(async () => {
    for (const c of conns) c.destroy()
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
    server = undefined
    if (dir !== '') rmSync(dir, { recursive: true, force: true })
  })
  it('says the daemon is not running when there is no socket', async () => {
    dir = mkdtempSync(join(tmpdir(), 'totem-control-'))
    const path = join(dir, 'none.sock')
    await expect(controlRequest(path, 'status')).rejects.toMatchObject({
      code: ControlErrorCode.notRunning,
      details: { path, errno: 'ENOENT' },
    })
  })
  it('sends one line and resolves with the answer, however it is chunked', async () => {
    dir = mkdtempSync(join(tmpdir(), 'totem-control-'))
    const path = join(dir, 'c.sock')
    const seen: string[] = []
    server = createServer((s) => {
      track(s)
      s.on('data', (b) => {
        seen.push(b.toString())
        s.write('{"id":1,"ok":tr')
        setTimeout(() => s.write('ue,"result":{"pong":true}}\n'), 5)
      })
    })
    await new Promise<void>((r) => server?.listen(path, () => r()))
    await expect(controlRequest(path, 'ping')).resolves.toEqual({
      id: 1,
      ok: true,
      result: { pong: true },
    })
    expect(seen.join('')).toBe('{"id":1,"cmd":"ping"}\n')
  })
  it('times out on a silent daemon and reports an early close', async () => {
    dir = mkdtempSync(join(tmpdir(), 'totem-control-'))
    const path = join(dir, 'c.sock')
    let mode: 'silent' | 'close' = 'silent'
    server = createServer((s) => {
      track(s)
      if (mode === 'close') s.end()
    })
    await new Promise<void>((r) => server?.listen(path, () => r()))
    await expect(controlRequest(path, 'ping', { timeoutMs: 50 })).rejects.toMatchObject({
      code: ControlErrorCode.noResponse,
    })
    mode = 'close'
    await expect(controlRequest(path, 'ping')).rejects.toMatchObject({
      code: ControlErrorCode.noResponse,
    })
  })
})
