/** Table of crafted path spellings and what they normalize to. */
import { describe, expect, it } from 'vitest'
import { normalizePath } from './normalize'

describe('normalizePath', () => {
  it.each([
    ['/api/joke', '/api/joke'],
    ['/api/joke/', '/api/joke'],
    ['//api/joke', '/api/joke'],
    ['/api//joke', '/api/joke'],
    ['/API/Joke', '/api/joke'],
    ['/api/%6Aoke', '/api/joke'],
    ['/api/%6aoke', '/api/joke'],
    ['/api/./joke', '/api/joke'],
    ['/api/joke;x=1', '/api/joke'],
    ['/api;v=2/joke', '/api/joke'],
    ['/x/../api/joke', '/api/joke'],
    ['/api%2Fjoke', '/api/joke'],
    ['/api%2fjoke', '/api/joke'],
    ['/api/%2e/joke', '/api/joke'],
    ['/x/%2e%2e/api/joke', '/api/joke'],
    ['/api%252Fjoke', '/api/joke'],
    ['/api\\joke', '/api/joke'],
    ['/../../api/joke', '/api/joke'],
    ['/api/joke%3Bx=1', '/api/joke'],
    ['', '/'],
    ['/', '/'],
  ])('%j → %j', (input, expected) => {
    expect(normalizePath(input)).toEqual({ ok: true, path: expected })
  })

  it('keeps letter case when case-sensitive', () => {
    expect(normalizePath('/API/Joke/', { caseSensitive: true })).toEqual({
      ok: true,
      path: '/API/Joke',
    })
  })

  it('keeps a literal percent sign that is encoded once', () => {
    expect(normalizePath('/files/100%25')).toEqual({ ok: true, path: '/files/100%' })
  })

  it.each(['/api/%zzoke', '/api/jo%', '/api/%E0%A4'])(
    'reports malformed encoding in %j with a lenient reading',
    (input) => {
      const result = normalizePath(input)
      expect(result.ok).toBe(false)
      expect(result.path.startsWith('/api/')).toBe(true)
    },
  )

  it('refuses a path encoded more than three times', () => {
    expect(normalizePath('/api%25252525252Fjoke').ok).toBe(false)
  })
})
