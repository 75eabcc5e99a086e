/** Reads the stripe402 parts of a response: the challenge, the payment-response and any error code. */
import {
  type DecodeOptions,
  decodeHeader,
  decodePaymentResponse,
  HEADERS,
  type PaymentRequired,
  PaymentRequiredSchema,
  type PaymentResponse,
} from '@stripe402/protocol'
import { HEADER_LIMIT } from './header-limit'
import type { Exchange } from './http'

export type Read<T> = { ok: true; value: T } | { ok: false; reason: string }

const CODE = /^[a-z][a-z0-9_]{1,63}$/

/** The header `name` read with `decode`, or why it could not be. */
function readHeader<T>(
  ex: Exchange,
  name: string,
  decode: (header: string, options: DecodeOptions) => T,
): Read<T> {
  const header = ex.headers[name]
  if (header === undefined) return { ok: false, reason: `no ${name} header` }
  try {
    return { ok: true, value: decode(header, HEADER_LIMIT) }
  } catch (error) {
    return { ok: false, reason: (error as Error).message }
  }
}

/** The `payment-required` header decoded as plain JSON (no schema), or why it could not be. */
export function rawChallenge(ex: Exchange): Read<unknown> {
  return readHeader(ex, HEADERS.PAYMENT_REQUIRED, decodeHeader)
}

/** The `payment-required` header validated against PaymentRequiredSchema. */
export function challengeOf(ex: Exchange): Read<PaymentRequired> {
  const raw = rawChallenge(ex)
  if (!raw.ok) return raw
  const parsed = PaymentRequiredSchema.safeParse(raw.value)
  if (parsed.success) return { ok: true, value: parsed.data }
  const issue = parsed.error.issues[0]
  return {
    ok: false,
    reason: `${issue?.path.join('.') || 'payment-required'}: ${issue?.message ?? 'does not match the schema'}`,
  }
}

/** The `payment-response` header validated against PaymentResponseSchema. */
export function paymentResponseOf(ex: Exchange): Read<PaymentResponse> {
  return readHeader(ex, HEADERS.PAYMENT_RESPONSE, decodePaymentResponse)
}

/**
 * Every machine-readable error code the response carries, wherever a server may put it:
 * the challenge's `error`, the payment-response's `errorCode`, or `error`/`errorCode`/`code` in a JSON body.
 */
export function errorCodesOf(ex: Exchange): string[] {
  const found: unknown[] = []
  const challenge = rawChallenge(ex)
  if (challenge.ok && isRecord(challenge.value)) found.push(challenge.value.error)
  // Read without the schema: a payment-response broken elsewhere may still carry its code.
  const response = readHeader(ex, HEADERS.PAYMENT_RESPONSE, decodeHeader)
  if (response.ok && isRecord(response.value)) found.push(response.value.errorCode)
  if (isRecord(ex.json)) {
    found.push(ex.json.error, ex.json.errorCode, ex.json.code)
    if (isRecord(ex.json.error)) found.push(ex.json.error.code)
  }
  return [...new Set(found.filter((c): c is string => typeof c === 'string' && CODE.test(c)))]
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
