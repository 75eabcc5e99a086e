/** Route matching: finds the most specific priced route for a method and a path's segments. */
import { compareSpecificity, parseRoutePattern, type RoutePattern, signature } from './pattern'

export interface CompiledRoute<T> {
  pattern: RoutePattern
  value: T
}

export interface RouteTable<T> {
  /** Most specific first, so the first match is the winner. */
  readonly routes: ReadonlyArray<CompiledRoute<T>>
  /** In the order they were configured, for documents people read. */
  readonly declared: ReadonlyArray<CompiledRoute<T>>
  /** Literal segments compare with letter case (patterns are lower-cased otherwise). */
  readonly caseSensitive?: boolean
}

export interface RouteMatch<T> {
  route: CompiledRoute<T>
  /** Values of `:name` segments; `*` is exposed as `params['*']` (the rest of the path). */
  params: Record<string, string>
}

/**
 * Compiles route keys. Throws `Error` naming the key on a bad pattern or on two keys that
 * would match the same requests (e.g. `/API/x` and `/api/x` when case-insensitive).
 */
export function compileRoutes<T>(
  routes: Record<string, T>,
  options: { caseSensitive?: boolean } = {},
): RouteTable<T> {
  const compiled: CompiledRoute<T>[] = []
  const seen = new Map<string, string>()
  for (const [key, value] of Object.entries(routes)) {
    let pattern: RoutePattern
    try {
      pattern = parseRoutePattern(key, options)
    } catch (error) {
      throw new Error(`route "${key}": ${(error as Error).message}`)
    }
    const sig = signature(pattern)
    const clash = seen.get(sig)
    if (clash !== undefined)
      throw new Error(`route "${key}": matches the same requests as "${clash}"`)
    seen.set(sig, key)
    compiled.push({ pattern, value })
  }
  const routesBySpecificity = [...compiled].sort((a, b) => compareSpecificity(a.pattern, b.pattern))
  return {
    routes: routesBySpecificity,
    declared: compiled,
    caseSensitive: options.caseSensitive ?? false,
  }
}

/**
 * Returns the most specific route for `method` and a path already passed through
 * `normalizePath`. HEAD matches GET routes (a HEAD must never be served unpaid); OPTIONS
 * matches only routes that name no method (no route can name it; the engine answers CORS
 * preflights of paid routes before matching, see `request/preflight`).
 */
export function matchRoute<T>(
  table: RouteTable<T>,
  method: string,
  normalizedPath: string,
): RouteMatch<T> | null {
  return matchReadings(table, method, [normalizedPath.split('/').filter((part) => part !== '')])
}

/**
 * Matches each reading of a path (see `readPath`) in turn and returns the first match: the
 * most specific route of the most literal reading that has one. The earlier readings are how
 * routers dispatch, so they also decide which route prices the request; the later ones only
 * make sure that no spelling a server might resolve to a paid route goes unpriced.
 */
export function matchReadings<T>(
  table: RouteTable<T>,
  method: string,
  readings: ReadonlyArray<ReadonlyArray<string>>,
): RouteMatch<T> | null {
  const verb = method.toUpperCase()
  const fold = table.caseSensitive ? (part: string) => part : (part: string) => part.toLowerCase()
  for (const parts of readings) {
    for (const route of table.routes) {
      const wanted = route.pattern.method
      if (wanted !== null && wanted !== verb && !(wanted === 'GET' && verb === 'HEAD')) continue
      const params = matchSegments(route.pattern, parts, fold)
      if (params) return { route, params }
    }
  }
  return null
}

/**
 * The first match of each reading (see `readPath`), without duplicates: every route some router
 * may dispatch the request to. The request costs the dearest of them, so a spelling read one way
 * by the paywall and another by the router never pays the cheaper price.
 */
export function matchEachReading<T>(
  table: RouteTable<T>,
  method: string,
  readings: ReadonlyArray<ReadonlyArray<string>>,
): RouteMatch<T>[] {
  // A plain path has one reading (or two, with capitals): nothing to tell apart.
  if (readings.length === 1) {
    const match = matchReadings(table, method, readings)
    return match ? [match] : []
  }
  const matches: RouteMatch<T>[] = []
  const seen = new Set<string>()
  for (const parts of readings) {
    const match = matchReadings(table, method, [parts])
    if (!match) continue
    const key = `${match.route.pattern.key}\n${JSON.stringify(match.params)}`
    if (seen.has(key)) continue
    seen.add(key)
    matches.push(match)
  }
  return matches
}

function matchSegments(
  pattern: RoutePattern,
  parts: ReadonlyArray<string>,
  fold: (part: string) => string,
): Record<string, string> | null {
  const params: Record<string, string> = {}
  const { segments } = pattern
  for (const [i, segment] of segments.entries()) {
    if (segment.type === 'wildcard') {
      // `*` also matches nothing: `/api/` normalizes to `/api`, and Express serves it from `/api/*`.
      params['*'] = parts.slice(i).join('/')
      return params
    }
    const part = parts[i]
    if (part === undefined) return null
    if (segment.type === 'literal') {
      if (segment.value !== fold(part)) return null
    } else {
      // A `:name` never matches an empty segment (`/files//x`), as in every router.
      if (part === '') return null
      params[segment.name] = part
    }
  }
  return parts.length === segments.length ? params : null
}
