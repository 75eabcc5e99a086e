/** Path normalization: the canonical form of a path (discovery, webhook, events) and the decoding every reading shares. */

export interface NormalizeOptions {
  /** Keep letter case (default false: Express and Koa routers ignore case, so a paid `/api` is also `/API`). */
  caseSensitive?: boolean
}

/**
 * `ok: false` means the path's percent-encoding is malformed. `path` is then a lenient
 * reading of it, so the caller can still tell whether it might be a paid resource.
 */
export type NormalizedPath =
  | { ok: true; path: string }
  | { ok: false; path: string; reason: string }

/** Rounds of percent-decoding: `%252F` is `%2F` after one; some stacks decode twice, so we do too. */
const MAX_DECODE_ROUNDS = 3
const ENCODED = /%[0-9a-fA-F]{2}/

/**
 * Decodes percent-encoding (including `%2F` → `/`), treats `\` as `/`, strips `;params`
 * from segments, resolves `.` and `..`, collapses `//`, drops the trailing `/` and lower-cases
 * unless case-sensitive. This is the reading of a server that normalizes before routing; it
 * alone is not safe for matching, because decoding `%2F` and resolving `..` change the number
 * of segments that Express, Koa and Hono route a `:param` on (see `readPath`).
 */
export function normalizePath(rawPath: string, options: NormalizeOptions = {}): NormalizedPath {
  return normalizeDecoded(decodePath(rawPath), options)
}

/** `normalizePath` for a path `decodePath` already decoded. */
export function normalizeDecoded(
  { decoded, malformed }: { decoded: string; malformed?: string },
  options: NormalizeOptions = {},
): NormalizedPath {
  const segments: string[] = []
  for (const part of decoded.replace(/\\/g, '/').split('/')) {
    const semicolon = part.indexOf(';')
    const segment = semicolon === -1 ? part : part.slice(0, semicolon)
    if (segment === '' || segment === '.') continue
    if (segment === '..') segments.pop()
    else segments.push(options.caseSensitive ? segment : segment.toLowerCase())
  }
  const path = `/${segments.join('/')}`
  return malformed ? { ok: false, path, reason: malformed } : { ok: true, path }
}

/**
 * Percent-decodes a whole path, up to MAX_DECODE_ROUNDS times. `malformed` says why the
 * encoding is broken; `decoded` is then a lenient reading of it.
 */
export function decodePath(rawPath: string): { decoded: string; malformed?: string } {
  let malformed: string | undefined
  let decoded = decodeStrict(rawPath)
  if (decoded === undefined) {
    malformed = 'the path has malformed percent-encoding'
    decoded = decodeLenient(rawPath)
  }
  // A decoded path that still holds `%XX` was encoded more than once; the first decoding
  // was well-formed, so later rounds are lenient (a literal `%E0` is a valid file name).
  for (let round = 1; round < MAX_DECODE_ROUNDS && ENCODED.test(decoded); round++)
    decoded = decodeLenient(decoded)
  if (!malformed && ENCODED.test(decoded))
    malformed = `the path is percent-encoded more than ${MAX_DECODE_ROUNDS} times`
  return malformed ? { decoded, malformed } : { decoded }
}

/** Decodes one path segment once, as a router decodes a `:param` (leniently when malformed). */
export function decodeSegment(segment: string): string {
  return decodeStrict(segment) ?? decodeLenient(segment)
}

function decodeStrict(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    return undefined
  }
}

/** Decodes every well-formed `%XX` run as UTF-8 (invalid bytes become U+FFFD) and keeps the rest literal. */
function decodeLenient(value: string): string {
  const decoder = new TextDecoder('utf-8', { fatal: false })
  return value.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = new Uint8Array(run.length / 3)
    for (let i = 0; i < bytes.length; i++)
      bytes[i] = Number.parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16)
    return decoder.decode(bytes)
  })
}
