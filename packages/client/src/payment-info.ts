/** What happened about payment on one call, readable from the response the caller got. */
import type { PaymentRequirements } from '@stripe402/protocol'
import type { RefusalReason } from './events'

/**
 * `none`: no payment was involved (free route, or a 402 that is not a stripe402 challenge);
 * `paid`: the server accepted payment; `refused`: the policy said no before any money moved;
 * `failed`: Stripe or the server refused the payment.
 */
export type PaymentOutcome = 'none' | 'paid' | 'refused' | 'failed'

export interface PaymentInfo {
  outcome: PaymentOutcome
  origin: string
  /** `METHOD /path` of the call. */
  route: string
  /** HTTP requests this call sent to the API: 1 in steady state. */
  requests: number
  currency?: string
  /** Units debited for the call, when known. */
  amount?: number
  /** Credits left at this origin after the call, in units. */
  creditsRemaining?: number
  /**
   * The card charge made during this call. `unconfirmed`: no answer named a charge, so whether the
   * card was charged is unknown (a 503, a lost answer, or a server's word that nothing was charged
   * beyond the one taken each day); it counts against budgets, and a lost one is replayed by the
   * next top-up at the origin where the server honours `idempotencyKey`.
   */
  topUp?: { units: number; chargeId?: string; unconfirmed?: true }
  /**
   * Refusal reason or failure code (a server or Stripe code); with `none`, `not_stripe402` for a
   * 402 that is no stripe402 challenge (a plain 402, x402, a malformed header), `message` says which.
   */
  reason?: RefusalReason | string
  message?: string
  declineCode?: string
  /**
   * Credits the wallet held at this origin (in `currency` units) on a credential its server no
   * longer knows, as after a wiped ledger: gone from the server, so this call paid anew.
   */
  creditsVanished?: number
  /** The price the server asked, when it asked. */
  requirements?: PaymentRequirements
}

const infos = new WeakMap<object, PaymentInfo>()

/** Payment details of a response returned by a paying fetch; `undefined` for any other response. */
export function getPaymentInfo(response: Response): PaymentInfo | undefined {
  return infos.get(response)
}

/** Attaches the info to the response (also as a non-enumerable `stripe402` property for untyped callers). */
export function attachPaymentInfo(response: Response, info: PaymentInfo): Response {
  infos.set(response, info)
  try {
    Object.defineProperty(response, 'stripe402', {
      value: info,
      enumerable: false,
      configurable: true,
    })
  } catch {
    // A frozen Response from an exotic fetch: the WeakMap still answers.
  }
  return response
}
