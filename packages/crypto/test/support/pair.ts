import { nodeId } from '@totem-ts/common'
import { type CryptoTransport, createKeyring, type Keyring, withCrypto } from '../../src/index.ts'
import { LoopbackNetwork } from './loopback.ts'
import { type TestRuntime, testKey, testRuntime } from './runtime.ts'

export interface Node {
  readonly id: number
  readonly keyring: Keyring
  readonly t: CryptoTransport
  /** Copies of what the handler got. */
  readonly got: Uint8Array[]
}

export interface Cluster {
  readonly rt: TestRuntime
  readonly net: LoopbackNetwork
  readonly nodes: Node[]
  add(id: number, key?: Uint8Array, extra?: { epochQuietMs?: number; sendersMax?: number }): Node
}

/** Nodes 1…n on one loopback network, each with its own keyring holding `key`. */
export function cluster(
  n: number,
  o: {
    seed?: number
    key?: Uint8Array
    graceMs?: number
    epochQuietMs?: number
    mtuBytes?: number
  } = {},
): Cluster {
  const rt = testRuntime(o.seed ?? 1)
  const net = new LoopbackNetwork(o.mtuBytes !== undefined ? { mtuBytes: o.mtuBytes } : {})
  const nodes: Node[] = []
  const add = (
    id: number,
    key: Uint8Array = o.key ?? testKey(0),
    extra: { epochQuietMs?: number; sendersMax?: number } = {},
  ): Node => {
    const keyring = createKeyring(key, {
      clock: rt.clock,
      graceMs: o.graceMs ?? 10_000,
      logger: rt.logger,
    })
    const t = withCrypto(net.endpoint(id), keyring, {
      nodeId: nodeId(id),
      runtime: rt,
      epochQuietMs: extra.epochQuietMs ?? o.epochQuietMs ?? 1000,
      ...(extra.sendersMax !== undefined ? { sendersMax: extra.sendersMax } : {}),
    })
    const got: Uint8Array[] = []
    t.onDatagram((bytes) => got.push(bytes.slice()))
    const node = { id, keyring, t, got }
    const i = nodes.findIndex((x) => x.id === id)
    if (i >= 0) nodes[i] = node
    else nodes.push(node)
    return node
  }
  for (let i = 1; i <= n; i++) add(i)
  return { rt, net, nodes, add }
}

/** The crypto drop counters of a stats object, without zero entries. */
export function drops(t: CryptoTransport): Record<string, number> {
  const out: Record<string, number> = {}
  for (const [k, v] of Object.entries(t.stats().rxDropped)) if (v !== 0) out[k] = v
  return out
}

export const payload = (n: number, fill = 0x41): Uint8Array => new Uint8Array(n).fill(fill)
