/**
 * Cost of crypto per datagram (STYLE §11, issue 5 acceptance 4): send + receive of one datagram
 * through a `withCrypto` pair on the in-memory loopback transport, against the same send + receive
 * through the bare loopback pair, measured in the same run at 64 B, 1 KiB and 64 KiB. Nonces come
 * from the production `createCryptoRandom()`. A second baseline, `bare AEAD`, is XChaCha20-Poly1305
 * seal + open of the same payload with nothing around it: the ratio to it is what the wrapper adds.
 */

import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { nodeId, noopLogger } from '@totem-ts/common'
import { afterAll, bench, describe } from 'vitest'
import { createCryptoRandom, createKeyring, withCrypto } from '../src/index.ts'
import { LoopbackNetwork } from '../test/support/loopback.ts'
import { testKey } from '../test/support/runtime.ts'
import { type Job, printRatios, type Row } from './ratio.ts'

const clock = { nowMs: (): number => performance.now() }
const random = createCryptoRandom()
const runtime = { clock, random, logger: noopLogger }
const MTU = 70_000

let received = 0
function plainPair(): Job {
  const net = new LoopbackNetwork({ mtuBytes: MTU, capture: false })
  const a = net.endpoint(1)
  net.endpoint(2).onDatagram((b) => {
    received += b.length
  })
  const to = { node: nodeId(2) }
  return () => a.send(to, payloadOf(current))
}
function cryptoPair(): Job {
  const net = new LoopbackNetwork({ mtuBytes: MTU, capture: false })
  const keyring = createKeyring(testKey(0), { clock })
  const a = withCrypto(net.endpoint(1), keyring, { nodeId: nodeId(1), runtime })
  const b = withCrypto(net.endpoint(2), keyring, { nodeId: nodeId(2), runtime })
  b.onDatagram((x) => {
    received += x.length
  })
  const to = { node: nodeId(2) }
  return () => a.send(to, payloadOf(current))
}

/** XChaCha20-Poly1305 seal + open of the payload alone: no header, no replay check, no transport. */
const aeadKey = new Uint8Array(32).fill(7)
const aad = new Uint8Array(28)
function bareAead(): void {
  const nonce = new Uint8Array(24)
  random.fill(nonce)
  const sealed = xchacha20poly1305(aeadKey, nonce, aad).encrypt(payloadOf(current))
  received += xchacha20poly1305(aeadKey, nonce, aad).decrypt(sealed).length
}

const payloads = new Map<number, Uint8Array>()
function payloadOf(n: number): Uint8Array {
  let p = payloads.get(n)
  if (p === undefined) {
    p = new Uint8Array(n)
    random.fill(p)
    payloads.set(n, p)
  }
  return p
}
let current = 64

const sizes = [64, 1024, 65_536]
const rows: Row[] = sizes.map((n) => {
  const sealed = cryptoPair()
  const plain = plainPair()
  return {
    name: `withCrypto send+receive ${n} B`,
    fn: () => {
      current = n
      sealed()
    },
    bytes: n,
    baselines: {
      plaintext: () => {
        current = n
        plain()
      },
      'bare AEAD': () => {
        current = n
        bareAead()
      },
    },
  }
})

describe('crypto send+receive per datagram', () => {
  const opts = { time: 150, warmupTime: 30 }
  for (const row of rows) {
    bench(row.name, row.fn as Job, opts)
    for (const [b, fn] of Object.entries(row.baselines))
      bench(`  baseline ${b}: ${row.name}`, fn, opts)
  }
})

afterAll(() => {
  printRatios('withCrypto vs plaintext loopback (send + receive of one datagram)', rows)
  if (received === -1) console.log(received)
})
