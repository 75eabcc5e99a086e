import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { rejectionOf, useEmulator, messageOf } from '../test/support/harness'

const h = useEmulator()

const params: Stripe.PaymentIntentCreateParams = {
  amount: 1000,
  currency: 'usd',
  payment_method: 'pm_card_visa',
  confirm: true,
  allowed_payment_method_types: ['card'],
}

describe('Idempotency-Key', () => {
  it('replays the first answer for the same key and parameters', async () => {
    const stripe = h.stripe()
    const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-1' })
    const second = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-1' })
    expect(second.id).toBe(first.id)
    expect(second.latest_charge).toBe(first.latest_charge)
    expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined()
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true')
    expect(second.lastResponse.headers['original-request']).toBe(first.lastResponse.requestId)
    expect(second.lastResponse.requestId).not.toBe(first.lastResponse.requestId)
    expect(second.lastResponse.idempotencyKey).toBe('order-1')
    expect((await stripe.paymentIntents.list()).data).toHaveLength(1)
    expect(h.emu.charges()).toHaveLength(1)
  })

  it('refuses the same key with other parameters or on another endpoint', async () => {
    const stripe = h.stripe()
    await stripe.paymentIntents.create(params, { idempotencyKey: 'order-2' })
    const other = await rejectionOf(
      stripe.paymentIntents.create({ ...params, amount: 2000 }, { idempotencyKey: 'order-2' }),
    )
    expect(other).toBeInstanceOf(Stripe.errors.StripeIdempotencyError)
    expect(other).toMatchObject({ statusCode: 400, rawType: 'idempotency_error' })
    expect(messageOf(other)).toMatch(/same parameters they were first used with/)
    const endpoint = await rejectionOf(stripe.customers.create({}, { idempotencyKey: 'order-2' }))
    expect(endpoint).toBeInstanceOf(Stripe.errors.StripeIdempotencyError)
    expect(messageOf(endpoint)).toMatch(/same endpoint/)
    expect(h.emu.charges()).toHaveLength(1)
  })

  it('answers 409 while the first request with the key is still running', async () => {
    const stripe = h.stripe()
    // Hold the first request long enough for the second to arrive.
    h.emu.inject({ method: 'POST', path: '/v1/payment_intents', latencyMs: 1000 })
    const results = await Promise.allSettled([
      stripe.paymentIntents.create(params, { idempotencyKey: 'order-3' }),
      new Promise((resolve) => setTimeout(resolve, 100)).then(() =>
        stripe.paymentIntents.create(params, { idempotencyKey: 'order-3' }),
      ),
    ])
    // Whichever arrived first ran; the other was refused while it was in flight.
    const fulfilled = results.filter((r) => r.status === 'fulfilled')
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(fulfilled).toHaveLength(1)
    expect(rejected).toHaveLength(1)
    const error = rejected[0]?.reason as Stripe.errors.StripeError
    // Stripe sends 409 with type idempotency_error; SDK 23 maps a 409 to StripeAPIError, 18 to StripeIdempotencyError.
    expect(error).toMatchObject({
      statusCode: 409,
      code: 'idempotency_key_in_use',
      rawType: 'idempotency_error',
    })
    expect(h.emu.charges()).toHaveLength(1)
    // Once the first is done, the key replays.
    const later = await stripe.paymentIntents.create(params, { idempotencyKey: 'order-3' })
    expect(later.lastResponse.headers['idempotent-replayed']).toBe('true')
  })

  it('scopes keys per account', async () => {
    const a = await h.stripe('acct_a').paymentIntents.create(params, { idempotencyKey: 'shared' })
    const b = await h
      .stripe('acct_b')
      .paymentIntents.create({ ...params, amount: 3000 }, { idempotencyKey: 'shared' })
    expect(b.id).not.toBe(a.id)
    expect(b.amount).toBe(3000)
  })

  it('replays card errors too (the charge attempt ran), creating no second failed charge', async () => {
    const stripe = h.stripe()
    const declined = { ...params, payment_method: 'pm_card_visa_chargeDeclinedInsufficientFunds' }
    const first = await rejectionOf(
      stripe.paymentIntents.create(declined, { idempotencyKey: 'declined-1' }),
    )
    const second = await rejectionOf(
      stripe.paymentIntents.create(declined, { idempotencyKey: 'declined-1' }),
    )
    expect(second).toBeInstanceOf(Stripe.errors.StripeCardError)
    expect(second.decline_code).toBe('insufficient_funds')
    expect(second.charge).toBe(first.charge)
    expect(second.headers?.['idempotent-replayed']).toBe('true')
    expect(h.emu.charges({ status: 'failed' })).toHaveLength(1)
  })

  it('does not keep answers to invalid parameters: the key stays usable', async () => {
    const stripe = h.stripe()
    const invalid = await rejectionOf(
      stripe.paymentIntents.create({ ...params, amount: 10 }, { idempotencyKey: 'fix-me' }),
    )
    expect(invalid.code).toBe('amount_too_small')
    const fixed = await stripe.paymentIntents.create(
      { ...params, amount: 1000 },
      { idempotencyKey: 'fix-me' },
    )
    expect(fixed.status).toBe('succeeded')
  })

  it('keeps a 500 the endpoint answered once it had begun, and replays it to every retry with the key', async () => {
    // As on Stripe: "retries with the same key return the saved response, including 500 errors".
    const stripe = h.stripe('emulator', { maxNetworkRetries: 2 })
    h.emu.inject({ method: 'POST', path: '/v1/payment_intents', afterResponse: true, status: 500 })
    const error = await rejectionOf(
      stripe.paymentIntents.create(params, { idempotencyKey: 'ran-then-500' }),
    )
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError)
    expect(error.headers?.['idempotent-replayed']).toBe('true')
    // The SDK's own retries got the saved 500 back; the charge was made once.
    expect(
      h.emu.requests({ path: '/v1/payment_intents' }).map((r) => [r.status, r.replayed]),
    ).toEqual([
      [500, false],
      [500, true],
      [500, true],
    ])
    expect(h.emu.charges({ status: 'succeeded' })).toHaveLength(1)
    const later = await rejectionOf(
      h.stripe().paymentIntents.create(params, { idempotencyKey: 'ran-then-500' }),
    )
    expect(later.statusCode).toBe(500)
    expect(h.emu.charges()).toHaveLength(1)
  })

  it('keeps a 500 from inside the endpoint that changed nothing (savedError): the key never charges', async () => {
    const stripe = h.stripe()
    h.emu.inject({ method: 'POST', path: '/v1/payment_intents', status: 500, savedError: true })
    expect(
      (await rejectionOf(stripe.paymentIntents.create(params, { idempotencyKey: 'burned' })))
        .statusCode,
    ).toBe(500)
    const retry = await rejectionOf(
      stripe.paymentIntents.create(params, { idempotencyKey: 'burned' }),
    )
    expect(retry).toMatchObject({
      statusCode: 500,
      headers: expect.objectContaining({ 'idempotent-replayed': 'true' }),
    })
    expect(h.emu.paymentIntents()).toEqual([])
    // Another key runs the request.
    await expect(
      stripe.paymentIntents.create(params, { idempotencyKey: 'fresh' }),
    ).resolves.toMatchObject({ status: 'succeeded' })
    expect(() => h.emu.inject({ path: '/v1/customers', status: 429, savedError: true })).toThrow(
      /5xx/,
    )
  })

  it('lets the SDK retry safely with its own generated key when a response is dropped', async () => {
    const stripe = h.stripe('emulator', { maxNetworkRetries: 2 })
    h.emu.inject({ method: 'POST', path: '/v1/payment_intents', afterResponse: true, drop: true })
    const pi = await stripe.paymentIntents.create(params)
    expect(pi.status).toBe('succeeded')
    expect(pi.lastResponse.idempotencyKey).toMatch(/^stripe-node-retry-/)
    expect(pi.lastResponse.headers['idempotent-replayed']).toBe('true')
    expect(h.emu.requests({ path: '/v1/payment_intents' }).map((r) => r.status)).toEqual([0, 200])
    expect(h.emu.charges()).toHaveLength(1)
  })
})
