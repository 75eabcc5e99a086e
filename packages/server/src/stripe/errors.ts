/** Sorts Stripe failures into what the payer is told: declined, needs 3-D Secure, bad input, or try later. */
import { redact } from '../redact'

export type StripeFailure =
  /** The card was refused; `declineCode` is Stripe's reason (insufficient_funds, generic_decline …). */
  | { kind: 'declined'; declineCode?: string; message: string }
  /** The bank wants the cardholder present (3-D Secure); an off-session charge cannot do that. */
  | { kind: 'authentication_required'; message: string }
  /** Stripe refused the request itself: unknown PaymentMethod, idempotency key reused with other parameters … */
  | { kind: 'invalid'; code?: string; message: string }
  /** Stripe is down, slow or rate limiting us, or refused our own key: nothing the payer did. */
  | { kind: 'unavailable'; message: string; ourFault: boolean }

interface StripeLikeError {
  type?: string
  code?: string
  decline_code?: string
  statusCode?: number
  message?: string
  /** The error as Stripe sent it; SDK 23+ prefixes `message` with `[req_…] `, `raw.message` has none. */
  raw?: { message?: string }
}

/**
 * Classifies by the SDK's error `type`, not by class identity, so errors from an injected
 * SDK instance of another copy of `stripe` are still understood. Anything unrecognised is
 * `unavailable`: it fails closed (503, no credit) rather than blaming the payer.
 */
export function classifyStripeError(error: unknown): StripeFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as StripeLikeError
  const message = redact(e.raw?.message ?? e.message ?? String(error)).slice(0, 300)
  switch (e.type) {
    case 'StripeCardError':
      if (e.code === 'authentication_required' || e.decline_code === 'authentication_required') {
        return { kind: 'authentication_required', message }
      }
      return { kind: 'declined', declineCode: e.decline_code ?? e.code, message }
    case 'StripeInvalidRequestError':
      if (e.code === 'payment_intent_authentication_failure')
        return { kind: 'authentication_required', message }
      // 409 lock_timeout: another request holds the same object; trying again later is right.
      if (e.statusCode === 409 || e.code === 'lock_timeout')
        return { kind: 'unavailable', message, ourFault: false }
      return { kind: 'invalid', code: e.code, message }
    case 'StripeIdempotencyError':
      // The first request with this key is still running (a replay raced it): its outcome comes later.
      if (e.code === 'idempotency_key_in_use' || e.statusCode === 409)
        return { kind: 'unavailable', message, ourFault: false }
      return { kind: 'invalid', code: 'idempotency_error', message }
    case 'StripeAuthenticationError':
    case 'StripePermissionError':
      return { kind: 'unavailable', message, ourFault: true }
    default:
      return { kind: 'unavailable', message, ourFault: false }
  }
}
