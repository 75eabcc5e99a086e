/** Events the paying fetch reports through `onEvent`: every decision and every spend. */
import type { PaymentRequirements } from '@stripe402/protocol'

/** Why the policy (or the lack of a way to pay) stopped a payment before any money moved. */
export type RefusalReason =
  | 'origin_not_allowed'
  | 'currency_not_allowed'
  | 'price_above_max'
  | 'top_up_above_max'
  | 'budget_exceeded'
  | 'not_approved'
  | 'no_payment_method'
  /** The origin is plain HTTP and not loopback: no credential or PaymentMethod goes there (see `allowInsecureHttp`). */
  | 'insecure_transport'
  /** The origin named another publishable key than before, and `policy.onPublishableKeyChange` is `refuse`. */
  | 'publishable_key_changed'

interface EventBase {
  origin: string
  /** `METHOD /path` of the call. */
  route: string
}

/** A server asked for payment. */
export interface ChallengeEvent extends EventBase {
  type: 'challenge'
  requirements: PaymentRequirements
  /** The server's reason code, when it gave one. */
  error?: string
}

/** The policy said no; the caller gets the 402. */
export interface RefusedEvent extends EventBase {
  type: 'refused'
  reason: RefusalReason
  message: string
  requirements?: PaymentRequirements
}

/** A PaymentMethod is ready for a top-up: the card was tokenized (or a cached one reused), or the callback gave one. */
export interface TokenizedEvent extends EventBase {
  type: 'tokenized'
  source: 'card' | 'callback'
  cached: boolean
}

/** The card was charged a top-up. */
export interface TopUpEvent extends EventBase {
  type: 'top_up'
  currency: string
  units: number
  chargeId?: string
  creditsRemaining: number
}

/** A call was paid from credits. */
export interface PaidEvent extends EventBase {
  type: 'paid'
  currency?: string
  /** Units debited, when the server or the challenge said. */
  units?: number
  creditsRemaining: number
  /** True when the credential went up front and no 402 was met. */
  upFront: boolean
}

/** Stripe or the server refused the payment (declined card, failed charge…); the caller gets the 402. */
export interface PaymentFailedEvent extends EventBase {
  type: 'payment_failed'
  /** The server's error code, or Stripe's when tokenization failed. */
  code: string
  message: string
  declineCode?: string
}

/** The credential for an origin was forgotten (revoked, unknown to the server). */
export interface CredentialDroppedEvent extends EventBase {
  type: 'credential_dropped'
  reason: string
}

/**
 * The origin named a different Stripe publishable key than the one remembered for it: its card
 * charges would go to another Stripe account. With `policy.onPublishableKeyChange: 'refuse'` a
 * `refused` event follows; otherwise the new key is remembered and the call goes on.
 */
export interface PublishableKeyChangedEvent extends EventBase {
  type: 'publishable_key_changed'
  previous: string
  current: string
  action: 'warn' | 'refuse'
}

/** Saving the wallet failed after the fact; the call itself went through. */
export interface StoreErrorEvent extends EventBase {
  type: 'store_error'
  message: string
}

export type PaymentEvent =
  | ChallengeEvent
  | RefusedEvent
  | TokenizedEvent
  | TopUpEvent
  | PaidEvent
  | PaymentFailedEvent
  | CredentialDroppedEvent
  | PublishableKeyChangedEvent
  | StoreErrorEvent

/** Calls the listener without letting it break a payment in progress. */
export function emitter(
  listener: ((event: PaymentEvent) => void) | undefined,
): (event: PaymentEvent) => void {
  if (!listener) return () => {}
  return (event) => {
    try {
      listener(event)
    } catch {
      // A logging bug must not turn a paid call into a failed one.
    }
  }
}
