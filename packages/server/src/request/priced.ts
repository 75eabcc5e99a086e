/** One request on a paid route, with its price known: what every step of the request path shares. */
import type { ResolvedRoute } from '../config/resolve'
import type { DebitInDoubt } from '../ledger-calls/doubt'

/** One request on a paid route, with its price already known. */
export interface PricedRequest {
  /** Upper-case method. */
  method: string
  /** The URL as the adapter passed it (reported as `resource.url`). */
  url: string
  /** Normalized path. */
  path: string
  route: ResolvedRoute
  /** Price of this request in units (> 0). */
  price: number
  /** Journal reference of this request's debit, unique (`debitRef`): how a debit whose answer was lost is found again. */
  ref: string
  /** The debit is held until then (epoch ms), when the ledger holds debits. */
  holdUntil?: number
  clientAddress?: string
}

/**
 * A request's debit reference: the method and the route that priced it, a random id of this
 * process and a counter, so that no two debits share one, across processes and restarts, and
 * `hasEntry(account, 'debit', ref)` tells whether this request's debit was applied. Never the path
 * the client sent: a store may refuse its bytes (PostgreSQL refuses NUL in text), and a debit the
 * store refused must not pass for one in doubt. The method and the route key are kept to printable
 * ASCII for the same reason (a method-less route takes any method). The part before the counter is
 * worked out once per method and route, so a paid request joins two strings: a ref is one small
 * string pair, not a chain of six, which matters where a ledger keeps it (MemoryLedger keeps every
 * debit's ref for the life of the process).
 */
export function debitRef(method: string, routeKey: string): string {
  let prefixes = PREFIXES.get(routeKey)
  if (prefixes === undefined) {
    prefixes = new Map()
    if (PREFIXES.size < 10_000) PREFIXES.set(routeKey, prefixes)
  }
  let prefix = prefixes.get(method)
  if (prefix === undefined) {
    // Made at the first paid request, not at import: workerd refuses random values in global scope.
    PROCESS_ID ??= globalThis.crypto.randomUUID()
    const route = routeKey.replace(LEADING_METHOD, '').replace(UNPRINTABLE, '?').slice(0, 180)
    prefix = `${method.replace(UNPRINTABLE, '?').slice(0, 20)} ${route}#${PROCESS_ID}.`
    // Bounded: a route that names no method takes any method a client invents.
    if (prefixes.size < 64) prefixes.set(method, prefix)
  }
  return prefix + ++sequence
}

/** Per route key, per method: the ref's part before the counter. */
const PREFIXES = new Map<string, Map<string, string>>()
let PROCESS_ID: string | undefined
let sequence = 0

/** The `GET ` of a route key (`GET /api/joke`): the request's own method stands in its place. */
const LEADING_METHOD = /^\s*[A-Za-z]+\s+/
const UNPRINTABLE = /[^\x20-\x7e]/g

/** The debit a request asks for from `accountId`, as the repair queue records it. */
export function debitOf(request: PricedRequest, accountId: string): DebitInDoubt {
  return { accountId, currency: request.route.currency, units: request.price, ref: request.ref }
}
