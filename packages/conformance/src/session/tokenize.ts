/** Creates a PaymentMethod with the server's publishable key, exactly as Stripe.js or an agent would. */
import { ORIGIN_BINDING } from '@stripe402/protocol'
import type { Card } from './cards'
import type { PaymentSource } from './options'

export type Tokenizer = (publishableKey: string, card: Card) => Promise<string>

/**
 * The tokenizer a payment source describes: a Stripe API (or emulator) URL, or the caller's own
 * function. PaymentMethods it creates are bound to `origin`, the audited server's, as a current
 * client binds each to the origin it pays (spec §7.4); a v1 server ignores the binding.
 */
export function tokenizerFor(payment: PaymentSource, origin?: string): Tokenizer {
  if ('createPaymentMethod' in payment) return payment.createPaymentMethod
  const base = payment.stripeApi.replace(/\/+$/, '')
  return (publishableKey, card) => createPaymentMethod(base, publishableKey, card, origin)
}

/** `POST {stripeApi}/v1/payment_methods` with the card, form-encoded, authorized by the publishable key. */
export async function createPaymentMethod(
  stripeApi: string,
  publishableKey: string,
  card: Card,
  origin?: string,
): Promise<string> {
  const body = new URLSearchParams({
    type: 'card',
    'card[number]': card.number,
    'card[exp_month]': String(card.exp_month),
    'card[exp_year]': String(card.exp_year),
    'card[cvc]': card.cvc,
  })
  if (origin !== undefined) body.set(`metadata[${ORIGIN_BINDING.METADATA_KEY}]`, origin)
  const response = await globalThis.fetch(`${stripeApi}/v1/payment_methods`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${publishableKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body,
    signal: AbortSignal.timeout(30_000),
  })
  const json = (await response.json().catch(() => undefined)) as
    | { id?: unknown; error?: { message?: unknown } }
    | undefined
  if (!response.ok || typeof json?.id !== 'string') {
    const message =
      typeof json?.error?.message === 'string' ? json.error.message : `HTTP ${response.status}`
    throw new Error(
      `Stripe at ${stripeApi} refused to tokenize card ${card.number.slice(-4)}: ${message}`,
    )
  }
  return json.id
}
