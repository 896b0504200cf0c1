/**
 * One node of `pnpm bench`'s embedded pass: `createCpgNode` and the CPG client library in one
 * process, no daemon and no socket (issue 6: "embedded in-process: self-delivery p50"). Run as
 *
 *   node --conditions=@totem-ts/source --import tsx test/embedded-node.ts CONF NODEID SENDER SECS SIZE
 *
 * Every node joins group `embedded-lat`. Once the group has 3 members, the sender (SENDER = its
 * node id) sends SIZE-byte messages one at a time for SECS seconds, each after the self-delivery
 * of the previous one, then multicasts an end marker (one zero byte). Every node prints one JSON
 * line — the sender its self-delivery latencies in µs — and leaves when it delivers the marker.
 */
import { performance } from 'node:perf_hooks'
import { readConfigFile } from '@totem-ts/config'
import { initialize } from '@totem-ts/cpg'
import { createCpgNode } from '@totem-ts/stack'

const [confPath, nodeText, senderText, secsText, sizeText] = process.argv.slice(2)
const nodeId = Number(nodeText)
const sender = Number(senderText)
const ms = Number(secsText) * 1000
const size = Math.max(2, Number(sizeText))

const { config } = await readConfigFile(confPath as string)
const cn = createCpgNode({ config, nodeId })
await cn.start()
const cpg = await initialize({ service: cn.cpg })
let members = 0
let onMine: (() => void) | undefined
let ended: () => void = () => {}
const end = new Promise<void>((r) => {
  ended = r
})
cpg.on('confchg', (c) => {
  if (c.group === 'embedded-lat') members = c.members.length
})
cpg.on('deliver', (d) => {
  if (d.group !== 'embedded-lat') return
  if (d.payload.length === 1) ended()
  else if (d.nodeId === nodeId && d.pid === cpg.pid) onMine?.()
})
// Listeners first: the confchg of our own join comes before join() resolves.
const group = await cpg.join('embedded-lat')
while (members < 3) await new Promise((r) => setTimeout(r, 20))

const lat: number[] = []
if (nodeId === sender) {
  const payload = new Uint8Array(size)
  const stop = performance.now() + ms
  while (performance.now() < stop) {
    const t = performance.now()
    await new Promise<void>((resolve) => {
      onMine = resolve
      group.mcast(payload)
    })
    lat.push((performance.now() - t) * 1000)
  }
  onMine = undefined
  group.mcast(new Uint8Array(1))
}
await end
lat.sort((a, b) => a - b)
const pct = (p: number): number | null =>
  lat.length === 0
    ? null
    : Math.round(lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)] as number)
process.stdout.write(
  `${JSON.stringify({ node: nodeId, samples: lat.length, p50: pct(0.5), p99: pct(0.99) })}\n`,
)
await cpg.finalize()
await cn.stop()
process.exit(0)
