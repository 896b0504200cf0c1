import { afterEach, describe, expect, it, vi } from 'vitest'
import { formatDebugStates, main } from '../src/multiring-cli.ts'

/** Runs the multiring sim CLI, capturing what it writes. */
async function run(args: string[]): Promise<{ status: number; out: string; err: string }> {
  let out = ''
  let err = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s)
    return true
  })
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s)
    return true
  })
  const status = await main(args)
  vi.restoreAllMocks()
  return { status, out, err }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('totem-sim-multiring --debug', () => {
  it('prints every live node: its topology, why delivery stops, one line per ring', async () => {
    const r = await run(['--seed', '0x5000', '--rings', '2', '--profile', 'calm', '--debug'])
    expect(r.status).toBe(0)
    const [head, ...rest] = r.out.trimEnd().split('\n')
    expect(head).toMatch(/^ok +seed 0x5000 /)
    const nodes = rest.filter((l) => l.startsWith('node '))
    // 2 LANs of 5 nodes, 2 gateways on both: 8 processors, all alive at the end.
    expect(nodes).toHaveLength(8)
    for (const n of nodes) expect(n).toMatch(/^node \d+: topology \[\S+ \S+\] clock \d+ last \d+@/)
    expect(rest.filter((l) => l.startsWith('  blocked: '))).toHaveLength(8)
    // Each node's table holds at least the two rings of the final topology.
    expect(rest.filter((l) => l.startsWith('  ring ')).length).toBeGreaterThanOrEqual(16)
  })

  it('is refused with --seeds', async () => {
    const r = await run(['--seeds', '2', '--debug'])
    expect(r.status).toBe(2)
    expect(r.err).toContain('--debug goes with --seed')
  })

  it('formats a state it is handed', () => {
    const text = formatDebugStates({
      7: {
        topo: ['1.2', '3.4'],
        clock: 12,
        lastDelivered: { ts: 11, ring: { rep: 1, seq: 2n }, rank: 1 },
        blocked: '12@3.4: remote CC (gateways 7), TC missing',
        pending: 0,
        table: [
          {
            k: '3.4',
            lan: 1,
            members: [3, 7],
            list: 2,
            head: { ts: 12, ring: { rep: 3, seq: 4n }, rank: 2 },
            maxTs: 13,
            ended: true,
            endTs: 13,
            closed: false,
          },
        ],
      },
    })
    expect(text).toBe(
      [
        'node 7: topology [1.2 3.4] clock 12 last 11@1.2/1 pending 0',
        '  blocked: 12@3.4: remote CC (gateways 7), TC missing',
        '  ring 3.4 lan 1 [3,7] held 2 from 12@3.4/2 max 13 ended at 13',
        '',
      ].join('\n'),
    )
  })
})
