/**
 * The multiple-ring protocol composed by createTotemNode, in one process over real UDP: LAN 0 =
 * node 1 and the gateway 5 (port A), LAN 1 = node 3 and the gateway (port B). The gateway is
 * `createTotemNode({ config: lan0, gatewayConfigs: [lan1] })`.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isTotemError } from '@totem-ts/common'
import { loadConfig, type TotemNodeConfig } from '@totem-ts/config'
import { afterEach, describe, expect, it } from 'vitest'
import { createTotemNode, type TotemNode } from '../src/index.ts'

const portA = 21000 + Math.floor(Math.random() * 20000)
const portB = portA + 1
const dirs: string[] = []
const nodes: TotemNode[] = []

afterEach(async () => {
  await Promise.allSettled(nodes.splice(0).map((n) => n.stop()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function conf(dir: string, ids: readonly number[], port: number, lan?: number): TotemNodeConfig {
  const text = `system {
  state_dir: ${dir}
}
totem {
  version: 2
  transport: udpu
  token: 500
  token_coefficient: 0
${lan === undefined ? '' : `  multiring: on\n  multiring_lan: ${lan}\n`}  interface {
    linknumber: 0
    mcastport: ${port}
  }
}
nodelist {
${ids.map((n) => `  node {\n    nodeid: ${n}\n    ring0_addr: 127.0.0.${n}\n  }\n`).join('')}}
`
  return loadConfig(text, `lan${lan ?? 'plain'}.conf`).config
}

async function waitFor(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f()
  } catch (e) {
    return isTotemError(e) ? e.code : 'not a TotemError'
  }
  return undefined
}

describe('multiring in the stack', () => {
  it('refuses a gateway whose configs break the rules', () => {
    const d = mkdtempSync(join(tmpdir(), 'totem-mr-'))
    dirs.push(d)
    const a = conf(d, [1, 5], portA, 0)
    expect(
      codeOf(() =>
        createTotemNode({ config: a, nodeId: 5, gatewayConfigs: [conf(d, [3, 5], portB)] }),
      ),
    ).toBe('ERR_INVALID_ARGUMENT')
    expect(
      codeOf(() =>
        createTotemNode({ config: a, nodeId: 5, gatewayConfigs: [conf(d, [3, 5], portB, 0)] }),
      ),
    ).toBe('ERR_INVALID_ARGUMENT')
    expect(
      codeOf(() =>
        createTotemNode({ config: a, nodeId: 1, gatewayConfigs: [conf(d, [3, 5], portB, 1)] }),
      ),
    ).toBe('ERR_INVALID_ARGUMENT')
  })

  it('two LANs joined by a gateway deliver one order; status shows the topology', async () => {
    const d = mkdtempSync(join(tmpdir(), 'totem-mr-'))
    dirs.push(d)
    const got = new Map<number, string[]>()
    const make = (id: number, config: TotemNodeConfig, more?: TotemNodeConfig[]): TotemNode => {
      const log: string[] = []
      got.set(id, log)
      const n = createTotemNode({
        config,
        nodeId: id,
        ...(more === undefined ? {} : { gatewayConfigs: more }),
        listener: {
          onDeliver: (x) => log.push(new TextDecoder().decode(x.payload)),
          onConfigurationChange: () => {},
        },
      })
      nodes.push(n)
      return n
    }
    const n1 = make(1, conf(join(d, 'n1'), [1, 5], portA, 0))
    const n3 = make(3, conf(join(d, 'n3'), [3, 5], portB, 1))
    const gw = make(5, conf(join(d, 'g'), [1, 5], portA, 0), [conf(join(d, 'g'), [3, 5], portB, 1)])
    await Promise.all([n1.start(), n3.start(), gw.start()])
    await waitFor(
      () => [n1, n3, gw].every((n) => JSON.stringify(n.members) === '[1,3,5]'),
      'one topology of 1, 3, 5',
    )
    const st = gw.status().multiring
    expect(st?.isGateway).toBe(true)
    expect(st?.lans.map((l) => [l.lan, l.members])).toEqual([
      [0, [1, 5]],
      [1, [3, 5]],
    ])
    expect(n1.status().multiring?.isGateway).toBe(false)
    // Key commands pick a ring by LAN: one the node is not on is a usage error; crypto is off here.
    expect(st?.lans.map((l) => l.cryptoKeyId)).toEqual([null, null])
    const key = new Uint8Array(64).fill(7)
    expect(codeOf(() => gw.stageKey(key, 1))).toBe('ERR_INVALID_STATE')
    expect(codeOf(() => gw.rotateKey(key, 7))).toBe('ERR_INVALID_ARGUMENT')
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
    for (let i = 0; i < 10; i++) {
      expect(n1.send(enc(`a${i}`), 'agreed')).toBe('queued')
      expect(n3.send(enc(`b${i}`), i % 3 === 0 ? 'safe' : 'agreed')).toBe('queued')
    }
    await waitFor(() => [...got.values()].every((l) => l.length >= 20), 'every message everywhere')
    const seq = got.get(1)
    expect(got.get(3)).toEqual(seq)
    expect(got.get(5)).toEqual(seq)
    expect(gw.status().multiring?.stats.forwarded).toBeGreaterThan(0)
  }, 60_000)
})
