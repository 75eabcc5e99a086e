/** splitUrl: the path a router reads, whether the request line carries a path or an absolute URL. */
import { describe, expect, it } from 'vitest'
import { splitUrl } from './request'

describe('splitUrl', () => {
  it('keeps an origin-form path and query as sent', () => {
    expect(splitUrl('/users/%2e%2e?x=1#f')).toEqual({ path: '/users/%2e%2e', query: 'x=1' })
    expect(splitUrl('//api/joke')).toEqual({ path: '//api/joke', query: '' })
  })

  it.each([
    ['http://x/users/%2e%2e', '/users/%2e%2e'],
    ['http://x/files/..', '/files/..'],
    ['HTTP://x:8080/files/%2E%2E', '/files/%2E%2E'],
    ['http://user@x/users/./', '/users/./'],
    ['https://api.example.com//api/joke', '//api/joke'],
    ['http://x\\users\\..', '/users/..'],
    ['http:/users/..', '/users/..'],
    ['https://api.example.com', '/'],
  ])('strips the scheme and authority of %s without resolving dot segments', (url, path) => {
    expect(splitUrl(url).path).toBe(path)
  })

  it('keeps the query of an absolute URL, backslashes in it included', () => {
    expect(splitUrl('http://x/users/..?a=\\b#frag')).toEqual({ path: '/users/..', query: 'a=\\b' })
    expect(splitUrl('https://api.example.com?x=1')).toEqual({ path: '/', query: 'x=1' })
  })
})
