/** What a paying client does on the wire: tokenize a card with the publishable key, build `payment` headers, read answers. */
import {
  decodePaymentResponse,
  encodeHeader,
  HEADERS,
  type PaymentResponse,
} from '@stripe402/protocol'
import { type StripeEmulator, TEST_CARDS } from '@stripe402/stripe-emulator'

/** The test card numbers the suites pay with, from the emulator's table of Stripe's documented cards. */
export const CARDS = {
  visa: TEST_CARDS.visa.number,
  mastercard: TEST_CARDS.mastercard.number,
  amex: TEST_CARDS.amex.number,
  discover: TEST_CARDS.discover.number,
  genericDecline: TEST_CARDS.genericDecline.number,
  insufficientFunds: TEST_CARDS.insufficientFunds.number,
  lostCard: TEST_CARDS.lostCard.number,
  stolenCard: TEST_CARDS.stolenCard.number,
  expiredCard: TEST_CARDS.expiredCard.number,
  incorrectCvc: TEST_CARDS.incorrectCvc.number,
  processingError: TEST_CARDS.processingError.number,
  fraudulent: TEST_CARDS.fraudulent.number,
  threeDSecure: TEST_CARDS.authenticationRequired.number,
  dispute: TEST_CARDS.dispute.number,
}

/**
 * The public origin the suites' paid servers are configured with (`origins`), and the one their
 * PaymentMethods are bound to, as a current client binds each to the origin it pays (spec §7.4).
 */
export const PAID_ORIGIN = 'https://paid.stripe402.test'

/** A new PaymentMethod for `number`, created with the account's publishable key over plain HTTP, as a client does. */
export async function tokenize(
  emulator: StripeEmulator,
  account: string,
  number: string,
  origin: string = PAID_ORIGIN,
): Promise<string> {
  const res = await fetch(`${emulator.url}/v1/payment_methods`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${emulator.keys(account).publishableKey}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      type: 'card',
      'card[number]': number,
      'card[exp_month]': '12',
      'card[exp_year]': '2034',
      'card[cvc]': number.length === 15 ? '1234' : '123',
      'metadata[stripe402_origin]': origin,
    }),
  })
  const body = (await res.json()) as { id?: string; error?: { message: string } }
  if (!body.id) throw new Error(`tokenizing failed: ${body.error?.message}`)
  return body.id
}

/** A `payment` header: base64 of the JSON, with `stripe402Version: 1` unless the fields say otherwise. */
export const paymentHeader = (fields: Record<string, unknown>): string =>
  encodeHeader({ stripe402Version: 1, ...fields })

/** The `payment` header as a request header object. */
export const paying = (fields: Record<string, unknown>): Record<string, string> => ({
  [HEADERS.PAYMENT]: paymentHeader(fields),
})

/** The decoded `payment-response` of an answer, or undefined when there is none. */
export function paymentResponseOf(
  headers: Headers | Record<string, string>,
): PaymentResponse | undefined {
  const value =
    headers instanceof Headers
      ? headers.get(HEADERS.PAYMENT_RESPONSE)
      : headers[HEADERS.PAYMENT_RESPONSE]
  return value ? decodePaymentResponse(value) : undefined
}

/** `error` of a 402 body or of a `{ error, message }` body. */
export function errorCodeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown }
    return typeof parsed.error === 'string' ? parsed.error : undefined
  } catch {
    return undefined
  }
}
