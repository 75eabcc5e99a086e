/** What the suite needs to know about the server under test, and how it obtains PaymentMethods. */
import type { Card } from './cards'

/** Any fetch-compatible function: global fetch, undici, or an app's in-process `fetch`. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>

/** Tokenize cards with the server's publishable key on Stripe's API (or an emulator speaking it). */
export interface StripeApiPayment {
  /** Base URL of the Stripe API: `https://api.stripe.com` for test mode, or an emulator's URL. */
  stripeApi: string
  /** The primary card; defaults to 4242 4242 4242 4242. The suite pays with further test cards for other accounts. */
  card?: Card
}

/** Obtain PaymentMethods any other way: return a `pm_…` id for the card, created with `publishableKey`. */
export interface CustomPayment {
  createPaymentMethod: (publishableKey: string, card: Card) => Promise<string>
  card?: Card
}

export type PaymentSource = StripeApiPayment | CustomPayment

export interface ServerAuditOptions {
  /** Base URL of the server under test, e.g. `http://localhost:3000`. */
  url: string
  /** The paid route, `METHOD /path` (method defaults to GET), e.g. `GET /api/joke`. */
  route: string
  /** A route that must stay free, e.g. `GET /health`; its audits are left out without it. */
  freeRoute?: string
  /** A paid route with a `:param` or a trailing `*`, e.g. `GET /users/:id`; its path audits are left out without it. */
  paramRoute?: string
  /**
   * A paid route whose handler fails (answers 5xx or throws), e.g. `GET /api/fail`, at the price of
   * `route`: the reversal audit pays it with a credential and checks the debit was reversed.
   */
  failingRoute?: string
  /**
   * A paid route whose handler sends a 200 and its first bytes, then fails (the usual error handler
   * sets 500 and ends), e.g. `GET /api/stream-fail`, at the price of `route`: an audit pays it with
   * a credential and checks the debit was kept, since a 200 went out.
   */
  streamingFailingRoute?: string
  /** Sends the requests to the server; defaults to the global fetch. Stripe calls always use the global fetch. */
  fetch?: FetchLike
  payment: PaymentSource
  /**
   * Pay from accounts with card numbers new to the server on every run, so that a server that
   * keeps its ledger can be audited again. Default: on when `payment.stripeApi` is not Stripe's
   * (the emulator accepts any valid number); Stripe's test mode knows only its own test cards.
   */
  freshCards?: boolean
}

/** A route split into method and path. */
export interface Route {
  method: string
  path: string
}

/** Parses `GET /api/joke` or `/api/joke`; throws a TypeError a person can act on. */
export function parseRoute(route: string, what = 'route'): Route {
  const match = /^\s*(?:([A-Za-z]+)\s+)?(\/\S*)\s*$/.exec(route)
  if (!match) throw new TypeError(`${what} must look like "GET /api/joke", got "${route}".`)
  return { method: (match[1] ?? 'GET').toUpperCase(), path: match[2] as string }
}

/** Parses a route whose path has a `:name` segment or ends in `*`, e.g. `GET /users/:id`. */
export function parseParamRoute(route: string, what = 'paramRoute'): Route {
  const parsed = parseRoute(route, what)
  const segments = parsed.path.split('/')
  if (!segments.some((s) => /^:[A-Za-z_]\w*$/.test(s)) && segments.at(-1) !== '*') {
    throw new TypeError(
      `${what} must have a :name segment or end in /*, e.g. "GET /users/:id", got "${route}".`,
    )
  }
  return parsed
}
