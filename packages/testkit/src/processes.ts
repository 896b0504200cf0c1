/**
 * What every process harness of the integration suites shares: daemons (totemd, totem-gateway)
 * started through their bin launchers in one temp dir, each with a control socket; readiness by
 * `ping`; crash (`kill -9` of the daemon itself) and orderly stop (SIGTERM to the launcher);
 * the harness's own EVS trace events; every trace file merged for the checker.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ControlResponse, controlRequest } from '@totem-ts/stack'
import { waitFor } from './wait.ts'

/** A daemon started by a harness. */
export interface Running {
  readonly id: number
  /** The launcher process (the daemon is its child). */
  readonly proc: ChildProcess
  /** Resolves with the launcher's exit code. */
  readonly exited: Promise<number | null>
  /** What the daemon wrote on stderr (up to the harness's limit). */
  stderr: string
  /** The daemon's own pid, known after `ready()`. */
  pid?: number
}

/**
 * Merges trace files (a missing one is skipped): events of one file keep their order, and the
 * files interleave by `t`.
 */
export function mergeTraceFiles<E>(files: readonly string[], parse: (text: string) => E[]): E[] {
  const all: E[] = []
  for (const f of files) {
    let text = ''
    try {
      text = readFileSync(f, 'utf8')
    } catch {
      continue
    }
    all.push(...parse(text))
  }
  const t = (e: E): number => {
    const v = (e as { t?: unknown }).t
    return typeof v === 'number' ? v : 0
  }
  return all
    .map((e, i) => ({ e, i }))
    .sort((a, b) => t(a.e) - t(b.e) || a.i - b.i)
    .map((x) => x.e)
}

/**
 * A set of daemons in one temp dir, found by id, each with its state dir `s<id>` (control and
 * CPG sockets inside) and its EVS trace `trace-<id>.jsonl`. Subclasses write configs and start.
 */
export abstract class ProcessHarness {
  readonly dir: string
  readonly running: Map<number, Running> = new Map()
  /** The harness's own trace events (`crash`, `heal`). */
  readonly harnessTrace: string
  readonly #stderrMax: number

  /** @param prefix - the temp dir's name prefix */
  constructor(prefix: string, stderrMax = 1_000_000) {
    this.dir = mkdtempSync(join(tmpdir(), prefix))
    this.harnessTrace = join(this.dir, 'harness.jsonl')
    this.#stderrMax = stderrMax
    writeFileSync(this.harnessTrace, '')
  }

  stateDir(id: number): string {
    return join(this.dir, `s${id}`)
  }
  /** Node `id`'s control socket. */
  socket(id: number): string {
    return join(this.stateDir(id), 'totemd.sock')
  }
  /** Node `id`'s CPG socket. */
  cpgSocket(id: number): string {
    return join(this.stateDir(id), 'cpg.sock')
  }
  tracePath(id: number): string {
    return join(this.dir, `trace-${id}.jsonl`)
  }

  /** Spawns `argv` as node `id` and keeps its stderr. */
  protected spawnNode(id: number, argv: readonly string[]): Running {
    const proc = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] })
    const r: Running = {
      id,
      proc,
      stderr: '',
      exited: new Promise((resolve) => proc.once('exit', (code) => resolve(code))),
    }
    proc.stderr?.on('data', (b: Buffer) => {
      if (r.stderr.length < this.#stderrMax) r.stderr += b.toString()
    })
    this.running.set(id, r)
    return r
  }

  /** One control-socket request to node `id`. */
  async request(id: number, cmd: string): Promise<ControlResponse> {
    return controlRequest(this.socket(id), cmd, { timeoutMs: 2000 })
  }

  /** A control-socket request's result; throws on an error answer. */
  async result(id: number, cmd: string): Promise<Record<string, unknown>> {
    const r = await this.request(id, cmd)
    if (!r.ok) throw new Error(`${cmd} on node ${id}: ${r.error.code} ${r.error.message}`)
    return r.result as Record<string, unknown>
  }

  /** Waits until node `id` answers, and notes the daemon's pid (not the launcher's). */
  async ready(id: number, ms = 30_000): Promise<void> {
    const r = this.running.get(id)
    const res = await waitFor(
      async () => {
        if (r?.proc.exitCode !== null) throw new Error(`node ${id} exited:\n${r?.stderr}`)
        return (await this.result(id, 'ping')) as { pid: number }
      },
      `node ${id} to answer`,
      ms,
    )
    if (r) r.pid = res.pid
  }

  /**
   * kill -9 of the daemon process (a crash), with a `crash` event in the harness trace; resolves
   * with the kill's wall-clock time once the launcher has exited.
   */
  async crash(id: number): Promise<number> {
    const r = this.running.get(id)
    if (r?.pid === undefined) throw new Error(`node ${id} is not running`)
    process.kill(r.pid, 'SIGKILL')
    const t = Date.now()
    this.event({ ev: 'crash', node: id, t })
    await r.exited
    this.running.delete(id)
    return t
  }

  /** SIGTERM to the launcher (forwarded to the daemon): an orderly leave; resolves with the exit code. */
  async stop(id: number): Promise<number | null> {
    const r = this.running.get(id)
    if (!r) return null
    r.proc.kill('SIGTERM')
    const code = await r.exited
    this.running.delete(id)
    return code
  }

  /** A `heal` event in the harness trace (the test ended a partition). */
  heal(): void {
    this.event({ ev: 'heal', t: Date.now() })
  }

  protected event(e: Record<string, unknown>): void {
    appendFileSync(this.harnessTrace, `${JSON.stringify(e)}\n`)
  }

  /** Kills whatever still runs (SIGKILL to daemons and launchers) and removes the temp dir. */
  async destroy(): Promise<void> {
    for (const r of this.running.values()) {
      try {
        if (r.pid !== undefined) process.kill(r.pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
      r.proc.kill('SIGKILL')
    }
    await Promise.all([...this.running.values()].map((r) => r.exited))
    this.running.clear()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
