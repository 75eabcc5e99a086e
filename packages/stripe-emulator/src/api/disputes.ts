/** Disputes (`dp_…`): opened by the dispute test cards or by the `dispute()` test control, read via /v1/disputes. */
import { invalidRequest, resourceMissing } from '../errors'
import { newId, unixNow } from '../ids'
import type { Charge } from '../objects/charge'
import type { Dispute, DisputeReason, DisputeStatus } from '../objects/dispute'
import { readString, rejectUnknown } from '../params'
import { LIST_PARAMS, paginate } from '../query/list'
import type { Account } from '../state'
import type { EventRequest } from '../webhooks/events'
import { render, type RequestContext } from './context'
import type { Core } from '../core'

const EVIDENCE_FIELDS = [
  'access_activity_log',
  'billing_address',
  'cancellation_policy',
  'cancellation_policy_disclosure',
  'cancellation_rebuttal',
  'customer_communication',
  'customer_email_address',
  'customer_name',
  'customer_purchase_ip',
  'customer_signature',
  'duplicate_charge_documentation',
  'duplicate_charge_explanation',
  'duplicate_charge_id',
  'product_description',
  'receipt',
  'refund_policy',
  'refund_policy_disclosure',
  'refund_refusal_explanation',
  'service_date',
  'service_documentation',
  'shipping_address',
  'shipping_carrier',
  'shipping_date',
  'shipping_documentation',
  'shipping_tracking_number',
  'uncategorized_file',
  'uncategorized_text',
]

/** Opens a dispute on a succeeded charge, marks the charge disputed and emits `charge.dispute.created`. */
export function openDispute(
  core: Core,
  account: Account,
  charge: Charge,
  reason: DisputeReason = 'fraudulent',
  status: DisputeStatus = 'needs_response',
  request: EventRequest = { id: null, idempotency_key: null },
): Dispute {
  if (charge.status !== 'succeeded')
    throw invalidRequest(`Charge ${charge.id} has not succeeded and cannot be disputed.`, 'charge')
  if (charge.disputed) throw invalidRequest(`Charge ${charge.id} is already disputed.`, 'charge')
  const inquiry = status === 'warning_needs_response'
  const networkReason = reason === 'fraudulent' ? '10.4' : '13.1'
  const dispute: Dispute = {
    id: newId(inquiry ? 'du' : 'dp'),
    object: 'dispute',
    amount: charge.amount,
    balance_transactions: [],
    charge: charge.id,
    created: unixNow(),
    currency: charge.currency,
    evidence: Object.fromEntries(EVIDENCE_FIELDS.map((f) => [f, null])),
    evidence_details: {
      due_by: unixNow() + 7 * 24 * 3600,
      has_evidence: false,
      past_due: false,
      submission_count: 0,
    },
    is_charge_refundable: inquiry,
    livemode: false,
    metadata: {},
    network_reason_code: networkReason,
    payment_intent: charge.payment_intent,
    payment_method_details: {
      card: {
        brand: charge.payment_method_details.card.brand,
        case_type: inquiry ? 'inquiry' : 'chargeback',
        network_reason_code: networkReason,
      },
      type: 'card',
    },
    reason,
    status,
  }
  account.disputes.set(dispute.id, dispute)
  charge.disputed = true
  core.emit(account, 'charge.dispute.created', dispute, request)
  return dispute
}

/**
 * Closes a dispute as the card network would: a chargeback is won or lost, an inquiry (`warning_*`)
 * closes as `warning_closed` whatever `outcome` says. Emits `charge.dispute.closed`, and for a won
 * chargeback `charge.dispute.funds_reinstated` (the disputed amount goes back to the merchant).
 */
export function closeDispute(
  core: Core,
  account: Account,
  dispute: Dispute,
  outcome: 'won' | 'lost',
): Dispute {
  if (
    dispute.status === 'won' ||
    dispute.status === 'lost' ||
    dispute.status === 'warning_closed'
  ) {
    throw invalidRequest(`Dispute ${dispute.id} is already closed (${dispute.status}).`)
  }
  const inquiry = dispute.status.startsWith('warning_')
  dispute.status = inquiry ? 'warning_closed' : outcome
  dispute.is_charge_refundable = false
  core.emit(account, 'charge.dispute.closed', dispute)
  if (dispute.status === 'won') core.emit(account, 'charge.dispute.funds_reinstated', dispute)
  return dispute
}

export function retrieveDispute(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['expand'])
  const id = ctx.path.id as string
  const dispute = ctx.account.disputes.get(id)
  if (!dispute) throw resourceMissing('dispute', id)
  return render(ctx, dispute)
}

export function listDisputes(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [...LIST_PARAMS, 'charge', 'payment_intent'])
  const charge = readString(ctx.params, 'charge')
  const paymentIntent = readString(ctx.params, 'payment_intent')
  const items = [...ctx.account.disputes.values()].filter(
    (d) =>
      (charge === undefined || d.charge === charge) &&
      (paymentIntent === undefined || d.payment_intent === paymentIntent),
  )
  return render(ctx, paginate(items, ctx.params, '/v1/disputes'))
}
