import type { ConfigurationChange, Delivery, Guarantee } from '@totem-ts/common'
import { noopLogger } from '@totem-ts/common'
import { type CpgLimits, type CpgService, createCpgService } from '@totem-ts/cpg'
import { createTotemNode, type TotemNode, type TotemNodeOptions } from './node.ts'
import { createNodeRuntime } from './runtime.ts'

/** What {@link createCpgNode} needs: a node's options plus CPG limits. */
export interface CpgNodeOptions extends TotemNodeOptions {
  readonly cpgLimits?: Partial<CpgLimits>
  /**
   * Sees every message the CPG service hands to the ring (accepted, not refused as full): an
   * EVS trace writer needs it, since the service's own sync and membership messages are
   * delivered like any other.
   */
  readonly onCpgSend?: (payload: Uint8Array, guarantee: Guarantee) => void
}

/** A totem-ts node with the CPG service on top: embed it, or serve it with `listenCpg`. */
export interface CpgNode {
  readonly node: TotemNode
  readonly cpg: CpgService
  start(): Promise<void>
  /** Stops the service's timers, then leaves the ring in an orderly way. */
  stop(): Promise<void>
}

/**
 * A node from a corosync.conf with closed process groups in the same process ("usable as a
 * library or via CPG"). `options.listener` still sees every raw delivery and configuration change.
 *
 * @example
 * ```ts
 * const { node, cpg } = createCpgNode({ config, nodeId: 1 })
 * await node.start()
 * const handle = await initialize({ service: cpg }) // @totem-ts/cpg, no IPC
 * ```
 */
export function createCpgNode(options: CpgNodeOptions): CpgNode {
  const logger = options.logger ?? noopLogger
  const runtime = options.runtime ?? createNodeRuntime(logger)
  const user = options.listener
  let cpg: CpgService | undefined
  const compat = options.config.interop === 'corosync3'
  const node = createTotemNode({
    ...options,
    // corosync keeps messages queued across a ring change until its sync completes; the CPG
    // service says when (Broadcast.syncCompleted).
    ...(compat
      ? { srpOverrides: { ...options.srpOverrides, holdSendsDuringRingChange: true } }
      : {}),
    runtime,
    logger,
    listener: {
      onDeliver(d: Delivery) {
        user?.onDeliver(d)
        cpg?.onDeliver(d)
      },
      onConfigurationChange(c: ConfigurationChange) {
        user?.onConfigurationChange(c)
        cpg?.onConfigurationChange(c)
      },
    },
  })
  const service = createCpgService({
    nodeId: node.nodeId,
    runtime,
    corosyncCompat: compat,
    // One vote, like a corosync node without nodelist.node.quorum_votes.
    corosyncServices: { votes: 1, expectedVotes: options.config.nodes.length },
    ...(options.cpgLimits === undefined ? {} : { limits: options.cpgLimits }),
  })
  const onSend = options.onCpgSend
  service.bind(
    onSend === undefined
      ? node
      : {
          send(payload, guarantee) {
            const r = node.send(payload, guarantee)
            if (r === 'queued') onSend(payload, guarantee)
            return r
          },
          get members() {
            return node.members
          },
          syncCompleted() {
            node.syncCompleted()
          },
        },
  )
  cpg = service
  return {
    node,
    cpg: service,
    start: () => node.start(),
    async stop() {
      service.stop()
      await node.stop()
    },
  }
}
