/** Free UDP ports on loopback (or namespace) addresses, for daemons a test starts. */
import { createSocket } from 'node:dgram'

/** Whether a UDP socket can bind `address:port` now (it is closed again at once). */
export function bindable(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createSocket('udp4')
    s.once('error', () => {
      s.close()
      resolve(false)
    })
    s.bind(port, address, () => s.close(() => resolve(true)))
  })
}

/**
 * A random port in 20000–59999 that binds on every one of `addresses`, other than those in
 * `avoid` (ports the test already handed out). Throws after 50 tries.
 */
export async function freePort(
  addresses: readonly string[],
  avoid: readonly number[] = [],
): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000)
    if (avoid.includes(port)) continue
    let ok = true
    for (const a of addresses) if (!(await bindable(a, port))) ok = false
    if (ok) return port
  }
  throw new Error(`no free UDP port found on ${addresses.join(', ')}`)
}
