import { describe, expect, it } from 'vitest'
import { AssertionError, assert, isTotemError, TotemError } from '../src/index.ts'

describe('TotemError', () => {
  it('carries a stable code, frozen details and a cause', () => {
    const cause = new Error('inner')
    const e = new TotemError('ERR_X_Y', 'boom', { details: { offset: 3 }, cause })
    expect(e.code).toBe('ERR_X_Y')
    expect(e.details).toEqual({ offset: 3 })
    expect(Object.isFrozen(e.details)).toBe(true)
    expect(e.cause).toBe(cause)
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('TotemError')
  })

  it('names subclasses after themselves', () => {
    class WireishError extends TotemError<'ERR_W'> {}
    expect(new WireishError('ERR_W', 'x').name).toBe('WireishError')
  })

  it('is recognised by its Symbol.for brand, also across copies of the package', () => {
    expect(isTotemError(new TotemError('ERR_A', 'a'))).toBe(true)
    expect(isTotemError(new Error('plain'))).toBe(false)
    expect(isTotemError(null)).toBe(false)
    expect(isTotemError({ code: 'ERR_A' })).toBe(false)
    // A look-alike from "another copy": a different class carrying the same global brand.
    const foreign = Object.assign(Object.create({ [Symbol.for('totem-ts.TotemError')]: true }), {
      code: 'ERR_FOREIGN',
    })
    expect(isTotemError(foreign)).toBe(true)
  })
})

describe('assert', () => {
  it('passes on truthy conditions and throws ERR_ASSERTION with details otherwise', () => {
    expect(() => assert(1, 'fine')).not.toThrow()
    try {
      assert(false, 'seq must grow', { seq: 4 })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(AssertionError)
      expect((e as AssertionError).code).toBe('ERR_ASSERTION')
      expect((e as AssertionError).details).toEqual({ seq: 4 })
    }
  })
})
