/**
 * Issue 9: `corosyncCompat` — the CPG service changes group state where corosync 3.1's CPG does, so
 * totem-ts clients and libcpg clients in one ring see the same sequence of events.
 */
import { type NodeId, noopLogger, type RingId, type Runtime } from '@totem-ts/common'
import {
  decodeAppMessage,
  decodeVotequorumNodeinfo,
  encodeAppMessage,
  type ServiceMessage,
} from '@totem-ts/wire'
import { describe, expect, test } from 'vitest'
import { type CpgService, createCpgService } from '../src/index.ts'
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

  test('a message sent while the ring re-forms goes out after the re-synchronisation (corosync holds it too)', async () => {
    const w = await cluster([1, 2, 3], true)
    const r = [
      await record(w.cpg(1), 11, 'G'),
      await record(w.cpg(2), 22, 'G'),
      await record(w.cpg(3), 33, 'G'),
    ]
    for (const x of r) await w.settle(x.handle.join('G'))
    w.runFor(100)
    w.crash(3)
    w.runFor(50) // node 3 is gone, the ring does not know yet: the message reaches srp's queue
    r[0]?.handle.mcast('G', enc('during'))
    w.runFor(3000)
    for (const x of r.slice(0, 2)) {
      const view = libcpgView(x as Recorder)
      const at = view.indexOf('D1:during')
      expect(at, 'delivered').toBeGreaterThan(0)
      // after the regular confchg that removes node 3's process
      const lastConf = view
        .slice(0, at)
        .filter((l) => l.startsWith('C'))
        .pop()
      expect(lastConf).toBe('C1:11,2:22')
    }
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

describe('corosyncServices: what a node announces in the rounds of services it does not run', () => {
  const runtime: Runtime = {
    clock: { nowMs: () => 0 },
    timers: { after: () => ({ cancel() {} }) },
    random: { float: () => 0.5, int: (m) => Math.floor(m / 2), fill: (o) => o.fill(7) },
    logger: noopLogger,
  }
  const ring: RingId = { rep: 1 as NodeId, seq: 8n }
  const deliver = (svc: CpgService, sender: number, m: ServiceMessage): void =>
    svc.onDeliver({
      sender: sender as NodeId,
      ringId: ring,
      guarantee: 'agreed',
      payload: encodeAppMessage(m),
    })

  /** Runs one sync of a ring {1, 3} against node 1 advertising [0,2,3,5]; returns what 3 sent. */
  function syncWithCorosync(options: Parameters<typeof createCpgService>[0]): ServiceMessage[] {
    const svc = createCpgService(options)
    const sent: ServiceMessage[] = []
    svc.bind({
      send(payload) {
        const m = decodeAppMessage(payload, true).message
        if (m !== undefined) sent.push(m)
        return 'queued'
      },
      members: [1 as NodeId, 3 as NodeId],
    })
    const members = [1 as NodeId, 3 as NodeId]
    svc.onConfigurationChange({
      kind: 'transitional',
      ringId: ring,
      members: [3 as NodeId],
      left: [],
      joined: [],
    })
    svc.onConfigurationChange({
      kind: 'regular',
      ringId: ring,
      members,
      left: [],
      joined: [1 as NodeId],
    })
    deliver(svc, 1, { kind: 'sync-service-build', ringId: ring, services: [0, 2, 3, 5] })
    deliver(svc, 3, sent[0] as ServiceMessage)
    for (let round = 0; round < 4; round++) {
      deliver(svc, 1, { kind: 'sync-barrier', ringId: ring })
      deliver(svc, 3, { kind: 'sync-barrier', ringId: ring })
    }
    expect(svc.syncing).toBe(false)
    return sent
  }

  test('cmap config-version (absent) in round 0, a NODEINFO with one vote in the votequorum round', () => {
    const sent = syncWithCorosync({
      nodeId: 3 as NodeId,
      runtime,
      corosyncCompat: true,
      corosyncServices: { votes: 1, expectedVotes: 3 },
    })
    expect(sent.map((m) => m.kind)).toEqual([
      'sync-service-build',
      'cmap-mcast',
      'sync-barrier',
      'sync-barrier',
      'sync-barrier',
      'service-raw',
      'sync-barrier',
    ])
    const raw = sent[5] as { kind: 'service-raw'; bytes: Uint8Array }
    expect(decodeVotequorumNodeinfo(raw.bytes, true)).toEqual({
      nodeId: 3,
      votes: 1,
      expectedVotes: 3,
      flags: 0,
    })
    expect(sent[1]).toMatchObject({
      kind: 'cmap-mcast',
      reason: 0,
      items: [{ key: 'totem.config_version', valueType: 0 }],
    })
  })

  test('without it (or outside corosync compatibility) only barriers', () => {
    for (const o of [
      { corosyncCompat: true },
      { corosyncServices: { votes: 1, expectedVotes: 3 } },
    ]) {
      const sent = syncWithCorosync({ nodeId: 3 as NodeId, runtime, ...o })
      expect(sent.map((m) => m.kind)).toEqual([
        'sync-service-build',
        'sync-barrier',
        'sync-barrier',
        'sync-barrier',
        'sync-barrier',
      ])
    }
  })

  test('rejects votes that are not a u32', () => {
    for (const bad of [
      { votes: -1, expectedVotes: 3 },
      { votes: 1, expectedVotes: 0 },
    ]) {
      expect(() =>
        createCpgService({
          nodeId: 3 as NodeId,
          runtime,
          corosyncCompat: true,
          corosyncServices: bad,
        }),
      ).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
    }
  })
})
