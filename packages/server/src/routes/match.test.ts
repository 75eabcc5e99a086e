/** Route matching: specificity, parameters, wildcards, methods, and refused patterns. */
import { describe, expect, it } from 'vitest'
import { compileRoutes, matchRoute } from './match'
import { normalizePath } from './normalize'

const table = compileRoutes({
  '/api/*': 'wildcard',
  'GET /api/joke': 'exact',
  'GET /users/:id': 'params',
  'GET /users/me': 'me',
  'POST /users/:id/orders': 'orders',
  '/files/:name': 'any-method',
})

const match = (method: string, path: string) => {
  const normalized = normalizePath(path)
  return matchRoute(table, method, normalized.path)
}

describe('matchRoute', () => {
  it('prefers exact over params over wildcard', () => {
    expect(match('GET', '/api/joke')?.route.value).toBe('exact')
    expect(match('GET', '/users/me')?.route.value).toBe('me')
    expect(match('GET', '/users/42')?.route.value).toBe('params')
    expect(match('GET', '/api/anything/deep')?.route.value).toBe('wildcard')
  })

  it('extracts parameters and the wildcard rest', () => {
    expect(match('GET', '/users/42')?.params).toEqual({ id: '42' })
    expect(match('POST', '/users/7/orders')?.params).toEqual({ id: '7' })
    expect(match('DELETE', '/api/a/b')?.params).toEqual({ '*': 'a/b' })
  })

  it('lets a wildcard cover its own prefix, since /api/ normalizes to /api', () => {
    expect(match('GET', '/api/')?.route.value).toBe('wildcard')
  })

  it('prices HEAD like GET, and OPTIONS only on routes that name no method', () => {
    expect(match('HEAD', '/api/joke')?.route.value).toBe('exact')
    expect(match('HEAD', '/users/1')?.route.value).toBe('params')
    expect(match('OPTIONS', '/users/1')).toBeNull()
    // A method-less route prices every method: a handler mounted for all of them serves OPTIONS too.
    expect(match('OPTIONS', '/api/joke')?.route.value).toBe('wildcard')
    expect(match('OPTIONS', '/files/x')?.route.value).toBe('any-method')
  })

  it('honours the method of a route and lets method-less routes take any', () => {
    expect(match('POST', '/users/1')).toBeNull()
    expect(match('GET', '/users/1/orders')).toBeNull()
    expect(match('PUT', '/files/x')?.route.value).toBe('any-method')
    expect(match('POST', '/api/joke')?.route.value).toBe('wildcard')
  })

  it('matches nothing outside the routes', () => {
    expect(match('GET', '/')).toBeNull()
    expect(match('GET', '/apix/joke')).toBeNull()
    expect(match('GET', '/users')).toBeNull()
  })

  it('is case-insensitive by default and case-sensitive on request', () => {
    expect(match('get', '/USERS/ME')?.route.value).toBe('me')
    const sensitive = compileRoutes({ 'GET /Api/Joke': 1 }, { caseSensitive: true })
    expect(matchRoute(sensitive, 'GET', '/Api/Joke')?.route.value).toBe(1)
    expect(matchRoute(sensitive, 'GET', '/api/joke')).toBeNull()
  })
})

describe('compileRoutes', () => {
  it.each([
    ['GTE /x', /unknown method "GTE"/],
    ['OPTIONS /x', /OPTIONS cannot be priced/],
    ['api/x', /must start with "\/"/],
    ['/a/*/b', /only allowed as the last segment/],
    ['/a/:1x', /not a valid parameter name/],
    ['/a/%2Fb', /not allowed/],
    ['/a/../b', /not allowed/],
    ['GET  /a  b', /expected "METHOD \/path"/],
  ])('refuses %j', (key, message) => {
    expect(() => compileRoutes({ [key]: 1 })).toThrow(message)
  })

  it('refuses two keys that match the same requests', () => {
    expect(() => compileRoutes({ 'GET /a/:id': 1, 'GET /A/:other': 2 })).toThrow(
      /matches the same requests as "GET \/a\/:id"/,
    )
  })
})
