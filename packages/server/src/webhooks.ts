/** Stripe webhooks: signed events that repair missed top-ups and claw back refunds and disputes. */
import type Stripe from 'stripe'
import { errorMessage } from './events'
import { applyTopUp } from './top-up/apply'
import type { Engine } from './engine'
import { errorResponse, jsonResponse, type PaywallResponse } from './http/responses'
import { idOf } from './stripe/gateway'

/**
 * Verifies the signature over the raw body with the Stripe SDK, then applies the event.
 * Every effect is idempotent (keyed by PaymentIntent, refund or dispute id), so Stripe's
 * redeliveries change nothing. A dependency failure answers 503 so that Stripe retries.
 */
export async function handleWebhook(
  engine: Engine,
  rawBody: string | Uint8Array,
  signature: string | null | undefined,
): Promise<PaywallResponse> {
  const webhook = engine.config.webhook
  if (!webhook)
    return errorResponse(
      404,
      'webhook_not_configured',
      'This paywall has no webhook secret configured.',
    )
  if (!signature)
    return errorResponse(400, 'invalid_signature', 'The stripe-signature header is missing.')
  let event: Stripe.Event
  try {
    event = await engine.gateway.constructEvent(rawBody, signature, webhook.secret)
  } catch {
    return errorResponse(
      400,
      'invalid_signature',
      'The webhook signature does not verify against the configured secret.',
    )
  }
  try {
    const handled = await applyEvent(engine, event)
    return jsonResponse(200, { received: true, handled })
  } catch (error) {
    const message = errorMessage(error)
    engine.logger.error('webhook event could not be applied; Stripe will retry it', {
      eventType: event.type,
      eventId: event.id,
      error: message,
    })
    engine.emit({ type: 'error', stage: 'webhook', code: 'webhook_failed', message })
    return errorResponse(503, 'webhook_failed', 'The event could not be applied yet; retry.', 5)
  }
}

/**
 * Each event makes the ledger reflect its PaymentIntent: credited once, minus its refunds and
 * disputes once each, plus back what a refund that failed or a dispute the merchant won had
 * taken. A refund or dispute that arrives before the top-up was credited (a crash between charge
 * and credit) therefore credits it too, net of what was taken back. Refunds and disputes are read
 * from Stripe as they are now, not from the event: events arrive late and out of order, and a
 * stale `needs_response` must not take back a dispute already won.
 */
async function applyEvent(engine: Engine, event: Stripe.Event): Promise<boolean> {
  switch (event.type) {
    case 'payment_intent.succeeded':
      return (await applyTopUp(engine, event.data.object, 'webhook')) !== null
    case 'charge.refunded': {
      const charge = event.data.object
      const piId = idOf(charge.payment_intent)
      if (!piId) return false
      return (
        (await applyTopUp(engine, await engine.gateway.retrievePaymentIntent(piId), 'webhook', {
          charge,
        })) !== null
      )
    }
    case 'charge.refund.updated':
    case 'refund.updated':
    case 'refund.failed': {
      const refund = event.data.object
      const chargeId = idOf(refund.charge)
      const piId =
        idOf(refund.payment_intent) ??
        (chargeId
          ? idOf((await engine.gateway.retrieveCharge(chargeId)).payment_intent)
          : undefined)
      if (!piId || !chargeId) return false
      const refunds = await engine.gateway.listRefunds(chargeId)
      return (
        (await applyTopUp(engine, await engine.gateway.retrievePaymentIntent(piId), 'webhook', {
          refunds,
        })) !== null
      )
    }
    case 'charge.dispute.created':
    case 'charge.dispute.updated':
    case 'charge.dispute.closed':
    case 'charge.dispute.funds_withdrawn':
    case 'charge.dispute.funds_reinstated': {
      const dispute = await engine.gateway.retrieveDispute(event.data.object.id)
      const chargeId = idOf(dispute.charge)
      const piId =
        idOf(dispute.payment_intent) ??
        (chargeId
          ? idOf((await engine.gateway.retrieveCharge(chargeId)).payment_intent)
          : undefined)
      if (!piId) return false
      return (
        (await applyTopUp(engine, await engine.gateway.retrievePaymentIntent(piId), 'webhook', {
          disputes: [dispute],
        })) !== null
      )
    }
    default:
      return false
  }
}
