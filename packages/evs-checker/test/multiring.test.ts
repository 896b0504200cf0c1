import { isTotemError, nodeId } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import {
  baseTrace,
  checkMultiringTrace,
  formatMultiringTraceEvent,
  type MultiringTraceEvent,
  messageId,
  parseMultiringTrace,
  parseMultiringTraceLine,
} from '../src/index.ts'

const enc = new TextEncoder()
const id = (n: number, s: string): string => messageId(n, enc.encode(s))
const n1 = nodeId(1)
const n2 = nodeId(2)

/** Two processors on two rings (1.4, 2.4), topology 1.65536; 1 sends a, 2 sends b. */
function good(): MultiringTraceEvent[] {
  const a = id(1, 'a')
  const b = id(2, 'b')
  const conf = (node: typeof n1): MultiringTraceEvent[] => [
    { ev: 'topo', node, t: 1, key: '3@1.4/cc', ring: '1.196608', rings: ['1.4', '2.4'] },
    { ev: 'conf', node, t: 1, kind: 'reg', ring: '1.196608', members: [n1, n2] },
  ]
  const del = (node: typeof n1, m: string, from: typeof n1, ts: number, src: string) =>
    ({
      ev: 'deliver',
      node,
      t: 5,
      id: m,
      from,
      g: 'agreed',
      ring: '1.196608',
      ts,
      src_ring: src,
      kind: 'reg',
    }) as const
  return [
    { ev: 'start', node: n1, t: 0 },
    { ev: 'start', node: n2, t: 0 },
    ...conf(n1),
    ...conf(n2),
    { ev: 'send', node: n1, t: 2, id: a, g: 'agreed' },
    { ev: 'send', node: n2, t: 2, id: b, g: 'agreed' },
    { ev: 'mrecv', node: n1, t: 3, key: '5@1.4/reg', via: 0 },
    { ev: 'fwd', node: n1, t: 3, key: '5@1.4/reg', from: 0, to: 1 },
    del(n1, a, n1, 5, '1.4'),
    del(n1, b, n2, 6, '2.4'),
    del(n2, a, n1, 5, '1.4'),
    del(n2, b, n2, 6, '2.4'),
    { ev: 'heal', t: 9 },
  ]
}

describe('multiring trace format', () => {
  it('round-trips through JSON lines and strips to the base trace', () => {
    const t = good()
    const text = t.map(formatMultiringTraceEvent).join('\n')
    expect(parseMultiringTrace(text)).toEqual(t)
    const base = baseTrace(t)
    expect(base.some((e) => e.ev === 'deliver' && 'ts' in e)).toBe(false)
    expect(base.length).toBe(t.length - 4)
  })

  it('rejects malformed extension lines with ERR_EVS_BAD_TRACE', () => {
    const bad = [
      '{"ev":"fwd","node":1,"t":0,"key":"x","from":0,"to":1}',
      '{"ev":"mrecv","node":1,"t":0,"key":"1@1.4/reg","via":70000}',
      '{"ev":"topo","node":1,"t":0,"key":"1@1.4/cc","ring":"1.4","rings":["x"]}',
      '{"ev":"fwd","node":1,"t":0,"key":"1@1.4/reg","from":0,"to":1,"extra":1}',
      '{"ev":"deliver","node":1,"t":0,"id":"00000000000000000000000000000000","from":1,"g":"agreed","ring":"1.4","ts":-1,"src_ring":"1.4","kind":"reg"}',
    ]
    for (const l of bad) {
      let err: unknown
      try {
        parseMultiringTraceLine(l)
      } catch (e) {
        err = e
      }
      expect(isTotemError(err) && err.code === 'ERR_EVS_BAD_TRACE', l).toBe(true)
    }
  })
})

describe('checkMultiringTrace', () => {
  it('passes a correct trace', () => {
    const r = checkMultiringTrace(good())
    expect(r.violations).toEqual([])
    expect(r.counts).toEqual({ deliveries: 4, topologies: 2, forwards: 1, receives: 1 })
  })

  it('catches deliveries out of key order', () => {
    const t = good().map((e) =>
      e.ev === 'deliver' && e.node === 2 && 'ts' in e ? { ...e, ts: e.ts === 5 ? 7 : e.ts } : e,
    )
    const r = checkMultiringTrace(t)
    expect(r.violations.map((v) => v.property)).toContain('key-order')
    expect(r.violations.map((v) => v.property)).toContain('key-identity')
  })

  it('catches a message stamped below what its sender had delivered (Lamport)', () => {
    const t = good()
    // 2 delivers a (ts 5) and then sends c, which gets stamped 4.
    const c = id(2, 'c')
    t.splice(
      t.length - 1,
      0,
      { ev: 'send', node: n2, t: 6, id: c, g: 'agreed' },
      {
        ev: 'deliver',
        node: n2,
        t: 7,
        id: c,
        from: n2,
        g: 'agreed',
        ring: '1.196608',
        ts: 4,
        src_ring: '2.4',
        kind: 'reg',
      },
    )
    const props = checkMultiringTrace(t).violations.map((v) => v.property)
    expect(props).toContain('lamport')
  })

  it('catches a gateway forwarding twice or back', () => {
    const t = good()
    t.splice(8, 0, { ev: 'fwd', node: n1, t: 3, key: '5@1.4/reg', from: 0, to: 1 })
    t.splice(8, 0, { ev: 'fwd', node: n1, t: 3, key: '6@2.4/reg', from: 1, to: 1 })
    const v = checkMultiringTrace(t).violations.filter((x) => x.property === 'forwarding')
    expect(v.map((x) => x.details.reason).sort()).toEqual(['back', 'twice'])
  })

  it('still checks the nine EVS properties on the stripped trace', () => {
    const t = good().filter((e) => !(e.ev === 'deliver' && e.node === 2 && e.from === 1))
    const props = checkMultiringTrace(t).violations.map((v) => v.property)
    expect(props).toContain('liveness')
  })
})
