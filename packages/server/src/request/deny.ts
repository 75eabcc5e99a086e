/** Refusals: every deny outcome the engine builds goes through here, so each one is reported once. */
import { chargeableUnits, type PaymentErrorCode } from '@stripe402/protocol'
import type { ResolvedRoute } from '../config/resolve'
import { errorMessage, type ErrorStage } from '../events'
import { challengeResponse, errorResponse } from '../http/responses'
import type { DenyOutcome } from '../outcome'
import type { Engine } from '../engine'
import type { LedgerFailure } from '../ledger-calls/via-ledger'
import type { PricedRequest } from './priced'

/** Where a refusal happened, for events. */
export type Where = { method: string; path: string; route?: string }

/** Where a priced request is: its method, path and the route that priced it. */
export function whereOf(request: PricedRequest): Where {
  return { method: request.method, path: request.path, route: request.route.key }
}

/** Seconds a client should wait after a 503: long enough for a blip, short enough for an agent. */
export const RETRY_AFTER_SECONDS = 2

/**
 * A 402 with the route's PaymentRequired. With `code` it says why; with `failure` it also
 * carries a `payment-response` (`success: false`), which is where v1 clients look. Its
 * `minTopUp` always covers this request's price, plus `owed` (the shortfall a refund or dispute
 * left on the account, when the account is known), so a client that tops up by it is served.
 */
export function challenge(
  engine: Engine,
  request: PricedRequest,
  code?: PaymentErrorCode,
  message?: string,
  failure?: { creditsRemaining?: number; clientId?: string },
  owed = 0,
): DenyOutcome {
  const { route } = request
  const response = challengeResponse({
    url: request.url,
    amount: request.price,
    currency: route.currency,
    minTopUp: coveringMinTopUp(route, request.price, owed),
    ...(route.maxTopUp !== undefined && { maxTopUp: route.maxTopUp }),
    publishableKey: engine.config.stripe.publishableKey,
    extensions: engine.config.extensions,
    ...(route.description !== undefined && { description: route.description }),
    ...(route.mimeType !== undefined && { mimeType: route.mimeType }),
    ...(code !== undefined && { code }),
    ...(message !== undefined && { message }),
    ...(failure !== undefined && { failure }),
  })
  if (code === undefined) {
    engine.emit({
      type: 'challenge',
      method: request.method,
      path: request.path,
      route: route.key,
      amount: request.price,
      currency: route.currency,
    })
  } else {
    engine.emit({
      type: 'deny',
      status: 402,
      code,
      method: request.method,
      path: request.path,
      route: route.key,
    })
  }
  return { type: 'deny', ...response }
}

/**
 * The route's `minTopUp`, raised to what pays for `price` when a dynamic price (or a route
 * configured with `minTopUp` below its amount) exceeds it: spec §2.4 step 7. A top-up pays the
 * account's shortfall first (spec §10), so `owed` is added to the price. Rounded up to what
 * Stripe can charge in the currency, and never above `maxTopUp`.
 */
export function coveringMinTopUp(route: ResolvedRoute, price: number, owed = 0): number {
  const covering = Math.max(route.minTopUp, chargeableUnits(price + owed, route.currency))
  return route.maxTopUp === undefined ? covering : Math.min(covering, route.maxTopUp)
}

/** A non-402 refusal with `{ error, message }` (403 frozen, 429, 400 …). */
export function refuse(
  engine: Engine,
  where: Where,
  status: number,
  code: PaymentErrorCode,
  message: string,
  retryAfterSeconds?: number,
): DenyOutcome {
  engine.emit({
    type: 'deny',
    status,
    code,
    method: where.method,
    path: where.path,
    ...(where.route !== undefined && { route: where.route }),
  })
  return { type: 'deny', ...errorResponse(status, code, message, retryAfterSeconds) }
}

/** 503 with Retry-After: a dependency failed, so nothing was served and nothing was credited. */
export function unavailable(
  engine: Engine,
  where: Where,
  code: 'ledger_unavailable' | 'payment_unavailable',
  stage: ErrorStage,
  error: unknown,
  message: string,
): DenyOutcome {
  const detail = errorMessage(error)
  engine.logger.error(message, { code, error: detail })
  engine.emit({ type: 'error', stage, code, message: detail })
  return refuse(engine, where, 503, code, message, RETRY_AFTER_SECONDS)
}

/**
 * 503 for a failed ledger call. When the call was a debit, the store may have applied it without
 * the answer arriving: the message then says the credits come back (the repair queue reverses
 * such a debit once the ledger answers), instead of claiming that nothing was spent.
 */
export function ledgerUnavailable(
  engine: Engine,
  where: Where,
  failure: LedgerFailure,
): DenyOutcome {
  const message = failure.debitInDoubt
    ? `The credit ledger is unavailable; if credits were taken for this request they are returned automatically once it is back. Retry after ${RETRY_AFTER_SECONDS} seconds.`
    : `The credit ledger is unavailable; no credits were spent. Retry after ${RETRY_AFTER_SECONDS} seconds.`
  return unavailable(engine, where, 'ledger_unavailable', 'ledger', failure.cause, message)
}

/**
 * 500 for a debit the ledger answered with an error (a data or schema error): a bug of this
 * server, not an outage, so no Retry-After, and the store applied nothing, so nothing was spent.
 */
export function ledgerRefused(engine: Engine, where: Where, failure: LedgerFailure): DenyOutcome {
  const detail = errorMessage(failure.cause)
  engine.logger.error(
    'the credit ledger refused a debit with an error (a bug, not an outage); nothing was debited',
    { code: 'internal_error', error: detail },
  )
  engine.emit({ type: 'error', stage: 'ledger', code: 'internal_error', message: detail })
  return refuse(
    engine,
    where,
    500,
    'internal_error',
    'The credit ledger refused this request (a fault of this server); no credits were spent.',
  )
}

/** 503 for a Stripe failure: an outage, a timeout, or Stripe refusing our own key (the payer is never blamed). */
export function stripeUnavailable(
  engine: Engine,
  where: Where,
  error: unknown,
  ourFault: boolean,
): DenyOutcome {
  const message = ourFault
    ? "Payments are unavailable: Stripe refused this server's API key."
    : 'Stripe did not answer; no credits were spent. If the card was charged, the credits are applied once Stripe confirms. Retry shortly.'
  return unavailable(engine, where, 'payment_unavailable', 'stripe', error, message)
}
