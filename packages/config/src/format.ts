import type { SrpConfig, SrpOptions } from '@totem-ts/srp'
import type { TotemNodeConfig } from './options.ts'

interface Item {
  readonly key: string
  readonly value: string | number
  /** Set in the file (else: a default or a derived value). */
  readonly explicit: boolean
  /** Comment lines printed above the key. */
  readonly comment?: string
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no')

function block(
  name: string,
  depth: number,
  items: readonly Item[],
  inner: readonly string[] = [],
): string[] {
  const pad = '\t'.repeat(depth + 1)
  const out = [`${'\t'.repeat(depth)}${name} {`]
  const emit = (it: Item): void => {
    if (it.comment !== undefined) for (const c of it.comment.split('\n')) out.push(`${pad}# ${c}`)
    out.push(`${pad}${it.key}: ${it.value}`)
  }
  const explicit = items.filter((it) => it.explicit)
  const defaults = items.filter((it) => !it.explicit)
  explicit.forEach(emit)
  if (defaults.length > 0) {
    out.push(`${pad}# --- not in the file: defaults and derived values ---`)
    defaults.forEach(emit)
  }
  out.push(...inner)
  out.push(`${'\t'.repeat(depth)}}`)
  return out
}

/** corosync key, SrpOptions field, SrpConfig field of each srp tunable, in corosync.conf order. */
const SRP_ROWS: readonly (readonly [string, keyof SrpOptions, keyof SrpConfig | undefined])[] = [
  ['token', 'tokenTimeoutMs', undefined],
  ['token_coefficient', 'tokenCoefficientMs', undefined],
  ['token_retransmits_before_loss_const', 'tokenRetransmitsBeforeLoss', undefined],
  ['token_retransmit', 'tokenRetransmitTimeoutMs', 'tokenRetransmitTimeoutMs'],
  ['hold', 'holdTimeoutMs', 'holdTimeoutMs'],
  ['join', 'joinTimeoutMs', 'joinTimeoutMs'],
  ['consensus', 'consensusTimeoutMs', 'consensusTimeoutMs'],
  ['merge', 'mergeTimeoutMs', 'mergeTimeoutMs'],
  ['fail_recv_const', 'failToRecvConst', 'failToRecvConst'],
  ['seqno_unchanged_const', 'seqnoUnchangedConst', 'seqnoUnchangedConst'],
  ['miss_count_const', 'missCountConst', 'missCountConst'],
  ['window_size', 'windowSize', 'windowSize'],
  ['max_messages', 'maxMessages', 'maxMessages'],
  ['netmtu', 'netmtu', 'netmtu'],
]
const SRP_FIXED_DEFAULTS: Readonly<Record<string, number>> = {
  token: 3000,
  token_coefficient: 650,
  token_retransmits_before_loss_const: 4,
}

/**
 * The effective settings, corosync.conf style, one `key: value` per line: first what the file
 * sets, then (under a comment) every default and derived value filled in. Comments explain what
 * totem-ts does differently (transport, crypto) and how the token timeout scales. The output is
 * itself a valid corosync.conf that loads to the same effective values. Used by `totemd --check`.
 *
 * @example
 * ```ts
 * const { config } = loadConfig(text, 'corosync.conf')
 * process.stdout.write(formatEffectiveConfig(config))
 * ```
 */
export function formatEffectiveConfig(config: TotemNodeConfig): string {
  const has = (path: string): boolean => config.keyLines[path] !== undefined
  const n = config.nodes.length
  const t: Item[] = []
  t.push({ key: 'version', value: 2, explicit: true })
  if (config.clusterName !== undefined)
    t.push({ key: 'cluster_name', value: config.clusterName, explicit: true })
  if (config.configVersion !== undefined)
    t.push({ key: 'config_version', value: config.configVersion, explicit: true })
  if (config.localNodeId !== undefined)
    t.push({ key: 'nodeid', value: config.localNodeId, explicit: true })
  const tr = config.transport
  t.push({
    key: 'transport',
    value: tr.kind,
    explicit: has('totem.transport'),
    ...(tr.requested === tr.kind
      ? {}
      : {
          comment: `the file asks for ${tr.requested}${has('totem.transport') ? '' : ' (corosync 3 default)'}; totem-ts runs udpu and cannot talk to ${tr.requested === 'knet' ? 'knet' : 'multicast'}-based corosync nodes`,
        }),
  })
  t.push({ key: 'ip_version', value: tr.ipVersion, explicit: has('totem.ip_version') })
  t.push({
    key: 'block_unlisted_ips',
    value: yesNo(tr.blockUnlistedIps),
    explicit: has('totem.block_unlisted_ips'),
  })
  t.push({
    key: 'clear_node_high_bit',
    value: yesNo(tr.clearNodeHighBit),
    explicit: has('totem.clear_node_high_bit'),
  })
  const cr = config.crypto
  t.push({
    key: 'crypto_cipher',
    value: cr.cipher,
    explicit: has('totem.crypto_cipher') || has('totem.secauth'),
    comment: cr.enabled
      ? `crypto on${cr.source === 'secauth' ? ' (from secauth: on)' : ''}: every packet is authenticated and encrypted by @totem-ts/crypto (XChaCha20-Poly1305), not by ${cr.cipher}/${cr.hash}`
      : 'crypto off: packets are plaintext, as corosync with crypto_cipher none',
  })
  t.push({
    key: 'crypto_hash',
    value: cr.hash,
    explicit: has('totem.crypto_hash') || has('totem.secauth'),
  })
  t.push({ key: 'keyfile', value: cr.keyFile, explicit: has('totem.keyfile') })
  t.push({
    key: 'interop',
    value: config.interop,
    explicit: has('totem.interop'),
    comment:
      config.interop === 'corosync3'
        ? "shares a ring with corosync 3.1 nodes: corosync's CPG semantics, no crypto, one ring"
        : 'native totem-ts mode',
  })
  const rrp = config.rrp
  const linkMode = rrp.source === 'link_mode'
  t.push({
    key: linkMode ? 'link_mode' : 'rrp_mode',
    // link_mode has no `none`: with one link the value written stays (it changes nothing).
    value: linkMode && rrp.mode === 'none' ? rrp.requested : rrp.mode,
    explicit: rrp.source !== 'default',
    comment:
      rrp.rings === 1
        ? '1 ring: no redundancy'
        : `${rrp.rings} rings, redundancy ${rrp.mode}${rrp.requested !== rrp.mode ? ` (the file asks for ${rrp.requested})` : ''}`,
  })
  const rrpOptions = rrp.options as Readonly<Record<string, number | undefined>>
  for (const [key, field] of [
    ['rrp_problem_count_threshold', 'problemCountThreshold'],
    ['rrp_problem_count_mcast_threshold', 'problemCountMcastThreshold'],
    ['rrp_problem_count_timeout', 'problemCountTimeoutMs'],
    ['rrp_token_expired_timeout', 'tokenExpiredTimeoutMs'],
    ['rrp_autorecovery_check_timeout', 'autorecoveryCheckTimeoutMs'],
  ] as const) {
    const set = rrpOptions[field]
    const effective = (rrp.resolved as Readonly<Record<string, unknown>> | undefined)?.[field]
    if (set !== undefined) t.push({ key, value: String(set), explicit: true })
    else if (effective !== undefined) t.push({ key, value: String(effective), explicit: false })
  }
  const mr = config.multiring
  if (mr !== undefined) {
    t.push({
      key: 'multiring',
      value: 'on',
      explicit: true,
      comment: `one LAN of a multiple-ring system (@totem-ts/multiring); node ids unique across all LANs`,
    })
    t.push({ key: 'multiring_lan', value: mr.lan, explicit: has('totem.multiring_lan') })
    t.push({
      key: 'multiring_gv_interval',
      value: mr.resolved.gvIntervalMs,
      explicit: has('totem.multiring_gv_interval'),
    })
    t.push({
      key: 'multiring_gv_idle',
      value: mr.resolved.gvIdleMs,
      explicit: has('totem.multiring_gv_idle'),
    })
  }
  const srp = config.srp as Readonly<Record<string, number | boolean | undefined>>
  const resolved = config.srpResolved as unknown as Readonly<Record<string, number | boolean>>
  for (const [key, field, resolvedField] of SRP_ROWS) {
    const set = srp[field]
    const value =
      set ?? (resolvedField === undefined ? SRP_FIXED_DEFAULTS[key] : resolved[resolvedField])
    const item: Item = { key, value: String(value), explicit: set !== undefined }
    if (key === 'token') {
      const eff = config.srpResolved.tokenTimeoutMs
      t.push({
        ...item,
        comment:
          n > 2
            ? `effective token timeout: ${eff} ms = token + (${n} nodes - 2) × token_coefficient`
            : `effective token timeout: ${eff} ms (${n} node${n === 1 ? '' : 's'}: no coefficient)`,
      })
    } else t.push(item)
  }
  t.push({ key: 'downcheck', value: tr.downcheckMs, explicit: has('totem.downcheck') })
  const interfaces = tr.ports.flatMap((port, link) =>
    block('interface', 1, [
      { key: 'linknumber', value: link, explicit: true },
      {
        key: 'mcastport',
        value: port,
        explicit: port !== 5405 + link,
      },
    ]),
  )

  const nodes = config.nodes.flatMap((nd) =>
    block('node', 1, [
      {
        key: 'nodeid',
        value: nd.nodeId,
        explicit: true,
        ...(nd.nodeIdGenerated
          ? { comment: 'generated from ring0_addr, as corosync does for udpu' }
          : {}),
      },
      ...(nd.name === undefined ? [] : [{ key: 'name', value: nd.name, explicit: true }]),
      ...nd.addresses.map((a, i) => ({ key: `ring${i}_addr`, value: a, explicit: true })),
    ]),
  )
  const lg = config.logging
  const logging: Item[] = [
    { key: 'to_logfile', value: yesNo(lg.toLogfile), explicit: has('logging.to_logfile') },
    ...(lg.logfile === undefined ? [] : [{ key: 'logfile', value: lg.logfile, explicit: true }]),
    { key: 'to_syslog', value: yesNo(lg.toSyslog), explicit: has('logging.to_syslog') },
    { key: 'to_stderr', value: yesNo(lg.toStderr), explicit: has('logging.to_stderr') },
    { key: 'debug', value: lg.debug, explicit: has('logging.debug') },
    { key: 'timestamp', value: lg.timestamp, explicit: has('logging.timestamp') },
  ]
  const subsys = lg.subsystems.flatMap((s) =>
    block('logger_subsys', 1, [
      { key: 'subsys', value: s.subsys, explicit: true },
      { key: 'debug', value: s.debug, explicit: true },
    ]),
  )
  const lines = [
    `# Effective configuration of ${config.file}, as totem-ts runs it.`,
    '# Keys below "not in the file" are corosync 3.1.7 defaults or values derived from other keys.',
    ...block('totem', 0, t, interfaces),
    '',
    ...block('nodelist', 0, [], nodes),
    '',
    ...block('logging', 0, logging, subsys),
    '',
    ...block('system', 0, [
      { key: 'state_dir', value: config.stateDir, explicit: has('system.state_dir') },
    ]),
  ]
  return `${lines.join('\n')}\n`
}
