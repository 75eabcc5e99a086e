/** Pays once, as an agent's first call does, to get the credential the paid route is loaded with. */
import { decodePaymentResponse, encodePaymentPayload, HEADERS } from '@stripe402/protocol'
import { PAID_PATH, TOP_UP_UNITS } from './ipc'

/** Stripe's documented success card (the emulator implements it). */
export const VISA = { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' }

/** Tokenizes the card with the publishable key, as Stripe.js or the client would. */
/**
 * A card number the emulator accepts (Luhn-valid, not in its table of special cards) for payer
 * `n`: each is another card, so another fingerprint and another account.
 */
export function cardNumber(n: number): string {
  const body = `4000${String(n).padStart(11, '0')}`
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    // Doubling starts at the digit left of the check digit.
    let digit = Number(body[body.length - 1 - i])
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2
    sum += digit
  }
  return `${body}${(10 - (sum % 10)) % 10}`
}

export async function createPaymentMethod(
  stripeApiBase: string,
  publishableKey: string,
  number = VISA.number,
): Promise<string> {
  const response = await fetch(`${stripeApiBase}/v1/payment_methods`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${publishableKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      type: 'card',
      'card[number]': number,
      'card[exp_month]': String(VISA.exp_month),
      'card[exp_year]': String(VISA.exp_year),
      'card[cvc]': VISA.cvc,
    }),
  })
  const json = (await response.json()) as { id?: string }
  if (!response.ok || !json.id)
    throw new Error(
      `tokenizing the test card failed: HTTP ${response.status} ${JSON.stringify(json)}`,
    )
  return json.id
}

/** One paid call with a PaymentMethod and a large top-up; returns the clientId the server issued. */
export async function payOnce(
  serverUrl: string,
  paymentMethodId: string,
  topUpAmount = TOP_UP_UNITS,
): Promise<{ clientId: string; creditsRemaining: number }> {
  const response = await fetch(`${serverUrl}${PAID_PATH}`, {
    headers: {
      [HEADERS.PAYMENT]: encodePaymentPayload({
        stripe402Version: 1,
        paymentMethodId,
        topUpAmount,
      }),
    },
  })
  const header = response.headers.get(HEADERS.PAYMENT_RESPONSE)
  await response.arrayBuffer()
  if (response.status !== 200 || !header)
    throw new Error(`the top-up call answered ${response.status}${header ? `: ${header}` : ''}`)
  const receipt = decodePaymentResponse(header)
  if (!receipt.success || !receipt.clientId)
    throw new Error(`the top-up failed: ${receipt.error ?? 'no clientId'}`)
  return { clientId: receipt.clientId, creditsRemaining: receipt.creditsRemaining }
}
