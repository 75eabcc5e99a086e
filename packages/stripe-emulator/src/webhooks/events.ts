/** Event objects (`evt_…`), as listed by /v1/events and posted to webhook endpoints. */
import { newId, unixNow } from '../ids'

import { STRIPE_API_VERSION } from '../http/versions'

/** Event types a webhook endpoint receives when it does not list its own. */
export const DEFAULT_WEBHOOK_EVENTS: readonly string[] = [
  'payment_intent.succeeded',
  'payment_intent.payment_failed',
  'charge.succeeded',
  'charge.refunded',
  'charge.dispute.created',
]

/** Every event type the emulator emits; an endpoint may subscribe to any of them, or to `*`. */
export const EMITTED_EVENT_TYPES: readonly string[] = [
  ...DEFAULT_WEBHOOK_EVENTS,
  'payment_intent.created',
  'payment_intent.requires_action',
  'payment_intent.canceled',
  'charge.failed',
  'charge.refund.updated',
  'charge.dispute.closed',
  'charge.dispute.funds_reinstated',
  'refund.created',
  'refund.updated',
  'refund.failed',
  'customer.created',
  'customer.updated',
  'customer.deleted',
  'payment_method.attached',
  'payment_method.detached',
]

export interface StripeEvent {
  id: string
  object: 'event'
  account?: string
  api_version: string
  created: number
  data: { object: unknown; previous_attributes?: Record<string, unknown> }
  livemode: false
  pending_webhooks: number
  request: EventRequest
  type: string
}

export interface EventRequest {
  id: string | null
  idempotency_key: string | null
}

/** A snapshot of `object` as it is now: later changes to the object do not alter the event. */
export function createEvent(
  type: string,
  object: unknown,
  request: EventRequest,
  pendingWebhooks: number,
): StripeEvent {
  return {
    id: newId('evt'),
    object: 'event',
    api_version: STRIPE_API_VERSION,
    created: unixNow(),
    data: { object: structuredClone(object) },
    livemode: false,
    pending_webhooks: pendingWebhooks,
    request,
    type,
  }
}
