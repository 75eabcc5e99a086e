/** Credits a succeeded stripe402 PaymentIntent, once, whichever of the request, the webhook and reconcile comes first. */
import { minorToUnits } from '@stripe402/protocol'
import type Stripe from 'stripe'
import type { CreditAndSpendInput, SpendResult } from '../ledger/types'
import type { ChargeFacts } from './charge-facts'
import { clawBackCharge } from './clawback'
import type { Engine } from '../engine'
import { type TopUpTarget, topUpTarget } from './target'

export interface AppliedTopUp extends TopUpTarget {
  units: number
  /** False when this PaymentIntent had already been credited. */
  applied: boolean
}

/**
 * The repair path (webhook, reconcile). Credits what the PaymentIntent charged
 * (`amount_received`, in units) under `top_up` keyed by its id: whichever of the request, the
 * webhook or reconcile comes first applies it, the others find it applied. Returns null for a
 * PaymentIntent that is not this paywall's or not succeeded.
 *
 * When the credit is missing, or when the caller holds the charge, the charge's refunds and
 * disputes are taken back first (each once, by its Stripe id): a clawback that finds too little
 * leaves a shortfall that the credit pays off in the same ledger step. So in whatever order
 * Stripe's events arrive, the account ends with what was charged minus what was refunded or
 * disputed, and refunded money is never spendable.
 */
export async function applyTopUp(
  engine: Engine,
  pi: Stripe.PaymentIntent,
  source: 'webhook' | 'reconcile',
  facts: ChargeFacts = {},
): Promise<AppliedTopUp | null> {
  if (pi.status !== 'succeeded') return null
  const target = topUpTarget(engine, pi)
  if (!target) return null
  const units = minorToUnits(pi.amount_received || pi.amount, target.currency)
  let applying: ChargeFacts = { ...facts }
  const charge =
    facts.charge ??
    (typeof pi.latest_charge === 'object' && pi.latest_charge !== null
      ? pi.latest_charge
      : undefined)
  if (charge) {
    applying.charge = charge
  } else {
    // payment_intent.succeeded for a top-up the request credited: the usual case, one ledger read.
    const credited = await engine.ledger.hasEntry(target.accountId, 'top_up', pi.id)
    if (credited && !facts.disputes && !facts.refunds) {
      engine.emit({
        type: 'top_up',
        ...target,
        units,
        paymentIntentId: pi.id,
        source,
        applied: false,
      })
      return { ...target, units, applied: false }
    }
    if (!credited && typeof pi.latest_charge === 'string') {
      // Not credited yet: every refund of the charge is taken back before the credit, not only the event's.
      applying = {
        charge: await engine.gateway.retrieveCharge(pi.latest_charge),
        ...(facts.disputes && { disputes: facts.disputes }),
      }
    }
  }
  await clawBackCharge(engine, target, pi.id, applying)
  const { applied } = await engine.ledger.credit({ ...target, units, kind: 'top_up', ref: pi.id })
  engine.emit({ type: 'top_up', ...target, units, paymentIntentId: pi.id, source, applied })
  return { ...target, units, applied }
}

/**
 * The request path: credits the PaymentIntent it just charged and spends the price from it in
 * one ledger step (spec 2.4, step 8), so that no request spending the same account through a
 * credential can take the new credits in between. Null when it is not this paywall's.
 *
 * A charge made by an earlier attempt may have been refunded or disputed since, with no webhook
 * (yet): `facts` (read from Stripe, complete, so nothing is fetched here) are taken back first,
 * as `applyTopUp` does, so the credit never makes refunded or disputed money spendable.
 */
export async function creditTopUpAndSpend(
  engine: Engine,
  pi: Stripe.PaymentIntent,
  spend: CreditAndSpendInput['spend'],
  facts: ChargeFacts = {},
): Promise<(AppliedTopUp & { spend: SpendResult }) | null> {
  if (pi.status !== 'succeeded') return null
  const target = topUpTarget(engine, pi)
  if (!target) return null
  const units = minorToUnits(pi.amount_received || pi.amount, target.currency)
  if (facts.refunds?.length || facts.disputes?.length)
    await clawBackCharge(engine, target, pi.id, {
      refunds: facts.refunds ?? [],
      disputes: facts.disputes ?? [],
    })
  const result = await engine.ledger.creditAndSpend({
    credit: { ...target, units, kind: 'top_up', ref: pi.id },
    spend,
  })
  engine.emit({
    type: 'top_up',
    ...target,
    units,
    paymentIntentId: pi.id,
    source: 'request',
    applied: result.applied,
  })
  return { ...target, units, applied: result.applied, spend: result.spend }
}
