/** /v1/payment_methods: card PaymentMethods, created from card data (publishable key allowed), attached to customers. */
import { cardFingerprint } from '../cards/fingerprint'
import { magicCard } from '../cards/magic'
import { TEST_CARDS } from '../cards/table'
import { detectBrand } from '../cards/validate'
import { cardError, invalidRequest, missingParam, resourceMissing } from '../errors'
import { newId, unixNow } from '../ids'
import type { BillingDetails } from '../objects/billing-details'
import type { PaymentMethod } from '../objects/payment-method'
import {
  applyMetadata,
  paramName,
  readEnum,
  readInteger,
  readObject,
  readString,
  rejectUnknown,
  type FormObject,
  type Metadata,
} from '../params'
import { LIST_PARAMS, paginate } from '../query/list'
import type { Account, CardRecord } from '../state'
import { applyBillingDetails, emptyBillingDetails } from './billing-details'
import { magicSource, readCardSource, type CardSource } from './card-source'
import { render, type RequestContext } from './context'
import { findCustomer } from './find-customer'

/** Stores a card PaymentMethod in the account, with its card data kept aside for charging. */
export function storeCardPaymentMethod(
  account: Account,
  source: CardSource,
  extras: {
    billingDetails?: BillingDetails
    metadata?: Metadata
    allowRedisplay?: PaymentMethod['allow_redisplay']
  } = {},
): PaymentMethod {
  const { details, testCard } = source
  const brand = testCard?.brand ?? detectBrand(details.number)
  const pm: PaymentMethod = {
    id: newId('pm'),
    object: 'payment_method',
    allow_redisplay: extras.allowRedisplay ?? 'unspecified',
    billing_details: extras.billingDetails ?? emptyBillingDetails(),
    card: {
      brand,
      checks: {
        address_line1_check: null,
        address_postal_code_check: null,
        cvc_check: source.cvcProvided ? 'unchecked' : null,
      },
      country: testCard?.country ?? 'US',
      display_brand: brand === 'amex' ? 'american_express' : brand,
      exp_month: details.expMonth,
      exp_year: details.expYear,
      fingerprint: cardFingerprint(account.id, details.number),
      funding: testCard?.funding ?? 'credit',
      generated_from: null,
      last4: details.number.slice(-4),
      networks: { available: [brand], preferred: null },
      regulated_status: 'unregulated',
      three_d_secure_usage: { supported: brand !== 'amex' },
      wallet: null,
    },
    created: unixNow(),
    customer: null,
    livemode: false,
    metadata: extras.metadata ?? {},
    type: 'card',
  }
  account.paymentMethods.set(pm.id, pm)
  const record: CardRecord = {
    number: details.number,
    cvcProvided: source.cvcProvided,
    testCard,
    setUpForOffSession: false,
  }
  account.cards.set(pm.id, record)
  return pm
}

/**
 * The PaymentMethod an id names. A magic id (`pm_card_visa`) makes a fresh PaymentMethod for
 * its test card each time, as on Stripe. `status` is 404 when the id comes from the URL, 400 from a parameter.
 */
export function resolvePaymentMethod(
  account: Account,
  id: string,
  param = 'id',
  status = 404,
): PaymentMethod {
  const stored = account.paymentMethods.get(id)
  if (stored) return stored
  const magic = id.startsWith('pm_') ? magicCard(id) : undefined
  if (magic) return storeCardPaymentMethod(account, magicSource(magic))
  throw resourceMissing('PaymentMethod', id, param, status)
}

export function cardRecord(account: Account, pm: PaymentMethod): CardRecord {
  const record = account.cards.get(pm.id)
  if (!record) throw new Error(`emulator: no card data for ${pm.id}`)
  return record
}

/** Declines Stripe already reports when a card is attached (the card check), not only when charged. */
const DECLINED_ON_ATTACH = new Set([
  'generic_decline',
  'lost_card',
  'stolen_card',
  'expired_card',
  'incorrect_cvc',
  'processing_error',
])

function verifyCardForAttach(record: CardRecord): void {
  const card = record.testCard
  if (!card || card.authentication || card === TEST_CARDS.chargeCustomerFail) return
  const outcome = card.outcome
  if (outcome.type !== 'decline' || outcome.decline.blocked || outcome.decline.onlyWithCvc) return
  if (!DECLINED_ON_ATTACH.has(outcome.decline.declineCode)) return
  const fields: Parameters<typeof cardError>[0] = {
    code: outcome.decline.code,
    decline_code: outcome.decline.declineCode,
    message: outcome.decline.message,
  }
  if (outcome.decline.param) fields.param = outcome.decline.param
  throw cardError(fields)
}

const CONSUMED_MESSAGE =
  'The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.'

/** Attaches `pm` to a customer, as `POST /v1/payment_methods/:id/attach` and `customers.create({ payment_method })` do. */
export function attachPaymentMethod(
  ctx: RequestContext,
  pm: PaymentMethod,
  customerId: string,
): void {
  const { account } = ctx
  if (account.consumedPaymentMethods.has(pm.id)) {
    throw invalidRequest(
      'This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.',
      'payment_method',
    )
  }
  if (pm.customer === customerId) return
  if (pm.customer !== null)
    throw invalidRequest(
      'The payment method you provided has already been attached to a customer.',
      'payment_method',
    )
  verifyCardForAttach(cardRecord(account, pm))
  pm.customer = customerId
  ctx.core.emit(account, 'payment_method.attached', pm, ctx.request)
}

/** Stripe's rules for using a PaymentMethod in a payment: once without a customer, or always with its own customer. */
export function checkUsable(
  account: Account,
  pm: PaymentMethod,
  customerId: string | null,
  param = 'payment_method',
): void {
  if (account.consumedPaymentMethods.has(pm.id)) throw invalidRequest(CONSUMED_MESSAGE, param)
  if (pm.customer !== null && customerId === null) {
    throw invalidRequest(
      `The provided PaymentMethod ${pm.id} is attached to a Customer. To use it with a PaymentIntent, you must also pass that Customer's ID in the \`customer\` parameter.`,
      param,
    )
  }
  if (pm.customer !== null && customerId !== null && pm.customer !== customerId) {
    throw invalidRequest(
      `The provided PaymentMethod ${pm.id} belongs to a different Customer (${pm.customer}) than the one given (${customerId}).`,
      param,
    )
  }
}

/** Builds a PaymentMethod from `type=card` + `card[...]` parameters (PaymentMethod create and `payment_method_data`). */
export function paymentMethodFromParams(
  account: Account,
  params: FormObject,
  prefix?: string,
): PaymentMethod {
  const type = readString(params, 'type', { prefix, required: true })
  if (type !== 'card') {
    throw invalidRequest(
      `The Stripe emulator only supports PaymentMethods of type card, not ${type}.`,
      paramName(prefix, 'type'),
      'payment_method_invalid_parameter',
    )
  }
  const cardPrefix = paramName(prefix, 'card')
  const card = readObject(params, 'card', { prefix })
  if (!card) throw missingParam(cardPrefix)
  const source = readCardSource(account, card, cardPrefix, true)
  const extras: Parameters<typeof storeCardPaymentMethod>[2] = {
    billingDetails: applyBillingDetails(params),
    metadata: applyMetadata(params),
  }
  const redisplay = readEnum(
    params,
    'allow_redisplay',
    ['always', 'limited', 'unspecified'] as const,
    { prefix },
  )
  if (redisplay) extras.allowRedisplay = redisplay
  return storeCardPaymentMethod(account, source, extras)
}

export function createPaymentMethod(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [
    'type',
    'card',
    'billing_details',
    'metadata',
    'allow_redisplay',
    'expand',
  ])
  return render(ctx, paymentMethodFromParams(ctx.account, ctx.params))
}

export function retrievePaymentMethod(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['expand'])
  return render(ctx, resolvePaymentMethod(ctx.account, ctx.path.id as string))
}

export function updatePaymentMethod(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['billing_details', 'metadata', 'card', 'allow_redisplay', 'expand'])
  const pm = resolvePaymentMethod(ctx.account, ctx.path.id as string)
  pm.billing_details = applyBillingDetails(ctx.params, pm.billing_details)
  pm.metadata = applyMetadata(ctx.params, pm.metadata)
  const card = readObject(ctx.params, 'card')
  if (card) {
    rejectUnknown(card, ['exp_month', 'exp_year', 'networks'], 'card')
    const month = readInteger(card, 'exp_month', { prefix: 'card' })
    const year = readInteger(card, 'exp_year', { prefix: 'card' })
    if (month !== undefined) {
      if (month < 1 || month > 12)
        throw cardError({
          code: 'invalid_expiry_month',
          message: "Your card's expiration month is invalid.",
          param: 'card[exp_month]',
        })
      pm.card.exp_month = month
    }
    if (year !== undefined) {
      const full = year < 100 ? year + 2000 : year
      if (full < new Date().getUTCFullYear())
        throw cardError({
          code: 'invalid_expiry_year',
          message: "Your card's expiration year is invalid.",
          param: 'card[exp_year]',
        })
      pm.card.exp_year = full
    }
  }
  const redisplay = readEnum(ctx.params, 'allow_redisplay', [
    'always',
    'limited',
    'unspecified',
  ] as const)
  if (redisplay) pm.allow_redisplay = redisplay
  return render(ctx, pm)
}

export function attachPaymentMethodRoute(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['customer', 'expand'])
  const pm = resolvePaymentMethod(ctx.account, ctx.path.id as string)
  const customerId = readString(ctx.params, 'customer', { required: true }) as string
  const customer = findCustomer(ctx.account, customerId, 'customer', 400)
  attachPaymentMethod(ctx, pm, customer.id)
  return render(ctx, pm)
}

export function detachPaymentMethod(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['expand'])
  const pm = resolvePaymentMethod(ctx.account, ctx.path.id as string)
  if (pm.customer === null) {
    throw invalidRequest(
      'The payment method you provided is not attached to a customer so detachment is impossible.',
      undefined,
      'payment_method_unexpected_state',
    )
  }
  pm.customer = null
  // A detached PaymentMethod cannot be used again, on Stripe as here.
  ctx.account.consumedPaymentMethods.add(pm.id)
  ctx.core.emit(ctx.account, 'payment_method.detached', pm, ctx.request)
  return render(ctx, pm)
}

export function listPaymentMethods(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [...LIST_PARAMS, 'customer', 'type'])
  const customer = readString(ctx.params, 'customer')
  const type = readString(ctx.params, 'type')
  if (type !== undefined && type !== 'card')
    return render(ctx, paginate([], ctx.params, '/v1/payment_methods'))
  if (customer) findCustomer(ctx.account, customer, 'customer', 400)
  const items = [...ctx.account.paymentMethods.values()].filter(
    (pm) => customer === undefined || pm.customer === customer,
  )
  return render(ctx, paginate(items, ctx.params, '/v1/payment_methods'))
}

export function listCustomerPaymentMethods(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [...LIST_PARAMS, 'type', 'allow_redisplay'])
  const customer = findCustomer(ctx.account, ctx.path.id as string)
  const type = readString(ctx.params, 'type')
  const url = `/v1/customers/${customer.id}/payment_methods`
  if (type !== undefined && type !== 'card') return render(ctx, paginate([], ctx.params, url))
  const items = [...ctx.account.paymentMethods.values()].filter((pm) => pm.customer === customer.id)
  return render(ctx, paginate(items, ctx.params, url))
}
