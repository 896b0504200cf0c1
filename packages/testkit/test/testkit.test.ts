import { createSocket } from 'node:dgram'
import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { bindable, DaemonCluster, freePort, TOTEMD, waitFor } from '../src/index.ts'

describe('waitFor', () => {
  it('resolves with the first value that is neither undefined nor false', async () => {
    let n = 0
    const v = await waitFor(() => (++n >= 3 ? `after ${n}` : false), 'three polls', {
      everyMs: 1,
    })
    expect(v).toBe('after 3')
  })

  it('times out naming what it waited for and quoting the last throw', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('not yet')
        },
        'the impossible',
        { ms: 30, everyMs: 5 },
      ),
    ).rejects.toThrow(/timed out after 30 ms waiting for the impossible \(Error: not yet\)/)
  })
})

describe('freePort', () => {
  it('skips a port in use and the ports to avoid', async () => {
    const s = createSocket('udp4')
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))
    const taken = s.address().port
    try {
      expect(await bindable('127.0.0.1', taken)).toBe(false)
      const p = await freePort(['127.0.0.1'], [taken])
      expect(p).not.toBe(taken)
      expect(p).toBeGreaterThanOrEqual(20_000)
      expect(await bindable('127.0.0.1', p)).toBe(true)
    } finally {
      s.close()
    }
  })
})

describe('DaemonCluster', () => {
  it('finds the totemd launcher', () => {
    expect(existsSync(TOTEMD)).toBe(true)
  })

  it('writes a corosync.conf per node: proxied peers, two networks, crypto', async () => {
    const c = await new DaemonCluster({
      nodes: [1, 2],
      proxied: true,
      rrpMode: 'passive',
      crypto: true,
      name: 'kit',
      token: 700,
    }).init()
    try {
      const conf = c.conf(1)
      expect(conf).toContain('cluster_name: kit')
      expect(conf).toContain('token: 700')
      expect(conf).toContain('crypto_cipher: aes256')
      expect(conf).toContain(`keyfile: ${c.keyFile}`)
      expect(conf).toContain('ring0_addr: 127.0.0.1\n') // itself, direct
      expect(conf).toContain('ring0_addr: 127.0.1.2\n') // its peer, through the proxy
      expect(conf).toContain('ring1_addr: 127.0.2.2\n')
      expect(conf).toContain('rrp_mode: passive')
      expect(c.port1).not.toBe(c.port)
      expect(conf).toContain(`mcastport: ${c.port1}`)
    } finally {
      await c.destroy()
    }
    expect(existsSync(c.dir)).toBe(false)
  })
})
