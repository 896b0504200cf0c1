/**
 * `totem-demo --lans 2` (issue 8, acceptance 2): the lock service on two LANs of real totemd
 * processes joined by a real totem-gateway; every replica agrees at the end, or the demo exits 1.
 */
import { describe, expect, it } from 'vitest'
import { runDemo } from '../src/demo.ts'

describe('the lock demo across two LANs', () => {
  it('runs under load across the gateway and every replica agrees', async () => {
    let out = ''
    let err = ''
    const code = await runDemo(['--lans', '2', '--seconds', '3'], {
      out: (t) => (out += t),
      err: (t) => (err += t),
    })
    expect(err).toBe('')
    expect(code).toBe(0)
    expect(out).toContain('all 4 replicas on 2 LANs agree; local tables identical')
    expect(out).toMatch(/gateway 10 forwarded LAN 0->1: [\d,]+, LAN 1->0: [\d,]+/)
    expect(out).toContain('result: ok')
  }, 120_000)

  it('refuses more LANs than it lays out', async () => {
    let err = ''
    const code = await runDemo(['--lans', '4'], { out: () => {}, err: (t) => (err += t) })
    expect(code).toBe(2)
    expect(err).toContain('--lans')
  })
})
