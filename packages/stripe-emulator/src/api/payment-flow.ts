/**
 * What confirming a PaymentIntent does: 3-D Secure when the card demands it, then a charge that
 * succeeds, is declined with the card's code, or succeeds and is disputed a moment later.
 */
import { AUTHENTICATION_REQUIRED, type CardDecline } from '../cards/table'
import type { Core } from '../core'
import { ApiError, cardError, docUrl, invalidRequest } from '../errors'
import { newId } from '../ids'
import type { PaymentIntent } from '../objects/payment-intent'
import type { PaymentMethod } from '../objects/payment-method'
import type { Account, CardRecord } from '../state'
import type { EventRequest } from '../webhooks/events'
import { createCharge } from './charges'
import { openDispute } from './disputes'
import { cardRecord } from './payment-methods'

/** The part of a request context the payment flow needs; test controls build one without a request. */
export interface FlowContext {
  core: Core
  account: Account
  request: EventRequest
}

export interface ConfirmOptions {
  offSession: boolean
  errorOnRequiresAction: boolean
  returnUrl: string | null
}

/** How long after a dispute card's charge the dispute is opened: "shortly after", so the charge answer shows no dispute yet. */
export const DISPUTE_DELAY_MS = 25

function needsAuthentication(card: CardRecord, offSession: boolean): boolean {
  switch (card.testCard?.authentication) {
    case 'always':
      return true
    case 'unless_set_up':
      return !(offSession && card.setUpForOffSession)
    case 'on_session':
      return !offSession
    default:
      return false
  }
}

function paymentMethodOf(account: Account, pi: PaymentIntent): PaymentMethod {
  const pm = pi.payment_method ? account.paymentMethods.get(pi.payment_method) : undefined
  if (!pm) {
    throw invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
      undefined,
      'payment_intent_unexpected_state',
    )
  }
  return pm
}

/** Confirms `pi`; on a decline the state is updated first, then the 402 card error is thrown. */
export function confirmIntent(ctx: FlowContext, pi: PaymentIntent, options: ConfirmOptions): void {
  const { account } = ctx
  const pm = paymentMethodOf(account, pi)
  const card = cardRecord(account, pm)
  const extras = account.intentExtras.get(pi.id)
  account.intentExtras.set(pi.id, {
    explicitAutomaticPaymentMethods: false,
    ...extras,
    returnUrl: options.returnUrl,
    offSession: options.offSession,
  })
  pi.last_payment_error = null
  pi.next_action = null
  if (needsAuthentication(card, options.offSession)) {
    // Nobody is there to authenticate: the issuer's soft decline comes back as a card error.
    if (options.offSession || options.errorOnRequiresAction)
      failPayment(ctx, pi, pm, card, AUTHENTICATION_REQUIRED, false)
    const url = `${ctx.core.baseUrl}/_emulator/3ds/${encodeURIComponent(account.id)}/${pi.id}`
    pi.status = 'requires_action'
    pi.next_action = options.returnUrl
      ? { type: 'redirect_to_url', redirect_to_url: { return_url: options.returnUrl, url } }
      : {
          type: 'use_stripe_sdk',
          use_stripe_sdk: { type: 'three_d_secure_redirect', stripe_js: url, source: newId('src') },
        }
    ctx.core.emit(account, 'payment_intent.requires_action', pi, ctx.request)
    return
  }
  chargeIntent(ctx, pi, pm, card, false)
}

/** Charges the card behind `pi` (after any authentication). */
export function chargeIntent(
  ctx: FlowContext,
  pi: PaymentIntent,
  pm: PaymentMethod,
  card: CardRecord,
  authenticated: boolean,
): void {
  const { account, core } = ctx
  const outcome = card.testCard?.outcome ?? { type: 'success' as const }
  if (outcome.type === 'decline' && !(outcome.decline.onlyWithCvc && !card.cvcProvided)) {
    failPayment(ctx, pi, pm, card, outcome.decline, authenticated)
  }
  const attempt: Parameters<typeof createCharge>[4] = { authenticated }
  if (outcome.type === 'success' && outcome.riskLevel) attempt.riskLevel = outcome.riskLevel
  const charge = createCharge(account, pi, pm, card, attempt)
  pi.status = 'succeeded'
  pi.amount_received = pi.amount
  pi.latest_charge = charge.id
  pi.next_action = null
  pi.last_payment_error = null
  if (pi.setup_future_usage && pi.customer) {
    // setup_future_usage saves the card to the customer; once authenticated it is set up for off-session use.
    if (pm.customer === null) {
      pm.customer = pi.customer
      core.emit(account, 'payment_method.attached', pm, ctx.request)
    }
    card.setUpForOffSession = true
  }
  // A PaymentMethod used without a customer is spent, as on Stripe.
  if (pm.customer === null) account.consumedPaymentMethods.add(pm.id)
  core.emit(account, 'charge.succeeded', charge, ctx.request)
  core.emit(account, 'payment_intent.succeeded', pi, ctx.request)
  if (outcome.type === 'dispute') {
    core.defer(DISPUTE_DELAY_MS, () => {
      if (account.charges.get(charge.id) === charge && !charge.disputed)
        openDispute(core, account, charge, outcome.reason, outcome.status)
    })
  }
}

/** Records a failed charge, moves `pi` back to requires_payment_method and throws Stripe's 402 card error. */
function failPayment(
  ctx: FlowContext,
  pi: PaymentIntent,
  pm: PaymentMethod,
  card: CardRecord,
  decline: CardDecline,
  authenticated: boolean,
): never {
  const { account, core } = ctx
  const charge = createCharge(account, pi, pm, card, { decline, authenticated })
  const error: PaymentIntent['last_payment_error'] & object = {
    charge: charge.id,
    code: decline.code,
    decline_code: decline.declineCode,
    doc_url: docUrl(decline.code),
    message: decline.message,
    payment_method: structuredClone(pm),
    type: 'card_error',
  }
  if (decline.param) error.param = decline.param
  pi.status = 'requires_payment_method'
  pi.last_payment_error = error
  pi.latest_charge = charge.id
  pi.next_action = null
  // The failed PaymentMethod lives on in last_payment_error; the intent waits for a new one.
  pi.payment_method = null
  core.emit(account, 'charge.failed', charge, ctx.request)
  core.emit(account, 'payment_intent.payment_failed', pi, ctx.request)
  const { type: _type, ...fields } = structuredClone(error)
  throw cardError({ ...fields, payment_intent: structuredClone(pi) })
}

/** Finishes the 3-D Secure step of a `requires_action` PaymentIntent, as the customer would in the bank's page. */
export function completeAuthentication(
  ctx: FlowContext,
  pi: PaymentIntent,
  succeed: boolean,
): void {
  if (pi.status !== 'requires_action')
    throw new Error(`PaymentIntent ${pi.id} is ${pi.status}, not requires_action`)
  const pm = paymentMethodOf(ctx.account, pi)
  const card = cardRecord(ctx.account, pm)
  if (succeed) {
    try {
      chargeIntent(ctx, pi, pm, card, true)
    } catch (e) {
      // A card declined after authentication: the intent already records the failure.
      if (!(e instanceof ApiError)) throw e
    }
    return
  }
  pi.status = 'requires_payment_method'
  pi.next_action = null
  pi.last_payment_error = {
    code: 'payment_intent_authentication_failure',
    doc_url: docUrl('payment_intent_authentication_failure'),
    message:
      'The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.',
    payment_method: structuredClone(pm),
    type: 'invalid_request_error',
  }
  pi.payment_method = null
  ctx.core.emit(ctx.account, 'payment_intent.payment_failed', pi, ctx.request)
}
