/** Inside the per-card lock: decide the top-up, charge it through Stripe, credit it and spend from it. */
import { createHash } from 'node:crypto'
import { chargeableUnits, type PaymentPayload, unitsToMinor } from '@stripe402/protocol'
import type { PaywallOutcome } from '../outcome'
import { classifyStripeError } from '../stripe/errors'
import type { TopUpRequest } from '../stripe/gateway'
import { sealAccountId } from '../stripe/sealed-account'
import { countFailure, rateLimited } from './abuse'
import { creditTopUpAndSpend } from './apply-top-up'
import { afterCardSpend, type CardPayer, cardSpend, spendByCard } from './card-debit'
import type { Engine, PricedRequest } from './context'
import { challenge, refuse, RETRY_AFTER_SECONDS, stripeUnavailable, whereOf } from './deny'
import { debitOf, viaDebit } from './via-debit'
import { viaLedger } from './failures'
import { forgetTopUp, pendingTopUp, rememberTopUp, type Sent, sendTopUp } from './pending'

/**
 * Idempotency keys tried in one request when Stripe keeps a server error, without a charge, as a
 * key's answer. Each next key is derived from the last, so a client's retry with the same
 * `idempotencyKey` walks the same keys and still charges at most once.
 */
const MAX_KEYS_PER_REQUEST = 4

/**
 * Inside the lock: read the top-up left pending by an earlier attempt (its outcome unknown after
 * a timeout, a 5xx or a crash), re-check the balance, settle that top-up, and only then charge a
 * new one, credit it and spend from it.
 */
export async function chargeAndSpend(
  engine: Engine,
  request: PricedRequest,
  payload: PaymentPayload & { paymentMethodId: string },
  payer: CardPayer,
  lock: string,
  customerId: string | null,
): Promise<PaywallOutcome> {
  const { route } = request
  const { accountId } = payer
  const where = whereOf(request)
  // The pending record before the balance: a top-up is credited before its record is forgotten,
  // so a record already gone here has its credit in the balance read next. Read the other way
  // round, a top-up crediting in between looks like no top-up at all and is charged again.
  const earlier = await pendingTopUp(engine, accountId, route.currency)
  const again = await spendByCard(engine, request, payer)
  if (!('insufficient' in again)) return again
  let balance = again.balance

  if (earlier) {
    const settled = await sendTopUp(engine, earlier)
    if (settled.kind === 'unknown') {
      return stripeUnavailable(
        engine,
        where,
        settled.error ?? new Error('an earlier top-up for this card is still processing'),
        false,
      )
    }
    if (settled.kind === 'charged') {
      // The earlier attempt charged: it pays for this request if it covers it; the chargeId is its.
      const { paymentIntent, facts } = settled
      const credited = await viaDebit(engine, debitOf(request, accountId), () =>
        creditTopUpAndSpend(engine, paymentIntent, cardSpend(request, payer), facts),
      )
      await forgetTopUp(engine, earlier)
      if (credited) {
        const spent = await afterCardSpend(engine, request, payer, credited.spend, paymentIntent.id)
        if (!('insufficient' in spent)) return spent
        balance = spent.balance
      } else {
        // Only if the paywall id changed since: the charge stays for reconcile under the old id.
        engine.logger.error("a replayed top-up is not this paywall's; it was not credited", {
          paymentIntentId: paymentIntent.id,
        })
      }
    }
  }

  // Units a refund or dispute took back after they were spent: the credit pays them off first.
  const owed = await viaLedger(() => engine.ledger.shortfall(accountId, route.currency))
  const needed = request.price - balance + owed
  // Charged in whole minor units, so credit exactly what Stripe will take.
  const units = chargeableUnits(
    payload.topUpAmount ?? Math.max(route.minTopUp, needed),
    route.currency,
  )
  if (units < needed) {
    const debt = owed > 0 ? `, ${owed} units owed after a refund or dispute,` : ''
    return challenge(
      engine,
      request,
      'top_up_below_minimum',
      `A top-up of ${units} units with ${balance} units of credit${debt} does not cover the price of ${request.price} units.`,
      {},
      owed,
    )
  }
  if (route.maxTopUp !== undefined && units > route.maxTopUp) {
    return challenge(
      engine,
      request,
      'top_up_above_maximum',
      `This request needs a top-up of ${units} units, above this route's maximum of ${route.maxTopUp}.`,
      {},
      owed,
    )
  }
  const topUpWait = await viaLedger(() => engine.guard.countTopUp(accountId))
  if (topUpWait !== undefined) return rateLimited(engine, where, 'top_ups_per_account', topUpWait)

  let key = idempotencyKey(
    accountId,
    route.currency,
    payload.idempotencyKey ? `client:${payload.idempotencyKey}` : `lock:${lock}`,
  )
  let customer = customerId
  for (let tried = 1; ; tried++) {
    const topUp: TopUpRequest = {
      paymentMethodId: payload.paymentMethodId,
      customerId: customer,
      accountId,
      ...(engine.config.credentials === 'account' && {
        metadataAccountId: sealAccountId(engine.config.secrets, accountId),
      }),
      units,
      amountMinor: unitsToMinor(units, route.currency),
      currency: route.currency,
      description: (route.description ?? `stripe402 top-up for ${route.key}`).slice(0, 1000),
      idempotencyKey: key,
      paywallId: engine.config.paywallId,
      attempt: attemptOf(key),
    }
    const pending = await rememberTopUp(engine, topUp)
    const sent = await sendTopUp(engine, pending)
    if (sent.kind === 'spent' && tried < MAX_KEYS_PER_REQUEST) {
      key = nextKey(key)
      // The spent key's run may have attached the PaymentMethod: the next key charges it through that Customer.
      customer = sent.customerId ?? customer
      continue
    }
    if (sent.kind !== 'charged') return refused(engine, request, accountId, sent, balance, owed)

    // Credit and debit in one ledger step. A ledger failure here answers 503 and leaves the record:
    // the next attempt credits this charge, and the repair queue gives the debit back if it landed.
    const pi = sent.paymentIntent
    const credited = await viaDebit(engine, debitOf(request, accountId), () =>
      creditTopUpAndSpend(engine, pi, cardSpend(request, payer), sent.facts),
    )
    await forgetTopUp(engine, pending)
    if (!credited)
      return refuse(
        engine,
        where,
        503,
        'payment_unavailable',
        'The payment could not be matched to this account; retry shortly.',
        RETRY_AFTER_SECONDS,
      )
    const spent = await afterCardSpend(engine, request, payer, credited.spend, pi.id)
    if (!('insufficient' in spent)) return spent
    // Only if the account owes more than was charged (a refund or dispute landed meanwhile).
    const stillOwed = await viaLedger(() => engine.ledger.shortfall(accountId, route.currency))
    return challenge(
      engine,
      request,
      'insufficient_credits',
      'The top-up was charged and credited, but it does not cover this request; top up again.',
      {
        creditsRemaining: spent.balance,
      },
      stillOwed,
    )
  }
}

/** The answer to a top-up that did not charge, or whose outcome Stripe has not told yet. */
async function refused(
  engine: Engine,
  request: PricedRequest,
  accountId: string,
  sent: Exclude<Sent, { kind: 'charged' }>,
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

/** Stripe idempotency key: the same client key (or the same lock) for the same account charges once. */
function idempotencyKey(accountId: string, currency: string, scope: string): string {
  return `stripe402-${createHash('sha256').update(`${accountId}\n${currency}\n${scope}`).digest('hex')}`
}

/** The key after one Stripe keeps a server error for: derived, so the same client key always leads to the same keys. */
function nextKey(key: string): string {
  return `stripe402-${createHash('sha256').update(`${key}\nnext`).digest('hex')}`
}

/** `stripe402_attempt` metadata: finds the PaymentIntent of a key whose answer was an error, without revealing the key. */
function attemptOf(key: string): string {
  return createHash('sha256').update(`attempt\n${key}`).digest('hex').slice(0, 32)
}
