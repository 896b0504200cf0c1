import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isTotemError, NODES_MAX } from '@totem-ts/common'
import { resolveSrpOptions } from '@totem-ts/srp'
import { describe, expect, it } from 'vitest'
import {
  CONFIG_BYTES_MAX,
  CONFIG_ERRORS_MAX,
  ConfigErrors,
  checkConfig,
  classifyAddress,
  loadConfig,
  nodeIdFromIPv4,
  readConfigFile,
} from '../src/index.ts'

/** A config of `n` udpu nodes 10.0.0.1… with nodeids 1…, plus extra totem lines. */
function conf(n: number, totem = '', extra = ''): string {
  const nodes = Array.from(
    { length: n },
    (_, i) => `\tnode {\n\t\tring0_addr: 10.${i >> 8}.${i & 255}.1\n\t\tnodeid: ${i + 1}\n\t}\n`,
  ).join('')
  return `totem {\n\tversion: 2\n\ttransport: udpu\n${totem}}\nnodelist {\n${nodes}}\n${extra}`
}

/** Errors of a config as [code, line, path]; [] when it loads. */
function errs(text: string): [string, number, string][] {
  return checkConfig(text, 't.conf').errors.map((e) => [
    e.code,
    e.details['line'] as number,
    e.details['path'] as string,
  ])
}

function warns(text: string): [string, number, string][] {
  return checkConfig(text, 't.conf').warnings.map((w) => [w.code, w.line, w.path])
}

describe('defaults (corosync 3.1.7, reference §3.8)', () => {
  it.each([
    [
      2,
      {
        tokenTimeoutMs: 3000,
        tokenRetransmitTimeoutMs: 714,
        holdTimeoutMs: 561,
        consensusTimeoutMs: 3600,
      },
    ],
    [
      3,
      {
        tokenTimeoutMs: 3650,
        tokenRetransmitTimeoutMs: 869,
        holdTimeoutMs: 685,
        consensusTimeoutMs: 4380,
      },
    ],
  ])('%i nodes', (n, expected) => {
    const { config } = loadConfig(conf(n))
    expect(config.srp).toEqual({})
    expect(config.srpResolved).toMatchObject(expected)
    expect(config.srpResolved).toEqual(resolveSrpOptions({}, n))
    expect(config.srpResolved).toMatchObject({
      joinTimeoutMs: 50,
      mergeTimeoutMs: 200,
      failToRecvConst: 2500,
      seqnoUnchangedConst: 30,
      missCountConst: 5,
      windowSize: 50,
      maxMessages: 17,
      netmtu: 1500,
    })
    expect(config.transport.downcheckMs).toBe(1000)
    expect(config.transport.blockUnlistedIps).toBe(true)
    expect(config.stateDir).toBe('/var/lib/corosync')
    expect(config.crypto).toEqual({
      enabled: false,
      cipher: 'none',
      hash: 'none',
      source: 'default',
      keyFile: '/etc/corosync/authkey',
    })
    expect(config.logging).toEqual({
      toLogfile: false,
      toSyslog: true,
      toStderr: false,
      debug: 'off',
      timestamp: 'hires',
      subsystems: [],
    })
  })

  it('applies the coefficient to an explicit token too (corosync 3 totemconfig.c)', () => {
    const { config } = loadConfig(conf(5, '\ttoken: 1000\n\ttoken_coefficient: 100\n'))
    expect(config.srp).toEqual({ tokenTimeoutMs: 1000, tokenCoefficientMs: 100 })
    expect(config.srpResolved.tokenTimeoutMs).toBe(1300)
    expect(config.srpResolved.consensusTimeoutMs).toBe(1560)
    const zero = loadConfig(conf(5, '\ttoken: 1000\n\ttoken_coefficient: 0\n')).config
    expect(zero.srpResolved.tokenTimeoutMs).toBe(1000)
  })

  it('maps every srp key onto SrpOptions', () => {
    const { config } = loadConfig(
      conf(
        2,
        '\ttoken: 2000\n\ttoken_coefficient: 300\n\ttoken_retransmits_before_loss_const: 5\n' +
          '\ttoken_retransmit: 400\n\thold: 300\n\tjoin: 70\n\tconsensus: 2500\n\tmerge: 250\n' +
          '\tfail_recv_const: 100\n\tseqno_unchanged_const: 40\n\tmiss_count_const: 6\n' +
          '\twindow_size: 60\n\tmax_messages: 20\n\tnetmtu: 9000\n\tdowncheck: 500\n',
      ),
    )
    expect(config.srp).toEqual({
      tokenTimeoutMs: 2000,
      tokenCoefficientMs: 300,
      tokenRetransmitsBeforeLoss: 5,
      tokenRetransmitTimeoutMs: 400,
      holdTimeoutMs: 300,
      joinTimeoutMs: 70,
      consensusTimeoutMs: 2500,
      mergeTimeoutMs: 250,
      failToRecvConst: 100,
      seqnoUnchangedConst: 40,
      missCountConst: 6,
      windowSize: 60,
      maxMessages: 20,
      netmtu: 9000,
    })
    expect(config.srpResolved).toEqual(resolveSrpOptions(config.srp, 2))
    expect(config.transport.downcheckMs).toBe(500)
    expect(config.keyLines['totem.token']).toBe(4)
    expect(config.keyLines['totem.downcheck']).toBe(18)
  })
})

describe('range and cross-field checks', () => {
  it.each([
    ['token: 0', 'totem.token'],
    ['token: 29', 'totem.token'],
    ['token: -5', 'totem.token'],
    ['token: 3000ms', 'totem.token'],
    ['token: 3000 # three seconds', 'totem.token'],
    ['token: 99999999999999999999', 'totem.token'],
    ['hold: 13', 'totem.hold'],
    ['join: 60001', 'totem.join'],
    ['window_size: 0', 'totem.window_size'],
    ['netmtu: 100', 'totem.netmtu'],
    ['transport: iba', 'totem.transport'],
    ['crypto_cipher: blowfish', 'totem.crypto_cipher'],
    ['crypto_hash: crc32', 'totem.crypto_hash'],
    ['secauth: maybe', 'totem.secauth'],
    ['rrp_mode: both', 'totem.rrp_mode'],
    ['link_mode: none', 'totem.link_mode'],
    ['ip_version: ipv5', 'totem.ip_version'],
    ['block_unlisted_ips: sometimes', 'totem.block_unlisted_ips'],
    ['config_version: -1', 'totem.config_version'],
    ['cluster_name:', 'totem.cluster_name'],
  ])('%s → ERR_CONFIG_VALUE at %s', (line, path) => {
    expect(errs(conf(2, `\t${line}\n`))).toEqual([['ERR_CONFIG_VALUE', 4, path]])
  })

  it('rejects a version other than 2 and a missing version', () => {
    expect(errs(conf(2, '\tversion: 1\n'))).toEqual([['ERR_CONFIG_VALUE', 4, 'totem.version']])
    const text =
      'totem {\n\ttransport: udpu\n}\nnodelist {\n\tnode {\n\t\tring0_addr: 10.0.0.1\n\t\tnodeid: 1\n\t}\n}\n'
    expect(errs(text)).toEqual([['ERR_CONFIG_MISSING', 1, 'totem.version']])
  })

  it('consensus must exceed the effective token timeout', () => {
    expect(errs(conf(2, '\tconsensus: 3000\n'))).toEqual([
      ['ERR_CONFIG_CONFLICT', 4, 'totem.consensus'],
    ])
    // 3650 ms with three nodes: 3600 would do for two but not for three.
    expect(errs(conf(2, '\tconsensus: 3600\n'))).toEqual([])
    expect(errs(conf(3, '\tconsensus: 3600\n'))).toEqual([
      ['ERR_CONFIG_CONFLICT', 4, 'totem.consensus'],
    ])
  })

  it('join must be shorter than consensus, max_messages at most window_size, retransmit and hold at most token', () => {
    expect(errs(conf(2, '\tjoin: 4000\n'))).toEqual([['ERR_CONFIG_CONFLICT', 4, 'totem.join']])
    expect(errs(conf(2, '\twindow_size: 10\n'))).toEqual([
      ['ERR_CONFIG_CONFLICT', 4, 'totem.window_size'],
    ])
    expect(errs(conf(2, '\tmax_messages: 60\n'))).toEqual([
      ['ERR_CONFIG_CONFLICT', 4, 'totem.max_messages'],
    ])
    expect(errs(conf(2, '\ttoken_retransmit: 3001\n'))).toEqual([
      ['ERR_CONFIG_CONFLICT', 4, 'totem.token_retransmit'],
    ])
    expect(errs(conf(2, '\thold: 3001\n'))).toEqual([['ERR_CONFIG_CONFLICT', 4, 'totem.hold']])
  })

  it('needs a derived retransmit timeout of at least 30 ms, as corosync', () => {
    expect(
      errs(conf(2, '\ttoken: 30\n\tconsensus: 100\n\ttoken_retransmits_before_loss_const: 1000\n')),
    ).toEqual([['ERR_CONFIG_CONFLICT', 6, 'totem.token_retransmits_before_loss_const']])
    expect(errs(conf(2, '\ttoken: 30\n\tconsensus: 100\n'))).toEqual([
      ['ERR_CONFIG_CONFLICT', 4, 'totem.token'],
    ])
    expect(errs(conf(2, '\ttoken: 30\n\tconsensus: 100\n\ttoken_retransmit: 30\n'))).toEqual([])
  })

  it("surfaces srp's own ERR_INVALID_ARGUMENT at the key to blame", () => {
    // 3 nodes: token 3 600 000 + 650 → default consensus 1.2 × that is beyond srp's 3 600 000.
    const r = checkConfig(conf(3, '\ttoken: 3600000\n'), 't.conf')
    expect(r.errors.map((e) => [e.code, e.details['line'], e.details['path']])).toEqual([
      ['ERR_CONFIG_VALUE', 4, 'totem.token'],
    ])
    expect(() => resolveSrpOptions({ tokenTimeoutMs: 3_600_000 }, 3)).toThrow()
  })

  it('collects errors from every section at once', () => {
    const text = conf(
      2,
      '\ttoken: x\n\tjoin: 0\n',
      'logging {\n\tto_stderr: perhaps\n}\nsystem {\n\tstate_dir: relative/dir\n}\n',
    )
    expect(errs(text)).toEqual([
      ['ERR_CONFIG_VALUE', 4, 'totem.token'],
      ['ERR_CONFIG_VALUE', 5, 'totem.join'],
      ['ERR_CONFIG_VALUE', 18, 'logging.to_stderr'],
      ['ERR_CONFIG_VALUE', 21, 'system.state_dir'],
    ])
  })

  it('caps the number of errors kept and counts the rest', () => {
    const lines = Array.from({ length: CONFIG_ERRORS_MAX + 20 }, () => 'junk').join('\n')
    const r = checkConfig(lines, 't.conf')
    expect(r.errors).toHaveLength(CONFIG_ERRORS_MAX)
    expect(r.omitted).toBe(20)
    try {
      loadConfig(lines, 't.conf')
      expect.unreachable()
    } catch (e) {
      expect((e as ConfigErrors).details['count']).toBe(CONFIG_ERRORS_MAX + 20)
    }
  })
})

describe('nodelist rules', () => {
  const nodes = (...bodies: string[]): string =>
    `totem {\n\tversion: 2\n\ttransport: udpu\n}\nnodelist {\n${bodies.map((b) => `\tnode {\n${b}\t}\n`).join('')}}\n`

  it('requires a nodelist with nodes, and ring0_addr on every node', () => {
    expect(errs('totem {\n\tversion: 2\n}\n')).toEqual([['ERR_CONFIG_MISSING', 0, 'nodelist']])
    expect(errs('totem {\n\tversion: 2\n}\nnodelist {\n}\n')).toEqual([
      ['ERR_CONFIG_MISSING', 4, 'nodelist.node'],
    ])
    expect(errs(nodes('\t\tnodeid: 1\n'))).toEqual([
      ['ERR_CONFIG_MISSING', 6, 'nodelist.node.0.ring0_addr'],
    ])
    expect(errs(nodes('\t\tring1_addr: 10.0.0.1\n\t\tnodeid: 1\n'))).toEqual([
      ['ERR_CONFIG_MISSING', 6, 'nodelist.node.0.ring0_addr'],
    ])
    expect(errs('nodelist {\n\tnode {\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n')).toEqual([
      ['ERR_CONFIG_MISSING', 0, 'totem'],
    ])
  })

  it('requires the same number of contiguous ring addresses on every node', () => {
    expect(
      errs(
        nodes(
          '\t\tring0_addr: 10.0.0.1\n\t\tring1_addr: 10.1.0.1\n\t\tnodeid: 1\n',
          '\t\tring0_addr: 10.0.0.2\n\t\tnodeid: 2\n',
        ),
      ),
    ).toEqual([['ERR_CONFIG_CONFLICT', 11, 'nodelist.node.1']])
    expect(
      errs(nodes('\t\tring0_addr: 10.0.0.1\n\t\tring2_addr: 10.1.0.1\n\t\tnodeid: 1\n')),
    ).toEqual([['ERR_CONFIG_MISSING', 6, 'nodelist.node.0.ring1_addr']])
    expect(
      errs(nodes('\t\tring0_addr: 10.0.0.1\n\t\tring8_addr: 10.1.0.1\n\t\tnodeid: 1\n')),
    ).toEqual([['ERR_CONFIG_LIMIT', 8, 'nodelist.node.0.ring8_addr']])
  })

  it('requires unique nodeids, names and addresses, and nodeid ≠ 0', () => {
    expect(errs(nodes('\t\tring0_addr: 10.0.0.1\n\t\tnodeid: 0\n'))).toEqual([
      ['ERR_CONFIG_VALUE', 8, 'nodelist.node.0.nodeid'],
    ])
    expect(
      errs(
        nodes(
          '\t\tring0_addr: 10.0.0.1\n\t\tnodeid: 1\n\t\tname: a\n',
          '\t\tring0_addr: 10.0.0.2\n\t\tnodeid: 2\n\t\tname: a\n',
        ),
      ),
    ).toEqual([['ERR_CONFIG_CONFLICT', 14, 'nodelist.node.1.name']])
    expect(
      errs(
        nodes(
          '\t\tring0_addr: fe80::1\n\t\tnodeid: 1\n',
          '\t\tring0_addr: FE80:0:0::1\n\t\tnodeid: 2\n',
        ),
      ),
    ).toEqual([['ERR_CONFIG_CONFLICT', 11, 'nodelist.node.1.ring0_addr']])
    // A generated nodeid that clashes with an explicit one.
    expect(
      errs(nodes('\t\tring0_addr: 0.0.0.2\n', '\t\tring0_addr: 10.0.0.2\n\t\tnodeid: 2\n')),
    ).toEqual([['ERR_CONFIG_CONFLICT', 11, 'nodelist.node.1.nodeid']])
  })

  it('generates nodeids from IPv4 ring0_addr for udpu/udp only, as corosync', () => {
    const { config } = loadConfig(
      nodes('\t\tring0_addr: 192.168.1.11\n', '\t\tring0_addr: 10.0.0.2\n'),
    )
    expect(config.nodes.map((n) => [n.nodeId, n.nodeIdGenerated])).toEqual([
      [0xc0a8010b, true],
      [0x0a000002, true],
    ])
    expect(nodeIdFromIPv4('192.168.1.11', true)).toBe(0x40a8010b)
    expect(errs(nodes('\t\tring0_addr: fe80::1\n'))).toEqual([
      ['ERR_CONFIG_MISSING', 6, 'nodelist.node.0.nodeid'],
    ])
    expect(errs(nodes('\t\tring0_addr: 0.0.0.0\n'))).toEqual([
      ['ERR_CONFIG_VALUE', 7, 'nodelist.node.0.ring0_addr'],
    ])
    const knet =
      'totem {\n\tversion: 2\n\ttransport: knet\n}\nnodelist {\n\tnode {\n\t\tring0_addr: 10.0.0.1\n\t}\n}\n'
    expect(errs(knet)).toEqual([['ERR_CONFIG_MISSING', 6, 'nodelist.node.0.nodeid']])
  })

  it('checks addresses against ip_version and warns about host names', () => {
    const v4 = (addr: string): string =>
      `totem {\n\tversion: 2\n\ttransport: udpu\n\tip_version: ipv4\n}\nnodelist {\n\tnode {\n\t\tring0_addr: ${addr}\n\t\tnodeid: 1\n\t}\n}\n`
    expect(errs(v4('fe80::1'))).toEqual([['ERR_CONFIG_CONFLICT', 8, 'nodelist.node.0.ring0_addr']])
    expect(errs(v4('10.0.0.1:5405'))).toEqual([
      ['ERR_CONFIG_VALUE', 8, 'nodelist.node.0.ring0_addr'],
    ])
    expect(errs(v4('node1.example.com'))).toEqual([])
    expect(warns(v4('node1.example.com'))).toEqual([
      ['WARN_CONFIG_HOSTNAME', 8, 'nodelist.node.0.ring0_addr'],
    ])
    expect(classifyAddress('10.0.0.300')).toBe('invalid')
    expect(classifyAddress('node-1')).toBe('hostname')
    expect(classifyAddress('::ffff:10.0.0.1')).toBe('ipv6')
    expect(classifyAddress('bad_name')).toBe('invalid')
  })

  it('limits the number of nodes', () => {
    expect(errs(conf(NODES_MAX + 1))).toEqual([
      ['ERR_CONFIG_LIMIT', 6 + 4 * NODES_MAX, 'nodelist.node'],
    ])
    expect(errs(conf(NODES_MAX))).toEqual([])
  })

  it('checks corosync 2 totem.nodeid against the nodelist', () => {
    expect(loadConfig(conf(3, '\tnodeid: 2\n')).config.localNodeId).toBe(2)
    expect(errs(conf(3, '\tnodeid: 4\n'))).toEqual([['ERR_CONFIG_UNKNOWN_NODE', 4, 'totem.nodeid']])
  })
})

describe('transport, crypto and redundancy', () => {
  it('runs knet (explicit or by default) and udp as udpu, with a warning', () => {
    const knet = loadConfig(conf(2).replace('transport: udpu', 'transport: knet'))
    expect(knet.config.transport).toMatchObject({
      kind: 'udpu',
      requested: 'knet',
      ipVersion: 'ipv6-4',
    })
    expect(knet.warnings.map((w) => [w.code, w.line])).toEqual([['WARN_CONFIG_KNET', 3]])
    const none = loadConfig(conf(2).replace('\ttransport: udpu\n', ''))
    expect(none.config.transport.requested).toBe('knet')
    expect(none.warnings.map((w) => [w.code, w.line])).toEqual([['WARN_CONFIG_KNET', 1]])
    const udp = loadConfig(conf(2).replace('transport: udpu', 'transport: udp'))
    expect(udp.config.transport).toMatchObject({
      kind: 'udpu',
      requested: 'udp',
      ipVersion: 'ipv4',
    })
    expect(udp.warnings.map((w) => [w.code, w.line])).toEqual([['WARN_CONFIG_MULTICAST', 3]])
  })

  it.each([
    ['', false, 'none', 'none', 'default'],
    ['\tcrypto_cipher: none\n\tcrypto_hash: none\n', false, 'none', 'none', 'crypto_cipher'],
    ['\tcrypto_cipher: aes128\n\tcrypto_hash: sha1\n', true, 'aes128', 'sha1', 'crypto_cipher'],
    ['\tcrypto_hash: sha256\n', true, 'none', 'sha256', 'crypto_cipher'],
    ['\tsecauth: on\n', true, 'aes256', 'sha256', 'secauth'],
    ['\tsecauth: off\n', false, 'none', 'none', 'default'],
    [
      '\tsecauth: on\n\tcrypto_cipher: none\n\tcrypto_hash: none\n',
      false,
      'none',
      'none',
      'crypto_cipher',
    ],
  ])('crypto %j → enabled %s', (lines, enabled, cipher, hash, source) => {
    expect(loadConfig(conf(2, lines)).config.crypto).toMatchObject({
      enabled,
      cipher,
      hash,
      source,
    })
  })

  it('refuses a cipher without a hash (corosync does too) and reads keyfile', () => {
    expect(errs(conf(2, '\tcrypto_cipher: aes256\n'))).toEqual([
      ['ERR_CONFIG_CONFLICT', 4, 'totem.crypto_cipher'],
    ])
    expect(errs(conf(2, '\tcrypto_cipher: aes256\n\tcrypto_hash: none\n'))).toEqual([
      ['ERR_CONFIG_CONFLICT', 5, 'totem.crypto_hash'],
    ])
    expect(loadConfig(conf(2, '\tkeyfile: /etc/k\n')).config.crypto.keyFile).toBe('/etc/k')
  })

  const twoRings = (totem: string): string =>
    `totem {\n\tversion: 2\n\ttransport: udpu\n${totem}}\nnodelist {\n` +
    '\tnode {\n\t\tring0_addr: 10.0.0.1\n\t\tring1_addr: 10.1.0.1\n\t\tnodeid: 1\n\t}\n' +
    '\tnode {\n\t\tring0_addr: 10.0.0.2\n\t\tring1_addr: 10.1.0.2\n\t\tnodeid: 2\n\t}\n}\n'

  it('totem.interop: none by default, corosync3 only with crypto off and one ring (issue 9)', () => {
    expect(loadConfig(conf(2)).config.interop).toBe('none')
    expect(loadConfig(conf(2, '\tinterop: corosync3\n')).config.interop).toBe('corosync3')
    expect(loadConfig(conf(2, '\tinterop: none\n')).config.interop).toBe('none')
    expect(errs(conf(2, '\tinterop: corosync2\n'))).toEqual([
      ['ERR_CONFIG_VALUE', 4, 'totem.interop'],
    ])
    expect(
      errs(conf(2, '\tinterop: corosync3\n\tcrypto_cipher: aes256\n\tcrypto_hash: sha256\n')),
    ).toEqual([['ERR_CONFIG_CONFLICT', 4, 'totem.interop']])
    expect(errs(twoRings('\tinterop: corosync3\n'))).toEqual([
      ['ERR_CONFIG_CONFLICT', 4, 'totem.interop'],
    ])
    expect(warns(conf(2, '\tinterop: corosync3\n'))).toEqual([])
    expect(errs(conf(2, '\tinterop: corosync3\n\tmultiring: on\n'))).toEqual([
      ['ERR_CONFIG_CONFLICT', 5, 'totem.multiring'],
    ])
  })

  it.each([
    ['', 'passive', 'default', []],
    ['\trrp_mode: active\n', 'active', 'rrp_mode', []],
    ['\trrp_mode: passive\n', 'passive', 'rrp_mode', []],
    ['\trrp_mode: none\n', 'passive', 'rrp_mode', ['WARN_CONFIG_RRP_MODE']],
    ['\tlink_mode: active\n', 'active', 'link_mode', []],
    ['\tlink_mode: rr\n', 'passive', 'link_mode', ['WARN_CONFIG_RRP_MODE']],
    [
      '\tlink_mode: passive\n\trrp_mode: active\n',
      'passive',
      'link_mode',
      ['WARN_CONFIG_RRP_MODE'],
    ],
  ])('two rings with %j → %s', (totem, mode, source, warnings) => {
    const r = loadConfig(twoRings(totem))
    expect(r.config.rrp).toMatchObject({ mode, rings: 2, source })
    expect(r.warnings.map((w) => w.code)).toEqual(warnings)
    expect(r.config.transport.ports).toEqual([5405, 5406])
  })

  it('maps the rrp_* keys onto @totem-ts/rrp options, checked by the rrp layer', () => {
    const r = loadConfig(
      twoRings(
        '\trrp_mode: active\n\trrp_problem_count_threshold: 4\n\trrp_problem_count_mcast_threshold: 50\n' +
          '\trrp_problem_count_timeout: 1500\n\trrp_token_expired_timeout: 300\n\trrp_autorecovery_check_timeout: 700\n',
      ),
    )
    expect(r.warnings).toEqual([])
    expect(r.config.rrp.options).toEqual({
      problemCountThreshold: 4,
      problemCountMcastThreshold: 50,
      problemCountTimeoutMs: 1500,
      tokenExpiredTimeoutMs: 300,
      autorecoveryCheckTimeoutMs: 700,
    })
    expect(r.config.rrp.resolved).toMatchObject({
      mode: 'active',
      problemCountThreshold: 4,
      tokenExpiredTimeoutMs: 300,
      heartbeatIntervalMs: 100,
    })
    // Out of corosync's range, and against the rrp layer's cross-field rule (leak vs expiry).
    expect(errs(twoRings('\trrp_problem_count_threshold: 1\n'))).toEqual([
      ['ERR_CONFIG_VALUE', 4, 'totem.rrp_problem_count_threshold'],
    ])
    expect(
      errs(twoRings('\trrp_token_expired_timeout: 1000\n\trrp_problem_count_timeout: 1500\n')),
    ).toEqual([['ERR_CONFIG_VALUE', 5, 'totem.rrp_problem_count_timeout']])
    // One ring: accepted, nothing to resolve.
    expect(
      loadConfig(conf(2, '\trrp_problem_count_threshold: 5\n')).config.rrp.resolved,
    ).toBeUndefined()
  })

  it('takes ports from interface blocks by ringnumber or linknumber', () => {
    const r = loadConfig(
      twoRings(
        '\tinterface {\n\t\tlinknumber: 1\n\t\tmcastport: 6000\n\t}\n\tinterface {\n\t\tringnumber: 0\n\t\tmcastport: 7000\n\t}\n',
      ),
    )
    expect(r.config.transport.ports).toEqual([7000, 6000])
    expect(
      errs(
        twoRings('\tinterface {\n\t\tlinknumber: 1\n\t}\n\tinterface {\n\t\tlinknumber: 1\n\t}\n'),
      ),
    ).toEqual([['ERR_CONFIG_CONFLICT', 7, 'totem.interface.1']])
    expect(errs(twoRings('\tinterface {\n\t\tlinknumber: 1\n\t\tringnumber: 0\n\t}\n'))).toEqual([
      ['ERR_CONFIG_CONFLICT', 6, 'totem.interface.0.ringnumber'],
    ])
    expect(errs(twoRings('\tinterface {\n\t\tmcastport: 70000\n\t}\n'))).toEqual([
      ['ERR_CONFIG_VALUE', 5, 'totem.interface.0.mcastport'],
    ])
    const extra = loadConfig(conf(2, '\tinterface {\n\t\tlinknumber: 3\n\t}\n'))
    expect(extra.warnings.map((w) => [w.code, w.line, w.path])).toEqual([
      ['WARN_CONFIG_IGNORED', 4, 'totem.interface'],
    ])
  })
})

describe('warnings', () => {
  it('warns about unknown keys and sections with file:line, and notes ignored ones', () => {
    const r = checkConfig(
      conf(
        2,
        '\ttokn: 3000\n\tsend_join: 0\n\tfoo {\n\t}\n',
        'quorum {\n\tprovider: corosync_votequorum\n}\nweird {\n}\ncompatibility: whitetank\n',
      ),
      'w.conf',
    )
    expect(r.errors).toEqual([])
    expect(r.warnings.map((w) => [w.code, w.severity, w.file, w.line, w.path])).toEqual([
      ['WARN_CONFIG_UNKNOWN_KEY', 'warning', 'w.conf', 4, 'totem.tokn'],
      ['WARN_CONFIG_IGNORED', 'note', 'w.conf', 5, 'totem.send_join'],
      ['WARN_CONFIG_UNKNOWN_SECTION', 'warning', 'w.conf', 6, 'totem.foo'],
      ['WARN_CONFIG_IGNORED', 'note', 'w.conf', 19, 'quorum'],
      ['WARN_CONFIG_UNKNOWN_SECTION', 'warning', 'w.conf', 22, 'weird'],
      ['WARN_CONFIG_UNKNOWN_KEY', 'warning', 'w.conf', 24, 'compatibility'],
    ])
  })

  it('warns about duplicate keys (last wins) and repeated sections (merged)', () => {
    const r = loadConfig(conf(2, '\ttoken: 1000\n\ttoken: 2000\n', 'totem {\n\tjoin: 60\n}\n'))
    expect(r.config.srp).toMatchObject({ tokenTimeoutMs: 2000, joinTimeoutMs: 60 })
    expect(r.warnings.map((w) => [w.code, w.line, w.path])).toEqual([
      ['WARN_CONFIG_DUPLICATE_KEY', 5, 'totem.token'],
      ['WARN_CONFIG_REPEATED_SECTION', 17, 'totem'],
    ])
  })
})

describe('logging and system', () => {
  it('maps logging and logger_subsys', () => {
    const { config } = loadConfig(
      conf(
        2,
        '',
        'logging {\n\tto_logfile: yes\n\tlogfile: /var/log/t.log\n\tto_syslog: no\n\tto_stderr: on\n\tdebug: trace\n\ttimestamp: off\n' +
          '\tlogger_subsys {\n\t\tsubsys: TOTEM\n\t\tdebug: on\n\t}\n}\nsystem {\n\tstate_dir: /run/t\n}\n',
      ),
    )
    expect(config.logging).toEqual({
      toLogfile: true,
      logfile: '/var/log/t.log',
      toSyslog: false,
      toStderr: true,
      debug: 'trace',
      timestamp: 'off',
      subsystems: [{ subsys: 'TOTEM', debug: 'on' }],
    })
    expect(config.stateDir).toBe('/run/t')
  })

  it('requires logfile with to_logfile and subsys in logger_subsys', () => {
    expect(errs(conf(2, '', 'logging {\n\tto_logfile: yes\n}\n'))).toEqual([
      ['ERR_CONFIG_MISSING', 16, 'logging.logfile'],
    ])
    expect(errs(conf(2, '', 'logging {\n\tlogger_subsys {\n\t\tdebug: on\n\t}\n}\n'))).toEqual([
      ['ERR_CONFIG_MISSING', 16, 'logging.logger_subsys.0.subsys'],
    ])
  })

  it('takes the default state dir from the options', () => {
    expect(loadConfig(conf(2), 'x', { defaultStateDir: '/srv/t' }).config.stateDir).toBe('/srv/t')
  })
})

describe('loadConfig, checkConfig and readConfigFile', () => {
  it('throws ConfigErrors carrying the warnings too', () => {
    try {
      loadConfig(conf(2, '\ttoken: 0\n\tbogus: 1\n'), 'e.conf')
      expect.unreachable()
    } catch (e) {
      expect(isTotemError(e)).toBe(true)
      expect(e).toBeInstanceOf(ConfigErrors)
      const ce = e as ConfigErrors
      expect(ce.errors.map((x) => x.details)).toEqual([
        {
          file: 'e.conf',
          line: 4,
          path: 'totem.token',
          expected: "integer 30..3600000 (corosync's minimum)",
          value: '0',
        },
      ])
      expect(ce.warnings.map((w) => w.path)).toEqual(['totem.bogus'])
    }
  })

  it('reports unreadable, missing, directory and oversized files as ERR_CONFIG_IO / LIMIT', async () => {
    const d = mkdtempSync(join(tmpdir(), 'totem-config-'))
    const codes = async (p: string): Promise<string[]> => {
      try {
        await readConfigFile(p)
      } catch (e) {
        return (e as ConfigErrors).errors.map(
          (x) => `${x.code}:${x.details['line']}:${x.details['file']}`,
        )
      }
      return []
    }
    expect(await codes(join(d, 'missing.conf'))).toEqual([
      `ERR_CONFIG_IO:0:${join(d, 'missing.conf')}`,
    ])
    expect(await codes(d)).toEqual([`ERR_CONFIG_IO:0:${d}`])
    const big = join(d, 'big.conf')
    writeFileSync(big, Buffer.alloc(CONFIG_BYTES_MAX + 1, 0x20))
    expect(await codes(big)).toEqual([`ERR_CONFIG_LIMIT:0:${big}`])
    const ok = join(d, 'ok.conf')
    writeFileSync(ok, conf(2))
    expect((await readConfigFile(ok)).config.file).toBe(ok)
  })
})
