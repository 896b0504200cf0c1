/**
 * cpgbench's integration cluster: @totem-ts/testkit's totemd processes with a 1 s token and
 * warnings-only logs (the bench's output stays readable).
 */
import { type ClusterOptions, DaemonCluster } from '@totem-ts/testkit'

export { sleep, waitFor } from '@totem-ts/testkit'

/** A cluster named `cpgbench`. */
export class Cluster extends DaemonCluster {
  constructor(o: ClusterOptions = {}) {
    super({ name: 'cpgbench', token: 1000, logLevel: 'warn', ...o })
  }
}
