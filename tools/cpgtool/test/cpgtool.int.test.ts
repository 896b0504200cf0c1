/**
 * totem-cpgtool against three real totemd: clients join groups on different nodes, and the tool,
 * run through its bin on one node, lists every group with every member (pid, node id, addresses).
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type CpgHandle, initialize } from '@totem-ts/cpg'
import { afterAll, describe, expect, it } from 'vitest'
import { Cluster, waitFor } from './cluster.ts'

const CPGTOOL = fileURLToPath(new URL('../bin/totem-cpgtool.mjs', import.meta.url))
const clusters: Cluster[] = []
const handles: CpgHandle[] = []

afterAll(async () => {
  await Promise.allSettled(handles.map((h) => h.finalize()))
  await Promise.all(clusters.map((c) => c.destroy()))
})

function cpgtool(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CPGTOOL, ...args], { encoding: 'utf8', timeout: 30_000 })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('totem-cpgtool', () => {
  it('says clearly that totemd is not running; rejects bad usage', () => {
    const sock = join('/nonexistent-cpgtool-dir', 'cpg.sock')
    const r = cpgtool(['--socket', sock])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe(`totem-cpgtool: totemd is not running (no CPG socket at ${sock})\n`)
    const j = cpgtool(['--json', '--socket', sock])
    expect(j.status).toBe(1)
    expect(JSON.parse(j.stdout)).toMatchObject({ ok: false, error: { code: 'ERR_CPG_LIBRARY' } })
    expect(cpgtool(['--bogus']).status).toBe(2)
    expect(cpgtool(['--timeout', 'x']).status).toBe(2)
    expect(cpgtool(['--socket', 'a', '-c', 'b']).status).toBe(2)
    const h = cpgtool(['--help'])
    expect(h.status).toBe(0)
    expect(h.stdout).toContain('--control-socket')
    // Seven runs of the tool through its launcher (tsx in a source checkout): about 1 s each on
    // an idle machine, over 5 s each on a loaded one (a CI run beside simulator jobs took 38 s).
  }, 120_000)

  it('lists the groups of three nodes with pids, node ids and addresses', async () => {
    const c = await new Cluster().init()
    clusters.push(c)
    for (const id of c.nodes) c.start(id)
    for (const id of c.nodes) await c.ready(id)
    await c.ring([1, 2, 3])
    const open = async (node: number, pid: number): Promise<CpgHandle> => {
      const h = await initialize({ socketPath: c.cpgSocket(node), pid })
      handles.push(h)
      return h
    }
    const a1 = await open(1, 1001)
    const a3 = await open(3, 3003)
    const b2 = await open(2, 2002)
    const b2bis = await open(2, 2020)
    await a1.join('alpha')
    await a3.join('alpha')
    await b2.join('beta')
    await b2bis.join('beta')
    await a3.join('beta')
    // Every node sees every join once the joins are delivered; node 1 shows all of them.
    const listed = await waitFor(() => {
      const r = cpgtool(['--json', '-c', c.confPath(1)])
      if (r.status !== 0) return undefined
      const j = JSON.parse(r.stdout) as { groups: { group: string; members: unknown[] }[] }
      return j.groups.length === 2 && j.groups[1]?.members.length === 3 ? j : undefined
    }, 'node 1 to list both groups')
    expect(listed).toEqual({
      ok: true,
      groups: [
        {
          group: 'alpha',
          members: [
            { nodeId: 1, pid: 1001, addresses: ['127.0.0.1'] },
            { nodeId: 3, pid: 3003, addresses: ['127.0.0.3'] },
          ],
        },
        {
          group: 'beta',
          members: [
            { nodeId: 2, pid: 2002, addresses: ['127.0.0.2'] },
            { nodeId: 2, pid: 2020, addresses: ['127.0.0.2'] },
            { nodeId: 3, pid: 3003, addresses: ['127.0.0.3'] },
          ],
        },
      ],
    })
    const t = cpgtool(['--socket', c.cpgSocket(2)])
    expect(t.status).toBe(0)
    expect(t.stdout.split('\n')).toEqual([
      'Group Name             PID         Node ID',
      'alpha',
      '                      1001               1 (127.0.0.1)',
      '                      3003               3 (127.0.0.3)',
      'beta',
      '                      2002               2 (127.0.0.2)',
      '                      2020               2 (127.0.0.2)',
      '                      3003               3 (127.0.0.3)',
      '',
    ])
    // One group; a group that does not exist; a control socket that does not answer (no
    // addresses, the list still comes).
    const g = cpgtool(['--socket', c.cpgSocket(3), '-g', 'alpha', '--json'])
    expect(JSON.parse(g.stdout).groups.map((x: { group: string }) => x.group)).toEqual(['alpha'])
    const none = cpgtool(['--socket', c.cpgSocket(3), '-g', 'gamma'])
    expect(none.status).toBe(1)
    expect(none.stderr).toBe('totem-cpgtool: no group named gamma\n')
    const noAddr = cpgtool([
      '--socket',
      c.cpgSocket(3),
      '--control-socket',
      join(c.dir, 'none.sock'),
      '-g',
      'alpha',
    ])
    expect(noAddr.stdout).toContain('                      1001               1\n')
    // A leave shows up.
    await a1.leave('alpha')
    await waitFor(() => {
      const r = cpgtool(['--json', '--socket', c.cpgSocket(1), '-g', 'alpha'])
      const j = JSON.parse(r.stdout) as { groups: { members: { pid: number }[] }[] }
      return j.groups[0]?.members.length === 1 && j.groups[0].members[0]?.pid === 3003
    }, 'the leave of pid 1001')
  }, 120_000)
})
