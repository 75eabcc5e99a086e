/** Finds the route of a price list (`/.well-known/stripe402`, spec §12.1) that prices a method and path. */
import type { DiscoveryRoute } from '@stripe402/protocol'

/**
 * Literal segments, `:name` parameters and a trailing `*`, case-insensitively as the reference
 * server matches by default. Informative only (spec §12.1): a challenge is authoritative.
 */
export function routeFor(
  routes: readonly DiscoveryRoute[],
  method: string,
  path: string,
): DiscoveryRoute | undefined {
  const upper = method.toUpperCase()
  const segments = splitPath(path)
  return routes.find(
    (route) =>
      (route.method === '*' || route.method === upper) && matches(splitPath(route.path), segments),
  )
}

function splitPath(path: string): string[] {
  return path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => s.toLowerCase())
}

function matches(pattern: string[], segments: string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i] as string
    if (part === '*' && i === pattern.length - 1) return segments.length > i
    const segment = segments[i]
    if (segment === undefined) return false
    if (!part.startsWith(':') && part !== segment) return false
  }
  return pattern.length === segments.length
}
