/** What every step of a paid request shares: the engine's parts and the request being priced. */
import type { ResolvedConfig, ResolvedRoute } from '../config/resolve'
import type { Emit, PaywallLogger } from '../events'
import type { Ledger } from '../ledger/types'
import type { AbuseGuard } from '../rate-limit'
import type { StripeGateway } from '../stripe/gateway'
import type { DoubtfulDebits } from './doubt'

/** Built once by `createPaywall`. */
export interface Engine {
  config: ResolvedConfig
  ledger: Ledger
  gateway: StripeGateway
  guard: AbuseGuard
  emit: Emit
  logger: PaywallLogger
  /** Adapter request objects already begun: a paywall mounted twice on one request decides once. */
  begun: WeakSet<object>
  /** Warnings already logged, for those worth saying once per paywall rather than per request. */
  warned: Set<string>
  /** Debits whose ledger call failed without an answer, until the ledger says whether they were applied. */
  doubts: DoubtfulDebits
}

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
  clientAddress?: string
}

/**
 * A request's debit reference: the method and the route that priced it, and a random UUID, so that
 * no two debits share one and `hasEntry(account, 'debit', ref)` tells whether this request's debit
 * was applied. Never the path the client sent: a store may refuse its bytes (PostgreSQL refuses
 * NUL in text), and a debit the store refused must not pass for one in doubt. The method and the
 * route key are kept to printable ASCII for the same reason (a method-less route takes any method).
 * `randomUUID` is ~0.1 µs; it runs on every paid request.
 */
export function debitRef(method: string, routeKey: string): string {
  const what = `${method} ${routeKey.replace(LEADING_METHOD, '')}`
  return `${what.replace(UNPRINTABLE, '?').slice(0, 200)}#${globalThis.crypto.randomUUID()}`
}

/** The `GET ` of a route key (`GET /api/joke`): the request's own method stands in its place. */
const LEADING_METHOD = /^\s*[A-Za-z]+\s+/
const UNPRINTABLE = /[^\x20-\x7e]/g
