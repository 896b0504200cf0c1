/**
 * Two gateways between the same two LANs (real processes on loopback): LAN 0 = totemd 1, 2,
 * LAN 1 = totemd 3, 4, gateways 5 and 6 on both. CPG clients on 1–4 deliver one sequence; an
 * orderly stop (SIGTERM) of gateway 5, with messages in flight from every client, keeps the
 * system joined through gateway 6 (one topology without 5, still one order, nothing lost); 5
 * comes back, then a kill -9 of gateway 6, again with messages in flight, keeps it joined through
 * 5; the traces pass checkMultiringTrace.
 *
 * History: this test was kept out of CI from 2026-11-23 on, after one fresh-clone CI run in which
 * gateway 6's own messages around the stop were delivered out of send order (fifo). The
 * simulator's two-gateway classes (crashes, partitions, clogging, swarm) have been in the CI
 * corpus since session 11 and pass fresh soaks; this test passed 25 of 25 runs on a loaded
 * machine in session 14, so it is back in CI.
 */

import { type CpgHandle, initialize } from '@totem-ts/cpg'
import { checkMultiringTrace } from '@totem-ts/evs-checker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MultiLan, waitFor, withoutAmbiguousIds } from './harness.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = new TextDecoder()
const GROUP = 'mr2'

describe('two gateways between two LANs', () => {
  let sys: MultiLan
  const handles = new Map<number, CpgHandle>()
  const logs = new Map<number, string[]>()

  beforeAll(async () => {
    sys = await new MultiLan([
      { lan: 0, nodes: [1, 2, 5, 6] },
      { lan: 1, nodes: [3, 4, 5, 6] },
    ]).init()
  })

  afterAll(async () => {
    for (const h of handles.values()) await h.finalize().catch(() => undefined)
    await sys.destroy()
  })

  it('stays joined through the other gateway when one stops or crashes', async () => {
    const all = [1, 2, 3, 4, 5, 6]
    for (const id of all) sys.start(id)
    for (const id of all) await sys.ready(id)
    await sys.topology(all, all)
    for (const n of [1, 2, 3, 4]) {
      const h = await waitFor(
        () => initialize({ socketPath: sys.cpgSocket(n), pid: 2000 + n }),
        `CPG on node ${n}`,
      )
      const log: string[] = []
      h.on('deliver', (e) => {
        if (e.group === GROUP) log.push(dec.decode(e.payload))
      })
      await h.join(GROUP)
      handles.set(n, h)
      logs.set(n, log)
    }
    await waitFor(
      async () => (await (handles.get(4) as CpgHandle).membership(GROUP)).length === 4,
      'four clients in the group',
    )
    const round = async (tag: string, per: number): Promise<string[]> => {
      const sent: string[] = []
      for (let i = 0; i < per; i++)
        for (const [n, h] of handles) {
          await h.writable()
          h.mcast(GROUP, enc(`${tag}-${n}-${i}`))
          sent.push(`${tag}-${n}-${i}`)
        }
      await waitFor(
        () =>
          [...logs.values()].every(
            (l) => l.filter((m) => m.startsWith(`${tag}-`)).length === sent.length,
          ),
        `${tag} delivered everywhere`,
      )
      const seqs = [...logs.values()].map((l) => l.filter((m) => m.startsWith(`${tag}-`)))
      for (const s of seqs) expect(s).toEqual(seqs[0])
      return sent
    }
    await round('a', 20)
    // Messages in flight from every client while gateway 5 stops: gateway 6 forwards them too,
    // so every client still delivers all of them, in one order.
    const during = round('s', 40)
    expect(await sys.stop(5)).toBe(0)
    await during
    await sys.topology([1, 2, 3, 4, 6], [1, 2, 3, 4, 6])
    await round('b', 20)
    // Gateway 5 back: one topology of all six again.
    sys.start(5)
    await sys.ready(5)
    await sys.topology(all, all)
    await round('c', 20)
    // kill -9 of gateway 6 with messages in flight: the system stays joined through gateway 5.
    const crashing = round('k', 40)
    await sys.crash(6)
    await crashing
    await sys.topology([1, 2, 3, 4, 5], [1, 2, 3, 4, 5])
    await round('d', 20)
    for (const id of [1, 2, 3, 4, 5]) expect(await sys.stop(id)).toBe(0)
    const { events, ambiguous } = withoutAmbiguousIds(sys.traces())
    expect(ambiguous.length).toBeLessThanOrEqual(8)
    const r = checkMultiringTrace(events)
    expect(r.violations).toEqual([])
    expect(r.ok).toBe(true)
  }, 180_000)
})
