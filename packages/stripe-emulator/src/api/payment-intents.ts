/** /v1/payment_intents: create (optionally confirming), retrieve, update, confirm, cancel, list and search. */
import { checkChargeAmount, checkCurrency } from '../currencies'
import { type ApiError, invalidRequest, resourceMissing } from '../errors'
import { newId, randomAlnum, unixNow } from '../ids'
import type { PaymentIntent, PaymentIntentStatus } from '../objects/payment-intent'
import type { PaymentMethod } from '../objects/payment-method'
import {
  applyMetadata,
  readBoolean,
  readEnum,
  readInteger,
  readObject,
  readString,
  readStringArray,
  rejectUnknown,
  type FormObject,
} from '../params'
import { LIST_PARAMS, paginate } from '../query/list'
import { SEARCH_PARAMS, search, type SearchField } from '../query/search'
import type { Account } from '../state'
import { atLeast, VERSION_CHANGES } from '../http/versions'
import { render, type RequestContext } from './context'
import { findCustomer } from './find-customer'
import { confirmIntent } from './payment-flow'
import { checkUsable, paymentMethodFromParams, resolvePaymentMethod } from './payment-methods'

/** Parameters accepted but without effect in the emulator (they change nothing for test cards). */
/** The parameter that lists the payment method types a PaymentIntent allows, in the request's API version. */
function typesParam(ctx: RequestContext): 'payment_method_types' | 'allowed_payment_method_types' {
  return atLeast(ctx.version, VERSION_CHANGES.allowedPaymentMethodTypes)
    ? 'allowed_payment_method_types'
    : 'payment_method_types'
}

const ACCEPTED_UNUSED = [
  'use_stripe_sdk',
  'mandate_data',
  'radar_options',
  'shipping',
  'payment_method_options',
  'payment_method_configuration',
]

const CONFIRM_PARAMS = [
  'payment_method',
  'payment_method_data',
  'off_session',
  'return_url',
  'error_on_requires_action',
  'receipt_email',
  'setup_future_usage',
  'expand',
  ...ACCEPTED_UNUSED,
]

export function findIntent(
  account: Account,
  id: string,
  param = 'id',
  status = 404,
): PaymentIntent {
  const pi = account.paymentIntents.get(id)
  if (!pi) throw resourceMissing('payment_intent', id, param, status)
  return pi
}

/** Errors about the intent's state carry the intent, as Stripe's do. */
function unexpectedState(pi: PaymentIntent, message: string): ApiError {
  const error = invalidRequest(message, undefined, 'payment_intent_unexpected_state')
  error.body.payment_intent = structuredClone(pi)
  return error
}

/** `off_session` is a boolean, or `one_off`/`recurring` (both mean off session). */
function readOffSession(params: FormObject): boolean | undefined {
  const raw = params.off_session
  if (raw === 'one_off' || raw === 'recurring') return true
  return readBoolean(params, 'off_session')
}

/** Sets `payment_method` from `payment_method` or `payment_method_data`, checking Stripe's reuse rules. */
function applyPaymentMethod(account: Account, pi: PaymentIntent, params: FormObject): void {
  const pmId = readString(params, 'payment_method')
  const pmData = readObject(params, 'payment_method_data')
  if (pmId && pmData)
    throw invalidRequest(
      'You cannot provide both payment_method and payment_method_data.',
      'payment_method_data',
    )
  let pm: PaymentMethod | undefined
  if (pmId) pm = resolvePaymentMethod(account, pmId, 'payment_method', 400)
  else if (pmData) {
    rejectUnknown(
      pmData,
      ['type', 'card', 'billing_details', 'metadata', 'allow_redisplay'],
      'payment_method_data',
    )
    pm = paymentMethodFromParams(account, pmData, 'payment_method_data')
  }
  if (!pm) return
  checkUsable(account, pm, pi.customer)
  pi.payment_method = pm.id
}

function readConfirmOptions(
  account: Account,
  pi: PaymentIntent,
  params: FormObject,
  offSession: boolean | undefined,
) {
  const returnUrl = readString(params, 'return_url') ?? null
  const apm = pi.automatic_payment_methods
  // Stripe refuses to confirm without return_url when redirect-based methods are allowed explicitly.
  if (
    apm?.enabled &&
    apm.allow_redirects !== 'never' &&
    account.intentExtras.get(pi.id)?.explicitAutomaticPaymentMethods &&
    !returnUrl &&
    !offSession
  ) {
    throw invalidRequest(
      'A `return_url` must be specified because this Payment Intent is configured to automatically accept the payment methods enabled in the Dashboard, some of which may require a full page redirect to succeed. If you do not want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.',
      'return_url',
    )
  }
  return {
    offSession: offSession ?? false,
    errorOnRequiresAction: readBoolean(params, 'error_on_requires_action') ?? false,
    returnUrl,
  }
}

export function createPaymentIntent(ctx: RequestContext): unknown {
  const { params, account } = ctx
  rejectUnknown(params, [
    'amount',
    'currency',
    'payment_method',
    'payment_method_data',
    typesParam(ctx),
    'confirm',
    'off_session',
    'automatic_payment_methods',
    'customer',
    'metadata',
    'description',
    'capture_method',
    'confirmation_method',
    'return_url',
    'receipt_email',
    'setup_future_usage',
    'statement_descriptor',
    'statement_descriptor_suffix',
    'error_on_requires_action',
    'transfer_group',
    'expand',
    ...ACCEPTED_UNUSED,
  ])
  const amount = readInteger(params, 'amount', { required: true }) as number
  const currency = checkCurrency(readString(params, 'currency', { required: true }) as string)
  checkChargeAmount(amount, currency)
  const capture = readEnum(params, 'capture_method', [
    'automatic',
    'automatic_async',
    'manual',
  ] as const)
  if (capture === 'manual') {
    throw invalidRequest(
      'The Stripe emulator only supports capture_method automatic or automatic_async; separate authorization and capture is not emulated.',
      'capture_method',
    )
  }
  const confirm = readBoolean(params, 'confirm') ?? false
  const offSession = readOffSession(params)
  if (offSession !== undefined && !confirm)
    throw invalidRequest(
      'You can only pass `off_session` when `confirm` is set to true.',
      'off_session',
    )
  if (params.return_url !== undefined && !confirm)
    throw invalidRequest(
      'You can only pass `return_url` when `confirm` is set to true.',
      'return_url',
    )
  if (params.error_on_requires_action !== undefined && !confirm) {
    throw invalidRequest(
      'You can only pass `error_on_requires_action` when `confirm` is set to true.',
      'error_on_requires_action',
    )
  }
  const apmParams = readObject(params, 'automatic_payment_methods')
  const typesName = typesParam(ctx)
  const types = readStringArray(params, typesName)
  if (apmParams && types)
    throw invalidRequest(
      `You may only specify one of these parameters: automatic_payment_methods, ${typesName}.`,
      'automatic_payment_methods',
    )
  // Since API version 2023-08-16 automatic payment methods are on unless payment_method_types is given.
  let automatic: PaymentIntent['automatic_payment_methods'] = types
    ? null
    : { allow_redirects: 'always', enabled: true }
  if (apmParams) {
    rejectUnknown(apmParams, ['enabled', 'allow_redirects'], 'automatic_payment_methods')
    const enabled = readBoolean(apmParams, 'enabled', {
      required: true,
      prefix: 'automatic_payment_methods',
    }) as boolean
    const redirects = readEnum(apmParams, 'allow_redirects', ['always', 'never'] as const, {
      prefix: 'automatic_payment_methods',
    })
    automatic = enabled ? { allow_redirects: redirects ?? 'always', enabled } : null
  }
  if (types && !types.includes('card')) {
    throw invalidRequest(
      `The Stripe emulator only supports card payments; ${typesName} must include card (got ${types.join(', ')}).`,
      typesName,
    )
  }
  const customerId = readString(params, 'customer')
  const customer = customerId ? findCustomer(account, customerId, 'customer', 400) : null
  const id = newId('pi')
  const pi: PaymentIntent = {
    id,
    object: 'payment_intent',
    amount,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: automatic,
    canceled_at: null,
    cancellation_reason: null,
    // automatic_async is Stripe's default since API version 2024-04-10.
    capture_method: capture ?? 'automatic_async',
    client_secret: `${id}_secret_${randomAlnum(25)}`,
    confirmation_method:
      readEnum(params, 'confirmation_method', ['automatic', 'manual'] as const) ?? 'automatic',
    created: unixNow(),
    currency,
    customer: customer?.id ?? null,
    description: readString(params, 'description', { nullable: true }) ?? null,
    excluded_payment_method_types: null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: applyMetadata(params),
    next_action: null,
    on_behalf_of: null,
    payment_method: null,
    payment_method_configuration_details: null,
    payment_method_options: {
      card: {
        installments: null,
        mandate_options: null,
        network: null,
        request_three_d_secure: 'automatic',
      },
    },
    payment_method_types: types ?? ['card'],
    processing: null,
    receipt_email: readString(params, 'receipt_email', { nullable: true }) ?? null,
    review: null,
    setup_future_usage:
      readEnum(params, 'setup_future_usage', ['off_session', 'on_session'] as const) ?? null,
    shipping: null,
    source: null,
    statement_descriptor:
      readString(params, 'statement_descriptor', { nullable: true, maxLength: 22 }) ?? null,
    statement_descriptor_suffix:
      readString(params, 'statement_descriptor_suffix', { nullable: true, maxLength: 22 }) ?? null,
    status: 'requires_payment_method',
    transfer_data: null,
    transfer_group: readString(params, 'transfer_group', { nullable: true }) ?? null,
  }
  applyPaymentMethod(account, pi, params)
  account.intentExtras.set(pi.id, {
    returnUrl: null,
    offSession: false,
    explicitAutomaticPaymentMethods: apmParams !== undefined && apmParams !== null,
  })
  const options = confirm ? readConfirmOptions(account, pi, params, offSession) : null
  if (confirm && !pi.payment_method) {
    throw invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
      'payment_method',
      'payment_intent_unexpected_state',
    )
  }
  if (pi.payment_method) pi.status = 'requires_confirmation'
  account.paymentIntents.set(pi.id, pi)
  ctx.core.emit(account, 'payment_intent.created', pi, ctx.request)
  if (options) confirmIntent(ctx, pi, options)
  return render(ctx, pi)
}

export function retrievePaymentIntent(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['expand', 'client_secret'])
  return render(ctx, findIntent(ctx.account, ctx.path.id as string))
}

const CONFIRMABLE: readonly PaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
]

export function confirmPaymentIntent(ctx: RequestContext): unknown {
  const { params, account } = ctx
  rejectUnknown(params, [...CONFIRM_PARAMS, 'client_secret', 'capture_method'])
  const pi = findIntent(account, ctx.path.id as string)
  if (pi.status === 'succeeded')
    throw unexpectedState(
      pi,
      'You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.',
    )
  if (!CONFIRMABLE.includes(pi.status)) {
    throw unexpectedState(
      pi,
      `You cannot confirm this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be confirmed: ${CONFIRMABLE.join(', ')}.`,
    )
  }
  const sfu = readEnum(params, 'setup_future_usage', ['off_session', 'on_session'] as const)
  const receiptEmail = readString(params, 'receipt_email', { nullable: true })
  const offSession = readOffSession(params)
  const options = readConfirmOptions(account, pi, params, offSession)
  applyPaymentMethod(account, pi, params)
  if (sfu) pi.setup_future_usage = sfu
  if (receiptEmail !== undefined) pi.receipt_email = receiptEmail
  confirmIntent(ctx, pi, options)
  return render(ctx, pi)
}

export function updatePaymentIntent(ctx: RequestContext): unknown {
  const { params, account } = ctx
  rejectUnknown(params, [
    'amount',
    'currency',
    'customer',
    'description',
    'metadata',
    'payment_method',
    'payment_method_data',
    typesParam(ctx),
    'receipt_email',
    'setup_future_usage',
    'statement_descriptor',
    'statement_descriptor_suffix',
    'transfer_group',
    'expand',
    ...ACCEPTED_UNUSED,
  ])
  const pi = findIntent(account, ctx.path.id as string)
  const alwaysEditable = new Set(['description', 'metadata', 'receipt_email', 'expand', 'shipping'])
  if (pi.status === 'succeeded' || pi.status === 'canceled' || pi.status === 'processing') {
    const blocked = Object.keys(params).find((k) => !alwaysEditable.has(k))
    if (blocked)
      throw unexpectedState(
        pi,
        `You cannot update ${blocked} on this PaymentIntent because it has a status of ${pi.status}.`,
      )
  }
  const amount = readInteger(params, 'amount')
  const currencyRaw = readString(params, 'currency')
  const currency = currencyRaw ? checkCurrency(currencyRaw) : pi.currency
  if (amount !== undefined || currencyRaw) checkChargeAmount(amount ?? pi.amount, currency)
  const customerId = readString(params, 'customer')
  if (customerId) pi.customer = findCustomer(account, customerId, 'customer', 400).id
  if (amount !== undefined) pi.amount = amount
  pi.currency = currency
  const description = readString(params, 'description', { nullable: true })
  if (description !== undefined) pi.description = description
  const receiptEmail = readString(params, 'receipt_email', { nullable: true })
  if (receiptEmail !== undefined) pi.receipt_email = receiptEmail
  const sfu = readEnum(params, 'setup_future_usage', ['off_session', 'on_session'] as const)
  if (sfu) pi.setup_future_usage = sfu
  pi.metadata = applyMetadata(params, pi.metadata)
  const before = pi.payment_method
  applyPaymentMethod(account, pi, params)
  if (pi.payment_method !== before && pi.payment_method) pi.status = 'requires_confirmation'
  return render(ctx, pi)
}

const CANCELABLE: readonly PaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
]

export function cancelPaymentIntent(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, ['cancellation_reason', 'expand'])
  const pi = findIntent(ctx.account, ctx.path.id as string)
  if (!CANCELABLE.includes(pi.status)) {
    throw unexpectedState(
      pi,
      `You cannot cancel this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
    )
  }
  pi.cancellation_reason =
    readEnum(ctx.params, 'cancellation_reason', [
      'duplicate',
      'fraudulent',
      'requested_by_customer',
      'abandoned',
    ] as const) ?? null
  pi.status = 'canceled'
  pi.canceled_at = unixNow()
  pi.next_action = null
  ctx.core.emit(ctx.account, 'payment_intent.canceled', pi, ctx.request)
  return render(ctx, pi)
}

export function listPaymentIntents(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, [...LIST_PARAMS, 'customer'])
  const customer = readString(ctx.params, 'customer')
  const items = [...ctx.account.paymentIntents.values()].filter(
    (pi) => customer === undefined || pi.customer === customer,
  )
  return render(ctx, paginate(items, ctx.params, '/v1/payment_intents'))
}

const SEARCH_FIELDS: Record<string, SearchField> = {
  amount: { kind: 'number', get: (pi: PaymentIntent) => pi.amount },
  created: { kind: 'number', get: (pi: PaymentIntent) => pi.created },
  currency: { kind: 'string', get: (pi: PaymentIntent) => pi.currency },
  customer: { kind: 'id', get: (pi: PaymentIntent) => pi.customer },
  status: { kind: 'string', get: (pi: PaymentIntent) => pi.status },
}

export function searchPaymentIntents(ctx: RequestContext): unknown {
  rejectUnknown(ctx.params, SEARCH_PARAMS)
  return render(
    ctx,
    search(ctx.account.paymentIntents.values(), ctx.params, 'payment_intents', SEARCH_FIELDS),
  )
}
