/** Route keys (`'GET /users/:id'`, `'/api/*'`) parsed into patterns the matcher can compare and rank. */

/**
 * Methods a route may name. Not OPTIONS: browsers send it as a CORS preflight, without credentials,
 * and the paywall answers those of paid routes itself. A route naming no method prices a plain OPTIONS too.
 */
export const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const
export type RouteMethod = (typeof ROUTE_METHODS)[number]

export type PatternSegment =
  | { type: 'literal'; value: string }
  | { type: 'param'; name: string }
  | { type: 'wildcard' }

export interface RoutePattern {
  /** The key exactly as configured. */
  key: string
  /** Upper-case method, or null when the route prices every method. */
  method: RouteMethod | null
  /** The path part as configured (original case), for discovery documents. */
  path: string
  segments: PatternSegment[]
  /** exact: only literals; params: has `:name`; wildcard: ends in `*`. */
  kind: 'exact' | 'params' | 'wildcard'
}

const PARAM = /^:([A-Za-z_][A-Za-z0-9_]*)$/
const LITERAL = /^[^%;\\?#\s]+$/u

/** Parses a route key; throws an Error whose message says what is wrong with it. */
export function parseRoutePattern(
  key: string,
  options: { caseSensitive?: boolean } = {},
): RoutePattern {
  const match = /^\s*(?:([A-Za-z]+)\s+)?(\S+)\s*$/.exec(key)
  if (!match) throw new Error('expected "METHOD /path" or "/path", e.g. "GET /api/weather"')
  const [, rawMethod, rawPath = ''] = match
  let method: RouteMethod | null = null
  if (rawMethod !== undefined) {
    const upper = rawMethod.toUpperCase()
    if (upper === 'OPTIONS')
      throw new Error(
        'OPTIONS cannot be priced: browsers send it as a CORS preflight without credentials',
      )
    if (!(ROUTE_METHODS as readonly string[]).includes(upper)) {
      throw new Error(
        `unknown method "${rawMethod}"; use one of ${ROUTE_METHODS.join(', ')} or none for every method`,
      )
    }
    method = upper as RouteMethod
  }
  const path = rawPath === '*' ? '/*' : rawPath
  if (!path.startsWith('/')) throw new Error(`the path "${rawPath}" must start with "/"`)

  const parts = path.split('/').filter((part) => part !== '')
  const segments: PatternSegment[] = parts.map((part, index) => {
    if (part === '*') {
      if (index !== parts.length - 1) throw new Error('"*" is only allowed as the last segment')
      return { type: 'wildcard' }
    }
    const name = PARAM.exec(part)?.[1]
    if (name) return { type: 'param', name }
    if (part.startsWith(':')) throw new Error(`"${part}" is not a valid parameter name`)
    if (part === '.' || part === '..' || !LITERAL.test(part)) {
      throw new Error(
        `the segment "${part}" is not allowed: write paths decoded, without "%", ";", "." or ".." segments`,
      )
    }
    return { type: 'literal', value: options.caseSensitive ? part : part.toLowerCase() }
  })
  const kind = segments.some((s) => s.type === 'wildcard')
    ? 'wildcard'
    : segments.some((s) => s.type === 'param')
      ? 'params'
      : 'exact'
  return { key, method, path, segments, kind }
}

/**
 * Orders patterns most specific first: exact > params > wildcard, then more literal
 * segments, then longer, then a named method over any method.
 */
export function compareSpecificity(a: RoutePattern, b: RoutePattern): number {
  const rank = { exact: 2, params: 1, wildcard: 0 }
  const literals = (p: RoutePattern) => p.segments.filter((s) => s.type === 'literal').length
  return (
    rank[b.kind] - rank[a.kind] ||
    literals(b) - literals(a) ||
    b.segments.length - a.segments.length ||
    (b.method ? 1 : 0) - (a.method ? 1 : 0)
  )
}

/** Two patterns that match exactly the same requests (parameter names aside). */
export function signature(pattern: RoutePattern): string {
  const path = pattern.segments
    .map((s) => (s.type === 'literal' ? s.value : s.type === 'param' ? ':' : '*'))
    .join('/')
  return `${pattern.method ?? '*'} /${path}`
}
