import type { NodeId } from '@totem-ts/common'
import type { MultiringConfig, MultiringOptions } from '@totem-ts/multiring'
import type { RrpConfig as RrpLayerConfig, RrpOptions } from '@totem-ts/rrp'
import type { SrpConfig, SrpOptions } from '@totem-ts/srp'
import type { ConfigWarning } from './errors.ts'

/** Options of {@link loadConfig} and {@link readConfigFile}. */
export interface ConfigOptions {
  /**
   * Default of `system.state_dir` when the file does not set it.
   * @defaultValue '/var/lib/corosync' (corosync 3.1's)
   */
  readonly defaultStateDir?: string
}

/** One `nodelist.node`. */
export interface ConfigNode {
  /** `nodeid`, or generated from an IPv4 `ring0_addr` for udpu/udp as corosync does. */
  readonly nodeId: NodeId
  /** True when `nodeid` was not written and came from `ring0_addr`. */
  readonly nodeIdGenerated: boolean
  /** `name`, when set. */
  readonly name?: string
  /** `ring0_addr`, `ring1_addr`, …: one address (IP literal or host name) per ring/link. */
  readonly addresses: readonly string[]
  /** Line of the `node {` that declares it. */
  readonly line: number
}

/** corosync's `transport` values. */
export type RequestedTransport = 'udpu' | 'udp' | 'knet'
/** `totem.ip_version`. */
export type IpVersion = 'ipv4' | 'ipv6' | 'ipv4-6' | 'ipv6-4'

/** How the node talks to the others. Always our udpu transport, whatever the file asked for. */
export interface TransportConfig {
  /** What totem-ts runs: unicast UDP to every nodelist member (`@totem-ts/udp`). */
  readonly kind: 'udpu'
  /** `totem.transport` as configured (corosync 3's default, knet, when absent). */
  readonly requested: RequestedTransport
  /** UDP port of each ring/link: `interface.mcastport`, else 5405 + link number (corosync 3). */
  readonly ports: readonly number[]
  /** `totem.ip_version`; default `ipv6-4`, or `ipv4` for `transport: udp`, as corosync. */
  readonly ipVersion: IpVersion
  /** `totem.block_unlisted_ips`: drop datagrams from addresses not in the nodelist. @defaultValue true */
  readonly blockUnlistedIps: boolean
  /** `totem.downcheck`: period of the interface re-check, ms. @defaultValue 1000 */
  readonly downcheckMs: number
  /** `totem.clear_node_high_bit`: generated node ids have their top bit cleared. @defaultValue false */
  readonly clearNodeHighBit: boolean
}

/** `totem.crypto_cipher` values corosync accepts. */
export type CryptoCipher = 'none' | 'aes256' | 'aes192' | 'aes128' | '3des'
/** `totem.crypto_hash` values corosync accepts. */
export type CryptoHash = 'none' | 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512'

/**
 * Whether packets are authenticated and encrypted. totem-ts does not implement corosync's
 * ciphers: any cipher other than `none` turns on `@totem-ts/crypto`'s AEAD (XChaCha20-Poly1305
 * with keys derived by HKDF from the key file), so it never talks to an encrypting corosync.
 */
export interface CryptoConfig {
  /** True unless the effective cipher and hash are both `none`. */
  readonly enabled: boolean
  /** Effective `crypto_cipher` (after `secauth`). */
  readonly cipher: CryptoCipher
  /** Effective `crypto_hash` (after `secauth`). */
  readonly hash: CryptoHash
  /** Which key decided it: `crypto_cipher`/`crypto_hash`, corosync 2's `secauth`, or nothing. */
  readonly source: 'crypto_cipher' | 'secauth' | 'default'
  /** `totem.keyfile`. @defaultValue '/etc/corosync/authkey' */
  readonly keyFile: string
}

/**
 * `totem.interop`: what the node must interoperate with. `corosync3` shares a ring with Debian
 * corosync 3.1 nodes (udpu, crypto off, one ring); `none` (the default) is totem-ts's native mode,
 * which may add crypto and redundant rings on the wire.
 */
export type InteropMode = 'none' | 'corosync3'

/** Redundant ring mode. */
export type RrpMode = 'none' | 'active' | 'passive'

/** Redundancy over several rings/links (`@totem-ts/rrp`). */
export interface RrpConfig {
  /**
   * The `rrp_*` tuning keys the file sets (only those), as `@totem-ts/rrp` option names:
   * `rrp_problem_count_threshold` → `problemCountThreshold`, `…_mcast_threshold` →
   * `problemCountMcastThreshold`, `rrp_problem_count_timeout` → `problemCountTimeoutMs`,
   * `rrp_token_expired_timeout` → `tokenExpiredTimeoutMs`, `rrp_autorecovery_check_timeout` →
   * `autorecoveryCheckTimeoutMs`.
   */
  readonly options: RrpOptions
  /**
   * With several rings: `resolveRrpOptions` of them, with the mode and the effective
   * `token_retransmit` (what the stack runs). Absent with one ring.
   */
  readonly resolved?: Readonly<RrpLayerConfig>
  /** Effective mode: `none` with one ring; `active` or `passive` with several. */
  readonly mode: RrpMode
  /** Number of rings/links: how many `ringN_addr` every node has. */
  readonly rings: number
  /** The key that set it (`rrp_mode` in 2.x, `link_mode` in 3.x) or `default`. */
  readonly source: 'rrp_mode' | 'link_mode' | 'default'
  /** The value as written (`rr` for knet's round robin), or the default's name. */
  readonly requested: string
}

/**
 * `totem { multiring: on }`: the node joins the multiple-ring system (`@totem-ts/multiring`), the
 * ring of this file being LAN `lan` of it. Node ids must be unique across every LAN of the system
 * (a gateway has the same id in each of its rings' nodelists).
 */
export interface MultiringSectionConfig {
  /** `totem.multiring_lan`: this ring's LAN number, the same at every node of the ring. @defaultValue 0 */
  readonly lan: number
  /** The `multiring_*` tunables the file sets (only those), as `@totem-ts/multiring` options. */
  readonly options: MultiringOptions
  /** `resolveMultiringOptions(options)`: what the stack runs. */
  readonly resolved: Readonly<MultiringConfig>
}

/** `logging.debug` and `logger_subsys.debug`. */
export type DebugLevel = 'off' | 'on' | 'trace'

/** `logging { }`. The daemon maps it onto pino. */
export interface LoggingConfig {
  /** @defaultValue false */
  readonly toLogfile: boolean
  /** `logfile`, required when `to_logfile: yes`. */
  readonly logfile?: string
  /** @defaultValue true */
  readonly toSyslog: boolean
  /** @defaultValue false */
  readonly toStderr: boolean
  /** @defaultValue 'off' */
  readonly debug: DebugLevel
  /** `off`, `on` or `hires`. @defaultValue 'hires' */
  readonly timestamp: 'off' | 'on' | 'hires'
  /** `logger_subsys { subsys, debug }` blocks. */
  readonly subsystems: readonly { readonly subsys: string; readonly debug: DebugLevel }[]
}

/**
 * Everything a totem-ts node needs from corosync.conf, checked and with corosync 3.1.7's defaults.
 */
export interface TotemNodeConfig {
  /** File name given to the loader. */
  readonly file: string
  /** `totem.cluster_name`. */
  readonly clusterName?: string
  /** `totem.config_version` (a u64, kept as decimal text). */
  readonly configVersion?: string
  /**
   * The srp tunables the file sets (only those), ready for `resolveSrpOptions(srp, nodes.length)`.
   * `tokenTimeoutMs` is the configured base: the coefficient is applied on top, as corosync does.
   */
  readonly srp: SrpOptions
  /** `resolveSrpOptions(srp, nodes.length)`: the effective timers, as the daemon will run them. */
  readonly srpResolved: Readonly<SrpConfig>
  /** `nodelist.node` in file order. */
  readonly nodes: readonly ConfigNode[]
  /** corosync 2's `totem.nodeid` (this node's id), checked to be in the nodelist. */
  readonly localNodeId?: NodeId
  readonly transport: TransportConfig
  readonly crypto: CryptoConfig
  readonly rrp: RrpConfig
  /**
   * `totem.interop`. In `corosync3` the file must leave crypto off and give one ring (it is an
   * error otherwise), and the CPG service follows corosync's CPG semantics
   * (`@totem-ts/cpg`'s `corosyncCompat`). corosync itself ignores the key.
   * @defaultValue 'none'
   */
  readonly interop: InteropMode
  readonly logging: LoggingConfig
  /** Present when `totem.multiring` is on: this ring is one LAN of a multiple-ring system. */
  readonly multiring?: MultiringSectionConfig
  /** `system.state_dir`: where the ring id is kept. */
  readonly stateDir: string
  /** Line of every key the file sets, by cmap-style path (`totem.token` → 12). */
  readonly keyLines: Readonly<Record<string, number>>
}

/** What {@link loadConfig} returns. */
export interface LoadedConfig {
  readonly config: TotemNodeConfig
  readonly warnings: readonly ConfigWarning[]
}
