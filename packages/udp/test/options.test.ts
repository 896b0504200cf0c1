import { DATAGRAM_BYTES_MAX, isTotemError, noopLogger } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import { resolveUdpOptions, type UdpOptions } from '../src/index.ts'

const base: UdpOptions = {
  nodeId: 2,
  nodelist: [
    { nodeId: 1, address: '10.0.0.1' },
    { nodeId: 2, address: '10.0.0.2' },
    { nodeId: 3, address: '10.0.0.3' },
  ],
}

function rejected(o: unknown): { code: string; option: unknown } {
  try {
    resolveUdpOptions(o as UdpOptions)
  } catch (e) {
    if (!isTotemError(e)) throw e
    return { code: e.code, option: e.details['option'] }
  }
  throw new Error('expected a rejection')
}

describe('resolveUdpOptions', () => {
  it("fills corosync's defaults", () => {
    const c = resolveUdpOptions(base)
    expect(c.nodeId).toBe(2)
    expect(c.port).toBe(5405)
    expect(c.bindAddress).toBe('10.0.0.2')
    expect(c.self).toEqual({ nodeId: 2, address: '10.0.0.2', family: 'ipv4' })
    expect(c.family).toBe('ipv4')
    expect(c.ipVersion).toBe('ipv4')
    expect(c.blockUnlistedIps).toBe(true)
    expect(c.netmtu).toBe(1500)
    expect(c.rxDatagramBytesMax).toBe(DATAGRAM_BYTES_MAX)
    expect(c.sendBufferBytes).toBe(4 * 1024 * 1024)
    expect(c.receiveBufferBytes).toBe(4 * 1024 * 1024)
    expect(c.sendMode).toBe('connected')
    expect(c.logger).toBe(noopLogger)
    expect(Object.isFrozen(c)).toBe(true)
  })

  it('sorts the nodelist by node id and normalises IPv6 addresses', () => {
    const c = resolveUdpOptions({
      nodeId: 7,
      nodelist: [
        { nodeId: 9, address: 'fd00:0:0:0:0:0:0:9' },
        { nodeId: 7, address: '0:0:0:0:0:0:0:1' },
      ],
    })
    expect(c.nodelist.map((p) => [p.nodeId, p.address])).toEqual([
      [7, '::1'],
      [9, 'fd00::9'],
    ])
    expect(c.family).toBe('ipv6')
    expect(c.ipVersion).toBe('ipv6')
  })

  it('keeps explicit values', () => {
    const c = resolveUdpOptions({
      ...base,
      port: 6000,
      bindAddress: '0.0.0.0',
      ipVersion: 'ipv4-6',
      blockUnlistedIps: false,
      sendBufferBytes: 65_536,
      receiveBufferBytes: 1 << 20,
      netmtu: 9000,
      rxDatagramBytesMax: 9000,
      sendMode: 'bound',
    })
    expect(c).toMatchObject({
      port: 6000,
      bindAddress: '0.0.0.0',
      ipVersion: 'ipv4-6',
      blockUnlistedIps: false,
      sendBufferBytes: 65_536,
      receiveBufferBytes: 1 << 20,
      netmtu: 9000,
      rxDatagramBytesMax: 9000,
      sendMode: 'bound',
    })
  })

  it.each([
    [{ ...base, nodeId: 0 }, 'nodeId'],
    [{ ...base, nodeId: 4 }, 'nodeId'],
    [{ ...base, nodelist: [] }, 'nodelist'],
    [{ ...base, nodelist: 'x' }, 'nodelist'],
    [
      { ...base, nodelist: [...base.nodelist, { nodeId: 2, address: '10.0.0.9' }] },
      'nodelist[3].nodeId',
    ],
    [
      { ...base, nodelist: [...base.nodelist, { nodeId: 4, address: '10.0.0.1' }] },
      'nodelist[3].address',
    ],
    [
      { ...base, nodelist: [...base.nodelist, { nodeId: 4, address: 'node4.example' }] },
      'nodelist[3].address',
    ],
    [
      { ...base, nodelist: [...base.nodelist, { nodeId: 4, address: '10.0.0.256' }] },
      'nodelist[3].address',
    ],
    [
      { ...base, nodelist: [...base.nodelist, { nodeId: 4, address: '239.1.1.1' }] },
      'nodelist[3].address',
    ],
    [
      { ...base, nodelist: [...base.nodelist, { nodeId: 4, address: '0.0.0.0' }] },
      'nodelist[3].address',
    ],
    [
      { ...base, nodelist: [...base.nodelist, { nodeId: 4, address: 'fe80::1%eth0' }] },
      'nodelist[3].address',
    ],
    [
      { ...base, nodelist: [...base.nodelist, { nodeId: 4, address: 'fd00::4' }] },
      'nodelist[3].address',
    ],
    [
      { ...base, nodelist: [...base.nodelist, { nodeId: 1.5, address: '10.0.0.5' }] },
      'nodelist[3].nodeId',
    ],
    [{ ...base, ipVersion: 'ipv6' }, 'nodelist[0].address'],
    [{ ...base, ipVersion: 'ipx' }, 'ipVersion'],
    [{ ...base, port: 0 }, 'port'],
    [{ ...base, port: 65_536 }, 'port'],
    [{ ...base, port: 5405.5 }, 'port'],
    [{ ...base, bindAddress: '::1' }, 'bindAddress'],
    [{ ...base, bindAddress: 'localhost' }, 'bindAddress'],
    [{ ...base, blockUnlistedIps: 'yes' }, 'blockUnlistedIps'],
    [{ ...base, sendBufferBytes: 1000 }, 'sendBufferBytes'],
    [{ ...base, receiveBufferBytes: 2 ** 31 }, 'receiveBufferBytes'],
    [{ ...base, netmtu: 100 }, 'netmtu'],
    [{ ...base, netmtu: 65_535 }, 'netmtu'],
    [{ ...base, rxDatagramBytesMax: 1000 }, 'rxDatagramBytesMax'],
    [{ ...base, rxDatagramBytesMax: DATAGRAM_BYTES_MAX + 1 }, 'rxDatagramBytesMax'],
    [{ ...base, sendMode: 'multicast' }, 'sendMode'],
    [{ ...base, logger: {} }, 'logger'],
    [{ ...base, mcastport: 5405 }, 'mcastport'],
  ])('rejects %j as ERR_INVALID_ARGUMENT naming %s', (o, option) => {
    expect(rejected(o)).toEqual({ code: 'ERR_INVALID_ARGUMENT', option })
  })

  it('rejects a non-object', () => {
    expect(rejected(null)).toEqual({ code: 'ERR_INVALID_ARGUMENT', option: 'options' })
  })

  it('accepts the other family only under ipv4-6/ipv6-4, and still one family per ring', () => {
    const mixed = { ...base, nodelist: [...base.nodelist, { nodeId: 4, address: 'fd00::4' }] }
    expect(rejected({ ...mixed, ipVersion: 'ipv4' }).option).toBe('nodelist[3].address')
    expect(rejected({ ...mixed, ipVersion: 'ipv6-4' }).option).toBe('nodelist[3].address')
    expect(resolveUdpOptions({ ...base, ipVersion: 'ipv6-4' }).family).toBe('ipv4')
  })
})
