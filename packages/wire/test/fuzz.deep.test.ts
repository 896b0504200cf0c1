/**
 * Deep fuzzing, off in a normal `pnpm test`: runs only when `TOTEM_FUZZ_RUNS` is set
 * (`pnpm test:fuzz` sets 1 000 000). Millions of mutated capture datagrams and random inputs go
 * through every decoder; each must return or throw a WireError, within its allocation bounds.
 * Replay a failure with the seed and path fast-check prints (`TOTEM_FUZZ_SEED`).
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeAppMessage,
  decodeTotemMessage,
  encodeAppMessage,
  encodeTotemMessage,
} from '../src/index.ts'
import * as arb from './support/arbitraries.ts'
import { type Fixture, loadAllFixtures } from './support/fixtures.ts'
import { decodeEverything, smallAssembler, type Tally } from './support/hostile.ts'
import { fuzzRunsFromEnv } from './support/runs.ts'

const RUNS = fuzzRunsFromEnv() ?? 0
/** Long enough for a million runs of each property. */
const TIMEOUT_MS = 6 * 3600 * 1000
const seedEnv = process.env['TOTEM_FUZZ_SEED']
const params = (numRuns: number): fc.Parameters<unknown> =>
  seedEnv === undefined ? { numRuns } : { numRuns, seed: Number(seedEnv) }

/** One edit of a datagram. */
type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'u32'; at: number; value: number; le: boolean }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; n: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; at: number; other: number; from: number }

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    bit: fc.integer({ min: 0, max: 7 }),
  }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: arb.u8 }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: arb.u32, le: fc.boolean() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: arb.bytes(64, 1) }),
  fc.record({
    kind: fc.constant('delete' as const),
    at: fc.nat(),
    n: fc.integer({ min: 1, max: 64 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('splice' as const),
    at: fc.nat(),
    other: fc.nat(),
    from: fc.nat(),
  }),
)

function mutate(
  input: Uint8Array,
  edits: readonly Mutation[],
  pool: readonly Fixture[],
): Uint8Array {
  let b = input.slice()
  for (const e of edits) {
    const at = b.length === 0 ? 0 : e.at % b.length
    switch (e.kind) {
      case 'flip':
        if (b.length > 0) b[at] = (b[at] as number) ^ (1 << e.bit)
        break
      case 'set':
        if (b.length > 0) b[at] = e.value
        break
      case 'u32':
        if (at + 4 <= b.length) new DataView(b.buffer).setUint32(at, e.value, e.le)
        break
      case 'insert': {
        const out = new Uint8Array(b.length + e.bytes.length)
        out.set(b.subarray(0, at))
        out.set(e.bytes, at)
        out.set(b.subarray(at), at + e.bytes.length)
        b = out
        break
      }
      case 'delete':
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + e.n)])
        break
      case 'truncate':
        b = b.slice(0, at)
        break
      case 'splice': {
        const other = (pool[e.other % pool.length] as Fixture).bytes
        const from = other.length === 0 ? 0 : e.from % other.length
        b = Uint8Array.from([...b.subarray(0, at), ...other.subarray(from)])
        break
      }
    }
  }
  return b
}

describe.runIf(RUNS > 0)(`deep fuzz (${RUNS} runs)`, () => {
  const fixtures = RUNS > 0 ? loadAllFixtures() : []

  it(
    'mutated capture datagrams through every decoder: only WireErrors, bounded results',
    () => {
      expect(fixtures.length).toBeGreaterThan(1000)
      const tally: Tally = new Map()
      const { asm } = smallAssembler(tally)
      fc.assert(
        fc.property(
          fc.nat({ max: fixtures.length - 1 }),
          fc.array(mutation, { minLength: 1, maxLength: 6 }),
          fc.integer({ min: 1, max: 6 }),
          (k, edits, sender) => {
            const b = mutate((fixtures[k] as Fixture).bytes, edits, fixtures)
            decodeEverything(b, tally, asm, sender)
          },
        ),
        params(RUNS),
      )
      expect(tally.get('totem:ok')).toBeGreaterThan(0)
    },
    TIMEOUT_MS,
  )

  it(
    'random bytes behind valid headers: only WireErrors',
    () => {
      const tally: Tally = new Map()
      const { asm } = smallAssembler(tally)
      fc.assert(
        fc.property(
          fc.boolean(),
          fc.integer({ min: 0, max: 7 }),
          fc.integer({ min: 0, max: 3 }),
          arb.bytes(2000),
          (le, type, enc, rest) => {
            const b = new Uint8Array(5 + rest.length)
            b.set(le ? [0x70, 0xc0] : [0xc0, 0x70])
            b[2] = 3
            b[3] = type
            b[4] = enc
            b.set(rest, 5)
            decodeEverything(b, tally, asm)
          },
        ),
        params(Math.ceil(RUNS / 2)),
      )
    },
    TIMEOUT_MS,
  )

  it(
    'encoded random messages, mutated: only WireErrors',
    () => {
      const tally: Tally = new Map()
      fc.assert(
        fc.property(
          fc.oneof(
            fc.tuple(arb.totemMessage, fc.boolean()).map(([m, le]) => encodeTotemMessage(m, le)),
            fc.tuple(arb.serviceMessage, fc.boolean()).map(([m, le]) => encodeAppMessage(m, le)),
          ),
          fc.array(mutation, { maxLength: 4 }),
          (b, edits) => {
            decodeEverything(mutate(b, edits, fixtures), tally)
          },
        ),
        params(Math.ceil(RUNS / 4)),
      )
    },
    TIMEOUT_MS,
  )

  it(
    'round trips of random messages hold at scale',
    () => {
      fc.assert(
        fc.property(arb.totemMessage, arb.serviceMessage, fc.boolean(), (m, s, le) => {
          expect(decodeTotemMessage(encodeTotemMessage(m, le))).toEqual(m)
          expect(decodeAppMessage(encodeAppMessage(s, le), le).message).toEqual(s)
        }),
        params(Math.ceil(RUNS / 10)),
      )
    },
    TIMEOUT_MS,
  )
})
