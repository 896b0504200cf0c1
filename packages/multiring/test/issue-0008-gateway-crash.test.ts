/**
 * Issue 8 (found by apps/gateway's real-process test): when the only gateway between two LANs
 * crashes, each side must install a topology of its own. Reachability (§6.3) was computed from
 * every ring listing this processor — including the ring just ended by a CC, which still listed
 * the dead gateway — so the far side's ring stayed reachable and blocked delivery forever.
 */
import type { Destination, Transport } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import { MemWorld } from './mem-world.ts'

/** A MemWorld whose nodes can crash: a dead node's datagrams go nowhere and none reach it. */
class CrashWorld extends MemWorld {
  readonly dead = new Set<number>()
  override transport(lan: number, id: number): Transport {
    const t = super.transport(lan, id)
    return {
      ...t,
      send: (to: Destination, bytes: Uint8Array) => {
        if (!this.dead.has(id)) t.send(to, bytes)
      },
      onDatagram: (h) => t.onDatagram((b, r) => (this.dead.has(id) ? undefined : h(b, r))),
    }
  }
}

describe('issue 8: the only gateway crashes', () => {
  it('each side gets a topology of its own and keeps delivering', async () => {
    const w = new CrashWorld([
      [1, 2, 5],
      [3, 4, 5],
    ])
    await w.start()
    expect(w.settle()).toBe(true)
    w.dead.add(5)
    w.run(w.now + 10_000)
    const members = (n: number): number[] => [...(w.mr.get(n)?.members ?? [])]
    expect(members(1)).toEqual([1, 2])
    expect(members(2)).toEqual([1, 2])
    expect(members(3)).toEqual([3, 4])
    expect(members(4)).toEqual([3, 4])
    expect(w.send(1, 'a', 'agreed')).toBe('queued')
    expect(w.send(3, 'b', 'safe')).toBe('queued')
    w.run(w.now + 2_000)
    expect(w.textsAt(2)).toContain('a')
    expect(w.textsAt(2)).not.toContain('b')
    expect(w.textsAt(4)).toContain('b')
    expect(w.textsAt(4)).not.toContain('a')
  })
})
