import { readFile, stat } from 'node:fs/promises'
import {
  isTotemError,
  NETMTU_MAX,
  NETMTU_MIN,
  NODES_MAX,
  type NodeId,
  nodeId,
} from '@totem-ts/common'
import { type MultiringOptions, resolveMultiringOptions } from '@totem-ts/multiring'
import { type RrpOptions, resolveRrpOptions } from '@totem-ts/rrp'
import { resolveSrpOptions, type SrpConfig, type SrpOptions } from '@totem-ts/srp'
import { canonicalAddress, classifyAddress, nodeIdFromIPv4 } from './address.ts'
import { Diagnostics } from './diagnostics.ts'
import { type ConfigError, ConfigErrors, type ConfigWarning, ConfigWarningCode } from './errors.ts'
import type {
  ConfigNode,
  ConfigOptions,
  CryptoCipher,
  CryptoConfig,
  CryptoHash,
  DebugLevel,
  InteropMode,
  IpVersion,
  LoadedConfig,
  LoggingConfig,
  MultiringSectionConfig,
  RequestedTransport,
  RrpConfig,
  RrpMode,
  TotemNodeConfig,
  TransportConfig,
} from './options.ts'
import { CONFIG_BYTES_MAX, type ConfSection, parseInto } from './parse.ts'
import { lookupKey } from './schema.ts'
import { type IntRange, SectionView } from './view.ts'

/** Most rings/links (`ring0_addr` … `ring7_addr`), corosync 3's `INTERFACE_MAX`. */
export const LINKS_MAX = 8
/** corosync's default UDP port of link 0; link N uses 5405 + N unless `mcastport` says otherwise. */
export const DEFAULT_PORT = 5405
/** corosync 3.1's `system.state_dir`. */
export const DEFAULT_STATE_DIR = '/var/lib/corosync'
/** corosync's `totem.keyfile`. */
export const DEFAULT_KEY_FILE = '/etc/corosync/authkey'

// corosync's MINIMUM_TIMEOUT is 3 jiffies at HZ = 100: 30 ms; the hold minimum is 30 × 0.8 − 10.
const MIN_WHY = "corosync's minimum"
const MS = (min: number, max = 3_600_000): IntRange => ({ min, max, why: min > 1 ? MIN_WHY : '' })

/** totem keys that are srp tunables: corosync key → SrpOptions field and range. */
type NumericSrpKey = Exclude<keyof SrpOptions, 'tokenHold' | 'holdSendsDuringRingChange'>
const SRP_KEYS: readonly (readonly [string, NumericSrpKey, IntRange])[] = [
  ['token', 'tokenTimeoutMs', MS(30)],
  ['token_coefficient', 'tokenCoefficientMs', { min: 0, max: 60_000 }],
  ['token_retransmits_before_loss_const', 'tokenRetransmitsBeforeLoss', { min: 1, max: 1000 }],
  ['token_retransmit', 'tokenRetransmitTimeoutMs', MS(30)],
  ['hold', 'holdTimeoutMs', MS(14)],
  ['join', 'joinTimeoutMs', MS(30, 60_000)],
  ['consensus', 'consensusTimeoutMs', MS(30)],
  ['merge', 'mergeTimeoutMs', MS(30)],
  ['fail_recv_const', 'failToRecvConst', { min: 1, max: 1_000_000 }],
  ['seqno_unchanged_const', 'seqnoUnchangedConst', { min: 1, max: 1_000_000 }],
  ['miss_count_const', 'missCountConst', { min: 1, max: 1000 }],
  ['window_size', 'windowSize', { min: 1, max: 10_000 }],
  ['max_messages', 'maxMessages', { min: 1, max: 10_000 }],
  ['netmtu', 'netmtu', { min: NETMTU_MIN, max: NETMTU_MAX }],
]

/** srp option (from resolveSrpOptions' error details) → corosync keys that may have caused it. */
const SRP_BLAME: Readonly<Record<string, readonly string[]>> = {
  tokenTimeoutMs: ['token'],
  token: ['token', 'token_coefficient'],
  tokenCoefficientMs: ['token_coefficient'],
  tokenRetransmitsBeforeLoss: ['token_retransmits_before_loss_const'],
  tokenRetransmitTimeoutMs: ['token_retransmit', 'token_retransmits_before_loss_const', 'token'],
  holdTimeoutMs: ['hold', 'token_retransmit', 'token_retransmits_before_loss_const', 'token'],
  joinTimeoutMs: ['join'],
  join: ['join'],
  consensusTimeoutMs: ['consensus', 'token'],
  consensus: ['consensus', 'token'],
  mergeTimeoutMs: ['merge'],
  failToRecvConst: ['fail_recv_const'],
  seqnoUnchangedConst: ['seqno_unchanged_const'],
  missCountConst: ['miss_count_const'],
  windowSize: ['window_size'],
  maxMessages: ['max_messages', 'window_size'],
  netmtu: ['netmtu'],
  sendQueueMax: ['netmtu'],
  nodelistSize: [],
}

const SINGLETONS = ['totem', 'nodelist', 'logging', 'system'] as const

/** What {@link checkConfig} returns: the config when there is no error, and everything found. */
export interface ConfigCheck {
  /** Set when `errors` is empty. */
  readonly config?: TotemNodeConfig
  readonly errors: readonly ConfigError[]
  readonly warnings: readonly ConfigWarning[]
  /** Errors beyond {@link CONFIG_ERRORS_MAX}, counted but not kept. */
  readonly omitted: number
}

interface TotemPart {
  readonly version: number | undefined
  readonly clusterName?: string
  readonly configVersion?: string
  readonly localNodeId?: number
  readonly transport: RequestedTransport
  readonly ipVersion: IpVersion
  readonly blockUnlistedIps: boolean
  readonly clearNodeHighBit: boolean
  readonly downcheckMs: number
  readonly crypto: CryptoConfig
  readonly interop: InteropMode
  readonly rrpMode?: { readonly key: 'rrp_mode' | 'link_mode'; readonly value: string }
  readonly rrpOptions: RrpOptions
  readonly srp: SrpOptions
  readonly srpOk: boolean
  /** `multiring: on` with its LAN number and tunables. */
  readonly multiring?: { readonly lan: number; readonly options: MultiringOptions }
  /** Port per link number from `interface` blocks. */
  readonly ports: ReadonlyMap<number, { readonly port: number | undefined; readonly line: number }>
}

const CIPHERS: readonly CryptoCipher[] = ['none', 'aes256', 'aes192', 'aes128', '3des']
const HASHES: readonly CryptoHash[] = ['none', 'md5', 'sha1', 'sha256', 'sha384', 'sha512']
const DEBUG_LEVELS: readonly DebugLevel[] = ['off', 'on', 'trace']

function readTotem(v: SectionView): TotemPart {
  const d = v.diag
  const version = v.int('version', { min: 0, max: 0xffff_ffff })
  if (version !== undefined && version !== 2) {
    d.error(
      'ERR_CONFIG_VALUE',
      v.lineOf('version') ?? v.line,
      'totem.version',
      `version ${version} is not supported`,
      {
        expected: '2 (the only version corosync 2 and 3 accept)',
        value: String(version),
      },
    )
  } else if (v.lineOf('version') === undefined && v.line > 0) {
    d.error('ERR_CONFIG_MISSING', v.line, 'totem.version', 'no version', { expected: 'version: 2' })
  }
  const clusterName = v.str('cluster_name')
  const cv = v.raw('config_version')
  let configVersion: string | undefined
  if (cv !== undefined) {
    if (/^\d{1,20}$/.test(cv.value) && BigInt(cv.value) <= 0xffff_ffff_ffff_ffffn)
      configVersion = String(BigInt(cv.value))
    else
      d.error('ERR_CONFIG_VALUE', cv.line, 'totem.config_version', `'${cv.value}' is not a u64`, {
        expected: 'integer 0..18446744073709551615',
        value: cv.value,
      })
  }
  const localNodeId = v.int('nodeid', { min: 1, max: 0xffff_ffff, why: '0 is reserved' })

  const transportLine = v.lineOf('transport')
  // Without a totem section (already an error) nothing more is said about the transport.
  const transport =
    v.oneOf<RequestedTransport>('transport', ['udpu', 'udp', 'knet']) ??
    (v.line > 0 ? 'knet' : 'udpu')
  if (transport === 'knet') {
    d.warn(
      ConfigWarningCode.Knet,
      transportLine ?? v.line,
      'totem.transport',
      `${transportLine === undefined ? 'no transport: corosync 3 would use knet; ' : ''}knet runs as totem-ts's own UDP transport (udpu) with the same nodes, links and crypto settings: this node cannot talk to knet-based corosync nodes`,
    )
  } else if (transport === 'udp') {
    d.warn(
      ConfigWarningCode.Multicast,
      transportLine ?? v.line,
      'totem.transport',
      'udp (multicast) runs as udpu: one unicast datagram per nodelist member; mcastaddr is not used',
    )
  }
  const ipVersion =
    v.oneOf<IpVersion>('ip_version', ['ipv4', 'ipv6', 'ipv4-6', 'ipv6-4']) ??
    (transport === 'udp' ? 'ipv4' : 'ipv6-4')
  const blockUnlistedIps = v.bool('block_unlisted_ips') ?? true
  const clearNodeHighBit = v.bool('clear_node_high_bit') ?? false
  const downcheckMs = v.int('downcheck', MS(30)) ?? 1000

  // Crypto: secauth first (corosync 2), then crypto_cipher/crypto_hash override it.
  let cipher: CryptoCipher = 'none'
  let hash: CryptoHash = 'none'
  let source: CryptoConfig['source'] = 'default'
  const secauth = v.oneOf('secauth', ['on', 'off'])
  if (secauth === 'on') {
    cipher = 'aes256'
    hash = 'sha256'
    source = 'secauth'
  }
  const c = v.oneOf('crypto_cipher', CIPHERS)
  const h = v.oneOf('crypto_hash', HASHES)
  if (c !== undefined) {
    cipher = c
    source = 'crypto_cipher'
  }
  if (h !== undefined) {
    hash = h
    source = 'crypto_cipher'
  }
  if (cipher !== 'none' && hash === 'none') {
    const line = v.lineOf('crypto_hash') ?? v.lineOf('crypto_cipher') ?? v.line
    d.error(
      'ERR_CONFIG_CONFLICT',
      line,
      v.lineOf('crypto_hash') !== undefined ? 'totem.crypto_hash' : 'totem.crypto_cipher',
      `crypto_cipher ${cipher} needs a crypto_hash other than none (corosync refuses it too)`,
      { expected: HASHES.filter((x) => x !== 'none').join(' | ') },
    )
  }
  const keyFile = v.str('keyfile') ?? DEFAULT_KEY_FILE
  const crypto: CryptoConfig = {
    enabled: cipher !== 'none' || hash !== 'none',
    cipher,
    hash,
    source,
    keyFile,
  }

  const interop = v.oneOf<InteropMode>('interop', ['none', 'corosync3']) ?? 'none'
  if (interop === 'corosync3' && crypto.enabled) {
    d.error(
      'ERR_CONFIG_CONFLICT',
      v.lineOf('interop') ?? v.line,
      'totem.interop',
      'interop: corosync3 needs crypto off (corosync 3.1 encrypts with knet only; udpu is plaintext)',
      { expected: 'crypto_cipher: none and crypto_hash: none' },
    )
  }

  const rrp = v.oneOf<RrpMode>('rrp_mode', ['none', 'active', 'passive'])
  const link = v.oneOf('link_mode', ['passive', 'active', 'rr'])
  let rrpMode: TotemPart['rrpMode']
  if (link !== undefined) {
    rrpMode = { key: 'link_mode', value: link }
    if (rrp !== undefined) {
      d.warn(
        ConfigWarningCode.RrpMode,
        v.lineOf('rrp_mode') ?? v.line,
        'totem.rrp_mode',
        'both rrp_mode (corosync 2) and link_mode (corosync 3): link_mode wins',
      )
    }
  } else if (rrp !== undefined) rrpMode = { key: 'rrp_mode', value: rrp }

  const rrpOptions: { -readonly [K in RrpKey]?: number } = {}
  for (const [key, field, range] of RRP_KEYS) {
    const n = v.int(key, range)
    if (n !== undefined) rrpOptions[field] = n
  }

  const multiringOn = v.bool('multiring') ?? false
  if (multiringOn && interop === 'corosync3') {
    d.error(
      'ERR_CONFIG_CONFLICT',
      v.lineOf('multiring') ?? v.line,
      'totem.multiring',
      'multiring: on cannot share a ring with corosync (interop: corosync3): corosync does not speak the multiple-ring protocol',
      { expected: 'multiring: off, or interop: none' },
    )
  }
  const lan = v.int('multiring_lan', { min: 0, max: 0xffff })
  const mrOptions: { -readonly [K in keyof MultiringOptions]?: number } = {}
  for (const [key, field, range] of MULTIRING_KEYS) {
    const n = v.int(key, range)
    if (n !== undefined) mrOptions[field] = n
  }
  if (!multiringOn) {
    for (const key of ['multiring_lan', ...MULTIRING_KEYS.map(([k]) => k)]) {
      const line = v.lineOf(key)
      if (line !== undefined)
        d.warn(
          ConfigWarningCode.Ignored,
          line,
          `totem.${key}`,
          `ignored: ${key} without multiring: on`,
        )
    }
  }

  let srpOk = true
  const srp: { -readonly [K in NumericSrpKey]?: number } = {}
  for (const [key, field, range] of SRP_KEYS) {
    const present = v.lineOf(key) !== undefined
    const n = v.int(key, range)
    if (n !== undefined) srp[field] = n
    else if (present) srpOk = false
  }

  const ports = new Map<number, { port: number | undefined; line: number }>()
  let idx = 0
  for (const sec of v.subsections) {
    if (sec.name !== 'interface') continue
    const iv = new SectionView(d, [sec], `totem.interface.${idx++}`, 'totem.interface', v.keyLines)
    const linkNo = iv.int('linknumber', { min: 0, max: LINKS_MAX - 1 })
    const ringNo = iv.int('ringnumber', { min: 0, max: LINKS_MAX - 1 })
    if (linkNo !== undefined && ringNo !== undefined && linkNo !== ringNo) {
      d.error(
        'ERR_CONFIG_CONFLICT',
        iv.lineOf('ringnumber') ?? sec.line,
        iv.keyPath('ringnumber'),
        `ringnumber ${ringNo} and linknumber ${linkNo} disagree`,
        { expected: 'one of them, or the same number' },
      )
    }
    const n = linkNo ?? ringNo ?? 0
    const port = iv.int('mcastport', { min: 1, max: 65_535 })
    const prev = ports.get(n)
    if (prev !== undefined) {
      d.error(
        'ERR_CONFIG_CONFLICT',
        sec.line,
        iv.path,
        `a second interface block for link ${n} (the first is on line ${prev.line})`,
        { expected: 'one interface block per link number' },
      )
    } else ports.set(n, { port, line: sec.line })
    iv.finish()
  }
  v.finish(['interface'])
  const out: TotemPart = {
    version,
    transport,
    ipVersion,
    blockUnlistedIps,
    clearNodeHighBit,
    downcheckMs,
    crypto,
    interop,
    rrpOptions,
    srp,
    srpOk,
    ports,
    ...(clusterName === undefined ? {} : { clusterName }),
    ...(configVersion === undefined ? {} : { configVersion }),
    ...(localNodeId === undefined ? {} : { localNodeId }),
    ...(rrpMode === undefined ? {} : { rrpMode }),
    ...(multiringOn ? { multiring: { lan: lan ?? 0, options: mrOptions } } : {}),
  }
  return out
}

interface NodesPart {
  readonly nodes: ConfigNode[]
  readonly rings: number
}

function readNodes(
  d: Diagnostics,
  sections: readonly ConfSection[],
  totem: TotemPart,
  keyLines: Record<string, number>,
): NodesPart {
  const nodes: ConfigNode[] = []
  if (sections.length === 0) {
    d.error('ERR_CONFIG_MISSING', 0, 'nodelist', 'no nodelist: udpu needs every node listed', {
      expected: 'nodelist { node { ring0_addr: … nodeid: … } … }',
    })
    return { nodes, rings: 0 }
  }
  const v = new SectionView(d, sections, 'nodelist', 'nodelist', keyLines)
  const nodeSections = v.subsections.filter((s) => s.name === 'node')
  v.finish(['node'])
  if (nodeSections.length === 0) {
    d.error('ERR_CONFIG_MISSING', v.line, 'nodelist.node', 'the nodelist has no node', {
      expected: 'at least one node { } block',
    })
    return { nodes, rings: 0 }
  }
  if (nodeSections.length > NODES_MAX) {
    d.error(
      'ERR_CONFIG_LIMIT',
      nodeSections[NODES_MAX]?.line ?? v.line,
      'nodelist.node',
      `${nodeSections.length} nodes; a ring holds at most ${NODES_MAX}`,
      { expected: `at most ${NODES_MAX} nodes`, value: String(nodeSections.length) },
    )
    return { nodes, rings: 0 }
  }
  const ids = new Map<number, { index: number; line: number }>()
  const names = new Map<string, { index: number; line: number }>()
  const addrs = new Map<string, { path: string; line: number }>()
  let rings = -1
  let ringsFrom = 0
  nodeSections.forEach((sec, index) => {
    const nv = new SectionView(d, [sec], `nodelist.node.${index}`, 'nodelist.node', keyLines)
    const addresses: string[] = []
    let ok = true
    const ringKeys = nv
      .keyNames()
      .map((k) => /^ring(\d+)_addr$/.exec(k))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ key: m[0], n: Number(m[1]) }))
      .sort((a, b) => a.n - b.n)
    for (const { key, n } of ringKeys) {
      const value = nv.str(key)
      if (n >= LINKS_MAX) {
        d.error(
          'ERR_CONFIG_LIMIT',
          nv.lineOf(key) ?? sec.line,
          nv.keyPath(key),
          `link ${n} is beyond the last one`,
          {
            expected: `ring0_addr … ring${LINKS_MAX - 1}_addr`,
          },
        )
        ok = false
        continue
      }
      if (value === undefined) {
        ok = false
        continue
      }
      const line = nv.lineOf(key) ?? sec.line
      const path = nv.keyPath(key)
      const kind = classifyAddress(value)
      if (kind === 'invalid') {
        d.error('ERR_CONFIG_VALUE', line, path, `'${value}' is not an address`, {
          expected: 'an IPv4 or IPv6 address, or a host name',
          value,
        })
        ok = false
      } else if (kind === 'hostname') {
        d.warn(
          ConfigWarningCode.HostName,
          line,
          path,
          `'${value}' is a host name: it is resolved when the node starts, not checked now`,
        )
      } else if (
        (kind === 'ipv6' && totem.ipVersion === 'ipv4') ||
        (kind === 'ipv4' && totem.ipVersion === 'ipv6')
      ) {
        d.error(
          'ERR_CONFIG_CONFLICT',
          line,
          path,
          `${kind} address with ip_version: ${totem.ipVersion}`,
          {
            expected: `an ${totem.ipVersion} address, or ip_version ipv4-6 / ipv6-4`,
            value,
          },
        )
        ok = false
      }
      if (kind !== 'invalid') {
        const canon = canonicalAddress(value)
        const prev = addrs.get(canon)
        if (prev !== undefined) {
          d.error(
            'ERR_CONFIG_CONFLICT',
            line,
            path,
            `address ${value} is also ${prev.path} (line ${prev.line})`,
            {
              expected: 'a different address for every node and link',
              value,
            },
          )
          ok = false
        } else addrs.set(canon, { path, line })
      }
      // Record at index n so a gap shows up as a hole.
      addresses[n] = value
    }
    let count = 0
    for (let n = 0; n < addresses.length; n++) {
      if (addresses[n] !== undefined) {
        count++
        continue
      }
      if (ringKeys.some((r) => r.n === n)) continue // bad value, already reported
      d.error(
        'ERR_CONFIG_MISSING',
        sec.line,
        nv.keyPath(`ring${n}_addr`),
        n === 0
          ? 'node without ring0_addr'
          : `ring${n}_addr missing: ring addresses must be contiguous`,
        { expected: `ring${n}_addr: <address>` },
      )
      ok = false
    }
    if (ringKeys.length === 0) {
      d.error('ERR_CONFIG_MISSING', sec.line, nv.keyPath('ring0_addr'), 'node without ring0_addr', {
        expected: 'ring0_addr: <address>',
      })
      ok = false
    }

    if (ok) {
      if (rings < 0) {
        rings = count
        ringsFrom = index
      } else if (count !== rings) {
        d.error(
          'ERR_CONFIG_CONFLICT',
          sec.line,
          nv.path,
          `${count} ring address${count === 1 ? '' : 'es'}, but nodelist.node.${ringsFrom} has ${rings}`,
          { expected: 'the same number of ringN_addr on every node' },
        )
      }
    }

    const idLine = nv.lineOf('nodeid')
    let id = nv.int('nodeid', { min: 1, max: 0xffff_ffff, why: '0 is reserved' })
    let generated = false
    if (id === undefined && idLine === undefined) {
      const ring0 = addresses[0]
      if (totem.transport === 'knet') {
        d.error(
          'ERR_CONFIG_MISSING',
          sec.line,
          nv.keyPath('nodeid'),
          'knet needs a nodeid for every node',
          {
            expected: 'nodeid: <1..4294967295>',
          },
        )
      } else if (ring0 !== undefined && classifyAddress(ring0) === 'ipv4') {
        id = nodeIdFromIPv4(ring0, totem.clearNodeHighBit)
        generated = true
        if (id === 0) {
          d.error(
            'ERR_CONFIG_VALUE',
            nv.lineOf('ring0_addr') ?? sec.line,
            nv.keyPath('ring0_addr'),
            'the node id generated from this address is 0',
            {
              expected: 'an explicit nodeid',
              value: ring0,
            },
          )
          id = undefined
        }
      } else if (ring0 !== undefined) {
        d.error(
          'ERR_CONFIG_MISSING',
          sec.line,
          nv.keyPath('nodeid'),
          'no nodeid, and ring0_addr is not an IPv4 address to derive one from',
          { expected: 'nodeid: <1..4294967295>' },
        )
      }
    }
    if (id !== undefined) {
      const prev = ids.get(id)
      if (prev !== undefined) {
        d.error(
          'ERR_CONFIG_CONFLICT',
          idLine ?? sec.line,
          nv.keyPath('nodeid'),
          `nodeid ${id}${generated ? ` (generated from ${addresses[0]})` : ''} is also nodelist.node.${prev.index}'s (line ${prev.line})`,
          { expected: 'a different nodeid for every node', value: String(id) },
        )
      } else ids.set(id, { index, line: idLine ?? sec.line })
    }
    const name = nv.str('name')
    if (name !== undefined) {
      const prev = names.get(name)
      if (prev !== undefined) {
        d.error(
          'ERR_CONFIG_CONFLICT',
          nv.lineOf('name') ?? sec.line,
          nv.keyPath('name'),
          `name ${name} is also nodelist.node.${prev.index}'s (line ${prev.line})`,
          { expected: 'a different name for every node', value: name },
        )
      } else names.set(name, { index, line: nv.lineOf('name') ?? sec.line })
    }
    nv.finish()
    if (ok && id !== undefined) {
      nodes.push({
        nodeId: nodeId(id),
        nodeIdGenerated: generated,
        addresses: addresses.filter((a): a is string => a !== undefined),
        line: sec.line,
        ...(name === undefined ? {} : { name }),
      })
    }
  })
  return { nodes, rings: Math.max(rings, 0) }
}

function readLogging(
  d: Diagnostics,
  sections: readonly ConfSection[],
  keyLines: Record<string, number>,
): LoggingConfig {
  const v = new SectionView(d, sections, 'logging', 'logging', keyLines)
  const toLogfile = v.bool('to_logfile') ?? false
  const logfile = v.str('logfile')
  if (toLogfile && logfile === undefined && v.lineOf('logfile') === undefined) {
    d.error(
      'ERR_CONFIG_MISSING',
      v.lineOf('to_logfile') ?? v.line,
      'logging.logfile',
      'to_logfile: yes without a logfile',
      {
        expected: 'logfile: /path/to/file',
      },
    )
  }
  const out: LoggingConfig = {
    toLogfile,
    toSyslog: v.bool('to_syslog') ?? true,
    toStderr: v.bool('to_stderr') ?? false,
    debug: v.oneOf('debug', DEBUG_LEVELS) ?? 'off',
    timestamp: v.oneOf('timestamp', ['off', 'on', 'hires']) ?? 'hires',
    subsystems: v.subsections
      .filter((s) => s.name === 'logger_subsys')
      .flatMap((sec, i) => {
        const sv = new SectionView(
          d,
          [sec],
          `logging.logger_subsys.${i}`,
          'logging.logger_subsys',
          keyLines,
        )
        const subsys = sv.str('subsys')
        const debug = sv.oneOf('debug', DEBUG_LEVELS) ?? 'off'
        if (subsys === undefined && sv.lineOf('subsys') === undefined) {
          d.error(
            'ERR_CONFIG_MISSING',
            sec.line,
            sv.keyPath('subsys'),
            'logger_subsys without subsys',
            {
              expected: 'subsys: TOTEM (or another subsystem name)',
            },
          )
        }
        sv.finish()
        return subsys === undefined ? [] : [{ subsys, debug }]
      }),
    ...(logfile === undefined ? {} : { logfile }),
  }
  v.finish(['logger_subsys'])
  return out
}

function readSystem(
  d: Diagnostics,
  sections: readonly ConfSection[],
  options: ConfigOptions,
  keyLines: Record<string, number>,
): string {
  const v = new SectionView(d, sections, 'system', 'system', keyLines)
  const dir = v.str('state_dir')
  if (dir !== undefined && !dir.startsWith('/')) {
    d.error(
      'ERR_CONFIG_VALUE',
      v.lineOf('state_dir') ?? v.line,
      'system.state_dir',
      `'${dir}' is not an absolute path`,
      {
        expected: 'an absolute path',
        value: dir,
      },
    )
  }
  v.finish()
  return dir ?? options.defaultStateDir ?? DEFAULT_STATE_DIR
}

/** Effective token timeout for `n` nodes, as corosync computes it. */
function effectiveToken(srp: SrpOptions, n: number): number {
  const base = srp.tokenTimeoutMs ?? 3000
  return n > 2 ? base + (n - 2) * (srp.tokenCoefficientMs ?? 650) : base
}

/** Cross-field rules on the srp tunables, reported at the key the file sets. */
function checkSrpRules(d: Diagnostics, totem: SectionView, srp: SrpOptions, n: number): boolean {
  const token = effectiveToken(srp, n)
  const tokenText =
    n > 2
      ? `${token} ms = token ${srp.tokenTimeoutMs ?? 3000} + ${n - 2} × token_coefficient ${srp.tokenCoefficientMs ?? 650}`
      : `${token} ms`
  const before = d.errors.length
  const at = (keys: readonly string[]): { line: number; path: string } => {
    for (const k of keys) {
      const line = totem.lineOf(k)
      if (line !== undefined) return { line, path: `totem.${k}` }
    }
    return { line: totem.line, path: 'totem' }
  }
  const conflict = (keys: readonly string[], reason: string, expected: string): void => {
    const { line, path } = at(keys)
    d.error('ERR_CONFIG_CONFLICT', line, path, reason, { expected })
  }
  const consensus = srp.consensusTimeoutMs ?? Math.trunc(1.2 * token)
  if (srp.consensusTimeoutMs !== undefined && consensus <= token) {
    conflict(
      ['consensus'],
      `consensus ${consensus} ms is not longer than the token timeout (${tokenText})`,
      `more than ${token} (corosync's default is 1.2 × token = ${Math.trunc(1.2 * token)})`,
    )
  }
  const join = srp.joinTimeoutMs ?? 50
  if (join >= consensus) {
    conflict(
      ['join', 'consensus'],
      `join ${join} ms is not shorter than consensus ${consensus} ms`,
      `join < consensus`,
    )
  }
  const retransmits = srp.tokenRetransmitsBeforeLoss ?? 4
  const derivedRetransmit = Math.trunc(token / (retransmits + 0.2))
  if (srp.tokenRetransmitTimeoutMs === undefined && derivedRetransmit < 30) {
    conflict(
      ['token_retransmits_before_loss_const', 'token'],
      `token / (token_retransmits_before_loss_const + 0.2) = ${derivedRetransmit} ms is below corosync's 30 ms minimum retransmit timeout`,
      'a longer token, fewer retransmits, or an explicit token_retransmit',
    )
  }
  if (srp.tokenRetransmitTimeoutMs !== undefined && srp.tokenRetransmitTimeoutMs > token) {
    conflict(
      ['token_retransmit'],
      `token_retransmit ${srp.tokenRetransmitTimeoutMs} ms is longer than the token timeout (${tokenText})`,
      `at most ${token}`,
    )
  }
  if (srp.holdTimeoutMs !== undefined && srp.holdTimeoutMs > token) {
    conflict(
      ['hold'],
      `hold ${srp.holdTimeoutMs} ms is longer than the token timeout (${tokenText})`,
      `at most ${token}`,
    )
  }
  const windowSize = srp.windowSize ?? 50
  const maxMessages = srp.maxMessages ?? 17
  if (maxMessages > windowSize) {
    conflict(
      ['max_messages', 'window_size'],
      `max_messages ${maxMessages} exceeds window_size ${windowSize}`,
      `max_messages ≤ window_size`,
    )
  }
  return d.errors.length === before
}

/** Runs srp's own resolver; an error it raises becomes a ConfigError at the key to blame. */
function resolveSrp(
  d: Diagnostics,
  totem: SectionView,
  srp: SrpOptions,
  n: number,
): Readonly<SrpConfig> | undefined {
  try {
    return resolveSrpOptions(srp, n)
  } catch (e) {
    if (!isTotemError(e) || e.code !== 'ERR_INVALID_ARGUMENT') throw e
    const option = typeof e.details['option'] === 'string' ? e.details['option'] : undefined
    const blamed = option !== undefined ? [option] : Object.keys(e.details)
    const keys = blamed.flatMap((o) => SRP_BLAME[o] ?? [])
    let line = totem.line
    let path = 'totem'
    for (const k of keys) {
      const l = totem.lineOf(k)
      if (l !== undefined) {
        line = l
        path = `totem.${k}`
        break
      }
    }
    d.error('ERR_CONFIG_VALUE', line, path, `rejected by the srp layer: ${e.message}`, {
      expected: 'values @totem-ts/srp accepts (see its SrpOptions)',
    })
    return undefined
  }
}

type RrpKey =
  | 'problemCountThreshold'
  | 'problemCountMcastThreshold'
  | 'problemCountTimeoutMs'
  | 'tokenExpiredTimeoutMs'
  | 'autorecoveryCheckTimeoutMs'

/** corosync 2's `rrp_*` keys → `@totem-ts/rrp` options, with corosync's ranges. */
const RRP_KEYS: readonly (readonly [string, RrpKey, IntRange])[] = [
  ['rrp_problem_count_threshold', 'problemCountThreshold', { min: 2, max: 1000 }],
  ['rrp_problem_count_mcast_threshold', 'problemCountMcastThreshold', { min: 2, max: 100_000 }],
  ['rrp_problem_count_timeout', 'problemCountTimeoutMs', { min: 30, max: 3_600_000 }],
  ['rrp_token_expired_timeout', 'tokenExpiredTimeoutMs', { min: 30, max: 3_600_000 }],
  ['rrp_autorecovery_check_timeout', 'autorecoveryCheckTimeoutMs', { min: 30, max: 3_600_000 }],
]

/** `totem.multiring_*` tunables → `@totem-ts/multiring` options, with their ranges. */
const MULTIRING_KEYS: readonly (readonly [string, 'gvIntervalMs' | 'gvIdleMs', IntRange])[] = [
  ['multiring_gv_interval', 'gvIntervalMs', { min: 1, max: 60_000 }],
  ['multiring_gv_idle', 'gvIdleMs', { min: 1, max: 600_000 }],
]

/** Checks the multiring tunables with the multiring layer; a rejection blames the key. */
function resolveMultiring(
  d: Diagnostics,
  totem: SectionView,
  part: NonNullable<TotemPart['multiring']>,
): MultiringSectionConfig | undefined {
  try {
    const resolved = resolveMultiringOptions(part.options)
    return Object.freeze({ lan: part.lan, options: Object.freeze({ ...part.options }), resolved })
  } catch (e) {
    if (!isTotemError(e) || e.code !== 'ERR_INVALID_ARGUMENT') throw e
    const option = String(e.details['option'])
    const key = MULTIRING_KEYS.find(([, f]) => f === option)?.[0]
    const line = (key === undefined ? undefined : totem.lineOf(key)) ?? totem.line
    d.error(
      'ERR_CONFIG_CONFLICT',
      line,
      key === undefined ? 'totem.multiring' : `totem.${key}`,
      `rejected by the multiring layer: ${e.message}`,
      { expected: 'multiring_gv_idle ≥ multiring_gv_interval' },
    )
    return undefined
  }
}

/** Checks the rrp tunables with the rrp layer itself; a rejection blames the key that set them. */
function resolveRrp(
  d: Diagnostics,
  totem: SectionView,
  rrp: RrpConfig,
  srp: Readonly<SrpConfig>,
): RrpConfig {
  if (rrp.mode === 'none') return rrp
  try {
    const resolved = resolveRrpOptions({
      ...rrp.options,
      mode: rrp.mode,
      tokenRetransmitTimeoutMs: srp.tokenRetransmitTimeoutMs,
    })
    return { ...rrp, resolved }
  } catch (e) {
    if (!isTotemError(e) || e.code !== 'ERR_RRP_BAD_OPTION') throw e
    const option = String(e.details['option'])
    const key = RRP_KEYS.find(([, f]) => f === option)?.[0]
    const line = (key === undefined ? undefined : totem.lineOf(key)) ?? totem.line
    d.error(
      'ERR_CONFIG_VALUE',
      line,
      key === undefined ? 'totem' : `totem.${key}`,
      `rejected by the rrp layer: ${e.message}`,
      {
        expected: 'values @totem-ts/rrp accepts (see its RrpOptions)',
      },
    )
    return rrp
  }
}

function rrpFrom(d: Diagnostics, totem: TotemPart, rings: number, totemLine: number): RrpConfig {
  const req = totem.rrpMode
  const options = Object.freeze({ ...totem.rrpOptions })
  if (rings <= 1) {
    return {
      options,
      mode: 'none',
      rings: Math.max(rings, 1),
      source: req?.key ?? 'default',
      requested: req?.value ?? 'none',
    }
  }
  if (req === undefined)
    return { options, mode: 'passive', rings, source: 'default', requested: 'passive' }
  let mode: RrpMode = req.value === 'active' ? 'active' : 'passive'
  if (req.value === 'none') {
    d.warn(
      ConfigWarningCode.RrpMode,
      totemLine,
      `totem.${req.key}`,
      `rrp_mode none with ${rings} rings: running passive`,
    )
  } else if (req.value === 'rr') {
    d.warn(
      ConfigWarningCode.RrpMode,
      totemLine,
      `totem.${req.key}`,
      `link_mode rr runs as passive redundant ring (round robin over healthy rings)`,
    )
    mode = 'passive'
  }
  return { options, mode, rings, source: req.key, requested: req.value }
}

function check(
  input: string | Uint8Array,
  file: string,
  options: ConfigOptions,
): { diag: Diagnostics; config?: TotemNodeConfig } {
  const diag = new Diagnostics(file)
  const doc = parseInto(input, diag)
  if (diag.failed) {
    diag.sort()
    return { diag }
  }
  const root = doc.root
  if (root.children.length === 0) {
    diag.error('ERR_CONFIG_EMPTY', 0, '', 'no configuration: the file is empty or only comments', {
      expected: 'totem { … } and nodelist { … }',
    })
    return { diag }
  }
  const keyLines: Record<string, number> = {}
  const groups = new Map<string, ConfSection[]>()
  for (const c of root.children) {
    if (c.kind === 'key') {
      const info = lookupKey('', c.key)
      diag.warn(
        ConfigWarningCode.UnknownKey,
        c.line,
        c.key,
        info === undefined
          ? `unknown top-level key '${c.key}': ignored`
          : `ignored: ${info.mapsTo}`,
      )
      continue
    }
    const list = groups.get(c.name) ?? []
    list.push(c)
    groups.set(c.name, list)
  }
  for (const [name, list] of groups) {
    if ((SINGLETONS as readonly string[]).includes(name)) {
      for (const extra of list.slice(1)) {
        diag.warn(
          ConfigWarningCode.RepeatedSection,
          extra.line,
          name,
          `a second '${name}' section: its keys are merged into the first, as in corosync`,
        )
      }
      continue
    }
    const info = lookupKey('', name)
    for (const sec of list) {
      if (info?.status === 'ignored')
        diag.warn(ConfigWarningCode.Ignored, sec.line, name, `ignored: ${info.mapsTo}`)
      else
        diag.warn(
          ConfigWarningCode.UnknownSection,
          sec.line,
          name,
          `unknown section '${name}' (a typo?): ignored with everything in it`,
        )
    }
  }

  const totemSecs = groups.get('totem') ?? []
  if (totemSecs.length === 0) {
    diag.error('ERR_CONFIG_MISSING', 0, 'totem', 'no totem section', {
      expected: 'totem { version: 2 … }',
    })
  }
  const tv = new SectionView(diag, totemSecs, 'totem', 'totem', keyLines)
  const totem = readTotem(tv)
  const { nodes, rings } = readNodes(diag, groups.get('nodelist') ?? [], totem, keyLines)
  const logging = readLogging(diag, groups.get('logging') ?? [], keyLines)
  const stateDir = readSystem(diag, groups.get('system') ?? [], options, keyLines)

  if (
    totem.localNodeId !== undefined &&
    nodes.length > 0 &&
    !nodes.some((nd) => nd.nodeId === totem.localNodeId)
  ) {
    diag.error(
      'ERR_CONFIG_UNKNOWN_NODE',
      tv.lineOf('nodeid') ?? tv.line,
      'totem.nodeid',
      `nodeid ${totem.localNodeId} is not in the nodelist`,
      {
        expected: `one of ${nodes.map((nd) => nd.nodeId).join(', ')}`,
        value: String(totem.localNodeId),
      },
    )
  }
  for (const [link, { line }] of totem.ports) {
    if (rings > 0 && link >= rings) {
      diag.warn(
        ConfigWarningCode.Ignored,
        line,
        'totem.interface',
        `ignored: interface for link ${link}, but the nodes have ${rings} ring address${rings === 1 ? '' : 'es'}`,
      )
    }
  }
  let rrp = rrpFrom(diag, totem, rings, tv.lineOf(totem.rrpMode?.key ?? '') ?? tv.line)
  if (totem.interop === 'corosync3' && rings > 1) {
    diag.error(
      'ERR_CONFIG_CONFLICT',
      tv.lineOf('interop') ?? tv.line,
      'totem.interop',
      `interop: corosync3 needs one ring (corosync's udpu has one link), the nodes have ${rings}`,
      { expected: 'only ring0_addr in the nodelist' },
    )
  }

  let srpResolved: Readonly<SrpConfig> | undefined
  if (totem.srpOk && nodes.length > 0 && checkSrpRules(diag, tv, totem.srp, nodes.length)) {
    srpResolved = resolveSrp(diag, tv, totem.srp, nodes.length)
    if (srpResolved !== undefined) rrp = resolveRrp(diag, tv, rrp, srpResolved)
  }
  const multiring =
    totem.multiring === undefined ? undefined : resolveMultiring(diag, tv, totem.multiring)
  diag.sort()
  if (diag.failed || srpResolved === undefined) return { diag }

  const ports: number[] = []
  for (let n = 0; n < rings; n++) ports.push(totem.ports.get(n)?.port ?? DEFAULT_PORT + n)
  const transport: TransportConfig = {
    kind: 'udpu',
    requested: totem.transport,
    ports,
    ipVersion: totem.ipVersion,
    blockUnlistedIps: totem.blockUnlistedIps,
    downcheckMs: totem.downcheckMs,
    clearNodeHighBit: totem.clearNodeHighBit,
  }
  const config: TotemNodeConfig = {
    file,
    srp: Object.freeze({ ...totem.srp }),
    srpResolved,
    nodes: Object.freeze(nodes),
    transport: Object.freeze(transport),
    crypto: Object.freeze(totem.crypto),
    rrp: Object.freeze(rrp),
    interop: totem.interop,
    logging: Object.freeze(logging),
    stateDir,
    keyLines: Object.freeze(keyLines),
    ...(totem.clusterName === undefined ? {} : { clusterName: totem.clusterName }),
    ...(totem.configVersion === undefined ? {} : { configVersion: totem.configVersion }),
    ...(totem.localNodeId === undefined ? {} : { localNodeId: totem.localNodeId as NodeId }),
    ...(multiring === undefined ? {} : { multiring }),
  }
  return { diag, config: Object.freeze(config) }
}

/**
 * Validates a corosync.conf without throwing: every error and warning, and the config when there
 * is no error. This is what `totemd --check` runs. It never resolves names and never looks at
 * local interfaces.
 *
 * @example
 * ```ts
 * const r = checkConfig(text, '/etc/corosync/corosync.conf')
 * if (r.config) console.log(formatEffectiveConfig(r.config))
 * else console.error(formatConfigErrors(r.errors, r.omitted))
 * ```
 */
export function checkConfig(
  input: string | Uint8Array,
  file = '<string>',
  options: ConfigOptions = {},
): ConfigCheck {
  const { diag, config } = check(input, file, options)
  const base = { errors: diag.errors, warnings: diag.warnings, omitted: diag.omitted }
  return config === undefined ? base : { ...base, config }
}

/**
 * Parses and validates corosync.conf text into a {@link TotemNodeConfig}. Throws
 * {@link ConfigErrors} holding every error found (and the warnings); nothing else.
 *
 * @example
 * ```ts
 * const { config, warnings } = loadConfig(text, 'corosync.conf')
 * const srp = resolveSrpOptions(config.srp, config.nodes.length) // === config.srpResolved
 * ```
 */
export function loadConfig(
  input: string | Uint8Array,
  file = '<string>',
  options: ConfigOptions = {},
): LoadedConfig {
  const { diag, config } = check(input, file, options)
  if (config === undefined) throw new ConfigErrors(file, diag.errors, diag.warnings, diag.omitted)
  return { config, warnings: diag.warnings }
}

/**
 * Reads and loads a corosync.conf file. A file that cannot be read is `ERR_CONFIG_IO`; one larger
 * than {@link CONFIG_BYTES_MAX} is `ERR_CONFIG_LIMIT`; both arrive inside {@link ConfigErrors}.
 */
export async function readConfigFile(
  path: string,
  options: ConfigOptions = {},
): Promise<LoadedConfig> {
  const diag = new Diagnostics(path)
  let bytes: Uint8Array | undefined
  try {
    const st = await stat(path)
    if (st.isDirectory()) {
      diag.error('ERR_CONFIG_IO', 0, '', 'is a directory', { expected: 'a corosync.conf file' })
    } else if (st.size > CONFIG_BYTES_MAX) {
      diag.error('ERR_CONFIG_LIMIT', 0, '', `file larger than ${CONFIG_BYTES_MAX} bytes`, {
        expected: `at most ${CONFIG_BYTES_MAX} bytes`,
        value: String(st.size),
      })
    } else bytes = await readFile(path)
  } catch (e) {
    const code = (e as { code?: unknown }).code
    const why = typeof code === 'string' ? code : 'read failed'
    diag.error('ERR_CONFIG_IO', 0, '', `cannot read the file (${why})`, {
      expected: 'a readable file',
    })
  }
  if (bytes === undefined) throw new ConfigErrors(path, diag.errors, diag.warnings, diag.omitted)
  return loadConfig(bytes, path, options)
}
