import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { encodeHello, encodeReqFrame, FrameType } from '../src/frames.ts'
import { initialize, listenCpg } from '../src/index.ts'
import { CpgWorld } from './world.ts'

test('a client that stops reading is disconnected (counted) and leaves its groups; others go on', async () => {
  const w = new CpgWorld([1])
  await w.add(1)
  w.runFor(2000)
  const dir = mkdtempSync(join(tmpdir(), 'cpg-srv-'))
  const server = await listenCpg({
    service: w.cpg(1),
    path: join(dir, 'cpg.sock'),
    limits: { outBufferBytes: 256 * 1024 },
  })
  try {
    // A raw client that joins and then never reads.
    const raw = connect(server.path)
    await new Promise<void>((r) => raw.once('connect', () => r()))
    raw.write(encodeHello(4242))
    raw.write(encodeReqFrame(FrameType.Join, 1, 'G'))
    raw.pause()
    const closed = new Promise<void>((r) => raw.once('close', () => r()))
    const sender = await initialize({ service: w.cpg(1), pid: 1 })
    await w.settle(sender.join('G'))
    await w.settle(
      (async () => {
        for (let i = 0; i < 200 && w.cpg(1).groups()[0]?.members.length !== 2; i++)
          await new Promise((r) => setTimeout(r, 5))
      })(),
    )
    expect(w.cpg(1).groups()[0]?.members).toEqual([
      { nodeId: 1, pid: 1 },
      { nodeId: 1, pid: 4242 },
    ])
    // 8 MiB of deliveries: far more than the socket buffers plus the 256 KiB allowance.
    for (let i = 0; i < 64; i++) {
      sender.mcast('G', new Uint8Array(128 * 1024))
      w.runFor(20)
      await new Promise((r) => setImmediate(r))
    }
    await w.settle(sender.flush(), 10_000)
    expect(server.stats().slowClientsDropped).toBe(1)
    // The daemon closed it: once the client reads again it sees the end of the stream.
    raw.resume()
    await closed
    w.runFor(200)
    // The vanished client left with reason procdown; the sender is still served.
    expect(w.cpg(1).groups()).toEqual([{ group: 'G', members: [{ nodeId: 1, pid: 1 }] }])
    sender.mcast('G', new Uint8Array(10))
    await w.settle(sender.flush())
  } finally {
    await server.close()
    rmSync(dir, { recursive: true, force: true })
  }
}, 20_000)
