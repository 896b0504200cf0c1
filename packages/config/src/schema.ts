/**
 * Every corosync.conf key and section totem-ts knows, and what it does with each. The loader uses
 * this table to tell known-but-ignored keys (a note) from unknown ones (a warning), and the README's
 * mapping table is checked against it by a test.
 */

/** What totem-ts does with a key. */
export type ConfigKeyStatus = 'supported' | 'ignored'

/** One row of the mapping table. */
export interface ConfigKeyInfo {
  /**
   * Key path without indices: `totem.token`, `totem.interface.mcastport`,
   * `nodelist.node.ringN_addr` (N = 0…7), or a section name (`quorum`) for a section ignored whole.
   */
  readonly path: string
  readonly status: ConfigKeyStatus
  /** Where it goes (`srp.tokenTimeoutMs`), or why it is ignored. */
  readonly mapsTo: string
}

const s = (path: string, mapsTo: string): ConfigKeyInfo => ({ path, status: 'supported', mapsTo })
const i = (path: string, mapsTo: string): ConfigKeyInfo => ({ path, status: 'ignored', mapsTo })

const KNET = 'knet tuning: totem-ts runs its own UDP transport'

/** The mapping table (README § Mapping). */
export const CONFIG_KEYS: readonly ConfigKeyInfo[] = Object.freeze([
  s('totem.version', 'must be 2'),
  s('totem.cluster_name', 'clusterName'),
  s('totem.config_version', 'configVersion'),
  s('totem.nodeid', 'localNodeId (corosync 2); must be a nodelist nodeid'),
  s('totem.token', 'srp.tokenTimeoutMs (plus the coefficient for N > 2 nodes)'),
  s('totem.token_coefficient', 'srp.tokenCoefficientMs'),
  s('totem.token_retransmits_before_loss_const', 'srp.tokenRetransmitsBeforeLoss'),
  s('totem.token_retransmit', 'srp.tokenRetransmitTimeoutMs'),
  s('totem.hold', 'srp.holdTimeoutMs'),
  s('totem.join', 'srp.joinTimeoutMs'),
  s('totem.consensus', 'srp.consensusTimeoutMs'),
  s('totem.merge', 'srp.mergeTimeoutMs'),
  s('totem.downcheck', 'transport.downcheckMs'),
  s('totem.fail_recv_const', 'srp.failToRecvConst'),
  s('totem.seqno_unchanged_const', 'srp.seqnoUnchangedConst'),
  s('totem.miss_count_const', 'srp.missCountConst'),
  s('totem.window_size', 'srp.windowSize'),
  s('totem.max_messages', 'srp.maxMessages'),
  s('totem.netmtu', 'srp.netmtu'),
  s('totem.transport', 'transport.requested; always runs udpu'),
  s('totem.ip_version', 'transport.ipVersion'),
  s('totem.block_unlisted_ips', 'transport.blockUnlistedIps'),
  s('totem.clear_node_high_bit', 'transport.clearNodeHighBit (generated node ids)'),
  s('totem.crypto_cipher', 'crypto.cipher; not none → crypto.enabled'),
  s('totem.crypto_hash', 'crypto.hash; not none → crypto.enabled'),
  s('totem.secauth', 'corosync 2: on = aes256 + sha256'),
  s('totem.keyfile', 'crypto.keyFile'),
  s('totem.rrp_mode', 'rrp.mode (corosync 2)'),
  s('totem.interop', 'interop: corosync3 | none (totem-ts only; corosync ignores it)'),
  s('totem.link_mode', 'rrp.mode (corosync 3): passive, active, rr → passive'),
  i('totem.cluster_uuid', 'pcs metadata, not read by corosync'),
  i('totem.send_join', 'random join delay: always 0 in totem-ts'),
  i('totem.token_warning', 'log-only threshold'),
  i('totem.max_network_delay', 'corosync heartbeat mode: totem-ts has none'),
  i('totem.heartbeat_failures_allowed', 'corosync heartbeat mode: totem-ts has none'),
  i('totem.cancel_token_hold_on_retransmit', 'no effect without token hold on retransmit'),
  i('totem.threads', 'obsolete (corosync 1/2 crypto threads)'),
  i('totem.vsftype', 'obsolete (corosync 1)'),
  i('totem.crypto_model', 'nss/openssl choice: totem-ts has one AEAD'),
  i('totem.crypto_type', 'obsolete alias of crypto_cipher (corosync 2)'),
  i('totem.key', 'inline key: use keyfile'),
  s('totem.multiring', 'multiring.enabled: join the multiple-ring system (@totem-ts/multiring)'),
  s('totem.multiring_lan', "multiring.lan: this ring's LAN number, the same at every processor"),
  s('totem.multiring_gv_interval', 'multiring.options.gvIntervalMs'),
  s('totem.multiring_gv_idle', 'multiring.options.gvIdleMs'),
  s('totem.rrp_problem_count_timeout', 'rrp.options.problemCountTimeoutMs'),
  s('totem.rrp_problem_count_threshold', 'rrp.options.problemCountThreshold'),
  s('totem.rrp_problem_count_mcast_threshold', 'rrp.options.problemCountMcastThreshold'),
  s('totem.rrp_token_expired_timeout', 'rrp.options.tokenExpiredTimeoutMs'),
  s('totem.rrp_autorecovery_check_timeout', 'rrp.options.autorecoveryCheckTimeoutMs'),
  i('totem.knet_pmtud_interval', KNET),
  i('totem.knet_mtu', KNET),
  i('totem.knet_compression_model', KNET),
  i('totem.knet_compression_threshold', KNET),
  i('totem.knet_compression_level', KNET),
  s('totem.interface.ringnumber', 'which ring the interface block describes (corosync 2)'),
  s('totem.interface.linknumber', 'which link the interface block describes (corosync 3)'),
  s('totem.interface.mcastport', 'transport.ports[link]'),
  i('totem.interface.bindnetaddr', 'the local address comes from the nodelist'),
  i('totem.interface.mcastaddr', 'no multicast: udp runs as udpu'),
  i('totem.interface.broadcast', 'no broadcast: udp runs as udpu'),
  i('totem.interface.ttl', 'no multicast: udp runs as udpu'),
  i('totem.interface.knet_link_priority', KNET),
  i('totem.interface.knet_ping_interval', KNET),
  i('totem.interface.knet_ping_timeout', KNET),
  i('totem.interface.knet_ping_precision', KNET),
  i('totem.interface.knet_pong_count', KNET),
  i('totem.interface.knet_transport', KNET),
  s('nodelist.node.nodeid', 'nodes[].nodeId (generated from IPv4 ring0_addr for udpu/udp)'),
  s('nodelist.node.name', 'nodes[].name'),
  s('nodelist.node.ringN_addr', 'nodes[].addresses[N] (N = 0…7)'),
  i('nodelist.node.quorum_votes', 'no quorum service'),
  s('logging.to_logfile', 'logging.toLogfile'),
  s('logging.logfile', 'logging.logfile'),
  s('logging.to_syslog', 'logging.toSyslog'),
  s('logging.to_stderr', 'logging.toStderr'),
  s('logging.debug', 'logging.debug'),
  s('logging.timestamp', 'logging.timestamp'),
  i('logging.fileline', 'pino has no file:line'),
  i('logging.function_name', 'pino has no function names'),
  i('logging.syslog_facility', 'the daemon decides'),
  i('logging.syslog_priority', 'the daemon decides'),
  i('logging.logfile_priority', 'the daemon decides'),
  i('logging.blackbox', 'no libqb blackbox'),
  s('logging.logger_subsys.subsys', 'logging.subsystems[].subsys'),
  s('logging.logger_subsys.debug', 'logging.subsystems[].debug'),
  i('logging.logger_subsys.tags', 'libqb trace tags'),
  i('logging.logger_subsys.to_logfile', 'per-subsystem targets: the daemon decides'),
  i('logging.logger_subsys.to_syslog', 'per-subsystem targets: the daemon decides'),
  i('logging.logger_subsys.to_stderr', 'per-subsystem targets: the daemon decides'),
  i('logging.logger_subsys.logfile', 'per-subsystem targets: the daemon decides'),
  i('logging.logger_subsys.syslog_priority', 'the daemon decides'),
  i('logging.logger_subsys.logfile_priority', 'the daemon decides'),
  s('system.state_dir', 'stateDir'),
  i('system.allow_knet_handle_fallback', KNET),
  i('system.sched_rr', 'no real-time scheduling for a Node.js process'),
  i('system.priority', 'no real-time scheduling for a Node.js process'),
  i('system.move_to_root_cgroup', 'no real-time scheduling for a Node.js process'),
  i('quorum', 'no quorum service in totem-ts (votequorum, qdevice)'),
  i('resources', 'no resource watchdogs'),
  i('nozzle', 'no libnozzle device'),
  i('qb', 'no libqb IPC'),
  i('uidgid', 'the control socket is mode 0600, owner only'),
  i('service', 'corosync 1/2 service plugins'),
  i('amf', 'obsolete (openais)'),
  i('aisexec', 'obsolete (openais)'),
  i('pload', 'corosync test load generator: use totemd --burn-in'),
  i('logging.logging_daemon', 'per-daemon logging of corosync 1'),
] satisfies ConfigKeyInfo[])

const BY_PATH: ReadonlyMap<string, ConfigKeyInfo> = new Map(CONFIG_KEYS.map((k) => [k.path, k]))

/** The table row of a key at `sectionPath.key` (indices already stripped), if any. @internal */
export function lookupKey(sectionPath: string, key: string): ConfigKeyInfo | undefined {
  const k = /^ring\d+_addr$/.test(key) ? 'ringN_addr' : key
  return BY_PATH.get(sectionPath === '' ? k : `${sectionPath}.${k}`)
}
