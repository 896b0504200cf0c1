import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { resolveSrpOptions } from '@totem-ts/srp'
import { describe, expect, it } from 'vitest'
import { ConfigErrors, type LoadedConfig, loadConfig, readConfigFile } from '../src/index.ts'

const dir = join(import.meta.dirname, 'fixtures')
const fixture = (name: string): string => join(dir, name)

const warningsOf = (r: LoadedConfig): [string, number, string][] =>
  r.warnings.map((w) => [w.code, w.line, w.path])

async function errorsOf(name: string): Promise<[string, number, string][]> {
  try {
    await readConfigFile(fixture(name))
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigErrors)
    const errs = (e as ConfigErrors).errors
    for (const x of errs) expect(x.details['file']).toBe(fixture(name))
    return errs.map((x) => [x.code, x.details['line'] as number, x.details['path'] as string])
  }
  throw new Error(`${name} loaded without errors`)
}

describe('real-world configurations parse unchanged', () => {
  it('Pacemaker (pcs, corosync 3, knet, crypto, two_node)', async () => {
    const r = await readConfigFile(fixture('pacemaker-pcs-knet.conf'))
    expect(warningsOf(r)).toEqual([
      ['WARN_CONFIG_IGNORED', 7, 'totem.cluster_uuid'],
      ['WARN_CONFIG_KNET', 8, 'totem.transport'],
      ['WARN_CONFIG_IGNORED', 27, 'quorum'],
    ])
    const c = r.config
    expect(c.clusterName).toBe('hacluster')
    expect(c.transport).toMatchObject({ kind: 'udpu', requested: 'knet', ports: [5405] })
    expect(c.crypto).toMatchObject({ enabled: true, cipher: 'aes256', hash: 'sha256' })
    expect(c.nodes.map((n) => [n.nodeId, n.name, n.addresses])).toEqual([
      [1, 'node1', ['192.168.122.11']],
      [2, 'node2', ['192.168.122.12']],
    ])
    expect(c.rrp).toMatchObject({ mode: 'none', rings: 1 })
    expect(c.logging).toMatchObject({
      toLogfile: true,
      logfile: '/var/log/cluster/corosync.log',
      toSyslog: true,
      timestamp: 'on',
    })
    expect(c.srpResolved.tokenTimeoutMs).toBe(3000)
  })

  it('Proxmox VE (secauth on, link_mode, ip_version ipv4-6, no transport)', async () => {
    const r = await readConfigFile(fixture('proxmox-ve.conf'))
    expect(warningsOf(r)).toEqual([
      ['WARN_CONFIG_IGNORED', 13, 'nodelist.node.0.quorum_votes'],
      ['WARN_CONFIG_IGNORED', 19, 'nodelist.node.1.quorum_votes'],
      ['WARN_CONFIG_IGNORED', 25, 'nodelist.node.2.quorum_votes'],
      ['WARN_CONFIG_IGNORED', 30, 'quorum'],
      ['WARN_CONFIG_KNET', 34, 'totem.transport'],
    ])
    const c = r.config
    expect(c.configVersion).toBe('3')
    expect(c.crypto).toMatchObject({
      enabled: true,
      cipher: 'aes256',
      hash: 'sha256',
      source: 'secauth',
    })
    expect(c.transport).toMatchObject({ requested: 'knet', ipVersion: 'ipv4-6' })
    expect(c.rrp).toEqual({
      mode: 'none',
      rings: 1,
      source: 'link_mode',
      requested: 'passive',
      options: {},
    })
    expect(c.nodes.map((n) => n.name)).toEqual(['pve1', 'pve2', 'pve3'])
    expect(c.srpResolved).toEqual(resolveSrpOptions({}, 3))
    expect(c.srpResolved.tokenTimeoutMs).toBe(3650)
  })

  it('corosync 2 udpu with two rings (rrp_mode passive, generated nodeids)', async () => {
    const r = await readConfigFile(fixture('corosync2-udpu-rrp.conf'))
    expect(warningsOf(r)).toEqual([
      ['WARN_CONFIG_IGNORED', 22, 'totem.interface.0.bindnetaddr'],
      ['WARN_CONFIG_IGNORED', 24, 'totem.interface.0.ttl'],
      ['WARN_CONFIG_IGNORED', 28, 'totem.interface.1.bindnetaddr'],
      ['WARN_CONFIG_IGNORED', 30, 'totem.interface.1.ttl'],
      ['WARN_CONFIG_IGNORED', 50, 'logging.fileline'],
      ['WARN_CONFIG_IGNORED', 63, 'quorum'],
    ])
    const c = r.config
    expect(c.rrp).toMatchObject({
      mode: 'passive',
      rings: 2,
      source: 'rrp_mode',
      requested: 'passive',
    })
    // The rrp layer's defaults, derived from the effective token_retransmit as corosync 2's were.
    expect(c.rrp.resolved).toMatchObject({
      mode: 'passive',
      tokenExpiredTimeoutMs: Math.round(c.srpResolved.tokenRetransmitTimeoutMs),
      problemCountThreshold: 10,
      autorecoveryCheckTimeoutMs: 1000,
    })
    expect(c.transport.ports).toEqual([5405, 5407])
    expect(c.crypto.enabled).toBe(false)
    // 192.168.1.11 = 0xc0a8010b, high bit cleared (clear_node_high_bit: yes).
    expect(c.nodes.map((n) => [n.nodeId, n.nodeIdGenerated])).toEqual([
      [0x40a8010b, true],
      [0x40a8010c, true],
      [0x40a8010d, true],
    ])
    expect(c.nodes[0]?.addresses).toEqual(['192.168.1.11', '10.10.10.11'])
    expect(c.srp).toEqual({
      tokenTimeoutMs: 5000,
      tokenRetransmitsBeforeLoss: 10,
      joinTimeoutMs: 60,
      consensusTimeoutMs: 6000,
      maxMessages: 20,
    })
    // corosync 3 semantics: the coefficient applies to a configured token too.
    expect(c.srpResolved.tokenTimeoutMs).toBe(5650)
    expect(c.srpResolved).toEqual(resolveSrpOptions(c.srp, 3))
    expect(c.logging.subsystems).toEqual([{ subsys: 'QUORUM', debug: 'off' }])
  })

  it("corosync 3.1.7's example (knet default, one node)", async () => {
    const r = await readConfigFile(fixture('corosync317-example.conf'))
    expect(warningsOf(r)).toEqual([
      ['WARN_CONFIG_KNET', 5, 'totem.transport'],
      ['WARN_CONFIG_IGNORED', 19, 'logging.fileline'],
      ['WARN_CONFIG_IGNORED', 37, 'quorum'],
    ])
    expect(r.config.nodes).toHaveLength(1)
    expect(r.config.crypto).toMatchObject({ enabled: false, cipher: 'none', hash: 'none' })
    expect(r.config.srpResolved).toEqual(resolveSrpOptions({}, 1))
  })

  it('the lab configuration of reference §10.1 (udpu, crypto none, three nodes)', async () => {
    const r = await readConfigFile(fixture('lab-udpu.conf'))
    expect(r.warnings).toEqual([])
    const c = r.config
    expect(c.transport).toEqual({
      kind: 'udpu',
      requested: 'udpu',
      ports: [5405],
      ipVersion: 'ipv4',
      blockUnlistedIps: true,
      downcheckMs: 1000,
      clearNodeHighBit: false,
    })
    expect(c.stateDir).toBe('/tmp/walab/wa1')
    expect(c.crypto.enabled).toBe(false)
    // reference §3.8, 3-node column (observed runtime.config).
    expect(c.srpResolved).toMatchObject({
      tokenTimeoutMs: 3650,
      tokenRetransmitTimeoutMs: 869,
      holdTimeoutMs: 685,
      consensusTimeoutMs: 4380,
    })
  })

  it('gives the same result from text and from bytes', async () => {
    for (const name of ['proxmox-ve.conf', 'corosync2-udpu-rrp.conf']) {
      const bytes = readFileSync(fixture(name))
      const fromText = loadConfig(bytes.toString('utf8'), fixture(name))
      expect(fromText).toEqual(await readConfigFile(fixture(name)))
    }
  })
})

describe('broken configurations fail with the right code, line and path', () => {
  it('syntax errors, all of them', async () => {
    expect(await errorsOf('broken-syntax.conf')).toEqual([
      ['ERR_CONFIG_SYNTAX', 4, 'totem.token'],
      ['ERR_CONFIG_SYNTAX', 7, ''],
      ['ERR_CONFIG_SYNTAX', 8, 'nodelist'],
      ['ERR_CONFIG_SYNTAX', 9, 'nodelist.node'],
      ['ERR_CONFIG_SYNTAX', 10, 'nodelist.node'],
    ])
  })

  it('unknown nodeid reference', async () => {
    expect(await errorsOf('broken-unknown-nodeid.conf')).toEqual([
      ['ERR_CONFIG_UNKNOWN_NODE', 5, 'totem.nodeid'],
    ])
  })

  it('bad address', async () => {
    expect(await errorsOf('broken-bad-address.conf')).toEqual([
      ['ERR_CONFIG_VALUE', 12, 'nodelist.node.1.ring0_addr'],
    ])
  })

  it('token < 1', async () => {
    expect(await errorsOf('broken-token-zero.conf')).toEqual([
      ['ERR_CONFIG_VALUE', 5, 'totem.token'],
    ])
  })

  it('duplicate nodeid', async () => {
    expect(await errorsOf('broken-duplicate-nodeid.conf')).toEqual([
      ['ERR_CONFIG_CONFLICT', 17, 'nodelist.node.2.nodeid'],
    ])
  })

  it('unclosed section', async () => {
    expect(await errorsOf('broken-unclosed.conf')).toEqual([['ERR_CONFIG_SYNTAX', 6, 'nodelist']])
  })

  it('binary garbage', async () => {
    expect(await errorsOf('broken-binary.conf')).toEqual([
      ['ERR_CONFIG_ENCODING', 5, 'totem'],
      ['ERR_CONFIG_ENCODING', 6, 'totem'],
    ])
  })

  it('empty file (only comments)', async () => {
    expect(await errorsOf('broken-empty.conf')).toEqual([['ERR_CONFIG_EMPTY', 0, '']])
  })
})
