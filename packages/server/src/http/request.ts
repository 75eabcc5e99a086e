/** The framework-neutral request the engine reads: a method, a URL and a header getter. */

/** A WHATWG `Request` fits; adapters for Node frameworks pass a small object. */
export interface PaywallRequest {
  method: string
  /** Absolute URL (`https://api.example.com/x?y=1`) or a path with its query (`/x?y=1`). */
  url: string
  headers: { get(name: string): string | null }
  /**
   * What the app's router will dispatch, when middleware before the paywall changed it: a URL
   * rewrite (Express `req.baseUrl + req.url`, Koa `ctx.url`) or a method override (`req.method`).
   * Priced as well as `method` and `url`, which are what came on the wire; the dearer wins.
   */
  routed?: { method?: string; url?: string }
  /**
   * The query as the app's framework parses it for the handler (Express `req.query`, Koa
   * `ctx.query`), so a price function reads what the handler will. Default: `queryRecord`.
   */
  parsedQuery?: Readonly<Record<string, unknown>>
}

export interface BeginOptions {
  /** The caller's network address, for the failed-payment limits. Only the adapter knows whether a proxy header can be trusted. */
  clientAddress?: string
  /**
   * The framework's own request object (Express `req`, Koa `ctx.req`, the fetch `Request`).
   * A second `begin` with the same key answers `free`: the paywall mounted both on the app and
   * on a router decides (and debits) once, and the outer decision stands. Pass a fresh object
   * per incoming request, never one shared by several.
   */
  key?: object
}

/** What a dynamic price function sees. */
export interface PricingRequest {
  /** Upper-case method. */
  method: string
  /** The URL as the adapter passed it. */
  url: string
  /** The normalized path the route matched. */
  path: string
  /** `:name` segments of the matched route (and `*` for the rest of a wildcard). */
  params: Readonly<Record<string, string>>
  query: URLSearchParams
  /**
   * The query as the handler will read it: the adapter's framework parse (on Express 4 `?days[]=7`
   * is `{ days: ['7'] }`), else `queryRecord`. Price from this, with the same code as the handler.
   */
  parsedQuery: Readonly<Record<string, unknown>>
  headers: { get(name: string): string | null }
}

/**
 * A query as Koa and Express 5 parse it (`querystring`): each name's value, an array of them
 * when the name repeats. No nesting: `days[]` is a name of its own.
 */
export function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
  const record: Record<string, string | string[]> = Object.create(null)
  for (const [name, value] of query) {
    const seen = record[name]
    record[name] =
      seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]
  }
  return record
}

/** `scheme:` and `//authority` of an absolute-form request target (authority ends where the path does, `\\` included). */
const ABSOLUTE_PREFIX = /^[A-Za-z][A-Za-z0-9+.-]*:(?:\/\/[^/\\?#]*)?/

/**
 * The path and query of a request URL, exactly as sent. An absolute URL (`http://x/users/..`,
 * the absolute-form a client may put on the request line, or a WHATWG `Request.url`) loses its
 * scheme and authority textually: a URL parser would resolve `..` and `%2e%2e`, while Express
 * and Koa route on `url.parse`'s raw pathname, so the paywall must read the path they read.
 * Like `url.parse`, `\` before the query is a `/` there; the readings of `readPath` cover the rest.
 */
export function splitUrl(url: string): { path: string; query: string } {
  let rest = url
  if (!rest.startsWith('/')) {
    const prefix = ABSOLUTE_PREFIX.exec(rest)
    if (prefix) {
      rest = rest.slice(prefix[0].length)
      const end = rest.search(/[?#]/)
      rest =
        end === -1
          ? rest.replace(/\\/g, '/')
          : rest.slice(0, end).replace(/\\/g, '/') + rest.slice(end)
    }
    if (!rest.startsWith('/')) rest = `/${rest}`
  }
  const hash = rest.indexOf('#')
  if (hash !== -1) rest = rest.slice(0, hash)
  const q = rest.indexOf('?')
  return q === -1 ? { path: rest, query: '' } : { path: rest.slice(0, q), query: rest.slice(q + 1) }
}
