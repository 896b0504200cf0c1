/**
 * `totem-lockdemo`: runs the lock service in one process against a running totemd and drives a
 * load through it. Exit status: 0 ok, 1 the daemon cannot be reached or the digest check failed,
 * 2 usage error.
 */
import { parseArgs } from 'node:util'
import { isTotemError } from '@totem-ts/common'
import { initialize } from '@totem-ts/cpg'
import { checkLoadOptions, startLoad } from './load.ts'
import { createLockService } from './service.ts'

const HELP = `Usage: totem-lockdemo --socket PATH [options]

Joins a CPG group on a running totemd and runs the replicated lock service (no server) in this
process: keeps W lock requests outstanding, releases each lock as soon as it is granted, prints
the locks granted per second, and at the end checks that every replica's table has the same
digest. Run it on several nodes at once against the same group.

Options:
  -S, --socket PATH     totemd's CPG socket (<state_dir>/cpg.sock)
  -g, --group NAME      CPG group (default lockdemo)
      --locks N         lock names to draw from, 1..10000 (default 1024)
      --window W        outstanding requests, 1..4096 and at most N (default 64)
      --duration S      seconds to run, 1..3600 (default 10)
      --json            one JSON object per second and a final summary, instead of text
  -h, --help            show this help

Exit status: 0 ok, 1 totemd unreachable or replica digests differ, 2 usage error.
`

/** Where the tool writes text (tests capture it). */
export interface Output {
  out(text: string): void
  err(text: string): void
}

const stdio: Output = {
  out: (t) => {
    process.stdout.write(t)
  },
  err: (t) => {
    process.stderr.write(t)
  },
}

class UsageError extends Error {}

interface Args {
  socket: string
  group: string
  locks: number
  window: number
  duration: number
  json: boolean
}

function int(v: string | undefined, name: string, def: number, min: number, max: number): number {
  if (v === undefined) return def
  const n = Number(v)
  if (v.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name}: expected an integer in ${min}..${max}, got '${v}'`)
  return n
}

function parse(argv: readonly string[]): Args | 'help' {
  let values: ReturnType<typeof parseArgs>['values']
  try {
    ;({ values } = parseArgs({
      args: [...argv],
      options: {
        socket: { type: 'string', short: 'S' },
        group: { type: 'string', short: 'g' },
        locks: { type: 'string' },
        window: { type: 'string' },
        duration: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }))
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
  if (values.help === true) return 'help'
  const socket = values.socket
  if (typeof socket !== 'string' || socket === '') throw new UsageError('--socket is required')
  const group = typeof values.group === 'string' ? values.group : 'lockdemo'
  if (group === '') throw new UsageError('--group: expected a name')
  const locks = int(values.locks as string | undefined, 'locks', 1024, 1, 10_000)
  const window = int(values.window as string | undefined, 'window', 64, 1, 4096)
  if (window > locks) throw new UsageError(`--window: at most --locks (${locks})`)
  return {
    socket,
    group,
    locks,
    window,
    duration: int(values.duration as string | undefined, 'duration', 10, 1, 3600),
    json: values.json === true,
  }
}

/** Runs the command; resolves with the exit status. */
export async function main(argv: readonly string[], o: Output = stdio): Promise<number> {
  let a: Args | 'help'
  try {
    a = parse(argv)
  } catch (e) {
    if (!(e instanceof UsageError)) throw e
    o.err(`totem-lockdemo: ${e.message}\n\n${HELP}`)
    return 2
  }
  if (a === 'help') {
    o.out(HELP)
    return 0
  }
  checkLoadOptions(a)
  let handle: Awaited<ReturnType<typeof initialize>>
  try {
    handle = await initialize({ socketPath: a.socket })
  } catch (e) {
    if (!isTotemError(e)) throw e
    o.err(`totem-lockdemo: ${e.message} (${e.code})\n`)
    return 1
  }
  try {
    const s = await createLockService(handle, a.group)
    const me = `${s.member.nodeId}:${s.member.pid}`
    if (!a.json)
      o.out(`joined "${a.group}" as ${me}: ${s.table().length} locks held in the table\n`)
    const load = startLoad(s, { locks: a.locks, window: a.window })
    let last = 0
    let t = performance.now()
    const t0 = t
    for (let i = 0; i < a.duration; i++) {
      await new Promise((r) => setTimeout(r, 1000))
      const now = performance.now()
      const g = load.granted
      const rate = ((g - last) * 1000) / (now - t)
      last = g
      t = now
      if (a.json)
        o.out(
          `${JSON.stringify({ t: Math.round((now - t0) / 100) / 10, granted: g, locksPerSec: Math.round(rate), members: s.members().length, held: s.table().length })}\n`,
        )
      else
        o.out(
          `${((now - t0) / 1000).toFixed(0).padStart(4)}s  ${Math.round(rate).toLocaleString('en-US').padStart(8)} locks/s  (${s.members().length} members, ${s.table().length} locks held)\n`,
        )
    }
    await load.stop()
    const r = await s.check()
    const elapsed = (performance.now() - t0) / 1000
    if (a.json)
      o.out(
        `${JSON.stringify({ summary: true, member: s.member, granted: load.granted, locksPerSec: Math.round(load.granted / elapsed), failed: load.failed, digests: r.digests, equal: r.equal, stats: s.stats() })}\n`,
      )
    else {
      o.out(
        `granted ${load.granted.toLocaleString('en-US')} locks (${Math.round(load.granted / elapsed).toLocaleString('en-US')}/s)\n`,
      )
      o.out(
        `digest check: ${r.equal ? 'all equal' : 'DIFFERENT'} — ${r.digests.map((d) => `${d.member.nodeId}:${d.member.pid} ${d.digest.slice(0, 16)}`).join(', ')}\n`,
      )
    }
    await s.close()
    return r.equal ? 0 : 1
  } catch (e) {
    if (!isTotemError(e)) throw e
    o.err(`totem-lockdemo: ${e.message} (${e.code})\n`)
    return 1
  } finally {
    try {
      await handle.finalize()
    } catch {
      // Already closed.
    }
  }
}
