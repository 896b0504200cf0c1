/**
 * Issue 9: `corosyncCompat` — the CPG service changes group state where corosync 3.1's CPG does, so
 * totem-ts clients and libcpg clients in one ring see the same sequence of events.
 */
import { encodeAppMessage } from '@totem-ts/wire'
import { describe, expect, test } from 'vitest'
import { CpgWorld, type Recorder, record } from './world.ts'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

async function cluster(ids: number[], corosyncCompat: boolean): Promise<CpgWorld> {
  const w = new CpgWorld(ids, { corosyncCompat })
  for (const id of ids) await w.add(id)
  w.runFor(3000)
  return w
}

/** The events of one recorder as corosync's libcpg would show them: regular confchgs only. */
const libcpgView = (r: Recorder): string[] => {
  const out: string[] = []
  for (const e of r.events) {
    if (e.type === 'deliver') out.push(`D${e.nodeId}:${new TextDecoder().decode(e.payload)}`)
    else if (e.type === 'confchg' && e.kind === 'regular')
      out.push(`C${e.members.map((m) => `${m.nodeId}:${m.pid}`).join(',')}`)
  }
  return out
}

describe('corosyncCompat (corosync 3.1 CPG semantics)', () => {
  test('a node failure: nodedown at the end of the sync round, totem confchg there too', async () => {
    const w = await cluster([1, 2, 3], true)
    const r = [await record(w.cpg(1), 11, 'G'), await record(w.cpg(2), 22, 'G')]
    await record(w.cpg(3), 33, 'G').then((x) => w.settle(x.handle.join('G')))
    for (const x of r) await w.settle(x.handle.join('G'))
    w.runFor(100)
    const totem: string[] = []
    r[0]?.handle.on('totemConfchg', (e) => totem.push(`${e.kind}:${e.members.join(',')}`))
    w.crash(3)
    w.runFor(3000)
    // The regular group confchg lists node 3's process as left with reason nodedown (corosync's
    // downlist step); the transitional one already shows the survivors only.
    const regular = r[0]?.events.filter((e) => e.type === 'confchg' && e.kind === 'regular').at(-1)
    expect(regular).toMatchObject({
      members: [
        { nodeId: 1, pid: 11 },
        { nodeId: 2, pid: 22 },
      ],
      left: [{ nodeId: 3, pid: 33, reason: 'nodedown' }],
    })
    const trans = r[0]?.events
      .filter((e) => e.type === 'confchg' && e.kind === 'transitional')
      .at(-1)
    expect(trans).toMatchObject({ members: [{ nodeId: 1 }, { nodeId: 2 }] })
    expect(totem).toEqual(['transitional:1,2', 'regular:1,2'])
    expect(w.cpg(1).groups()[0]?.members).toHaveLength(2)
  })

  test('a ring change that leaves a group alone gives that group no regular confchg', async () => {
    const w = new CpgWorld([1, 2, 3], { corosyncCompat: true })
    await w.add(1)
    await w.add(2)
    w.runFor(3000)
    const a = await record(w.cpg(1), 11, 'G')
    await w.settle(a.handle.join('G'))
    w.runFor(100)
    const before = a.events.length
    await w.add(3) // node 3 joins the ring; it has no process in G
    w.runFor(3000)
    expect(w.cpg(3).ringId).toBe(w.cpg(1).ringId)
    const after = a.events.slice(before)
    expect(after.filter((e) => e.type === 'confchg' && e.kind === 'regular')).toEqual([])
  })

  test('native mode still ends every re-synchronisation with a regular confchg', async () => {
    const w = new CpgWorld([1, 2, 3])
    await w.add(1)
    await w.add(2)
    w.runFor(3000)
    const a = await record(w.cpg(1), 11, 'G')
    await w.settle(a.handle.join('G'))
    w.runFor(100)
    const before = a.events.length
    await w.add(3)
    w.runFor(3000)
    const after = a.events.slice(before)
    expect(after.filter((e) => e.type === 'confchg' && e.kind === 'regular')).toHaveLength(1)
  })

  test('a multicast from a node with no process in the group is dropped and counted', async () => {
    const w = await cluster([1, 2], true)
    const a = await record(w.cpg(1), 11, 'G')
    await w.settle(a.handle.join('G'))
    w.runFor(100)
    const raw = (data: string) =>
      encodeAppMessage(
        {
          kind: 'cpg-mcast',
          group: 'G',
          pid: 99,
          sourceNodeid: 2,
          sourceConn: 0n,
          data: enc(data),
        },
        true,
      )
    w.srps.get(2)?.send(raw('stranger'), 'agreed')
    w.runFor(200)
    expect(a.log).not.toContain('stranger')
    expect(w.cpg(1).stats().rxDropped['ERR_CPG_UNKNOWN_SENDER']).toBe(1)
    // Once node 2 has a process in G, its multicasts are delivered.
    const b = await record(w.cpg(2), 22, 'G')
    await w.settle(b.handle.join('G'))
    w.srps.get(2)?.send(raw('known'), 'agreed')
    w.runFor(200)
    expect(a.log).toContain('known')
  })

  test('both modes give all members one sequence through a failure', async () => {
    for (const compat of [false, true]) {
      const w = await cluster([1, 2, 3], compat)
      const r = [
        await record(w.cpg(1), 11, 'G'),
        await record(w.cpg(2), 22, 'G'),
        await record(w.cpg(3), 33, 'G'),
      ]
      for (const x of r) await w.settle(x.handle.join('G'))
      w.runFor(100)
      for (let i = 0; i < 20; i++) {
        for (const [k, x] of r.entries()) if (k < 2 || i < 5) x.handle.mcast('G', enc(`m${k}.${i}`))
        if (i === 5) w.crash(3)
        w.runFor(50)
      }
      w.runFor(3000)
      // From the configuration in which node 2's process joined, both see the same sequence.
      const v0 = libcpgView(r[0] as Recorder)
      const v1 = libcpgView(r[1] as Recorder)
      expect(v0.slice(v0.indexOf(v1[0] as string))).toEqual(v1)
      expect(libcpgView(r[0] as Recorder).filter((l) => l.startsWith('D')).length).toBeGreaterThan(
        30,
      )
    }
  })
})
