/** The methods and URLs a request may be dispatched as: the wire's, a rewrite's, a method override's. */
import { describe, expect, it } from 'vitest'
import { spellingsOf } from './spellings'

const request = (url: string, headers: Record<string, string> = {}, routed?: object) => ({
  method: 'POST',
  url,
  headers: { get: (name: string) => headers[name] ?? null },
  ...(routed && { routed }),
})
const spelled = (...args: Parameters<typeof request>) =>
  spellingsOf('POST', request(...args)).map(({ method, url }) => `${method} ${url}`)

describe('spellingsOf', () => {
  it('is the wire alone for an ordinary request', () => {
    expect(spelled('/api/joke?x=1')).toEqual(['POST /api/joke?x=1'])
    expect(spelled('/api/joke', {}, { method: 'post', url: '/api/joke' })).toEqual([
      'POST /api/joke',
    ])
  })

  it('adds the URL and method the router dispatches after a rewrite or an override', () => {
    expect(spelled('/latest/api/joke', {}, { method: 'GET', url: '/api/joke' })).toEqual([
      'POST /latest/api/joke',
      'GET /latest/api/joke',
      'POST /api/joke',
      'GET /api/joke',
    ])
  })

  it('adds the methods override headers and ?_method ask for, and nothing that is no method', () => {
    expect(spelled('/x', { 'x-http-method-override': 'get' })).toEqual(['POST /x', 'GET /x'])
    expect(spelled('/x', { 'x-http-method': 'DELETE, PUT' })).toEqual([
      'POST /x',
      'DELETE /x',
      'PUT /x',
    ])
    expect(spelled('/x?_method=delete&_method=get')).toEqual([
      'POST /x?_method=delete&_method=get',
      'DELETE /x?_method=delete&_method=get',
      'GET /x?_method=delete&_method=get',
    ])
    expect(spelled('/x?_method=%2Fetc', { 'x-method-override': 'G E T' })).toEqual([
      'POST /x?_method=%2Fetc',
    ])
  })
})
