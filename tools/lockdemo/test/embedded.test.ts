/**
 * The lock service on the real CPG service and client library, embedded in-process
 * (`initialize({ service })`), above a one-node agreed-order Broadcast.
 */
import { type Broadcast, type NodeId, noopLogger, type Runtime, ringId } from '@totem-ts/common'
import { type CpgHandle, createCpgService, initialize } from '@totem-ts/cpg'
import { describe, expect, it } from 'vitest'
import { createLockService, type MembershipEvent } from '../src/index.ts'

function oneNode() {
  const runtime: Runtime = {
    clock: { nowMs: () => performance.now() },
    timers: {
      after(ms, fire) {
        const t = setTimeout(fire, ms)
        return { cancel: () => clearTimeout(t) }
      },
    },
    random: { float: () => 0.5, int: (m) => Math.floor(m / 2), fill: (o) => o.fill(7) },
    logger: noopLogger,
  }
  const node = 1 as NodeId
  const service = createCpgService({ nodeId: node, runtime })
  const ring = ringId(1, 4n)
  const broadcast: Broadcast = {
    members: [node],
    send(payload, guarantee) {
      const copy = payload.slice()
      setImmediate(() =>
        service.onDeliver({ sender: node, ringId: ring, guarantee, payload: copy }),
      )
      return 'queued'
    },
  }
  service.bind(broadcast)
  service.onConfigurationChange({
    kind: 'regular',
    ringId: ring,
    members: [node],
    left: [],
    joined: [node],
  })
  return service
}

describe('lock service over the embedded CPG service', () => {
  it('serialises a lock among processes, hands it on when the holder leaves, transfers the table', async () => {
    const service = oneNode()
    const handles: CpgHandle[] = []
    for (const pid of [10, 11, 12]) handles.push(await initialize({ service, pid }))
    const [h10, h11, h12] = handles as [CpgHandle, CpgHandle, CpgHandle]
    const s10 = await createLockService(h10, 'locks')
    const s11 = await createLockService(h11, 'locks')
    await s10.lock('db')
    const waiting = s11.lock('db')
    await s11.lock('other')
    expect(s11.table().map((l) => [l.name, l.holder.pid, l.waiters.map((w) => w.pid)])).toEqual([
      ['db', 10, [11]],
      ['other', 11, []],
    ])
    // A third process joins and gets the table by state transfer.
    const s12 = await createLockService(h12, 'locks')
    expect(s12.stats().snapshotsInstalled).toBe(1)
    expect(s12.table()).toEqual(s11.table())
    const events: MembershipEvent[] = []
    s12.on('membership', (e) => events.push(e))
    // The holder's handle goes away: CPG reports it left, and its lock passes on.
    await h10.finalize()
    await waiting
    expect(s11.held().sort()).toEqual(['db', 'other'])
    const left = events.find((e) => e.left.length > 0)
    expect(left?.left).toEqual([{ nodeId: 1, pid: 10, reason: 'leave' }])
    expect(left?.released).toEqual([
      { name: 'db', from: { nodeId: 1, pid: 10 }, to: { nodeId: 1, pid: 11 } },
    ])
    const r = await s12.check()
    expect(r.digests.map((d) => d.member.pid)).toEqual([11, 12])
    expect(r.equal).toBe(true)
    expect(() => s10.lock('x')).toThrow(expect.objectContaining({ code: 'ERR_LOCK_CLOSED' }))
  })
})
