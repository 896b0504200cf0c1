/**
 * Entry point of `totem-interop-client` (the suite's totem-ts CPG client; see client.ts):
 * `totem-interop-client --cpg-socket P --group G --members M --count N
 * --interval MS --trace FILE --seq FILE`. SIGTERM leaves the group and exits 0.
 */
import { parseArgs } from 'node:util'
import { runInteropClient } from './client.ts'

const { values } = parseArgs({
  options: {
    'cpg-socket': { type: 'string' },
    group: { type: 'string' },
    members: { type: 'string', default: '1' },
    count: { type: 'string', default: '0' },
    interval: { type: 'string', default: '10' },
    trace: { type: 'string' },
    seq: { type: 'string' },
  },
  strict: true,
})
const need = (k: keyof typeof values): string => {
  const v = values[k]
  if (typeof v !== 'string') {
    process.stderr.write(`totem-interop-client: --${k} is required\n`)
    process.exit(2)
  }
  return v
}
const int = (k: keyof typeof values): number => {
  const n = Number(need(k))
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`totem-interop-client: --${k} must be a non-negative integer\n`)
    process.exit(2)
  }
  return n
}
// Started by the bin launcher: its death (SIGKILL, a crash in the suite) is this client's too.
if (process.connected) {
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'))
  process.channel?.unref()
}
const stop = new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve())
  process.once('SIGINT', () => resolve())
})
try {
  await runInteropClient({
    cpgSocket: need('cpg-socket'),
    group: need('group'),
    members: int('members'),
    count: int('count'),
    intervalMs: int('interval'),
    tracePath: need('trace'),
    seqPath: need('seq'),
    stop,
    onJoined: (nodeId, pid) => {
      process.stderr.write(
        `totem-interop-client: node ${nodeId} pid ${pid} joined ${values.group}\n`,
      )
    },
  })
  process.exitCode = 0
} catch (e) {
  process.stderr.write(`totem-interop-client: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exitCode = 1
}
