/** The answer to a top-up Stripe did not charge, or whose outcome it has not told yet. */
import type { Engine } from '../engine'
import type { PaywallOutcome } from '../outcome'
import { classifyStripeError } from '../stripe/errors'
import { MAX_KEYS_PER_REQUEST } from '../top-up/charge'
import type { NotCharged } from '../top-up/send'
import { countFailure } from './abuse'
import { challenge, refuse, RETRY_AFTER_SECONDS, stripeUnavailable, whereOf } from './deny'
import type { PricedRequest } from './priced'

/**
 * A 503 while the outcome is unknown (the record stays: the next attempt learns it before
 * charging again) or every key was spent; otherwise a 402 that says why, counted as a failed
 * payment, with the account's `balance` and the `owed` its next top-up must cover.
 */
export async function topUpRefused(
  engine: Engine,
  request: PricedRequest,
  accountId: string,
  sent: NotCharged,
  balance: number,
  owed: number,
): Promise<PaywallOutcome> {
  const where = whereOf(request)
  if (sent.kind === 'unknown') {
    // The record stays: the next attempt learns this charge's outcome before charging again.
    if (sent.error === undefined)
      return refuse(
        engine,
        where,
        503,
        'payment_unavailable',
        'The payment is still processing; retry shortly.',
        RETRY_AFTER_SECONDS,
      )
    const failure = classifyStripeError(sent.error)
    return stripeUnavailable(
      engine,
      where,
      sent.error,
      failure.kind === 'unavailable' && failure.ourFault,
    )
  }
  if (sent.kind === 'spent') {
    return stripeUnavailable(
      engine,
      where,
      new Error(
        `Stripe answered ${MAX_KEYS_PER_REQUEST} idempotency keys with a server error and charged none`,
      ),
      false,
    )
  }
  await countFailure(engine, request.clientAddress, accountId)
  const credits = { creditsRemaining: balance }
  if (sent.error === undefined) {
    const status = sent.paymentIntent?.status
    const code = status === 'requires_action' ? 'authentication_required' : 'payment_failed'
    return challenge(
      engine,
      request,
      code,
      `The payment did not complete (status ${status}).`,
      credits,
      owed,
    )
  }
  const failure = classifyStripeError(sent.error)
  switch (failure.kind) {
    case 'declined':
      // Whatever Stripe's reason (insufficient_funds, incorrect_cvc, expired_card, lost_card …),
      // the payer is told only that the card was declined: a reason tells a card tester which
      // numbers are live and which detail to try next (spec §5, §14.4).
      return challenge(engine, request, 'card_declined', 'The card was declined.', credits, owed)
    case 'authentication_required':
      return challenge(
        engine,
        request,
        'authentication_required',
        'The card requires 3-D Secure authentication, which an off-session payment cannot complete; use another card.',
        credits,
        owed,
      )
    case 'invalid': {
      const reused = failure.code === 'idempotency_error'
      const message = reused
        ? 'This idempotencyKey was already used for a different top-up.'
        : `Stripe refused the payment: ${failure.message}`
      return challenge(
        engine,
        request,
        reused ? 'invalid_payment' : 'payment_failed',
        message,
        credits,
        owed,
      )
    }
    case 'unavailable':
      return stripeUnavailable(engine, where, sent.error, failure.ourFault)
  }
}
