/** A `totem-sim --jobs K` worker thread: runs the seeds it is sent, posts back digests. */
import { parentPort } from 'node:worker_threads'
import type { SrpTestFaults } from '@totem-ts/srp'
import type { NodeRange } from './profile.ts'
import { formatRunReport } from './report.ts'
import { runSeed } from './run.ts'
import { digest } from './summary.ts'

/** A job: one seed with the run options of the batch. */
export interface WorkerJob {
  readonly seed: number
  readonly nodes: NodeRange
  readonly preset: string
  readonly testFaults: SrpTestFaults | undefined
}

const port = parentPort
if (port !== null) {
  port.on('message', (job: WorkerJob) => {
    void runSeed({
      seed: job.seed,
      nodes: job.nodes,
      preset: job.preset,
      ...(job.testFaults !== undefined ? { testFaults: job.testFaults } : {}),
    }).then(
      (r) =>
        port.postMessage({ ok: true, digest: digest(r, r.ok ? undefined : formatRunReport(r)) }),
      (e: unknown) =>
        port.postMessage({ ok: false, seed: job.seed, error: String((e as Error)?.stack ?? e) }),
    )
  })
}
