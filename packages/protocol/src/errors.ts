/** Error codes and the one error class every stripe402 package throws. */
import { z } from 'zod'

/**
 * Codes published by stripe402 v1. Peers written against v1 know exactly these.
 */
export const V1_ERROR_CODES = [
  'payment_required',
  'insufficient_credits',
  'card_declined',
  'payment_failed',
  'invalid_payment',
  'top_up_below_minimum',
] as const

/**
 * Codes added after v1. A v1 peer treats any of them as a generic failure, which is
 * exactly what the spec requires of peers meeting a code they do not know. The last nine
 * are never on a 402: they name a refused path or price, a server fault, or a webhook outcome.
 */
export const EXTENSION_ERROR_CODES = [
  'authentication_required',
  'top_up_above_maximum',
  'currency_mismatch',
  'price_above_max_amount',
  'credential_revoked',
  'account_frozen',
  'rate_limited',
  'ledger_unavailable',
  'payment_unavailable',
  'unsupported_version',
  'payment_method_origin_mismatch',
  'payment_method_unbound',
  'invalid_path',
  'invalid_request',
  'pricing_failed',
  'internal_error',
  'invalid_signature',
  'webhook_failed',
  'webhook_not_configured',
  'webhook_body_consumed',
  'webhook_body_too_large',
] as const

/** Every machine-readable error code stripe402 defines. */
export const PaymentErrorCodeSchema = z
  .enum([...V1_ERROR_CODES, ...EXTENSION_ERROR_CODES])
  .describe('Machine-readable reason a payment was refused or a 402 was sent.')
export type PaymentErrorCode = z.infer<typeof PaymentErrorCodeSchema>

/** HTTP status a server answers with for each code (see spec/stripe402.md, "Error codes"). */
export const ERROR_HTTP_STATUS: Record<PaymentErrorCode, number> = {
  payment_required: 402,
  insufficient_credits: 402,
  card_declined: 402,
  payment_failed: 402,
  invalid_payment: 402,
  top_up_below_minimum: 402,
  authentication_required: 402,
  top_up_above_maximum: 402,
  currency_mismatch: 402,
  price_above_max_amount: 402,
  credential_revoked: 402,
  account_frozen: 403,
  rate_limited: 429,
  ledger_unavailable: 503,
  payment_unavailable: 503,
  unsupported_version: 402,
  payment_method_origin_mismatch: 402,
  payment_method_unbound: 402,
  invalid_path: 400,
  invalid_request: 400,
  pricing_failed: 500,
  internal_error: 500,
  invalid_signature: 400,
  webhook_failed: 503,
  webhook_not_configured: 404,
  webhook_body_consumed: 500,
  webhook_body_too_large: 413,
}

/** True for a code this version of the protocol knows; unknown codes mean "generic failure". */
export function isKnownErrorCode(code: unknown): code is PaymentErrorCode {
  return PaymentErrorCodeSchema.safeParse(code).success
}

/** The error class of stripe402: always carries a `code` a program can branch on. */
export class Stripe402Error extends Error {
  override readonly name = 'Stripe402Error'
  readonly code: PaymentErrorCode
  readonly status: number

  constructor(
    code: PaymentErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.status = options?.status ?? ERROR_HTTP_STATUS[code]
  }
}
