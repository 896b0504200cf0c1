/**
 * Two gateways between the same two LANs (real processes on loopback): LAN 0 = totemd 1, 2,
 * LAN 1 = totemd 3, 4, gateways 5 and 6 on both. CPG clients on 1–4 deliver one sequence; an
 * orderly stop (SIGTERM) of gateway 5 keeps the system joined through gateway 6 (one topology
 * without 5, still one order); the traces pass checkMultiringTrace.
 *
 * KNOWN BUG, so not in CI: about one run in ten (seen once in a fresh-clone CI run on 2026-11-23,
 * 0 of 6 local runs), gateway 6's own messages around the stop of gateway 5 were delivered out of
 * send order everywhere, gateway 6 included (the checker's fifo property). Not seen since: 14 of
 * 14 local runs at the end of session 4, 10 of 10 at the end of session 5, 6 of 6 in session 6.
 * The simulator's two-gateway class with crashes and stops still fails about 1 in 30 fresh seeds
 * (docs/MULTIRING.md), so the multiring CI corpus leaves it out too. Run it with TOTEM_KNOWN_BUGS=1; put it back in CI
 * once that class passes the simulator.
 */

import { type CpgHandle, initialize } from '@totem-ts/cpg'
import { checkMultiringTrace } from '@totem-ts/evs-checker'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MultiLan, waitFor, withoutAmbiguousIds } from './harness.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = new TextDecoder()
const GROUP = 'mr2'

describe.skipIf(process.env.TOTEM_KNOWN_BUGS !== '1')('two gateways between two LANs', () => {
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

  it('stays joined through the other gateway when one stops', async () => {
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
    expect(await sys.stop(5)).toBe(0)
    await sys.topology([1, 2, 3, 4, 6], [1, 2, 3, 4, 6])
    await round('b', 20)
    for (const id of [1, 2, 3, 4, 6]) expect(await sys.stop(id)).toBe(0)
    const { events, ambiguous } = withoutAmbiguousIds(sys.traces())
    expect(ambiguous.length).toBeLessThanOrEqual(8)
    const r = checkMultiringTrace(events)
    expect(r.violations).toEqual([])
    expect(r.ok).toBe(true)
  }, 180_000)
})
