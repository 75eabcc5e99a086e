/** Every reading of a crafted path, and the route each one prices: no spelling a router dispatches on escapes a paid route. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileRoutes, matchEachReading, matchReadings } from './match'
import { readEveryWay, readPath, readPlainPath } from './readings'

const table = compileRoutes({
  'GET /users/:id': 'user',
  'GET /files/*': 'files',
  'GET /api/joke': 'joke',
  'GET /api/premium': 'premium',
  '/api/*': 'api',
})

const match = (path: string, method = 'GET') => {
  const match = matchReadings(table, method, readPath(path).segments)
  return match && { route: match.route.value, params: match.params }
}

describe('readPath', () => {
  it('keeps %2F and dot segments inside a segment in the raw reading, as routers dispatch', () => {
    expect(readPath('/users/a%2Fb').segments).toEqual([
      ['users', 'a/b'],
      ['users', 'a', 'b'],
    ])
    expect(readPath('/users/%2E%2E').segments).toEqual([['users', '..'], []])
    expect(readPath('/files/./x;v=1').segments).toEqual([
      ['files', '.', 'x;v=1'],
      ['files', 'x'],
    ])
  })

  it('keeps empty segments in a literal reading first, as routers match them', () => {
    expect(readPath('/files//x').segments).toEqual([
      ['files', '', 'x'],
      ['files', 'x'],
    ])
    expect(readPath('/files/x//').segments[0]).toEqual(['files', 'x', ''])
    // One trailing `/` is no segment.
    expect(readPath('/users/42/').segments).toEqual([['users', '42']])
  })

  it('reads an ordinary path once', () => {
    expect(readPath('/api/joke').segments).toEqual([['api', 'joke']])
    expect(readPath('/API/Joke/').segments).toEqual([
      ['API', 'Joke'],
      ['api', 'joke'],
    ])
  })

  it('reads a path without anything to decode exactly as the long way does', () => {
    // Characters that matter to some reading (`%`, `\\`, `;`, dots, case) mixed with `/` and any text.
    const pathArb = fc
      .array(
        fc.oneof(
          fc.constantFrom('/', '//', '.', '..', '%2F', '%', ';', '\\', 'A', 'Σ', 'İ', 'ß'),
          fc.string({ unit: 'binary', maxLength: 6 }),
        ),
        { maxLength: 12 },
      )
      .map((parts) => parts.join(''))
    fc.assert(
      fc.property(pathArb, fc.boolean(), (path, caseSensitive) => {
        expect(readPath(path, { caseSensitive })).toEqual(readEveryWay(path, { caseSensitive }))
      }),
      { numRuns: 2000 },
    )
    for (const path of [
      '/',
      '',
      '/api/joke',
      '/API/Joke/',
      '//a///b/',
      '/a.b/...c/d..',
      '/ΑΣ/ΟΔΟΣ',
      '/İ',
    ]) {
      for (const caseSensitive of [false, true])
        expect(readPlainPath(path, { caseSensitive })).toEqual(
          readEveryWay(path, { caseSensitive }),
        )
    }
  })
})

describe('matchReadings', () => {
  // Express 5, Koa routers and Hono all route these to the `:id` or `*` handler.
  it.each([
    ['/users/a%2Fb', 'user', { id: 'a/b' }],
    ['/users/a%2fb', 'user', { id: 'a/b' }],
    ['/users/%2E%2E', 'user', { id: '..' }],
    ['/users/%2e', 'user', { id: '.' }],
    ['/users/.', 'user', { id: '.' }],
    ['/users/..', 'user', { id: '..' }],
    ['/users/a;b', 'user', { id: 'a;b' }],
    ['/users/;b', 'user', { id: ';b' }],
    ['/users/%3B', 'user', { id: ';' }],
    ['/users/x%2F..%2F..', 'user', { id: 'x/../..' }],
    ['/USERS/Ada', 'user', { id: 'Ada' }],
    ['/users/42/', 'user', { id: '42' }],
    ['/files/..', 'files', { '*': '..' }],
    ['/files/%2e%2e/x', 'files', { '*': '../x' }],
    ['/files/a/b', 'files', { '*': 'a/b' }],
  ])('prices %j by the route a router dispatches it to', (path, route, params) => {
    expect(match(path)).toEqual({ route, params })
  })

  it('still prices spellings that only a normalizing server resolves to a paid route', () => {
    expect(match('/api%2Fjoke')?.route).toBe('joke')
    expect(match('/x/../api/joke')?.route).toBe('joke')
    expect(match('/api%252Fpremium')?.route).toBe('premium')
    expect(match('/users%2F7')).toEqual({ route: 'user', params: { id: '7' } })
  })

  it('prices by the reading routers use when readings disagree', () => {
    // Express serves these from `/api/*`, not from `/api/premium` or `/api/joke`.
    expect(match('/api/x/../premium')?.route).toBe('api')
    expect(match('/api/joke;v=2')?.route).toBe('api')
  })

  it('leaves free paths free', () => {
    expect(match('/')).toBeNull()
    expect(match('/users')).toBeNull()
    expect(match('/users/')).toBeNull()
    expect(match('/users/7/avatar')).toBeNull()
    expect(match('/health')).toBeNull()
    expect(match('/users/7', 'POST')).toBeNull()
    expect(match('/users/7', 'OPTIONS')).toBeNull()
  })
})

describe('matchEachReading', () => {
  const dear = compileRoutes({ 'GET /files/:name': 'name', 'GET /files/*': 'files' })
  const routes = (path: string) =>
    matchEachReading(dear, 'GET', readPath(path).segments).map((m) => [m.route.value, m.params])

  it('offers the route an empty segment is served by, and the one it reads as without it', () => {
    expect(routes('/files//x')).toEqual([
      ['files', { '*': '/x' }],
      ['name', { name: 'x' }],
    ])
    expect(routes('/files/x')).toEqual([['name', { name: 'x' }]])
  })
})
