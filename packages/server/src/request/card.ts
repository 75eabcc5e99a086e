/** The card path: a PaymentMethod becomes an account, which pays from its credits or from a top-up charged at most once per need. */
import type { PaymentPayload } from '@stripe402/protocol'
import type { Engine } from '../engine'
import { resolveAccountId } from '../identity'
import { viaLedger } from '../ledger-calls/via-ledger'
import type { PaywallOutcome } from '../outcome'
import { classifyStripeError } from '../stripe/errors'
import type { CardPaymentMethod } from '../stripe/gateway'
import { acquireTopUpLock, holdLock } from '../top-up/lock'
import { countFailure, rateLimited } from './abuse'
import { type CardPayer, cardPayer, spendByCard } from './card-spend'
import { topUpAndSpend } from './card-top-up'
import { challenge, stripeUnavailable, whereOf } from './deny'
import { judgeBinding } from './origin-binding'
import type { PricedRequest } from './priced'
import { waitForTopUp } from './wait-for-top-up'

/** Stripe ids are short and plain; anything else is refused before a Stripe call is spent on it. */
const PAYMENT_METHOD_ID = /^[A-Za-z0-9_]{3,255}$/

/**
 * Order matters: checks that cost nothing come first (price ceiling, top-up bounds, id
 * shape, local blocks), then one Stripe read for the fingerprint, then the ledger. A card
 * whose balance already covers the price is debited without a charge. Otherwise a
 * per-account lock makes concurrent payments with the same card charge once: the others
 * wait for that top-up and spend from it.
 */
export async function payWithCard(
  engine: Engine,
  request: PricedRequest,
  payload: PaymentPayload & { paymentMethodId: string },
): Promise<PaywallOutcome> {
  const { route } = request
  const where = whereOf(request)
  const requested = payload.topUpAmount
  if (requested !== undefined && requested < route.minTopUp) {
    return challenge(
      engine,
      request,
      'top_up_below_minimum',
      `topUpAmount ${requested} is below this route's minimum top-up of ${route.minTopUp} units.`,
      {},
    )
  }
  if (requested !== undefined && route.maxTopUp !== undefined && requested > route.maxTopUp) {
    return challenge(
      engine,
      request,
      'top_up_above_maximum',
      `topUpAmount ${requested} is above this route's maximum top-up of ${route.maxTopUp} units.`,
      {},
    )
  }
  if (!PAYMENT_METHOD_ID.test(payload.paymentMethodId)) {
    return challenge(
      engine,
      request,
      'invalid_payment',
      'paymentMethodId is not a Stripe PaymentMethod id.',
      {},
    )
  }
  const addressWait = engine.guard.blocked('failed_payments_per_address', request.clientAddress)
  if (addressWait !== undefined)
    return rateLimited(engine, where, 'failed_payments_per_address', addressWait)

  let card: CardPaymentMethod | null
  try {
    card = await engine.gateway.cardOf(payload.paymentMethodId)
  } catch (error) {
    const failure = classifyStripeError(error)
    if (failure.kind === 'unavailable')
      return stripeUnavailable(engine, where, error, failure.ourFault)
    await countFailure(engine, request.clientAddress, undefined)
    return challenge(
      engine,
      request,
      'invalid_payment',
      "The PaymentMethod could not be found with this server's Stripe account; create it with the publishableKey in this challenge.",
      {},
    )
  }
  if (!card) {
    await countFailure(engine, request.clientAddress, undefined)
    return challenge(
      engine,
      request,
      'payment_failed',
      'The PaymentMethod is not a card; stripe402 charges cards.',
      {},
    )
  }

  const accountId = await viaLedger(() =>
    resolveAccountId(engine.config.secrets, card.fingerprint, engine.ledger),
  )
  const cardWait = engine.guard.blocked('failed_payments_per_card', accountId)
  if (cardWait !== undefined)
    return rateLimited(engine, where, 'failed_payments_per_card', cardWait)

  const binding = await judgeBinding(engine, request, card, accountId, payload.clientId)
  if (typeof binding === 'object') return binding.refused
  const payer: CardPayer = {
    ...cardPayer(engine, accountId, payload.clientId),
    ...(binding === 'with-credential' && { credentialRequired: true }),
  }
  const covered = await spendByCard(engine, request, payer)
  if (covered.kind !== 'short') return covered.outcome

  let owner = covered.payer
  let lock = await acquireTopUpLock(engine, accountId, route.currency)
  if (!lock) {
    const waited = await waitForTopUp(engine, request, owner)
    if (waited.kind !== 'locked') return waited.outcome
    lock = waited.lock
    owner = waited.payer
  }
  const release = holdLock(engine, accountId, route.currency, lock)
  try {
    return await topUpAndSpend(engine, request, payload, owner, lock, card.customerId)
  } finally {
    await release()
  }
}
