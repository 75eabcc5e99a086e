/** `paywall.begin`: decides, for one request, between free, deny, respond, webhook and paid. */
import {
  decodePaymentPayload,
  HEADERS,
  type PaymentPayload,
  Stripe402Error,
} from '@stripe402/protocol'
import { errorMessage } from '../events'
import type { BeginOptions, PaywallRequest } from '../http/request'
import { queryRecord, splitUrl } from '../http/request'
import { errorResponse, jsonResponse } from '../http/responses'
import type { PaywallOutcome } from '../outcome'
import { type Dearest, type PriceCandidate, priceDearest } from '../pricing'
import { matchEachReading, matchReadings } from '../routes/match'
import { type PathReadings, readPath } from '../routes/readings'
import { spellingsOf } from '../http/spellings'
import type { ResolvedRoute } from '../config/resolve'
import { priceList } from '../discovery/price-list'
import { webhookOutcome } from '../webhook-endpoint'
import type { Engine } from '../engine'
import { LedgerFailure } from '../ledger-calls/via-ledger'
import { challenge, ledgerRefused, ledgerUnavailable, refuse, RETRY_AFTER_SECONDS } from './deny'
import { preflightMethod, preflightOutcome } from './preflight'
import { spendWithCredential } from './credential'
import { payWithCard } from './card'
import { debitRef, type PricedRequest } from './priced'

const FREE: PaywallOutcome = Object.freeze({ type: 'free' })
/** The answer to most requests, made once: a settled promise can be awaited by any number of callers. */
const FREE_NOW: Promise<PaywallOutcome> = Promise.resolve(FREE)
/** What a fixed-price candidate carries for the query, which nothing reads. */
const NO_QUERY = new URLSearchParams()
const NO_PARSED_QUERY: Readonly<Record<string, unknown>> = Object.freeze({})

/** A control character (`%00`–`%1F`, `%7F`) in a path, once decoded: no resource is named so, and stores refuse some. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it finds.
const CONTROL = /[\u0000-\u001f\u007f]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it replaces.
const CONTROLS = /[\u0000-\u001f\u007f]/g

/**
 * Never rejects. A ledger failure anywhere is a 503 (a debit the store refused with an error, a
 * 500); an unexpected error is logged and answered 500 — never `free`, so a bug cannot open a paid route.
 * Not an async function: a free request gets a promise already made, a paid one its debit's.
 */
export function begin(
  engine: Engine,
  request: PaywallRequest,
  options: BeginOptions = {},
): Promise<PaywallOutcome> {
  const where = { method: '', path: '' }
  try {
    const { key } = options
    if (key !== undefined && key !== null && typeof key === 'object') {
      // Mounted twice (app and router): the first middleware already decided, and debited.
      if (engine.begun.has(key)) return FREE_NOW
      engine.begun.add(key)
    }
    const method = String(request.method ?? '').toUpperCase()
    where.method = method
    const decided = decide(engine, request, options, method, where)
    if (decided === FREE) return FREE_NOW
    return decided instanceof Promise
      ? decided.then(undefined, (error: unknown) => failed(engine, where, error))
      : Promise.resolve(decided)
  } catch (error) {
    try {
      return Promise.resolve(failed(engine, where, error))
    } catch (thrown) {
      // A logger or listener that throws: the caller hears of it, as from any promise.
      return Promise.reject(thrown)
    }
  }
}

/** What `begin` answers for whatever `decide` threw or rejected with. */
function failed(
  engine: Engine,
  where: { method: string; path: string },
  error: unknown,
): PaywallOutcome {
  if (error instanceof LedgerFailure)
    return error.refused
      ? ledgerRefused(engine, where, error)
      : ledgerUnavailable(engine, where, error)
  engine.logger.error('unexpected error in paywall.begin', { error: errorMessage(error) })
  engine.emit({
    type: 'error',
    stage: 'internal',
    code: 'internal_error',
    message: errorMessage(error),
  })
  return {
    type: 'deny',
    ...errorResponse(
      500,
      'internal_error',
      'The paywall failed unexpectedly; nothing was charged.',
    ),
  }
}

/**
 * Not async, nor is `pay`: on the credit path the only promise is the debit's (a fixed price is
 * known at once), and an async frame per call costs the paid path more than the work it holds. A
 * price function's promise, and a credential that may fall back to a card, wait in frames of their own.
 */
function decide(
  engine: Engine,
  request: PaywallRequest,
  options: BeginOptions,
  method: string,
  where: { method: string; path: string },
): PaywallOutcome | Promise<PaywallOutcome> {
  const { config } = engine
  const url = String(request.url ?? '/')
  const { path: rawPath } = splitUrl(url)
  const readings = readPath(rawPath, { caseSensitive: config.caseSensitive })
  const { normalized } = readings
  where.path = normalized.path

  if (method === 'OPTIONS') {
    // A CORS preflight carries no credentials, and pricing it would break every browser client; passing it
    // on would run a handler mounted for every method (`app.all`) for free. So it is answered here.
    const wanted = preflightMethod(request.headers)
    if (wanted !== null)
      return matchReadings(config.routes, wanted, readings.segments)
        ? preflightOutcome(config, request.headers, wanted)
        : FREE
    // A plain OPTIONS goes on: a route that names no method prices it like any other method.
  }

  if (
    normalized.ok &&
    normalized.path === config.discoveryPath &&
    (method === 'GET' || method === 'HEAD')
  ) {
    return {
      type: 'respond',
      ...jsonResponse(200, priceList(config), {
        'cache-control': 'public, max-age=300',
        'access-control-allow-origin': '*',
      }),
    }
  }
  if (
    normalized.ok &&
    config.webhook &&
    normalized.path === config.webhook.path &&
    method === 'POST'
  ) {
    const raw: unknown = request.headers.get('stripe-signature')
    const signature = typeof raw === 'string' ? raw : null
    return webhookOutcome(engine, signature)
  }

  // Every reading a framework might route on is matched, so `/users/a%2Fb` and `/users/..` pay for
  // `/users/:id`, and `/files//x` for the `/files/*` that serves it; so is every method and URL the
  // router may act on (a rewrite, a method override). The dearest route prices the request.
  const candidates: PriceCandidate[] = []
  for (const spelling of spellingsOf(method, request)) {
    const read =
      spelling.path === rawPath
        ? readings
        : readPath(spelling.path, { caseSensitive: config.caseSensitive })
    const matches = matchEachReading(config.routes, spelling.method, read.segments)
    const matched = matches[0]?.route.value
    if (matched === undefined) continue
    const refused = refusePath(engine, where, matched, spelling.path, read)
    if (refused) return refused
    for (const { route: found, params } of matches) {
      // A fixed price reads nothing of the request: its query is parsed only for a price function.
      const priced = typeof found.value.amount !== 'number'
      candidates.push({
        route: found.value,
        request: {
          method: spelling.method,
          url: spelling.url,
          path: read.normalized.path,
          params,
          query: priced ? new URLSearchParams(spelling.query) : NO_QUERY,
          parsedQuery: priced
            ? (request.parsedQuery ?? queryRecord(new URLSearchParams(spelling.query)))
            : NO_PARSED_QUERY,
          headers: request.headers,
        },
      })
    }
  }
  if (!isNonEmpty(candidates)) return FREE

  // A fixed price is known at once: no await, so no turn of the event loop is spent on it.
  const pricing = priceDearest(candidates)
  return pricing instanceof Promise
    ? pricing.then((dearest) => pay(engine, request, options, url, where, dearest))
    : pay(engine, request, options, url, where, pricing)
}

/** The request priced: refused, free at a price of 0, or paid with what its payment header carries. */
function pay(
  engine: Engine,
  request: PaywallRequest,
  options: BeginOptions,
  url: string,
  where: { method: string; path: string },
  dearest: Dearest,
): PaywallOutcome | Promise<PaywallOutcome> {
  const price = dearest.result
  const paidRoute = dearest.candidate.route
  const winner = dearest.candidate.request
  if (!price.ok) {
    if (price.kind === 'rejected') {
      // A 429 must say when to retry (spec §5): the price function's `retryAfter`, else the engine's default.
      const retryAfter =
        price.status === 429 ? (price.retryAfterSeconds ?? RETRY_AFTER_SECONDS) : undefined
      return refuse(
        engine,
        { ...where, route: paidRoute.key },
        price.status,
        'invalid_request',
        price.message,
        retryAfter,
      )
    }
    engine.logger.error('a price function failed; the request is refused', {
      route: paidRoute.key,
      error: price.reason,
    })
    engine.emit({ type: 'error', stage: 'pricing', code: 'pricing_failed', message: price.reason })
    return refuse(
      engine,
      { ...where, route: paidRoute.key },
      500,
      'pricing_failed',
      'The price of this request could not be computed; nothing was charged.',
    )
  }
  if (price.units === 0) return FREE

  const priced: PricedRequest = {
    method: winner.method,
    url,
    path: winner.path,
    route: paidRoute,
    price: price.units,
    ref: debitRef(winner.method, paidRoute.key),
  }
  // Field by field, not spread: a spread of a conditional object takes V8's slow path, on every paid call.
  // The request's debit is held until then when the ledger holds debits: see `HeldDebitSettler`.
  const holdUntil = engine.settler.holdUntil()
  if (holdUntil !== undefined) priced.holdUntil = holdUntil
  if (options.clientAddress !== undefined) priced.clientAddress = options.clientAddress
  const raw: unknown = request.headers.get(HEADERS.PAYMENT)
  const header = typeof raw === 'string' ? raw : ''
  if (header.trim() === '') return challenge(engine, priced)

  let payload: PaymentPayload
  try {
    payload = decodePaymentPayload(header)
  } catch (error) {
    const message = error instanceof Stripe402Error ? error.message : 'Malformed payment header.'
    return challenge(engine, priced, 'invalid_payment', message, {})
  }
  if (payload.maxAmount !== undefined && priced.price > payload.maxAmount) {
    return challenge(
      engine,
      priced,
      'price_above_max_amount',
      `This request costs ${priced.price} units, above your maxAmount of ${payload.maxAmount}; nothing was charged.`,
      {},
    )
  }
  const paymentMethodId = payload.paymentMethodId
  if (payload.clientId !== undefined) {
    // The steady state of every agent: its credential alone.
    if (paymentMethodId === undefined)
      return spendWithCredential(engine, priced, payload.clientId, false)
    return spendOrPayWithCard(engine, priced, payload, payload.clientId, paymentMethodId)
  }
  if (paymentMethodId !== undefined) return cardPayment(engine, priced, payload, paymentMethodId)
  // Well-formed but nothing to pay with (spec §2.4 step 6): a plain challenge, its code saying so.
  return challenge(
    engine,
    priced,
    'payment_required',
    'The payment header carries neither a clientId nor a paymentMethodId; pay with a card.',
  )
}

const isNonEmpty = <T>(items: T[]): items is [T, ...T[]] => items.length > 0

/** The credential first; when its credits cannot pay, the card the payload carries too. */
async function spendOrPayWithCard(
  engine: Engine,
  priced: PricedRequest,
  payload: PaymentPayload,
  clientId: string,
  paymentMethodId: string,
): Promise<PaywallOutcome> {
  const spent = await spendWithCredential(engine, priced, clientId, true)
  return spent === 'try_card' ? cardPayment(engine, priced, payload, paymentMethodId) : spent
}

function cardPayment(
  engine: Engine,
  priced: PricedRequest,
  payload: PaymentPayload,
  paymentMethodId: string,
): Promise<PaywallOutcome> {
  if (priced.clientAddress === undefined) warnNoClientAddress(engine)
  return payWithCard(engine, priced, { ...payload, paymentMethodId })
}

/**
 * A paid path whose encoding is malformed, or that holds a control character, is refused rather
 * than served on a guess of what the app will make of it (a lenient reading of it is paid).
 */
function refusePath(
  engine: Engine,
  where: { method: string; path: string },
  route: ResolvedRoute,
  rawPath: string,
  { normalized, segments }: PathReadings,
): PaywallOutcome | null {
  if (!normalized.ok)
    return refuse(
      engine,
      { ...where, route: route.key },
      400,
      'invalid_path',
      `Malformed request path: ${normalized.reason}.`,
    )
  if (
    CONTROL.test(rawPath) ||
    (rawPath.includes('%') && segments.some((parts) => parts.some((part) => CONTROL.test(part))))
  )
    return refuse(
      engine,
      { ...where, path: normalized.path.replace(CONTROLS, '?'), route: route.key },
      400,
      'invalid_path',
      'The request path holds a control character (%00-%1F or %7F).',
    )
  return null
}

/**
 * Without the caller's address the per-address card-testing limit cannot count, and nothing
 * else would say so: the fetch adapter only knows it when the application passes it.
 */
function warnNoClientAddress(engine: Engine): void {
  if (!engine.config.rateLimits.failedPaymentsPerAddress || engine.warned.has('clientAddress'))
    return
  engine.warned.add('clientAddress')
  engine.logger.warn(
    'a payment attempt came without clientAddress, so rateLimits.failedPaymentsPerAddress (the per-address card-testing limit) cannot apply: ' +
      'pass the caller\'s address (withPaywall\'s clientAddress option, or paywall.begin(request, { clientAddress })); see the @stripe402/server README, "Client address"',
  )
}
