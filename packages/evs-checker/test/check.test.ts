import { isTotemError, nodeId } from '@totem-ts/common'
import { describe, expect, it } from 'vitest'
import {
  type CheckOptions,
  checkTrace,
  checkTraceText,
  PROPERTIES,
  type Property,
  parseTrace,
} from '../src/index.ts'
import { propertiesOf, TraceBuilder } from './helpers.ts'

/** Nodes 1..3 start and form ring 1.4; node 1 through a first `trans` of itself, the others directly. */
function threeNodeRing(): TraceBuilder {
  return new TraceBuilder()
    .start(1, 2, 3)
    .conf(1, 'trans', '1.4', [1])
    .conf([1, 2, 3], 'reg', '1.4', [1, 2, 3])
}

/** Asserts that `b` breaks exactly `property` and returns its violations. */
function breaksOnly(b: TraceBuilder, property: Property) {
  const r = b.check({ maxViolations: 1000 })
  expect(r.ok).toBe(false)
  expect(propertiesOf(r)).toEqual([property])
  // The same trace checked for everything but `property` is clean.
  const rest = b.check({ properties: PROPERTIES.filter((p) => p !== property) })
  expect(rest.violations).toEqual([])
  return r.violations
}

function expectOk(b: TraceBuilder): void {
  const r = b.check()
  expect(r.violations).toEqual([])
  expect(r.ok).toBe(true)
  // And through the text form.
  expect(checkTraceText(b.text()).violations).toEqual([])
}

describe('valid traces', () => {
  it('one ring, agreed and safe messages, heal', () => {
    const b = threeNodeRing().send(1, 'a').send(2, 'b', 'safe').send(3, 'c').send(1, 'd', 'safe')
    for (const m of ['a', 'b', 'c', 'd']) b.deliver([1, 2, 3], m)
    b.heal()
    expectOk(b)
    expect(b.check().stats).toEqual({
      events: 24,
      nodes: 3,
      incarnations: 3,
      sends: 4,
      deliveries: 12,
      configurations: 4,
      crashes: 0,
      stops: 0,
      heals: 1,
      messages: 4,
    })
  })

  it('crash and restart: the crashed incarnation is exempt, the new one rejoins', () => {
    const b = threeNodeRing()
      .send(3, 'x', 'safe')
      .send(3, 'lost')
      .deliver([1, 2], 'x') // safe in 1.4; node 3 crashes before delivering it
      .crash(3)
      .change([1, 2], '1.8', [1, 2], [1, 2])
      .send(1, 'y')
      .deliver([1, 2], 'y')
      .start(3)
      .conf(3, 'trans', '3.12', [3])
      .conf(3, 'reg', '3.12', [3])
      .send(3, 'z')
      .deliver(3, 'z')
      .change([1, 2], '1.16', [1, 2], [1, 2, 3])
      .change([3], '1.16', [3], [1, 2, 3])
      .send(3, 'w', 'safe')
      .deliver([1, 2, 3], 'w')
      .heal()
    expectOk(b)
    expect(b.check().stats.incarnations).toBe(4)
  })

  it('partition into two components and merge, with old-ring messages in both transitionals', () => {
    const b = new TraceBuilder()
      .start(1, 2, 3, 4)
      .conf([1, 2, 3, 4], 'reg', '1.4', [1, 2, 3, 4])
      .send(1, 'm', 'safe')
      .deliver([1, 2, 3, 4], 'm')
      .send(3, 'p')
      // Split: {1,2} -> 1.8, {3,4} -> 3.12. p is delivered in both transitional configurations.
      .conf([1, 2], 'trans', '1.8', [1, 2])
      .conf([3, 4], 'trans', '3.12', [3, 4])
      .deliver([1, 2, 3, 4], 'p')
      .conf([1, 2], 'reg', '1.8', [1, 2])
      .conf([3, 4], 'reg', '3.12', [3, 4])
      .send(1, 'a1', 'safe')
      .send(3, 'b1', 'safe')
      .deliver([1, 2], 'a1')
      .deliver([3, 4], 'b1')
      .send(2, 'a2')
      .send(4, 'b2')
      .deliver([3, 4], 'b2')
      .deliver([1, 2], 'a2')
      .heal()
      // Merge into 1.16: each component has its own transitional configuration.
      .change([1, 2], '1.16', [1, 2], [1, 2, 3, 4])
      .change([3, 4], '1.16', [3, 4], [1, 2, 3, 4])
      .send(4, 'c', 'safe')
      .send(1, 'd')
      .deliver([1, 2, 3, 4], 'c')
      .deliver([1, 2, 3, 4], 'd')
    expectOk(b)
  })

  it('an orderly stop: the stopped node is exempt from self delivery and not expected alive', () => {
    const b = threeNodeRing()
      .send(3, 'bye')
      .stop(3)
      .conf([1, 2], 'trans', '1.8', [1, 2])
      .deliver([1, 2], 'bye')
      .conf([1, 2], 'reg', '1.8', [1, 2])
      .heal()
    expectOk(b)
  })

  it('lines of different nodes may interleave in any order', () => {
    const b = threeNodeRing().send(1, 'a').send(2, 'b')
    b.deliver([1, 2, 3], 'a').deliver([1, 2, 3], 'b')
    // Reverse the interleaving: node 3's lines first, then 2's, then 1's.
    const byNode = [3, 2, 1].flatMap((n) => b.events.filter((e) => 'node' in e && e.node === n))
    expect(checkTrace(byNode).violations).toEqual([])
  })

  it('the empty trace is fine', () => {
    const r = checkTrace([])
    expect(r.ok).toBe(true)
    expect(r.stats.events).toBe(0)
  })
})

describe('integrity', () => {
  it('a delivered id that nobody sent', () => {
    const b = threeNodeRing().deliver([1, 2, 3], 'ghost', { from: 2 })
    const v = breaksOnly(b, 'integrity')
    expect(v.map((x) => x.details)).toEqual(
      [1, 2, 3].map((node) => ({
        reason: 'not-sent',
        node,
        incarnation: 0,
        id: TraceBuilder.id(2, 'ghost'),
        from: 2,
      })),
    )
  })

  it('a delivery whose from is not the sender', () => {
    const b = threeNodeRing().send(1, 'a').deliver([1, 3], 'a').deliver(2, 'a', { from: 3 })
    const [v, ...rest] = breaksOnly(b, 'integrity')
    expect(rest).toEqual([])
    expect(v?.details).toMatchObject({
      reason: 'wrong-sender',
      node: 2,
      from: 3,
      sender: 1,
      id: b.id('a'),
    })
  })

  it('an incarnation that delivers an id twice', () => {
    const b = threeNodeRing().send(1, 'a').deliver([1, 2, 3], 'a').deliver(2, 'a')
    const v = breaksOnly(b, 'integrity')
    expect(v).toHaveLength(1)
    expect(v[0]?.details).toEqual({
      reason: 'duplicate-delivery',
      node: 2,
      incarnation: 0,
      id: b.id('a'),
    })
  })

  it('a delivery with another guarantee than the send', () => {
    const b = threeNodeRing().send(1, 'a').deliver([1, 2], 'a').deliver(3, 'a', { g: 'safe' })
    const v = breaksOnly(b, 'integrity')
    expect(v[0]?.details).toMatchObject({
      reason: 'wrong-guarantee',
      node: 3,
      g: 'safe',
      sentG: 'agreed',
    })
  })

  it('a node that delivers its own message before sending it', () => {
    const b = threeNodeRing()
    b.send(1, 'a')
    const send = b.events.pop()!
    b.deliver([1, 2, 3], 'a')
    b.events.splice(b.events.length - 2, 0, send) // after node 1's delivery
    const v = breaksOnly(b, 'integrity')
    expect(v[0]?.details).toEqual({
      reason: 'delivered-before-send',
      node: 1,
      incarnation: 0,
      id: b.id('a'),
    })
  })

  it('two sends with the same id', () => {
    const b = threeNodeRing().send(1, 'a')
    b.events.push(b.events[b.events.length - 1]!)
    b.deliver([1, 2, 3], 'a')
    const v = breaksOnly(b, 'integrity')
    expect(v[0]?.details).toEqual({
      reason: 'duplicate-send',
      node: 1,
      incarnation: 0,
      id: b.id('a'),
      otherNode: 1,
    })
  })

  it('events of a node that is not running, and a start of a running node', () => {
    const b = threeNodeRing().crash(3).crash(3).start(2)
    const v = breaksOnly(b, 'integrity')
    expect(v.map((x) => x.details)).toEqual([
      { reason: 'double-start', node: 2, incarnation: 0, event: 2 },
      { reason: 'not-running', node: 3, ev: 'crash', event: 3 },
    ])
  })
})

describe('self delivery', () => {
  it('a live sender that never delivers its message', () => {
    const b = threeNodeRing().send(2, 'a').send(1, 'b').deliver([1, 2, 3], 'b')
    const v = breaksOnly(b, 'self-delivery')
    expect(v.map((x) => x.details)).toEqual([{ node: 2, incarnation: 0, id: b.id('a') }])
  })

  it('is not required of an incarnation that crashes or stops', () => {
    expectOk(threeNodeRing().send(2, 'a').crash(2))
    expectOk(threeNodeRing().send(2, 'a').stop(2))
    // ... but is of the next incarnation.
    const b = threeNodeRing().send(2, 'a').crash(2).start(2).send(2, 'b')
    expect(breaksOnly(b, 'self-delivery').map((x) => x.details)).toEqual([
      { node: 2, incarnation: 1, id: b.id('b') },
    ])
  })
})

describe('agreed order', () => {
  it('two nodes that deliver two messages in opposite orders', () => {
    const b = threeNodeRing()
      .send(1, 'a')
      .send(2, 'b')
      .deliver([1, 3], 'a')
      .deliver([1, 3], 'b')
      .deliver(2, 'b')
      .deliver(2, 'a')
    const v = breaksOnly(b, 'agreed-order')
    expect(v.map((x) => x.details)).toEqual([
      {
        reason: 'pair',
        node: 1,
        incarnation: 0,
        otherNode: 2,
        otherIncarnation: 0,
        id: b.id('a'),
        otherId: b.id('b'),
      },
    ])
  })

  it('three pairwise-consistent orders that admit no total order', () => {
    // 1: a b   2: b c   3: c a   -- each pair shares one message, together a cycle.
    const b = threeNodeRing()
      .send(1, 'a')
      .send(2, 'b')
      .send(3, 'c')
      .deliver(1, 'a')
      .deliver(1, 'b')
      .deliver(2, 'b')
      .deliver(2, 'c')
      .deliver(3, 'c')
      .deliver(3, 'a')
    const v = breaksOnly(b, 'agreed-order')
    expect(v).toHaveLength(1)
    expect(v[0]?.details).toMatchObject({ reason: 'cycle', nodes: '1,2,3', length: 3 })
    expect(String(v[0]?.details['ids']).split(',').sort()).toEqual(
      [b.id('a'), b.id('b'), b.id('c')].sort(),
    )
  })

  it('reports each independent cycle once', () => {
    const b = threeNodeRing().send(1, 'a').send(1, 'b').send(2, 'c').send(2, 'd')
    // a/c swapped between 1 and 2, b/d swapped between 1 and 3 (same sender order kept: FIFO holds).
    b.deliver(1, 'a').deliver(1, 'c').deliver(1, 'b').deliver(1, 'd')
    b.deliver(2, 'c').deliver(2, 'a').deliver(2, 'b').deliver(2, 'd')
    b.deliver(3, 'a').deliver(3, 'c').deliver(3, 'd').deliver(3, 'b')
    const v = breaksOnly(b, 'agreed-order')
    expect(v.map((x) => [x.details['node'], x.details['otherNode']])).toEqual(
      expect.arrayContaining([
        [1, 2],
        [1, 3],
      ]),
    )
    expect(v).toHaveLength(2)
  })
})

describe('FIFO', () => {
  it('every node delivers a sender’s messages in reverse send order', () => {
    const b = threeNodeRing()
      .send(1, 'a')
      .send(1, 'b')
      .deliver([1, 2, 3], 'b')
      .deliver([1, 2, 3], 'a')
    const v = breaksOnly(b, 'fifo')
    expect(v.map((x) => x.details)).toEqual(
      [1, 2, 3].map((node) => ({
        node,
        incarnation: 0,
        sender: 1,
        senderIncarnation: 0,
        id: b.id('a'),
        otherId: b.id('b'),
      })),
    )
  })

  it('ordering is per sender incarnation, not per node', () => {
    // Node 1's second incarnation starts counting again: c (its first send) is delivered after b
    // (the first incarnation's second send), which is fine.
    const b = threeNodeRing()
      .send(1, 'a')
      .send(1, 'b')
      .deliver([1, 2, 3], 'a')
      .deliver([1, 2, 3], 'b')
      .crash(1)
      .change([2, 3], '2.8', [2, 3], [2, 3])
      .start(1)
      .conf(1, 'reg', '1.12', [1])
      .change([2, 3], '1.16', [2, 3], [1, 2, 3])
      .change([1], '1.16', [1], [1, 2, 3])
      .send(1, 'c')
      .deliver([1, 2, 3], 'c')
    expectOk(b)
  })
})

describe('same view', () => {
  it('two nodes list different members for one regular configuration', () => {
    const b = new TraceBuilder()
      .start(1, 2, 3)
      .conf([1, 3], 'reg', '1.4', [1, 2, 3])
      .conf(2, 'reg', '1.4', [1, 2])
    const v = breaksOnly(b, 'same-view')
    expect(v.map((x) => x.details)).toEqual([
      {
        node: 2,
        incarnation: 0,
        kind: 'reg',
        ring: '1.4',
        members: '1,2',
        otherNode: 1,
        otherIncarnation: 0,
        otherMembers: '1,2,3',
      },
    ])
  })

  it('two nodes from the same regular configuration list different transitional members', () => {
    const b = threeNodeRing()
      .change([1, 2], '1.8', [1, 2], [1, 2, 3])
      .change([3], '1.8', [2, 3], [1, 2, 3])
    const v = breaksOnly(b, 'same-view')
    expect(v[0]?.details).toMatchObject({
      node: 3,
      kind: 'trans',
      ring: '1.8',
      members: '2,3',
      otherNode: 1,
      otherMembers: '1,2',
      previousRing: '1.4',
    })
  })
})

describe('configuration order', () => {
  const reasons = (b: TraceBuilder) =>
    breaksOnly(b, 'configuration-order').map((x) => x.details['reason'])

  it('a trans followed by a reg of another ring', () => {
    const b = threeNodeRing()
      .conf([1, 2, 3], 'trans', '1.8', [1, 2, 3])
      .conf([1, 2, 3], 'reg', '1.12', [1, 2, 3])
    const v = breaksOnly(b, 'configuration-order')
    expect(v.map((x) => x.details)).toEqual(
      [1, 2, 3].map((node) => ({
        reason: 'trans-not-followed',
        node,
        incarnation: 0,
        ring: '1.8',
        nextKind: 'reg',
        nextRing: '1.12',
      })),
    )
  })

  it('a trans with a member outside the previous regular configuration', () => {
    const b = new TraceBuilder()
      .start(1, 2, 3)
      .conf([1, 2], 'reg', '1.4', [1, 2])
      .conf(3, 'reg', '3.4', [3])
      .change([1, 2], '1.8', [1, 2, 3], [1, 2, 3])
      .change([3], '1.8', [3], [1, 2, 3])
    expect(reasons(b)).toEqual(['trans-not-subset-previous', 'trans-not-subset-previous'])
  })

  it('a trans with a member outside the next regular configuration', () => {
    expect(reasons(threeNodeRing().change([1], '1.8', [1, 2], [1]))).toEqual([
      'trans-not-subset-next',
    ])
  })

  it('a regular configuration without its transitional one', () => {
    const b = threeNodeRing().conf([1, 2, 3], 'reg', '1.8', [1, 2, 3])
    expect(reasons(b)).toEqual(['reg-without-trans', 'reg-without-trans', 'reg-without-trans'])
  })

  it('a ring seq that does not grow', () => {
    expect(reasons(threeNodeRing().change([1, 2, 3], '2.4', [1, 2, 3], [1, 2, 3]))).toEqual([
      'ring-not-increasing',
      'ring-not-increasing',
      'ring-not-increasing',
    ])
  })

  it('a node that installs a configuration without itself', () => {
    const b = new TraceBuilder().start(1, 2).conf([1, 2], 'reg', '1.4', [1])
    expect(reasons(b)).toEqual(['not-member'])
  })

  it('a delivery outside any configuration, and one naming another ring', () => {
    const b = new TraceBuilder().start(1).send(1, 'a').deliver(1, 'a', { ring: '1.4' })
    expect(reasons(b)).toEqual(['no-configuration'])
    const c = threeNodeRing().send(1, 'a').deliver([1, 2], 'a').deliver(3, 'a', { ring: '1.8' })
    const [v] = breaksOnly(c, 'configuration-order')
    expect(v?.details).toEqual({
      reason: 'wrong-ring',
      node: 3,
      incarnation: 0,
      id: c.id('a'),
      ring: '1.8',
      currentRing: '1.4',
    })
  })

  it('a trace may end between a trans and its reg (no heal)', () => {
    expectOk(threeNodeRing().conf([1, 2, 3], 'trans', '1.8', [1, 2, 3]))
  })
})

describe('virtual synchrony', () => {
  it('two nodes move from 1.4 to 1.8 having delivered different sets', () => {
    const b = threeNodeRing()
      .send(3, 'm')
      .deliver([1, 3], 'm')
      .crash(3)
      .change([1, 2], '1.8', [1, 2], [1, 2])
    const v = breaksOnly(b, 'virtual-synchrony')
    expect(v.map((x) => x.details)).toEqual([
      {
        node: 1,
        incarnation: 0,
        otherNode: 2,
        otherIncarnation: 0,
        fromRing: '1.4',
        toRing: '1.8',
        id: b.id('m'),
        deliveredBy: 1,
        missingAt: 2,
      },
    ])
  })

  it('messages delivered in the transitional configuration count', () => {
    const b = threeNodeRing()
      .send(3, 'm')
      .crash(3)
      .conf([1, 2], 'trans', '1.8', [1, 2])
      .deliver(2, 'm')
      .conf([1, 2], 'reg', '1.8', [1, 2])
    const v = breaksOnly(b, 'virtual-synchrony')
    expect(v[0]?.details).toMatchObject({ id: b.id('m'), deliveredBy: 2, missingAt: 1 })
  })

  it('nodes that go to different configurations may differ', () => {
    const b = threeNodeRing()
      .send(3, 'm')
      .deliver([1, 3], 'm')
      .crash(3)
      .change([1], '1.8', [1], [1])
      .change([2], '2.12', [2], [2])
    expectOk(b)
  })
})

describe('safe delivery', () => {
  it('a live member never delivers a safe message', () => {
    const b = threeNodeRing().send(1, 's', 'safe').deliver([1, 2], 's')
    const v = breaksOnly(b, 'safe-delivery')
    expect(v.map((x) => x.details)).toEqual([
      {
        reason: 'not-delivered',
        id: b.id('s'),
        ring: '1.4',
        node: 1,
        incarnation: 0,
        member: 3,
        memberIncarnation: 0,
      },
    ])
  })

  it('a member that crashes afterwards is exempt', () => {
    expectOk(threeNodeRing().send(1, 's', 'safe').deliver([1, 2], 's').crash(3))
  })

  it('a member that never installed the configuration', () => {
    const b = new TraceBuilder()
      .start(1, 3)
      .conf(1, 'reg', '1.4', [1, 3])
      .conf(3, 'reg', '3.4', [3])
      .send(1, 's', 'safe')
      .deliver(1, 's')
    const v = breaksOnly(b, 'safe-delivery')
    expect(v[0]?.details).toMatchObject({ reason: 'not-installed', member: 3, ring: '1.4' })
  })

  it('a member that delivers it in a later configuration', () => {
    // Node 2 delivers the safe message of 1.4 only in 2.8, which it reaches alone.
    const b = threeNodeRing()
      .send(1, 's', 'safe')
      .deliver([1, 3], 's')
      .change([2], '2.8', [2], [2])
      .deliver(2, 's', { ring: '2.8' })
    const v = breaksOnly(b, 'safe-delivery')
    expect(v[0]?.details).toMatchObject({ reason: 'other-configuration', member: 2, ring: '1.4' })
  })

  it('agreed messages and safe messages delivered in a transitional configuration are not checked', () => {
    expectOk(threeNodeRing().send(1, 'a').deliver([1, 2], 'a'))
    expectOk(
      threeNodeRing()
        .send(1, 's', 'safe')
        .conf([1, 2], 'trans', '1.8', [1, 2])
        .deliver([1, 2], 's')
        .conf([1, 2], 'reg', '1.8', [1, 2])
        .crash(3),
    )
  })
})

describe('liveness after heal', () => {
  it('live nodes end in different configurations', () => {
    const b = threeNodeRing()
      .crash(3)
      .change([1], '1.8', [1], [1])
      .change([2], '2.12', [2], [2])
      .heal()
    const v = breaksOnly(b, 'liveness')
    expect(v.map((x) => x.details)).toEqual([
      { reason: 'members-not-alive', node: 1, ring: '1.8', members: '1', alive: '1,2' },
      { reason: 'different-configuration', node: 1, ring: '1.8', otherNode: 2, otherRing: '2.12' },
    ])
    // Without a heal the same trace is fine.
    b.events.pop()
    expectOk(b)
  })

  it('a live node ends in a transitional configuration', () => {
    const b = threeNodeRing().conf([1, 2, 3], 'trans', '1.8', [1, 2, 3]).heal()
    expect(breaksOnly(b, 'liveness').map((x) => x.details['reason'])).toEqual([
      'not-regular',
      'not-regular',
      'not-regular',
    ])
  })

  it('a message delivered in the last configuration by one live node only', () => {
    const b = threeNodeRing().heal().send(1, 'a').deliver([1, 2], 'a')
    expect(breaksOnly(b, 'liveness').map((x) => x.details)).toEqual([
      {
        reason: 'not-delivered',
        node: 3,
        incarnation: 0,
        id: b.id('a'),
        ring: '1.4',
        deliveredBy: 1,
      },
    ])
  })
})

describe('options and results', () => {
  it('maxViolations caps the list and sets truncated', () => {
    const b = threeNodeRing()
    for (let i = 0; i < 30; i++) b.deliver(1, `ghost${i}`, { from: 2 })
    const r = b.check()
    expect(r.violations).toHaveLength(20)
    expect(r.truncated).toBe(true)
    const all = b.check({ maxViolations: 100 })
    expect(all.violations).toHaveLength(30)
    expect(all.truncated).toBe(false)
    expect(b.check({ maxViolations: 3 }).violations).toHaveLength(3)
  })

  it('properties selects the checks', () => {
    const b = threeNodeRing()
      .send(1, 'a')
      .send(1, 'b')
      .deliver([1, 2, 3], 'b')
      .deliver([1, 2, 3], 'a')
    expect(b.check({ properties: ['integrity', 'agreed-order'] }).ok).toBe(true)
    expect(b.check({ properties: ['fifo'] }).ok).toBe(false)
    expect(b.check({ properties: [] }).ok).toBe(true)
  })

  it('violations come grouped in property order, safety before liveness', () => {
    const b = threeNodeRing().send(1, 'a').deliver(2, 'ghost', { from: 2 }).heal()
    const order = b.check().violations.map((v) => PROPERTIES.indexOf(v.property))
    expect(order).toEqual([...order].sort((x, y) => x - y))
    expect(order.length).toBeGreaterThan(1)
  })

  it('rejects bad options with ERR_INVALID_ARGUMENT', () => {
    const bad: CheckOptions[] = [
      { maxViolations: 0 },
      { maxViolations: 1.5 },
      { properties: ['integrity', 'nope' as Property] },
    ]
    for (const options of bad) {
      try {
        checkTrace([], options)
        expect.unreachable()
      } catch (e) {
        expect(isTotemError(e) && e.code).toBe('ERR_INVALID_ARGUMENT')
      }
    }
  })

  it('rejects a conf event with a malformed ring id with ERR_INVALID_ARGUMENT', () => {
    const e = {
      ev: 'conf',
      node: nodeId(1),
      t: 0,
      kind: 'reg',
      ring: '1.x',
      members: [nodeId(1)],
    } as const
    expect(() => checkTrace([e])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }))
  })

  it('checkTraceText parses then checks, and propagates parse errors', () => {
    const b = threeNodeRing().send(1, 'a').deliver([1, 2], 'a')
    expect(checkTraceText(b.text())).toEqual(checkTrace(parseTrace(b.text())))
    expect(() => checkTraceText('{"ev":"start"}')).toThrow(
      expect.objectContaining({ code: 'ERR_EVS_BAD_TRACE' }),
    )
  })
})
