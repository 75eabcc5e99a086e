import { describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH } from './constants'
import { parseJsonSafely } from './json'

describe('parseJsonSafely', () => {
  it('parses ordinary JSON', () => {
    expect(parseJsonSafely('{"a":[1,{"b":null}],"c":"d"}')).toEqual({
      ok: true,
      value: { a: [1, { b: null }], c: 'd' },
    })
    expect(parseJsonSafely('"x"')).toEqual({ ok: true, value: 'x' })
  })

  it('says why it refused', () => {
    expect(parseJsonSafely('{')).toEqual({ ok: false, reason: 'is not valid JSON' })
    expect(parseJsonSafely('{"__proto__":{}}')).toEqual({
      ok: false,
      reason: 'contains the forbidden key "__proto__"',
    })
  })

  it('refuses forbidden keys inside arrays too', () => {
    expect(parseJsonSafely('[[{"constructor":1}]]').ok).toBe(false)
    // A forbidden word as a value is fine.
    expect(parseJsonSafely('{"a":"__proto__"}').ok).toBe(true)
  })

  it(`allows ${MAX_JSON_DEPTH} levels of nesting and no more; the limit is a parameter`, () => {
    const nest = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`
    expect(parseJsonSafely(nest(MAX_JSON_DEPTH)).ok).toBe(true)
    expect(parseJsonSafely(nest(MAX_JSON_DEPTH + 1)).ok).toBe(false)
    expect(parseJsonSafely(nest(3), 2).ok).toBe(false)
  })

  it('walks very deep input without recursion', () => {
    expect(parseJsonSafely(`${'['.repeat(100_000)}${']'.repeat(100_000)}`).ok).toBe(false)
  })
})
