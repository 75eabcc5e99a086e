/** An origin's price list: remembered when the client fetches it, and asked whether a route is priced. */
import {
  type DiscoveryDocument,
  DiscoveryDocumentSchema,
  parseJsonSafely,
  WELL_KNOWN_PATH,
} from '@stripe402/protocol'
import { readCapped } from '../challenge/read'
import { originRecord } from './journal'
import type { ListedRoute, OriginRecord, WalletSnapshot } from './snapshot'

/** 10,000 routes of a few hundred bytes each. */
const MAX_LIST_BYTES = 4 * 1024 * 1024

/** The price list in a 200 to `GET /.well-known/stripe402`, or `undefined`. Read from a clone. */
export async function readPriceList(
  method: string,
  url: string,
  response: Response,
): Promise<DiscoveryDocument | undefined> {
  if (method !== 'GET' || response.status !== 200 || response.body === null) return undefined
  if (new URL(url).pathname !== WELL_KNOWN_PATH) return undefined
  const text = await readCapped(response.clone(), MAX_LIST_BYTES)
  if (text === undefined) return undefined
  const parsed = parseJsonSafely(text)
  if (!parsed.ok) return undefined
  const result = DiscoveryDocumentSchema.safeParse(parsed.value)
  return result.success ? result.data : undefined
}

export function rememberPriceList(
  state: WalletSnapshot,
  origin: string,
  list: DiscoveryDocument,
  at: number,
): void {
  originRecord(state, origin).priceList = {
    routes: list.routes.map(({ method, path, amount, currency }) => ({
      method,
      path,
      amount,
      currency,
    })),
    seenAt: at,
  }
}

/**
 * The listed route that prices `route` (`METHOD /path`). Matching is literal, segment by
 * segment (`:name` one non-empty segment, a trailing `*` the rest), so a path the list does not
 * plainly name is not taken as priced: the cost of a miss is one 402, of a false match a credential
 * sent to a free route.
 */
export function listedPrice(record: OriginRecord, route: string): ListedRoute | undefined {
  const space = route.indexOf(' ')
  const method = route.slice(0, space)
  const segments = route.slice(space + 1).split('/')
  return record.priceList?.routes.find(
    (listed) =>
      (listed.method === method || listed.method === '*') &&
      pathMatches(listed.path.split('/'), segments),
  )
}

function pathMatches(pattern: readonly string[], segments: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const part = pattern[i] as string
    if (part === '*' && i === pattern.length - 1) return segments.length > i
    const segment = segments[i]
    if (segment === undefined) return false
    if (part.startsWith(':') ? segment === '' : part !== segment) return false
  }
  return segments.length === pattern.length
}
