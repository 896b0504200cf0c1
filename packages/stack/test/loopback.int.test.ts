/**
 * Three nodes in one process over real UDP on 127.0.0.1/.2/.3 (the same port, different addresses,
 * exactly like three hosts), composed by createTotemNode from a corosync.conf text.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '@totem-ts/config'
import { afterEach, describe, expect, it } from 'vitest'
import { createTotemNode, type TotemNode } from '../src/index.ts'

const port = 21000 + Math.floor(Math.random() * 20000)
const dirs: string[] = []
const nodes: TotemNode[] = []

afterEach(async () => {
  await Promise.allSettled(nodes.splice(0).map((n) => n.stop()))
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

function conf(crypto: boolean, key: string): string {
  return `totem {
  version: 2
  cluster_name: loop
  transport: udpu
  token: 1000
  crypto_cipher: ${crypto ? 'aes256' : 'none'}
  crypto_hash: ${crypto ? 'sha256' : 'none'}
  keyfile: ${key}
  interface {
    linknumber: 0
    mcastport: ${port}
  }
}
nodelist {
  node {
    nodeid: 1
    ring0_addr: 127.0.0.1
  }
  node {
    nodeid: 2
    ring0_addr: 127.0.0.2
  }
  node {
    nodeid: 3
    ring0_addr: 127.0.0.3
  }
}
`
}

async function waitFor(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('three nodes on loopback', () => {
  for (const crypto of [false, true]) {
    it(`form one ring and agree on the order (crypto ${crypto ? 'on' : 'off'})`, async () => {
      const key = new Uint8Array(128).fill(42)
      const delivered = new Map<number, string[]>()
      for (const id of [1, 2, 3]) {
        const dir = mkdtempSync(join(tmpdir(), `totem-stack-${id}-`))
        dirs.push(dir)
        const text = conf(crypto, join(dir, 'authkey')).replace(
          'totem {',
          `system {\n  state_dir: ${dir}\n}\ntotem {`,
        )
        const { config } = loadConfig(text, `node${id}.conf`)
        delivered.set(id, [])
        nodes.push(
          createTotemNode({
            config,
            nodeId: id,
            key,
            listener: {
              onDeliver: (d) =>
                delivered.get(id)?.push(`${d.sender}:${new TextDecoder().decode(d.payload)}`),
              onConfigurationChange: () => {},
            },
          }),
        )
      }
      for (const n of nodes) await n.start()
      await waitFor(() => nodes.every((n) => n.members.length === 3), 'one ring of three')
      // Small messages and big ones (fragmented to the MTU, which sealing makes smaller).
      const big = 'x'.repeat(5000)
      for (let i = 0; i < 30; i++) {
        const text = `m${i}${i % 5 === 0 ? big : ''}`
        nodes[i % 3]?.send(new TextEncoder().encode(text), i % 4 === 0 ? 'safe' : 'agreed')
      }
      await waitFor(() => [...delivered.values()].every((d) => d.length === 30), 'all deliveries')
      expect(delivered.get(1)?.filter((d) => d.length > 5000)).toHaveLength(6)
      expect(delivered.get(2)).toEqual(delivered.get(1))
      expect(delivered.get(3)).toEqual(delivered.get(1))
      const s = nodes[0]?.status()
      expect(s?.members).toEqual([1, 2, 3])
      expect(s?.crypto).toBe(crypto)
      expect(s?.srp.messagesDelivered).toBe(30)
      expect(new Set(nodes.map((n) => n.status().ringId)).size).toBe(1)
    })
  }
})
