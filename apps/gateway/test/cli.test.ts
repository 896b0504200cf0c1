import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '@totem-ts/config'
import type { MessageKey } from '@totem-ts/multiring'
import { afterAll, describe, expect, it } from 'vitest'
import {
  checkGatewayConfigs,
  createLagMeter,
  GATEWAY_RINGS_MAX,
  lanOfRing,
  main,
  parseGatewayArgs,
} from '../src/index.ts'

const dir = mkdtempSync(join(tmpdir(), 'totem-gw-cli-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A ring config: `nodes` on 127.0.0.N, with multiring (`lan`) or without (undefined). */
function conf(nodes: readonly number[], lan: number | undefined, port = 5405): string {
  return (
    `system {\n  state_dir: ${dir}/s\n}\ntotem {\n  version: 2\n  transport: udpu\n` +
    (lan === undefined ? '' : `  multiring: on\n  multiring_lan: ${lan}\n`) +
    `  interface {\n    linknumber: 0\n    mcastport: ${port}\n  }\n}\nnodelist {\n` +
    nodes.map((n) => `  node {\n    nodeid: ${n}\n    ring0_addr: 127.0.0.${n}\n  }\n`).join('') +
    '}\n'
  )
}
const file = (name: string, text: string): string => {
  const p = join(dir, name)
  writeFileSync(p, text)
  return p
}
async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) })
  return { code, out, err }
}

describe('parseGatewayArgs', () => {
  it('takes one -c per ring', () => {
    expect(parseGatewayArgs(['-c', 'a', '--config', 'b', '-n', '7']).configs).toEqual(['a', 'b'])
    expect(parseGatewayArgs(['-c', 'a', '-c', 'b', '-n', '7']).nodeId).toBe(7)
  })
  it('refuses fewer than two rings, too many, the same file twice, bad values', () => {
    expect(() => parseGatewayArgs(['-c', 'a'])).toThrow(/two or more rings/)
    expect(() => parseGatewayArgs([])).toThrow(/two or more rings/)
    const many = Array.from({ length: GATEWAY_RINGS_MAX + 1 }, (_, i) => ['-c', `f${i}`]).flat()
    expect(() => parseGatewayArgs(many)).toThrow(/at most/)
    expect(() => parseGatewayArgs(['-c', 'a', '-c', 'a'])).toThrow(/twice/)
    expect(() => parseGatewayArgs(['-c', 'a', '-c', 'b', '-n', '0'])).toThrow(/--nodeid/)
    expect(() => parseGatewayArgs(['-c', 'a', '-c', 'b', '-l', 'loud'])).toThrow(/--log-level/)
    expect(() => parseGatewayArgs(['-c', 'a', '-c', 'b', '--evs-trace', ''])).toThrow(/path/)
    expect(() => parseGatewayArgs(['--bogus'])).toThrow()
  })
})

describe('checkGatewayConfigs', () => {
  const a = loadConfig(conf([1, 2, 5], 0), 'a.conf').config
  const b = loadConfig(conf([3, 4, 5], 1, 5505), 'b.conf').config
  it('accepts two multiring rings with distinct LANs sharing the gateway', () => {
    expect(checkGatewayConfigs([a, b], 5)).toBeUndefined()
  })
  it('names the file and the rule that fails', () => {
    const plain = loadConfig(conf([3, 4, 5], undefined), 'plain.conf').config
    expect(checkGatewayConfigs([a, plain], 5)).toMatch(/^plain\.conf: totem: multiring is not on/)
    const same = loadConfig(conf([3, 4, 5], 0), 'same.conf').config
    expect(checkGatewayConfigs([a, same], 5)).toMatch(/^same\.conf: totem\.multiring_lan: LAN 0/)
    expect(checkGatewayConfigs([a, b], 1)).toMatch(/^b\.conf: nodelist: node id 1 is not/)
  })
})

describe('main', () => {
  it('--help and --version exit 0', async () => {
    const h = await run(['--help'])
    expect(h.code).toBe(0)
    expect(h.out).toContain('Usage: totem-gateway -c RING_A.conf -c RING_B.conf')
    const v = await run(['--version'])
    expect(v).toMatchObject({ code: 0 })
    expect(v.out).toMatch(/^totem-gateway \d+\.\d+\.\d+\n$/)
  })
  it('a usage error exits 2', async () => {
    const r = await run(['-c', 'only-one.conf'])
    expect(r.code).toBe(2)
    expect(r.err).toContain("Try 'totem-gateway --help'")
  })
  it('--check validates every config and the cross-config rules', async () => {
    const a = file('a.conf', conf([1, 2, 5], 0))
    const b = file('b.conf', conf([3, 4, 5], 1, 5505))
    const ok = await run(['-c', a, '-c', b, '-n', '5', '--check'])
    expect(ok.code).toBe(0)
    expect(ok.out).toContain(`# ${a}`)
    expect(ok.out).toContain(`# ${b}`)
    const plain = file('plain.conf', conf([3, 4, 5], undefined))
    const bad = await run(['-c', a, '-c', plain, '-n', '5', '--check'])
    expect(bad.code).toBe(1)
    expect(bad.err).toContain('multiring is not on')
    const broken = file(
      'broken.conf',
      conf([3, 4, 5], 1).replace('multiring_lan: 1', 'multiring_lan: x'),
    )
    const syntax = await run(['-c', a, '-c', broken, '--check'])
    expect(syntax.code).toBe(1)
    expect(syntax.err).toContain('totem.multiring_lan')
  })
})

describe('lag meter', () => {
  const key = (ts: number, lan: number): MessageKey => ({
    ts,
    ring: { rep: 1, seq: 42n * 65_536n + BigInt(lan) },
    rank: 1,
  })
  it('measures receive-to-delivery per source LAN and counts forwarding per direction', () => {
    let now = 0
    const m = createLagMeter(() => now)
    m.observer.onReceive?.(key(1, 0), 0, 'reg')
    m.observer.onReceive?.(key(2, 1), 1, 'reg')
    m.observer.onReceive?.(key(2, 1), 0, 'reg') // a second copy: the first arrival counts
    m.observer.onReceive?.(key(3, 1), 1, 'gv') // GVs are never delivered: not tracked
    m.observer.onForward?.(key(1, 0), 0, 1)
    m.observer.onForward?.(key(2, 1), 1, 0)
    m.observer.onForward?.(key(3, 1), 1, 0)
    now = 10
    m.observer.onDeliverKey?.(key(1, 0))
    now = 25
    expect(m.lag()).toEqual([
      { lan: 0, delivered: 1, waiting: 0, meanMs: 10, maxMs: 10, lastMs: 10 },
      { lan: 1, delivered: 0, waiting: 1, meanMs: 0, maxMs: 0, lastMs: 0 },
    ])
    m.observer.onDeliverKey?.(key(2, 1))
    expect(m.lag()[1]).toEqual({
      lan: 1,
      delivered: 1,
      waiting: 0,
      meanMs: 25,
      maxMs: 25,
      lastMs: 25,
    })
    expect(m.forwarding()).toEqual({ '0->1': 1, '1->0': 2 })
  })
  it('reads the LAN from a multiring ring id', () => {
    expect(lanOfRing(872_415_233n)).toBe(1)
    expect(lanOfRing(7n * 65_536n + 300n)).toBe(300)
  })
})
