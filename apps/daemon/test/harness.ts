/**
 * The daemon's integration harness: @totem-ts/testkit's cluster of totemd processes, each with
 * its EVS trace (`--evs-trace`), on 127.0.0.1/.2/.3 (optionally behind @totem-ts/udp's fault proxy
 * on 127.0.1.N).
 */
import { type ClusterOptions, DaemonCluster } from '@totem-ts/testkit'

export { sleep, TOTEMD, waitFor } from '@totem-ts/testkit'

/** A cluster whose daemons all write EVS traces, merged by `traces()`. */
export class Cluster extends DaemonCluster {
  constructor(o: ClusterOptions = {}) {
    super({ name: 'totemd', evsTrace: true, ...o })
  }
}
