import { createSocket, type Socket } from 'node:dgram'
import { networkInterfaces } from 'node:os'

/** Polls `cond` until it holds; fails after a generous timeout (no test asserts speed). */
export async function waitFor(
  cond: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}

function tryBind(s: Socket, port: number, address: string): Promise<boolean> {
  return new Promise((resolve) => {
    s.once('error', () => resolve(false))
    s.bind({ port, address, exclusive: true }, () => resolve(true))
  })
}

/**
 * A port in 20000..59999 that is free on every given address right now (probed by binding, then
 * released; retried on EADDRINUSE). Every node of a test uses the same port on its own address.
 */
export async function freePort(addresses: readonly string[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000)
    const sockets: Socket[] = []
    let ok = true
    for (const a of addresses) {
      const s = createSocket(a.includes(':') ? 'udp6' : 'udp4')
      sockets.push(s)
      if (!(await tryBind(s, port, a))) {
        ok = false
        break
      }
    }
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))))
    if (ok) return port
  }
  throw new Error('no free port found')
}

/** True when ::1 is configured (the IPv6 tests are skipped otherwise). */
export const hasIpv6Loopback: boolean = Object.values(networkInterfaces()).some((list) =>
  (list ?? []).some((i) => i.family === 'IPv6' && i.address === '::1'),
)

/** A raw socket bound to `address` (any port), for sending datagrams from outside a transport. */
export async function rawSocket(address: string): Promise<Socket> {
  const s = createSocket(address.includes(':') ? 'udp6' : 'udp4')
  if (!(await tryBind(s, 0, address))) throw new Error(`cannot bind ${address}`)
  return s
}

export function sendRaw(
  s: Socket,
  bytes: Uint8Array,
  port: number,
  address: string,
): Promise<void> {
  return new Promise((resolve, reject) =>
    s.send(bytes, port, address, (err) => (err ? reject(err) : resolve())),
  )
}

export function closeSocket(s: Socket): Promise<void> {
  return new Promise((r) => {
    try {
      s.close(() => r())
    } catch {
      r() // already closed
    }
  })
}
