import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { startStripeEmulator } from './emulator'
import { rejectionOf, useEmulator, messageOf } from '../test/support/harness'

const h = useEmulator()

const params: Stripe.PaymentIntentCreateParams = {
  amount: 1000,
  currency: 'usd',
  payment_method: 'pm_card_visa',
  confirm: true,
  allowed_payment_method_types: ['card'],
}

describe('injected faults', () => {
  it('answers 500 for the next N matching requests without running them', async () => {
    const stripe = h.stripe()
    h.emu.inject({ path: '/v1/payment_intents', status: 500, times: 2 })
    for (let i = 0; i < 2; i++) {
      const error = await rejectionOf(stripe.paymentIntents.create(params))
      expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError)
      expect(error.statusCode).toBe(500)
    }
    expect(h.emu.paymentIntents()).toHaveLength(0)
    await expect(stripe.paymentIntents.create(params)).resolves.toMatchObject({
      status: 'succeeded',
    })
    expect(h.emu.requests({ path: '/v1/payment_intents' }).map((r) => r.status)).toEqual([
      500, 500, 200,
    ])
  })

  it('is retried through by the SDK when retries are on', async () => {
    h.emu.inject({ path: '/v1/customers', status: 503 })
    const customer = await h
      .stripe('emulator', { maxNetworkRetries: 1 })
      .customers.create({ name: 'retry' })
    expect(customer.name).toBe('retry')
    expect(h.emu.requests({ path: '/v1/customers' }).map((r) => r.status)).toEqual([503, 200])
  })

  it('answers 429 with Stripe-Should-Retry: true', async () => {
    h.emu.inject({ path: /^\/v1\/customers/, status: 429 })
    const error = await rejectionOf(h.stripe().customers.list())
    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError)
    expect(error.statusCode).toBe(429)
    expect(error.headers?.['stripe-should-retry']).toBe('true')
    expect(error.code).toBe('rate_limit')
  })

  it('hangs until the client gives up', async () => {
    h.emu.inject({ path: '/v1/payment_intents', hang: true })
    const error = await rejectionOf(
      h.stripe('emulator', { timeout: 300 }).paymentIntents.create(params),
    )
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError)
    expect(messageOf(error)).toMatch(/timeout/)
    expect(h.emu.paymentIntents()).toHaveLength(0)
  })

  it('drops the connection (the SDK retries a reset connection once by itself)', async () => {
    const stripe = h.stripe()
    h.emu.inject({ path: '/v1/payment_intents', drop: true, times: 2 })
    const error = await rejectionOf(stripe.paymentIntents.create(params))
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError)
    expect(h.emu.requests({ path: '/v1/payment_intents' }).map((r) => r.status)).toEqual([0, 0])
    h.emu.inject({ path: '/v1/payment_intents', drop: true })
    await expect(stripe.paymentIntents.create(params)).resolves.toMatchObject({
      status: 'succeeded',
    })
  })

  it('adds latency, enough to trip a client timeout', async () => {
    h.emu.inject({ path: '/v1/customers', latencyMs: 1500 })
    const error = await rejectionOf(h.stripe('emulator', { timeout: 200 }).customers.create({}))
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError)
    h.emu.inject({ path: '/v1/customers', latencyMs: 20 })
    await expect(h.stripe().customers.create({ name: 'slow' })).resolves.toMatchObject({
      name: 'slow',
    })
  })

  it('matches by method and RegExp', async () => {
    const stripe = h.stripe()
    const pi = await stripe.paymentIntents.create(params)
    h.emu.inject({
      method: 'GET',
      path: /^\/v1\/payment_intents\/pi_/,
      status: 500,
      times: Infinity,
    })
    expect((await rejectionOf(stripe.paymentIntents.retrieve(pi.id))).statusCode).toBe(500)
    expect((await rejectionOf(stripe.paymentIntents.retrieve(pi.id))).statusCode).toBe(500)
    await expect(
      stripe.paymentIntents.update(pi.id, { metadata: { a: 'b' } }),
    ).resolves.toMatchObject({ metadata: { a: 'b' } })
    h.emu.clearFaults()
    await expect(stripe.paymentIntents.retrieve(pi.id)).resolves.toMatchObject({ id: pi.id })
  })

  it('refuses a fault without an effect', () => {
    expect(() => h.emu.inject({ path: '/v1/customers' })).toThrow()
    expect(() => h.emu.inject({ path: '/v1/customers', status: 500, drop: true })).toThrow()
  })
})

describe('lost responses (afterResponse)', () => {
  it('charges, then answers 500: the payment exists though the caller saw an error', async () => {
    const stripe = h.stripe()
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, status: 500 })
    const error = await rejectionOf(
      stripe.paymentIntents.create({ ...params, metadata: { order: 'lost-1' } }),
    )
    expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError)
    expect(h.emu.charges({ status: 'succeeded' })).toHaveLength(1)
    // Crash recovery finds it through the API.
    const found = await stripe.paymentIntents.search({
      query: 'metadata["order"]:"lost-1" AND status:"succeeded"',
    })
    expect(found.data).toHaveLength(1)
  })

  it('charges, then drops the connection; a retry with the same key gets the original answer', async () => {
    const stripe = h.stripe()
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, drop: true })
    // The SDK retries a reset connection once, with the same Idempotency-Key.
    const pi = await stripe.paymentIntents.create(params, { idempotencyKey: 'top-up-7' })
    expect(pi.status).toBe('succeeded')
    expect(pi.lastResponse.headers['idempotent-replayed']).toBe('true')
    expect(h.emu.charges()).toHaveLength(1)
  })

  it('charges, then hangs; the caller times out, and retrying with the key is safe', async () => {
    const stripe = h.stripe('emulator', { timeout: 300 })
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, hang: true })
    const error = await rejectionOf(
      stripe.paymentIntents.create(params, { idempotencyKey: 'top-up-8' }),
    )
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError)
    expect(h.emu.charges()).toHaveLength(1)
    const retry = await stripe.paymentIntents.create(params, { idempotencyKey: 'top-up-8' })
    expect(retry.lastResponse.headers['idempotent-replayed']).toBe('true')
    expect(h.emu.charges()).toHaveLength(1)
  })
})

describe('request log', () => {
  it('records method, path, account and status', async () => {
    await h.stripe('shop').customers.create({})
    await rejectionOf(h.stripe('shop').customers.retrieve('cus_missing'))
    expect(h.emu.requests({ account: 'shop' })).toMatchObject([
      { method: 'POST', path: '/v1/customers', account: 'shop', status: 200 },
      { method: 'GET', path: '/v1/customers/cus_missing', account: 'shop', status: 404 },
    ])
    expect(h.emu.requests({ method: 'get' })).toHaveLength(1)
    expect(h.emu.requests()[0]?.at).toBeGreaterThan(0)
  })

  it('keeps a bounded number of entries', async () => {
    const emu = await startStripeEmulator({ requestLogLimit: 10 })
    try {
      const stripe = new Stripe(emu.keys().secretKey, { ...emu.sdkConfig(), maxNetworkRetries: 0 })
      for (let i = 0; i < 30; i++) await stripe.customers.list()
      const entries = emu.requests()
      expect(entries.length).toBeGreaterThanOrEqual(10)
      expect(entries.length).toBeLessThanOrEqual(11)
      expect(entries.at(-1)?.status).toBe(200)
    } finally {
      await emu.close()
    }
  })
})

describe('POST /_emulator/faults', () => {
  const control = (body: string, contentType = 'application/json', method = 'POST') =>
    fetch(`${h.emu.url}/_emulator/faults`, {
      method,
      headers: { 'content-type': contentType },
      body: method === 'POST' ? body : undefined,
    })
  const create = (idempotencyKey?: string) =>
    fetch(`${h.emu.url}/v1/payment_intents`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${h.emu.keys().secretKey}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: new URLSearchParams({
        amount: '1000',
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: 'true',
        'automatic_payment_methods[enabled]': 'true',
        'automatic_payment_methods[allow_redirects]': 'never',
      }),
    })

  it('injects from another process: a JSON drop after charging charges, loses the answer, and a retry with the key gets it', async () => {
    const added = await control(
      JSON.stringify({
        method: 'POST',
        path: '/v1/payment_intents',
        afterResponse: true,
        drop: true,
      }),
    )
    expect(added.status).toBe(200)
    expect(await added.json()).toEqual({
      object: 'emulator.fault',
      method: 'POST',
      path: '/v1/payment_intents',
      times: 1,
      afterResponse: true,
      drop: true,
    })
    await expect(create('lost-answer')).rejects.toThrow()
    expect(h.emu.charges({ status: 'succeeded' })).toHaveLength(1)
    const retry = await create('lost-answer')
    expect(retry.status).toBe(200)
    expect(retry.headers.get('idempotent-replayed')).toBe('true')
    expect(h.emu.charges({ status: 'succeeded' })).toHaveLength(1)
  })

  it('takes form fields and a pathPattern, and DELETE clears every fault', async () => {
    const added = await control(
      'pathPattern=%5E%2Fv1%2Fpayment_intents%24&status=503&times=2',
      'application/x-www-form-urlencoded',
    )
    expect(await added.json()).toMatchObject({
      pathPattern: /^\/v1\/payment_intents$/.source,
      status: 503,
      times: 2,
    })
    expect((await create()).status).toBe(503)
    expect((await control('', '', 'DELETE')).status).toBe(200)
    expect((await create()).status).toBe(200)
  })

  it('refuses a fault inject() would refuse, and unknown fields, with 400', async () => {
    for (const body of [
      { path: '/v1/payment_intents' },
      { path: '/v1/payment_intents', status: 500, drop: true },
      { path: '/v1/payment_intents', drop: 'yes' },
      { path: '/v1/payment_intents', drop: true, colour: 'red' },
      { drop: true },
    ]) {
      const res = await control(JSON.stringify(body))
      expect(res.status).toBe(400)
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
        /^Invalid fault: /,
      )
    }
    expect((await control('', '', 'GET')).status).toBe(405)
    expect((await create()).status).toBe(200)
  })
})
