import { describe, expect, it } from 'vitest'
import { debitRef } from './priced'

const REF = /^([^#]+)#([0-9a-f-]{36})\.([0-9]+)$/

describe('debitRef', () => {
  it('names the method and route, this process, and a counter that never repeats', () => {
    const refs = Array.from({ length: 1_000 }, (_, i) =>
      debitRef(i % 2 ? 'GET' : 'POST', 'GET /api/joke'),
    )
    expect(new Set(refs).size).toBe(refs.length)
    const parts = refs.map((ref) => REF.exec(ref))
    expect(parts.every((p) => p !== null)).toBe(true)
    // The route's own method gives way to the request's.
    expect(parts[0]?.[1]).toBe('POST /api/joke')
    expect(parts[1]?.[1]).toBe('GET /api/joke')
    expect(new Set(parts.map((p) => p?.[2])).size).toBe(1)
    const counters = parts.map((p) => Number(p?.[3]))
    expect(counters.every((n, i) => i === 0 || n === (counters[i - 1] as number) + 1)).toBe(true)
  })

  it('keeps printable ASCII only, whatever method and route it is given', () => {
    const ref = debitRef('G\u0000T\u00e9', '/files/\u0001*')
    expect(ref).toMatch(/^G\?T\? \/files\/\?\*#/)
    expect(ref).toMatch(/^[\x20-\x7e]+$/)
  })

  it('stays right past the methods it remembers for a route (a route that names none takes any)', () => {
    const methods = Array.from({ length: 100 }, (_, i) => `M${i}`)
    const refs = methods.map((method) => debitRef(method, '/any'))
    expect(refs.map((ref) => REF.exec(ref)?.[1])).toEqual(methods.map((m) => `${m} /any`))
    expect(debitRef('M99', '/any')).not.toBe(refs[99])
  })
})
