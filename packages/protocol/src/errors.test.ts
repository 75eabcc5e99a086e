import { describe, expect, it } from 'vitest'
import {
  ERROR_HTTP_STATUS,
  EXTENSION_ERROR_CODES,
  isKnownErrorCode,
  PaymentErrorCodeSchema,
  Stripe402Error,
  V1_ERROR_CODES,
} from './errors'

describe('error codes', () => {
  it('keeps the six v1 codes exactly', () => {
    expect([...V1_ERROR_CODES]).toEqual([
      'payment_required',
      'insufficient_credits',
      'card_declined',
      'payment_failed',
      'invalid_payment',
      'top_up_below_minimum',
    ])
  })

  it('pins the extension codes (a rename would break peers)', () => {
    expect([...EXTENSION_ERROR_CODES]).toMatchInlineSnapshot(`
      [
        "authentication_required",
        "top_up_above_maximum",
        "currency_mismatch",
        "price_above_max_amount",
        "credential_revoked",
        "account_frozen",
        "rate_limited",
        "ledger_unavailable",
        "payment_unavailable",
        "unsupported_version",
        "payment_method_origin_mismatch",
        "payment_method_unbound",
        "invalid_path",
        "invalid_request",
        "pricing_failed",
        "internal_error",
        "invalid_signature",
        "webhook_failed",
        "webhook_not_configured",
        "webhook_body_consumed",
        "webhook_body_too_large",
      ]
    `)
  })

  it('has no duplicates and one schema for all', () => {
    const all = [...V1_ERROR_CODES, ...EXTENSION_ERROR_CODES]
    expect(new Set(all).size).toBe(all.length)
    expect(PaymentErrorCodeSchema.options).toEqual(all)
  })

  it('maps every code to its HTTP status', () => {
    const all = [...V1_ERROR_CODES, ...EXTENSION_ERROR_CODES]
    expect(Object.keys(ERROR_HTTP_STATUS).sort()).toEqual([...all].sort())
    for (const code of V1_ERROR_CODES) expect(ERROR_HTTP_STATUS[code]).toBe(402)
    expect(ERROR_HTTP_STATUS.account_frozen).toBe(403)
    expect(ERROR_HTTP_STATUS.rate_limited).toBe(429)
    expect(ERROR_HTTP_STATUS.ledger_unavailable).toBe(503)
    expect(ERROR_HTTP_STATUS.payment_unavailable).toBe(503)
    expect(ERROR_HTTP_STATUS.price_above_max_amount).toBe(402)
    expect(ERROR_HTTP_STATUS.invalid_path).toBe(400)
    expect(ERROR_HTTP_STATUS.invalid_request).toBe(400)
    expect(ERROR_HTTP_STATUS.pricing_failed).toBe(500)
    expect(ERROR_HTTP_STATUS.internal_error).toBe(500)
    expect(ERROR_HTTP_STATUS.invalid_signature).toBe(400)
    expect(ERROR_HTTP_STATUS.webhook_failed).toBe(503)
    expect(ERROR_HTTP_STATUS.webhook_not_configured).toBe(404)
    expect(ERROR_HTTP_STATUS.webhook_body_consumed).toBe(500)
    expect(ERROR_HTTP_STATUS.webhook_body_too_large).toBe(413)
  })

  it('treats unknown codes as unknown, without throwing', () => {
    expect(isKnownErrorCode('card_declined')).toBe(true)
    expect(isKnownErrorCode('from_the_future')).toBe(false)
    expect(isKnownErrorCode(undefined)).toBe(false)
    expect(isKnownErrorCode({ toString: () => 'card_declined' })).toBe(false)
  })
})

describe('Stripe402Error', () => {
  it('carries code, status and message, and is an Error', () => {
    const e = new Stripe402Error('rate_limited', 'Slow down: retry in 30 seconds.')
    expect(e).toBeInstanceOf(Error)
    expect(e.name).toBe('Stripe402Error')
    expect(e.code).toBe('rate_limited')
    expect(e.status).toBe(429)
    expect(e.message).toBe('Slow down: retry in 30 seconds.')
    expect(String(e)).toBe('Stripe402Error: Slow down: retry in 30 seconds.')
  })

  it('lets a caller override the status and keep a cause', () => {
    const cause = new Error('socket hang up')
    const e = new Stripe402Error('invalid_payment', 'Bad header.', { status: 400, cause })
    expect(e.status).toBe(400)
    expect(e.cause).toBe(cause)
    expect(new Stripe402Error('card_declined', 'x')).not.toHaveProperty('cause')
  })
})
