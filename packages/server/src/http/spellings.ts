/** The spellings of one request an app may act on: the wire's, its router's after a rewrite, a method override's. */
import type { PaywallRequest } from './request'
import { splitUrl } from './request'

/** One method and URL the app may dispatch the request as; `path` and `query` are the URL's, as sent. */
export interface Spelling {
  /** Upper-case method. */
  method: string
  url: string
  path: string
  query: string
}

/**
 * Headers that method-override middleware (Express `method-override`, Hono's `methodOverride`,
 * Rails, Laravel, Symfony) read the method a POST stands for from, and the query parameter.
 * A `_method` body field is not here: the body is not read before the handler runs.
 */
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'] as const
const OVERRIDE_QUERY = '_method'
const METHOD = /^[A-Za-z]{1,16}$/

/**
 * The wire's spelling first, then the routed one the adapter gave (after a rewrite or a method
 * override that ran before the paywall), then each of those with every method an override asks
 * for. Without duplicates; nearly every request has one.
 */
export function spellingsOf(method: string, request: PaywallRequest): Spelling[] {
  const wire = spelling(method, String(request.url ?? '/'))
  const routed = request.routed
  const urls = [wire]
  if (routed !== undefined && typeof routed.url === 'string' && routed.url !== wire.url)
    urls.push(spelling(method, routed.url))
  // An array rather than a Set: it nearly always holds the one method, and this runs on every request.
  const methods = [method]
  if (routed !== undefined && typeof routed.method === 'string')
    addMethod(methods, routed.method.toUpperCase())
  for (const name of OVERRIDE_HEADERS) addMethods(methods, request.headers.get(name))
  for (const { query } of urls)
    if (query.includes(OVERRIDE_QUERY))
      for (const value of new URLSearchParams(query).getAll(OVERRIDE_QUERY))
        addMethods(methods, value)
  if (urls.length === 1 && methods.length === 1) return urls
  return urls.flatMap((url) =>
    methods.map((verb) => (verb === url.method ? url : { ...url, method: verb })),
  )
}

function spelling(method: string, url: string): Spelling {
  const { path, query } = splitUrl(url)
  return { method, url, path, query }
}

/** Adds each method of a header value (a repeated header arrives joined with `, `). */
function addMethods(methods: string[], value: unknown): void {
  if (typeof value !== 'string') return
  for (const part of value.split(',')) {
    const verb = part.trim()
    if (METHOD.test(verb)) addMethod(methods, verb.toUpperCase())
  }
}

function addMethod(methods: string[], verb: string): void {
  if (!methods.includes(verb)) methods.push(verb)
}
