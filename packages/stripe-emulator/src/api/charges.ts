/** Charge objects made by confirming PaymentIntents, and the /v1/charges read endpoints. */
import { randomUUID } from 'node:crypto'
import type { CardDecline } from '../cards/table'
import { resourceMissing } from '../errors'
import { newId, randomAlnum, unixNow } from '../ids'
import type { Charge, ChargeOutcomeObject } from '../objects/charge'
import type { PaymentIntent } from '../objects/payment-intent'
import type { PaymentMethod } from '../objects/payment-method'
import { readString, rejectUnknown } from '../params'
import { LIST_PARAMS, paginate } from '../query/list'
import { SEARCH_PARAMS, search, type SearchField } from '../query/search'
import type { Account, CardRecord } from '../state'
import { render, type RequestContext } from './context'

export interface ChargeAttempt {
  /** The decline, or undefined for a successful charge. */
  decline?: CardDecline
  riskLevel?: 'normal' | 'elevated'
  /** The payment went through 3-D Secure first. */
  authenticated: boolean
}

function outcomeFor(attempt: ChargeAttempt): ChargeOutcomeObject {
  const base = { advice_code: null, network_advice_code: null, network_decline_code: null }
  const { decline } = attempt
  if (!decline) {
    const elevated = attempt.riskLevel === 'elevated'
    return {
      ...base,
      network_status: 'approved_by_network',
      reason: elevated ? 'elevated_risk_level' : null,
      risk_level: elevated ? 'elevated' : 'normal',
      risk_score: elevated ? 74 : 12,
      seller_message: 'Payment complete.',
      type: 'authorized',
    }
  }
  if (decline.blocked) {
    return {
      ...base,
      network_status: 'not_sent_to_network',
      reason: 'highest_risk_level',
      risk_level: 'highest',
      risk_score: 95,
      seller_message: 'Stripe blocked this payment as too risky.',
      type: 'blocked',
    }
  }
  return {
    ...base,
    network_decline_code: decline.declineCode === 'insufficient_funds' ? '51' : '05',
    network_status: 'declined_by_network',
    reason: decline.declineCode,
    risk_level: 'normal',
    risk_score: 12,
    seller_message:
      decline.declineCode === 'generic_decline'
        ? 'The bank did not return any further details with this decline.'
        : `The bank returned the decline code \`${decline.declineCode}\`.`,
    type: 'issuer_declined',
  }
}

/** Records the charge a PaymentIntent confirmation makes, succeeded or failed. */
export function createCharge(
  account: Account,
  pi: PaymentIntent,
  pm: PaymentMethod,
  card: CardRecord,
  attempt: ChargeAttempt,
): Charge {
  const { decline } = attempt
  const cvcCheck = card.cvcProvided ? (decline?.code === 'incorrect_cvc' ? 'fail' : 'pass') : null
  const charge: Charge = {
    id: newId('ch'),
    object: 'charge',
    amount: pi.amount,
    amount_captured: decline ? 0 : pi.amount,
    amount_refunded: 0,
    application: null,
    application_fee: null,
    application_fee_amount: null,
    balance_transaction: decline ? null : newId('txn'),
    billing_details: structuredClone(pm.billing_details),
    calculated_statement_descriptor: (
      pi.statement_descriptor ?? 'STRIPE402 EMULATOR'
    ).toUpperCase(),
    captured: !decline,
    created: unixNow(),
    currency: pi.currency,
    customer: pi.customer,
    description: pi.description,
    destination: null,
    disputed: false,
    failure_balance_transaction: null,
    failure_code: decline?.code ?? null,
    failure_message: decline?.message ?? null,
    fraud_details: {},
    livemode: false,
    metadata: { ...pi.metadata },
    on_behalf_of: null,
    outcome: outcomeFor(attempt),
    paid: !decline,
    payment_intent: pi.id,
    payment_method: pm.id,
    payment_method_details: {
      card: {
        amount_authorized: decline ? null : pi.amount,
        authorization_code: decline ? null : randomAlnum(6).toUpperCase(),
        brand: pm.card.brand,
        checks: { ...pm.card.checks, cvc_check: cvcCheck },
        country: pm.card.country,
        exp_month: pm.card.exp_month,
        exp_year: pm.card.exp_year,
        fingerprint: pm.card.fingerprint,
        funding: pm.card.funding,
        installments: null,
        last4: pm.card.last4,
        mandate: null,
        network: pm.card.brand,
        network_token: { used: false },
        network_transaction_id: decline ? null : randomAlnum(15),
        regulated_status: pm.card.regulated_status,
        three_d_secure: attempt.authenticated
          ? {
              authentication_flow: 'challenge',
              electronic_commerce_indicator: '05',
              exemption_indicator: null,
              result: 'authenticated',
              result_reason: null,
              transaction_id: randomUUID(),
              version: '2.2.0',
            }
          : null,
        wallet: null,
      },
      type: 'card',
    },
    radar_options: {},
    receipt_email: pi.receipt_email,
    receipt_number: null,
    receipt_url: null,
    refunded: false,
    review: null,
    shipping: null,
    source: null,
    source_transfer: null,
    statement_descriptor: pi.statement_descriptor,
    statement_descriptor_suffix: pi.statement_descriptor_suffix,
    status: decline ? 'failed' : 'succeeded',
    transfer_data: null,
    transfer_group: null,
  }
  account.charges.set(charge.id, charge)
  return charge
}

export function findCharge(account: Account, id: string, param = 'id', status = 404): Charge {
  const charge = account.charges.get(id)
  if (!charge) throw resourceMissing('charge', id, param, status)
  return charge
}

export function retrieveCharge(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['expand'])
  return render(ctx, findCharge(ctx.account, ctx.path.id as string))
}

export function listCharges(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [...LIST_PARAMS, 'customer', 'payment_intent', 'transfer_group'])
  const customer = readString(ctx.params, 'customer')
  const paymentIntent = readString(ctx.params, 'payment_intent')
  const items = [...ctx.account.charges.values()].filter(
    (c) =>
      (customer === undefined || c.customer === customer) &&
      (paymentIntent === undefined || c.payment_intent === paymentIntent),
  )
  return render(ctx, paginate(items, ctx.params, '/v1/charges'))
}

const SEARCH_FIELDS: Record<string, SearchField> = {
  amount: { kind: 'number', get: (c: Charge) => c.amount },
  created: { kind: 'number', get: (c: Charge) => c.created },
  currency: { kind: 'string', get: (c: Charge) => c.currency },
  customer: { kind: 'id', get: (c: Charge) => c.customer },
  disputed: { kind: 'boolean', get: (c: Charge) => c.disputed },
  payment_intent: { kind: 'id', get: (c: Charge) => c.payment_intent },
  refunded: { kind: 'boolean', get: (c: Charge) => c.refunded },
  status: { kind: 'string', get: (c: Charge) => c.status },
  'billing_details.address.postal_code': {
    kind: 'string',
    get: (c: Charge) => c.billing_details.address.postal_code,
  },
  'payment_method_details.card.brand': {
    kind: 'string',
    get: (c: Charge) => c.payment_method_details.card.brand,
  },
  'payment_method_details.card.exp_month': {
    kind: 'number',
    get: (c: Charge) => c.payment_method_details.card.exp_month,
  },
  'payment_method_details.card.exp_year': {
    kind: 'number',
    get: (c: Charge) => c.payment_method_details.card.exp_year,
  },
  'payment_method_details.card.fingerprint': {
    kind: 'id',
    get: (c: Charge) => c.payment_method_details.card.fingerprint,
  },
  'payment_method_details.card.last4': {
    kind: 'string',
    get: (c: Charge) => c.payment_method_details.card.last4,
  },
}

export function searchCharges(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, SEARCH_PARAMS)
  return render(ctx, search(ctx.account.charges.values(), ctx.params, 'charges', SEARCH_FIELDS))
}
