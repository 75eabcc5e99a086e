/** Inside the per-card lock: settle an earlier top-up or charge a new one, then spend this request's price from it. */
import { chargeableUnits, type PaymentPayload } from '@stripe402/protocol'
import type { Engine } from '../engine'
import { viaDebit } from '../ledger-calls/via-debit'
import { viaLedger } from '../ledger-calls/via-ledger'
import type { PaywallOutcome } from '../outcome'
import { creditTopUpAndSpend } from '../top-up/apply'
import { chargeTopUp, clientScope, isOwnAttempt } from '../top-up/charge'
import { forgetTopUp, type PendingTopUp, pendingTopUp } from '../top-up/pending'
import { type Charged, sendTopUp } from '../top-up/send'
import { rateLimited } from './abuse'
import {
  afterCardSpend,
  type CardPayer,
  type CardSpend,
  cardSpend,
  spendByCard,
} from './card-spend'
import { challenge, refuse, RETRY_AFTER_SECONDS, stripeUnavailable, whereOf } from './deny'
import type { PricedRequest } from './priced'
import { topUpRefused } from './top-up-refused'

/**
 * Inside the lock: read the top-up left pending by an earlier attempt (its outcome unknown after
 * a timeout, a 5xx or a crash), re-check the balance, settle that top-up, and only then charge a
 * new one, credit it and spend from it.
 */
export async function topUpAndSpend(
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
  if (again.kind !== 'short') return again.outcome
  let { balance } = again
  let owner = again.payer

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
      // The earlier attempt charged: it pays for this request if it covers it. Its chargeId is
      // named only to the payment that sent it (a retry); to another, it is credits already there.
      const own = isOwnAttempt(earlier, accountId, route.currency, payload)
      const spent = await creditAndSpend(engine, request, owner, earlier, settled, own)
      if (spent === null) {
        // Only if the paywall id changed since: the charge stays for reconcile under the old id.
        engine.logger.error("a replayed top-up is not this paywall's; it was not credited", {
          paymentIntentId: settled.paymentIntent.id,
        })
      } else {
        if (spent.kind !== 'short') return spent.outcome
        balance = spent.balance
        owner = spent.payer
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

  const charged = await chargeTopUp(engine, {
    accountId,
    route,
    units,
    paymentMethodId: payload.paymentMethodId,
    customerId,
    scope: clientScope(payload.idempotencyKey) ?? `lock:${lock}`,
  })
  if (charged.kind !== 'charged')
    return topUpRefused(engine, request, accountId, charged, balance, owed)
  const spent = await creditAndSpend(engine, request, owner, charged.pending, charged, true)
  if (spent === null)
    return refuse(
      engine,
      where,
      503,
      'payment_unavailable',
      'The payment could not be matched to this account; retry shortly.',
      RETRY_AFTER_SECONDS,
    )
  if (spent.kind !== 'short') return spent.outcome
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

/**
 * Credits a charged top-up and spends this request's price from it in one ledger step, then drops
 * its record; null when the charge is not this paywall's. A ledger failure here answers 503 and
 * leaves the record: the next attempt credits this charge, and the repair queue gives the debit
 * back if it landed.
 */
async function creditAndSpend(
  engine: Engine,
  request: PricedRequest,
  payer: CardPayer,
  pending: PendingTopUp,
  charged: Charged,
  /** Whether this request's receipt names the charge (it made it, or it retries the payment that did). */
  own: boolean,
): Promise<CardSpend | null> {
  const { paymentIntent, facts } = charged
  const credited = await viaDebit(engine, request, payer.accountId, () =>
    creditTopUpAndSpend(engine, paymentIntent, cardSpend(request, payer), facts),
  )
  await forgetTopUp(engine, pending)
  if (!credited) return null
  return afterCardSpend(engine, request, payer, credited.spend, own ? paymentIntent.id : undefined)
}
