/** /v1/refunds: full or partial refunds of a succeeded charge, named by charge or by PaymentIntent. */
import type { Core } from '../core'
import { formatAmount } from '../currencies'
import { invalidRequest, resourceMissing } from '../errors'
import { newId, randomAlnum, unixNow } from '../ids'
import type { Charge } from '../objects/charge'
import type { Refund } from '../objects/refund'
import { applyMetadata, readEnum, readInteger, readString, rejectUnknown } from '../params'
import { LIST_PARAMS, paginate } from '../query/list'
import type { Account } from '../state'
import { findCharge } from './charges'
import { render, type RequestContext } from './context'

function chargeToRefund(ctx: RequestContext): Charge {
  const chargeId = readString(ctx.params, 'charge')
  const piId = readString(ctx.params, 'payment_intent')
  if (!chargeId && !piId)
    throw invalidRequest(
      'One of the following params should be provided for this request: charge or payment_intent.',
      undefined,
      'parameter_missing',
    )
  if (chargeId) {
    const charge = findCharge(ctx.account, chargeId, 'charge', 400)
    if (piId && charge.payment_intent !== piId)
      throw invalidRequest(
        `The charge ${chargeId} does not belong to the PaymentIntent ${piId}.`,
        'payment_intent',
      )
    return charge
  }
  const pi = ctx.account.paymentIntents.get(piId as string)
  if (!pi) throw resourceMissing('payment_intent', piId as string, 'payment_intent', 400)
  const charge = pi.latest_charge ? ctx.account.charges.get(pi.latest_charge) : undefined
  if (charge?.status !== 'succeeded') {
    throw invalidRequest(
      `This PaymentIntent (${pi.id}) does not have a successful charge to refund.`,
      'payment_intent',
    )
  }
  return charge
}

export function createRefund(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [
    'charge',
    'payment_intent',
    'amount',
    'reason',
    'metadata',
    'expand',
    'instructions_email',
    'refund_application_fee',
    'reverse_transfer',
  ])
  const charge = chargeToRefund(ctx)
  const reason =
    readEnum(ctx.params, 'reason', ['duplicate', 'fraudulent', 'requested_by_customer'] as const) ??
    null
  const metadata = applyMetadata(ctx.params)
  if (charge.status !== 'succeeded')
    throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be refunded.`, 'charge')
  if (charge.disputed)
    throw invalidRequest(
      `Charge ${charge.id} has been charged back; cannot issue a refund.`,
      'charge',
      'charge_disputed',
    )
  const remaining = charge.amount - charge.amount_refunded
  if (remaining <= 0)
    throw invalidRequest(
      `Charge ${charge.id} has already been refunded.`,
      'charge',
      'charge_already_refunded',
    )
  const amount = readInteger(ctx.params, 'amount') ?? remaining
  if (amount < 1)
    throw invalidRequest('Invalid positive integer', 'amount', 'parameter_invalid_integer')
  if (amount > remaining) {
    throw invalidRequest(
      `Refund amount (${formatAmount(amount, charge.currency)}) is greater than unrefunded amount on charge (${formatAmount(remaining, charge.currency)})`,
      'amount',
      'amount_too_large',
    )
  }
  const refund: Refund = {
    id: newId('re'),
    object: 'refund',
    amount,
    balance_transaction: newId('txn'),
    charge: charge.id,
    created: unixNow(),
    currency: charge.currency,
    destination_details: {
      card: {
        reference: randomAlnum(23),
        reference_status: 'available',
        reference_type: 'acquirer_reference_number',
        type: 'refund',
      },
      type: 'card',
    },
    metadata,
    payment_intent: charge.payment_intent,
    reason,
    receipt_number: null,
    source_transfer_reversal: null,
    status: 'succeeded',
    transfer_reversal: null,
  }
  ctx.account.refunds.set(refund.id, refund)
  charge.amount_refunded += amount
  charge.refunded = charge.amount_refunded === charge.amount
  ctx.core.emit(ctx.account, 'refund.created', refund, ctx.request)
  // Stripe sends charge.refunded for partial refunds too; `refunded` tells full from partial.
  ctx.core.emit(ctx.account, 'charge.refunded', charge, ctx.request)
  return render(ctx, refund)
}

/**
 * A refund that did not reach the card: `failed` (the bank refused it) or `canceled`. The amount
 * goes back to the merchant, so the charge's `amount_refunded` drops by it. Emits `refund.updated`,
 * `charge.refund.updated` and, for a failure, `refund.failed`.
 */
export function failRefund(
  core: Core,
  account: Account,
  refund: Refund,
  outcome: 'failed' | 'canceled',
): Refund {
  if (refund.status === 'failed' || refund.status === 'canceled')
    throw invalidRequest(
      `Refund ${refund.id} has already ${refund.status === 'failed' ? 'failed' : 'been canceled'}.`,
    )
  refund.status = outcome
  if (outcome === 'failed') refund.failure_reason = 'lost_or_stolen_card'
  const charge = account.charges.get(refund.charge)
  if (charge) {
    charge.amount_refunded -= refund.amount
    charge.refunded = charge.amount_refunded === charge.amount
  }
  core.emit(account, 'refund.updated', refund)
  core.emit(account, 'charge.refund.updated', refund)
  if (outcome === 'failed') core.emit(account, 'refund.failed', refund)
  return refund
}

export function retrieveRefund(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['expand'])
  const id = ctx.path.id as string
  const refund = ctx.account.refunds.get(id)
  if (!refund) throw resourceMissing('refund', id)
  return render(ctx, refund)
}

export function listRefunds(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [...LIST_PARAMS, 'charge', 'payment_intent'])
  const charge = readString(ctx.params, 'charge')
  const paymentIntent = readString(ctx.params, 'payment_intent')
  const items = [...ctx.account.refunds.values()].filter(
    (r) =>
      (charge === undefined || r.charge === charge) &&
      (paymentIntent === undefined || r.payment_intent === paymentIntent),
  )
  return render(ctx, paginate(items, ctx.params, '/v1/refunds'))
}
