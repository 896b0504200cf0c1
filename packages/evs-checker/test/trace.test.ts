import { isTotemError, nodeId } from '@totem-ts/common'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  EvsTraceError,
  formatTraceEvent,
  isTraceRingId,
  parseTrace,
  parseTraceLine,
  TRACE_LINE_CHARS_MAX,
  type TraceEvent,
} from '../src/index.ts'

const ID = '0123456789abcdef0123456789abcdef'

/** Runs `f`, expecting an EvsTraceError; returns its code and details. */
function parseError(text: string) {
  try {
    parseTrace(text)
  } catch (e) {
    expect(e).toBeInstanceOf(EvsTraceError)
    expect(isTotemError(e)).toBe(true)
    const err = e as EvsTraceError
    return { code: err.code, ...err.details }
  }
  throw new Error('expected a parse error')
}

describe('parseTrace', () => {
  it('parses every event kind', () => {
    const text = [
      '{"ev":"start","node":1,"t":0}',
      `{"ev":"send","node":1,"t":1.5,"id":"${ID}","g":"safe"}`,
      `{"ev":"deliver","node":2,"t":2,"id":"${ID}","from":1,"g":"safe","ring":"1.4"}`,
      '{"ev":"conf","node":2,"t":3,"kind":"trans","ring":"1.18446744073709551615","members":[1,2,4294967295]}',
      '{"ev":"crash","node":1,"t":4}',
      '{"ev":"stop","node":2,"t":5}',
      '{"t":6,"ev":"heal"}',
    ].join('\n')
    expect(parseTrace(text)).toEqual([
      { ev: 'start', node: 1, t: 0 },
      { ev: 'send', node: 1, t: 1.5, id: ID, g: 'safe' },
      { ev: 'deliver', node: 2, t: 2, id: ID, from: 1, g: 'safe', ring: '1.4' },
      {
        ev: 'conf',
        node: 2,
        t: 3,
        kind: 'trans',
        ring: '1.18446744073709551615',
        members: [1, 2, 4294967295],
      },
      { ev: 'crash', node: 1, t: 4 },
      { ev: 'stop', node: 2, t: 5 },
      { ev: 'heal', t: 6 },
    ])
  })

  it('skips empty lines, accepts CRLF and a missing final newline', () => {
    const text = '\n{"ev":"start","node":1,"t":0}\r\n\r\n   \n{"ev":"heal","t":1}'
    expect(parseTrace(text)).toEqual([
      { ev: 'start', node: 1, t: 0 },
      { ev: 'heal', t: 1 },
    ])
    expect(parseTrace('')).toEqual([])
  })

  it('counts lines from 1, empty ones included', () => {
    expect(parseError('{"ev":"start","node":1,"t":0}\n\n{"ev":"start"}\n')).toEqual({
      code: 'ERR_EVS_BAD_TRACE',
      line: 3,
      reason: 'missing-field',
      field: 'node',
    })
  })

  it.each([
    ['not JSON', '{"ev":"start",', { reason: 'not-json' }],
    ['a comment', '// start', { reason: 'not-json' }],
    ['an array', '[1,2]', { reason: 'not-object' }],
    ['null', 'null', { reason: 'not-object' }],
    ['a number', '42', { reason: 'not-object' }],
    ['no ev', '{"node":1,"t":0}', { reason: 'bad-ev', field: 'ev' }],
    ['an unknown ev', '{"ev":"restart","node":1,"t":0}', { reason: 'bad-ev', field: 'ev' }],
    [
      'ev from the prototype',
      '{"ev":"toString","node":1,"t":0}',
      { reason: 'bad-ev', field: 'ev' },
    ],
    [
      'an extra field',
      '{"ev":"start","node":1,"t":0,"x":1}',
      { reason: 'unexpected-field', field: 'x' },
    ],
    [
      '__proto__',
      '{"ev":"start","node":1,"t":0,"__proto__":{}}',
      { reason: 'unexpected-field', field: '__proto__' },
    ],
    [
      'a heal with a node',
      '{"ev":"heal","node":1,"t":0}',
      { reason: 'unexpected-field', field: 'node' },
    ],
    ['no t', '{"ev":"start","node":1}', { reason: 'missing-field', field: 't' }],
    ['a negative t', '{"ev":"start","node":1,"t":-1}', { reason: 'bad-field', field: 't' }],
    ['a string t', '{"ev":"start","node":1,"t":"0"}', { reason: 'bad-field', field: 't' }],
    ['node 0', '{"ev":"crash","node":0,"t":0}', { reason: 'bad-field', field: 'node' }],
    ['a fractional node', '{"ev":"stop","node":1.5,"t":0}', { reason: 'bad-field', field: 'node' }],
    [
      'a node beyond u32',
      '{"ev":"start","node":4294967296,"t":0}',
      { reason: 'bad-field', field: 'node' },
    ],
    [
      'an uppercase id',
      `{"ev":"send","node":1,"t":0,"id":"${ID.toUpperCase()}","g":"agreed"}`,
      { reason: 'bad-field', field: 'id' },
    ],
    [
      'a short id',
      '{"ev":"send","node":1,"t":0,"id":"abcd","g":"agreed"}',
      { reason: 'bad-field', field: 'id' },
    ],
    [
      'a bad g',
      `{"ev":"send","node":1,"t":0,"id":"${ID}","g":"fifo"}`,
      { reason: 'bad-field', field: 'g' },
    ],
    [
      'no from',
      `{"ev":"deliver","node":1,"t":0,"id":"${ID}","g":"agreed","ring":"1.4"}`,
      { reason: 'missing-field', field: 'from' },
    ],
    [
      'a ring with leading zeros',
      `{"ev":"deliver","node":1,"t":0,"id":"${ID}","from":1,"g":"agreed","ring":"01.4"}`,
      { reason: 'bad-field', field: 'ring' },
    ],
    [
      'a hex ring',
      '{"ev":"conf","node":1,"t":0,"kind":"reg","ring":"1.d","members":[1]}',
      { reason: 'bad-field', field: 'ring' },
    ],
    [
      'a ring seq beyond u64',
      '{"ev":"conf","node":1,"t":0,"kind":"reg","ring":"1.18446744073709551616","members":[1]}',
      { reason: 'bad-field', field: 'ring' },
    ],
    [
      'a ring rep beyond u32',
      '{"ev":"conf","node":1,"t":0,"kind":"reg","ring":"4294967296.4","members":[1]}',
      { reason: 'bad-field', field: 'ring' },
    ],
    [
      'a bad kind',
      '{"ev":"conf","node":1,"t":0,"kind":"regular","ring":"1.4","members":[1]}',
      { reason: 'bad-field', field: 'kind' },
    ],
    [
      'unsorted members',
      '{"ev":"conf","node":1,"t":0,"kind":"reg","ring":"1.4","members":[2,1]}',
      { reason: 'bad-field', field: 'members' },
    ],
    [
      'duplicate members',
      '{"ev":"conf","node":1,"t":0,"kind":"reg","ring":"1.4","members":[1,1]}',
      { reason: 'bad-field', field: 'members' },
    ],
    [
      'a member 0',
      '{"ev":"conf","node":1,"t":0,"kind":"reg","ring":"1.4","members":[0,1]}',
      { reason: 'bad-field', field: 'members' },
    ],
    [
      'members not an array',
      '{"ev":"conf","node":1,"t":0,"kind":"reg","ring":"1.4","members":"1"}',
      { reason: 'bad-field', field: 'members' },
    ],
    [
      'too many members',
      `{"ev":"conf","node":1,"t":0,"kind":"reg","ring":"1.4","members":[${Array.from({ length: 385 }, (_, i) => i + 1).join(',')}]}`,
      { reason: 'bad-field', field: 'members' },
    ],
  ])('rejects %s', (_name, line, expected) => {
    expect(parseError(`{"ev":"start","node":1,"t":0}\n${line}`)).toEqual({
      code: 'ERR_EVS_BAD_TRACE',
      line: 2,
      ...expected,
    })
  })

  it('rejects a line longer than TRACE_LINE_CHARS_MAX before parsing it', () => {
    const long = `{"ev":"start","node":1,"t":0${' '.repeat(TRACE_LINE_CHARS_MAX)}}`
    expect(parseError(long)).toEqual({ code: 'ERR_EVS_BAD_TRACE', line: 1, reason: 'too-long' })
  })

  it('throws only EvsTraceError on arbitrary text and mutated lines', () => {
    const good = `{"ev":"deliver","node":2,"t":2,"id":"${ID}","from":1,"g":"safe","ring":"1.4"}`
    const text = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .tuple(fc.nat(good.length), fc.nat(good.length), fc.string({ maxLength: 8 }))
        .map(([a, b, s]) => good.slice(0, Math.min(a, b)) + s + good.slice(Math.max(a, b))),
    )
    fc.assert(
      fc.property(text, (t) => {
        try {
          parseTrace(t)
        } catch (e) {
          expect(e).toBeInstanceOf(EvsTraceError)
          expect((e as EvsTraceError).code).toBe('ERR_EVS_BAD_TRACE')
          expect(typeof (e as EvsTraceError).details['line']).toBe('number')
        }
      }),
      { numRuns: 2000 },
    )
  })
})

describe('formatTraceEvent', () => {
  it('writes the fields in the order of EVS-TRACE.md', () => {
    expect(
      formatTraceEvent({
        ev: 'deliver',
        node: nodeId(2),
        t: 2,
        id: ID,
        from: nodeId(1),
        g: 'safe',
        ring: '1.4',
      }),
    ).toBe(`{"ev":"deliver","node":2,"t":2,"id":"${ID}","from":1,"g":"safe","ring":"1.4"}`)
    expect(formatTraceEvent({ ev: 'heal', t: 9 })).toBe('{"ev":"heal","t":9}')
    expect(
      formatTraceEvent({
        ev: 'conf',
        node: nodeId(1),
        t: 0,
        kind: 'reg',
        ring: '1.4',
        members: [nodeId(1), nodeId(3)],
      }),
    ).toBe('{"ev":"conf","node":1,"t":0,"kind":"reg","ring":"1.4","members":[1,3]}')
  })

  it('round-trips through parseTraceLine', () => {
    const node = fc.integer({ min: 1, max: 0xffff_ffff }).map(nodeId)
    const t = fc.double({ min: 0, max: 1e12, noNaN: true, noDefaultInfinity: true })
    const id = fc
      .uint8Array({ minLength: 16, maxLength: 16 })
      .map((b) => Buffer.from(b).toString('hex'))
    const g = fc.constantFrom('agreed' as const, 'safe' as const)
    const ring = fc
      .tuple(fc.nat(), fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn }))
      .map(([r, s]) => `${r}.${s}`)
    const members = fc.uniqueArray(node, { maxLength: 20 }).map((m) => [...m].sort((a, b) => a - b))
    const event: fc.Arbitrary<TraceEvent> = fc.oneof(
      fc.record({
        ev: fc.constantFrom('start' as const, 'crash' as const, 'stop' as const),
        node,
        t,
      }),
      fc.record({ ev: fc.constant('send' as const), node, t, id, g }),
      fc.record({ ev: fc.constant('deliver' as const), node, t, id, from: node, g, ring }),
      fc.record({
        ev: fc.constant('conf' as const),
        node,
        t,
        kind: fc.constantFrom('trans' as const, 'reg' as const),
        ring,
        members,
      }),
      fc.record({ ev: fc.constant('heal' as const), t }),
    )
    fc.assert(
      fc.property(event, (e) => {
        expect(parseTraceLine(formatTraceEvent(e))).toEqual(e)
      }),
      { numRuns: 1000 },
    )
  })
})

describe('isTraceRingId', () => {
  it('accepts decimal rep.seq within u32.u64 and nothing else', () => {
    for (const ok of ['0.0', '1.4', '4294967295.18446744073709551615'])
      expect(isTraceRingId(ok)).toBe(true)
    for (const bad of [
      '',
      '1',
      '1.',
      '.4',
      '1.4.5',
      '1.-4',
      ' 1.4',
      '1.4 ',
      '01.4',
      '1.04',
      14,
      null,
    ]) {
      expect(isTraceRingId(bad)).toBe(false)
    }
  })
})
