/** The ways a server may split one request path into segments: a price that any of them matches applies. */
import {
  decodePath,
  decodeSegment,
  type NormalizedPath,
  normalizeDecoded,
  type NormalizeOptions,
} from './normalize'

export interface PathReadings {
  /** The canonical path: discovery, webhook, events and journal references use it. */
  normalized: NormalizedPath
  /**
   * Segment lists, most literal first and without duplicates. Letter case is kept (the
   * matcher folds it): `:param` values reach price functions as the client sent them.
   */
  segments: string[][]
}

/**
 * Reads a raw path (as on the request line) three ways, because frameworks disagree:
 *
 * 0. **literal**, only when the path has an empty segment (`/files//x`): the raw reading with
 *    empty segments kept (a trailing `/` aside), as Express and Koa routers match them: `/files//x`
 *    reaches a `/files/*` handler, never a `/files/:name` one.
 * 1. **raw**: split on `/` only, each segment decoded once. `%2F`, `.` and `..` stay inside
 *    their segment, `;` is kept. This is how Express, Koa routers and Hono route: `/users/a%2Fb`
 *    and `/users/..` reach a `/users/:id` handler.
 * 2. **decoded**: the whole path decoded (several rounds), then split on `/` and `\`; dot
 *    segments and `;` kept. A server that decodes `%2F` before routing sees this.
 * 3. **normalized**: `normalizePath`, for servers and proxies that also resolve `..` and strip `;`.
 *
 * A request is priced if any reading matches a paid route, at the dearest: see `matchEachReading`.
 */
export function readPath(rawPath: string, options: NormalizeOptions = {}): PathReadings {
  return NEEDS_DECODING.test(rawPath)
    ? readEveryWay(rawPath, options)
    : readPlainPath(rawPath, options)
}

/**
 * What can make the readings differ: percent-encoding, backslashes, `;` and `.` or `..` segments.
 * A path without any (nearly every request) has nothing to decode, strip or resolve.
 */
const NEEDS_DECODING = /[%\\;]|(?:^|\/)\.\.?(?:\/|$)/

/**
 * `readPath` of a path `NEEDS_DECODING` does not match: decoding it changes nothing, so the raw
 * and decoded readings are its `/`-separated segments, and the canonical one is the same
 * lower-cased (`/` has no case, so lower-casing the path lower-cases each segment alike).
 * Exported for the test that holds it to `readEveryWay`.
 */
export function readPlainPath(rawPath: string, options: NormalizeOptions = {}): PathReadings {
  const raw = rawPath.split('/').filter(nonEmpty)
  const literal = literalReading(rawPath, asIs)
  const path = `/${raw.join('/')}`
  const lower = options.caseSensitive ? path : path.toLowerCase()
  const segments = literal ? [literal, raw] : [raw]
  if (lower !== path) segments.push(lower.split('/').filter(nonEmpty))
  return { normalized: { ok: true, path: lower }, segments }
}

/**
 * The raw segments with the empty ones kept, or null when there are none to keep. The leading
 * `/` and one trailing `/` make no segment: routers match `/users/42/` as `/users/42`.
 */
function literalReading(rawPath: string, decode: (segment: string) => string): string[] | null {
  // An empty segment past the first and before a trailing `/` is two `/` in a row.
  if (!rawPath.includes('//')) return null
  const parts = rawPath.split('/').slice(1)
  if (parts.at(-1) === '') parts.pop()
  return parts.includes('') ? parts.map(decode) : null
}

/** `readPath` the long way, for paths that need decoding. */
export function readEveryWay(rawPath: string, options: NormalizeOptions = {}): PathReadings {
  const decodedPath = decodePath(rawPath)
  const normalized = normalizeDecoded(decodedPath, options)
  const literal = literalReading(rawPath, decodeSegment)
  const raw = rawPath.split('/').filter(nonEmpty).map(decodeSegment)
  const decoded = decodedPath.decoded.split(/[/\\]/).filter(nonEmpty)
  const canonical = normalized.path.split('/').filter(nonEmpty)
  const segments: string[][] = []
  const seen = new Set<string>()
  for (const reading of [...(literal ? [literal] : []), raw, decoded, canonical]) {
    const key = JSON.stringify(reading)
    if (seen.has(key)) continue
    seen.add(key)
    segments.push(reading)
  }
  return { normalized, segments }
}

const nonEmpty = (segment: string) => segment !== ''
const asIs = (segment: string) => segment
