/**
 * The schemas' rules for the two messages of every paid request, written out: a server decodes a
 * `payment` header and encodes a `payment-response` on each one, and zod's safeParse costs more than
 * the rest of that work. The schemas stay the source of truth: each check returns what the schema
 * would (its keys in schema order, unknown ones left out), or undefined whenever it is not sure the
 * schema accepts the value, and the schema then decides and words the refusal. Property tests
 * (`fast-checks.test.ts`, `codec.property.test.ts`) hold each check to its schema's answers.
 */
import { MAX_UNITS, STRIPE402_VERSION } from './constants'
import type { PaymentPayload, PaymentResponse } from './schemas'

const CURRENCY = /^[a-z]{3}$/
const PRINTABLE = /^[\x21-\x7e]+$/

const isText = (value: unknown, max: number): value is string =>
  typeof value === 'string' && value.length <= max
const isUnits = (value: unknown): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_UNITS

/**
 * `PaymentPayloadSchema.safeParse(value).data` for a value `JSON.parse` made, when the schema
 * accepts it; undefined when it may not. (An own key holding `undefined`, which JSON cannot make,
 * is left out here where the schema would keep it.)
 */
export function checkedPaymentPayload(value: unknown): PaymentPayload | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
  const { stripe402Version, paymentMethodId, clientId, topUpAmount, maxAmount, idempotencyKey } =
    value as Record<string, unknown>
  if (stripe402Version !== STRIPE402_VERSION) return undefined
  const payload: PaymentPayload = { stripe402Version }
  if (paymentMethodId !== undefined) {
    if (!isText(paymentMethodId, 255) || paymentMethodId.length === 0) return undefined
    payload.paymentMethodId = paymentMethodId
  }
  if (clientId !== undefined) {
    if (!isText(clientId, 255) || clientId.length === 0) return undefined
    payload.clientId = clientId
  }
  if (topUpAmount !== undefined) {
    if (!isUnits(topUpAmount)) return undefined
    payload.topUpAmount = topUpAmount
  }
  if (maxAmount !== undefined) {
    if (!isUnits(maxAmount)) return undefined
    payload.maxAmount = maxAmount
  }
  if (idempotencyKey !== undefined) {
    if (!isText(idempotencyKey, 255) || !PRINTABLE.test(idempotencyKey)) return undefined
    payload.idempotencyKey = idempotencyKey
  }
  return payload
}

/** `PaymentResponseSchema.safeParse(value).data` when the schema accepts it; undefined when it may not. */
export function checkedPaymentResponse(value: PaymentResponse): PaymentResponse | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const {
    success,
    chargeId,
    creditsRemaining,
    clientId,
    error,
    errorCode,
    amountCharged,
    currency,
  } = value
  const ok =
    typeof success === 'boolean' &&
    (chargeId === undefined || isText(chargeId, 255)) &&
    isUnits(creditsRemaining) &&
    isText(clientId, 255) &&
    (error === undefined || isText(error, 1024)) &&
    (errorCode === undefined || isText(errorCode, 64)) &&
    (amountCharged === undefined || isUnits(amountCharged)) &&
    (currency === undefined || (typeof currency === 'string' && CURRENCY.test(currency)))
  // Absent fields are undefined here, and JSON.stringify leaves them out, as the schema does.
  return ok
    ? { success, chargeId, creditsRemaining, clientId, error, errorCode, amountCharged, currency }
    : undefined
}
