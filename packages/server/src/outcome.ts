/** What `paywall.begin` decides about a request, for an adapter to carry out. */
import type { PaywallResponse } from './http/responses'

export type { PaywallResponse }

/** Not a paid route: run the app as if the paywall were not there. */
export interface FreeOutcome {
  type: 'free'
}

/** Refused: send status, headers and body exactly as given (402 challenge, 4xx, 429, 503). */
export interface DenyOutcome extends PaywallResponse {
  type: 'deny'
}

/** Answered by the paywall itself (the discovery document, a 204 to a CORS preflight of a paid route): send as given. */
export interface RespondOutcome extends PaywallResponse {
  type: 'respond'
}

/** The Stripe webhook endpoint: pass the raw, unparsed body to `handle`, or its stream to `handleStream`. */
export interface WebhookOutcome {
  type: 'webhook'
  /** Read at most one byte past this: `handle` answers a longer body 413 `webhook_body_too_large`. */
  maxBytes: number
  handle(rawBody: string | Uint8Array): Promise<PaywallResponse>
  /**
   * Reads the body from a stream (a Node request, a WHATWG `ReadableStream`; `null` is empty), then
   * `handle`s it. Past `maxBytes` the rest is read and dropped: memory stays bounded, the answer is 413.
   */
  handleStream(
    body: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | null,
  ): Promise<PaywallResponse>
  /** When a body parser already read the body: logs `cause` with the fix, answers 500 `webhook_body_consumed`. */
  bodyConsumed(cause: string): PaywallResponse
}

/** Who paid and how much; for handlers that want to know. Holds no credential. */
export interface PaymentReceipt {
  accountId: string
  /** Units debited for this request. */
  amount: number
  currency: string
  creditsRemaining: number
  /** PaymentIntent id when this request charged a top-up. */
  chargeId?: string
}

/**
 * Paid: add `headers` to the response, run the handler, then call `settle` with the final
 * status (500 when the handler threw). `settle` reverses the debit when the policy says so;
 * it is idempotent and never rejects.
 */
export interface PaidOutcome {
  type: 'paid'
  headers: Record<string, string>
  payment: PaymentReceipt
  settle(status: number): Promise<void>
}

export type PaywallOutcome =
  | FreeOutcome
  | DenyOutcome
  | RespondOutcome
  | WebhookOutcome
  | PaidOutcome
