import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { rejectionOf, useEmulator, messageOf } from '../test/support/harness'

const h = useEmulator()

const NO_REDIRECTS = { enabled: true, allow_redirects: 'never' } as const

describe('create and confirm', () => {
  it('creates an intent that waits for confirmation, then confirms it', async () => {
    const stripe = h.stripe()
    const pm = await h.tokenize('visa')
    const pi = await stripe.paymentIntents.create({
      amount: 1234,
      currency: 'usd',
      payment_method: pm.id,
      description: 'top-up',
      metadata: { order: '42' },
    })
    expect(pi).toMatchObject({
      object: 'payment_intent',
      amount: 1234,
      currency: 'usd',
      status: 'requires_confirmation',
      livemode: false,
      amount_received: 0,
      latest_charge: null,
      last_payment_error: null,
      payment_method: pm.id,
      description: 'top-up',
      metadata: { order: '42' },
      capture_method: 'automatic_async',
      automatic_payment_methods: { enabled: true },
    })
    expect(pi.id).toMatch(/^pi_/)
    expect(pi.client_secret).toMatch(new RegExp(`^${pi.id}_secret_`))
    expect(pi.created).toBeGreaterThan(1_600_000_000)
    const confirmed = await stripe.paymentIntents.confirm(pi.id)
    expect(confirmed).toMatchObject({ status: 'succeeded', amount_received: 1234 })
    expect(confirmed.latest_charge).toMatch(/^ch_/)
    const charge = await stripe.charges.retrieve(confirmed.latest_charge as string)
    expect(charge).toMatchObject({
      object: 'charge',
      amount: 1234,
      amount_captured: 1234,
      amount_refunded: 0,
      captured: true,
      paid: true,
      refunded: false,
      disputed: false,
      status: 'succeeded',
      payment_intent: pi.id,
      payment_method: pm.id,
      metadata: { order: '42' },
      description: 'top-up',
      livemode: false,
      payment_method_details: {
        type: 'card',
        card: {
          brand: 'visa',
          last4: '4242',
          fingerprint: pm.card?.fingerprint,
          checks: { cvc_check: 'pass' },
        },
      },
      outcome: {
        type: 'authorized',
        network_status: 'approved_by_network',
        seller_message: 'Payment complete.',
      },
    })
    expect(h.emu.paymentIntents()).toMatchObject([
      { id: pi.id, status: 'succeeded', amount_received: 1234 },
    ])
  })

  it('creates without a payment method (requires_payment_method) and confirms with one', async () => {
    const stripe = h.stripe()
    const pi = await stripe.paymentIntents.create({ amount: 500, currency: 'eur' })
    expect(pi.status).toBe('requires_payment_method')
    const missing = await rejectionOf(stripe.paymentIntents.confirm(pi.id))
    expect(missing).toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'payment_intent_unexpected_state',
    })
    const done = await stripe.paymentIntents.confirm(pi.id, {
      payment_method: 'pm_card_visa',
      return_url: 'https://example.com/back',
    })
    expect(done.status).toBe('succeeded')
  })

  it('creates and confirms in one call with a customer, off session, like a server charging a saved card', async () => {
    const stripe = h.stripe()
    const pm = await h.tokenize('mastercard')
    const customer = await stripe.customers.create({
      payment_method: pm.id,
      metadata: { client: 'c1' },
    })
    const pi = await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
      off_session: true,
      automatic_payment_methods: NO_REDIRECTS,
      description: 'stripe402 top-up',
      metadata: { stripe402_client: 'c1' },
    })
    expect(pi).toMatchObject({
      status: 'succeeded',
      customer: customer.id,
      automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    })
    const charges = await stripe.charges.list({ payment_intent: pi.id })
    expect(charges.data).toHaveLength(1)
    expect(charges.data[0]).toMatchObject({
      customer: customer.id,
      metadata: { stripe402_client: 'c1' },
    })
    // A saved card can be charged again and again.
    const again = await stripe.paymentIntents.create({
      amount: 2500,
      currency: 'usd',
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
      off_session: true,
      automatic_payment_methods: NO_REDIRECTS,
    })
    expect(again.status).toBe('succeeded')
  })

  it('insists on return_url when automatic payment methods may redirect', async () => {
    const stripe = h.stripe()
    const error = await rejectionOf(
      stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        automatic_payment_methods: { enabled: true },
      }),
    )
    expect(error).toMatchObject({ type: 'StripeInvalidRequestError', param: 'return_url' })
    const ok = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: { enabled: true },
      return_url: 'https://example.com/done',
    })
    expect(ok.status).toBe('succeeded')
  })

  it('expands latest_charge, customer and payment_method', async () => {
    const stripe = h.stripe()
    const customer = await stripe.customers.create({ email: 'x@example.com' })
    const pi = await stripe.paymentIntents.create({
      amount: 900,
      currency: 'usd',
      customer: customer.id,
      payment_method: 'pm_card_visa',
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    })
    const expanded = await stripe.paymentIntents.retrieve(pi.id, {
      expand: ['latest_charge', 'customer', 'payment_method'],
    })
    expect((expanded.latest_charge as Stripe.Charge).object).toBe('charge')
    expect((expanded.customer as Stripe.Customer).email).toBe('x@example.com')
    expect((expanded.payment_method as Stripe.PaymentMethod).object).toBe('payment_method')
    const list = await stripe.paymentIntents.list({
      customer: customer.id,
      expand: ['data.latest_charge'],
    })
    expect((list.data[0]?.latest_charge as Stripe.Charge | undefined)?.id).toBe(pi.latest_charge)
    const bad = await rejectionOf(stripe.paymentIntents.retrieve(pi.id, { expand: ['amount'] }))
    expect(bad).toMatchObject({ type: 'StripeInvalidRequestError', param: 'expand' })
  })

  it('refuses to confirm twice, and confirms nothing after cancel', async () => {
    const stripe = h.stripe()
    const pi = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    const twice = await rejectionOf(stripe.paymentIntents.confirm(pi.id))
    expect(twice).toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'payment_intent_unexpected_state',
    })
    expect((twice.payment_intent as Stripe.PaymentIntent).id).toBe(pi.id)
    const open = await stripe.paymentIntents.create({ amount: 500, currency: 'usd' })
    const canceled = await stripe.paymentIntents.cancel(open.id, {
      cancellation_reason: 'abandoned',
    })
    expect(canceled).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' })
    const late = await rejectionOf(
      stripe.paymentIntents.confirm(open.id, { payment_method: 'pm_card_visa' }),
    )
    expect(late.code).toBe('payment_intent_unexpected_state')
    expect((await rejectionOf(stripe.paymentIntents.cancel(pi.id))).code).toBe(
      'payment_intent_unexpected_state',
    )
  })

  it('updates metadata with Stripe merge rules, and amount while unconfirmed', async () => {
    const stripe = h.stripe()
    const pi = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      metadata: { a: '1', b: '2' },
    })
    const updated = await stripe.paymentIntents.update(pi.id, {
      amount: 800,
      metadata: { b: '', c: '3' },
    })
    expect(updated).toMatchObject({ amount: 800, metadata: { a: '1', c: '3' } })
    expect(updated.metadata).not.toHaveProperty('b')
    const cleared = await stripe.paymentIntents.update(pi.id, {
      metadata: '' as unknown as Stripe.MetadataParam,
    })
    expect(cleared.metadata).toEqual({})
  })

  it('round-trips bracket-notation parameters with awkward characters', async () => {
    const metadata = {
      'key with spaces': 'a&b=c+d',
      ünïcode: 'välue ✓',
      'dots.and-dashes': '%41%',
      empty_looking: ' ',
    }
    const pi = await h.stripe().paymentIntents.create({
      amount: 500,
      currency: 'usd',
      metadata,
      allowed_payment_method_types: ['card'],
    })
    expect(pi.metadata).toEqual(metadata)
    expect(pi.payment_method_types).toEqual(['card'])
  })
})

describe('parameter errors', () => {
  const base = { amount: 500, currency: 'usd' }

  it.each([
    ['missing amount', { currency: 'usd' }, 'amount', 'parameter_missing'],
    ['missing currency', { amount: 500 }, 'currency', 'parameter_missing'],
    ['a non-integer amount', { ...base, amount: 'abc' }, 'amount', 'parameter_invalid_integer'],
    ['a fractional amount', { ...base, amount: 12.5 }, 'amount', 'parameter_invalid_integer'],
    ['an unknown currency', { ...base, currency: 'xyz' }, 'currency', undefined],
    ['an unknown parameter', { ...base, colour: 'blue' }, 'colour', 'parameter_unknown'],
    ['manual capture', { ...base, capture_method: 'manual' }, 'capture_method', undefined],
    ['off_session without confirm', { ...base, off_session: true }, 'off_session', undefined],
    ['an unknown customer', { ...base, customer: 'cus_nope' }, 'customer', 'resource_missing'],
    [
      'an unknown payment method',
      { ...base, payment_method: 'pm_nope' },
      'payment_method',
      'resource_missing',
    ],
    [
      'an amount above eight digits',
      { ...base, amount: 100_000_000 },
      'amount',
      'amount_too_large',
    ],
  ])('answers %s with a 400 naming the parameter', async (_what, params, param, code) => {
    const error = await rejectionOf(
      h.stripe().paymentIntents.create(params as unknown as Stripe.PaymentIntentCreateParams),
    )
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(error).toMatchObject({ statusCode: 400, param })
    expect(error.code).toBe(code)
    expect(h.emu.paymentIntents()).toHaveLength(0)
  })

  it.each([
    ['usd', 50, '$0.50'],
    ['eur', 50, '€0.50'],
    ['gbp', 30, '£0.30'],
    ['jpy', 50, '¥50'],
    ['cad', 50, '$0.50'],
    ['chf', 50, 'CHF 0.50'],
    ['mxn', 1000, '$10.00'],
    ['huf', 17500, '175.00'],
  ])("enforces Stripe's minimum charge in %s (%i)", async (currency, minimum, shown) => {
    const stripe = h.stripe()
    const error = await rejectionOf(stripe.paymentIntents.create({ amount: minimum - 1, currency }))
    expect(error).toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'amount_too_small',
      param: 'amount',
    })
    expect(messageOf(error)).toBe(`Amount must be at least ${shown} ${currency}`)
    await expect(
      stripe.paymentIntents.create({ amount: minimum, currency }),
    ).resolves.toMatchObject({ amount: minimum, currency })
  })

  it('lowercases currencies and accepts ones without a published minimum', async () => {
    const pi = await h.stripe().paymentIntents.create({ amount: 1000, currency: 'KRW' })
    expect(pi.currency).toBe('krw')
  })

  it('answers an unknown intent with 404 resource_missing', async () => {
    const error = await rejectionOf(h.stripe().paymentIntents.retrieve('pi_doesnotexist'))
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id' })
    expect(messageOf(error)).toBe("No such payment_intent: 'pi_doesnotexist'")
  })
})

describe('reusing PaymentMethods', () => {
  it('allows one use without a customer, as on Stripe', async () => {
    const stripe = h.stripe()
    const pm = await h.tokenize('visa')
    await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      payment_method: pm.id,
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    const error = await rejectionOf(
      stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        payment_method: pm.id,
        confirm: true,
        allowed_payment_method_types: ['card'],
      }),
    )
    expect(error).toMatchObject({ type: 'StripeInvalidRequestError', param: 'payment_method' })
    expect(messageOf(error)).toMatch(
      /previously used with a PaymentIntent without Customer attachment/,
    )
    const attach = await rejectionOf(
      stripe.paymentMethods.attach(pm.id, { customer: (await stripe.customers.create({})).id }),
    )
    expect(messageOf(attach)).toMatch(/may not be used again/)
  })

  it('lets a declined PaymentMethod be tried again', async () => {
    const stripe = h.stripe()
    const pm = await h.tokenize('insufficientFunds')
    for (let i = 0; i < 2; i++) {
      const error = await rejectionOf(
        stripe.paymentIntents.create({
          amount: 500,
          currency: 'usd',
          payment_method: pm.id,
          confirm: true,
          allowed_payment_method_types: ['card'],
        }),
      )
      expect(error.decline_code).toBe('insufficient_funds')
    }
  })

  it('requires the customer of an attached PaymentMethod, and only that customer', async () => {
    const stripe = h.stripe()
    const pm = await h.tokenize('visa')
    const owner = await stripe.customers.create({ payment_method: pm.id })
    const stranger = await stripe.customers.create({})
    const noCustomer = await rejectionOf(
      stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        payment_method: pm.id,
        confirm: true,
        allowed_payment_method_types: ['card'],
      }),
    )
    expect(noCustomer).toMatchObject({ type: 'StripeInvalidRequestError', param: 'payment_method' })
    const wrong = await rejectionOf(
      stripe.paymentIntents.create({
        amount: 500,
        currency: 'usd',
        customer: stranger.id,
        payment_method: pm.id,
        confirm: true,
        allowed_payment_method_types: ['card'],
      }),
    )
    expect(wrong.param).toBe('payment_method')
    const right = await stripe.paymentIntents.create({
      amount: 500,
      currency: 'usd',
      customer: owner.id,
      payment_method: pm.id,
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    expect(right.status).toBe('succeeded')
  })
})

describe('3-D Secure', () => {
  it('puts an on-session payment into requires_action, completed by authentication', async () => {
    const stripe = h.stripe()
    const pm = await h.tokenize('authenticationRequired')
    const pi = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'eur',
      payment_method: pm.id,
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    })
    expect(pi).toMatchObject({
      status: 'requires_action',
      latest_charge: null,
      next_action: { type: 'use_stripe_sdk' },
    })
    await h.emu.authenticate(pi.id)
    const after = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge'] })
    expect(after.status).toBe('succeeded')
    expect(
      (after.latest_charge as Stripe.Charge).payment_method_details?.card?.three_d_secure,
    ).toMatchObject({ result: 'authenticated' })
  })

  it('redirects to return_url through the authentication page', async () => {
    const stripe = h.stripe()
    const pi = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'eur',
      payment_method: 'pm_card_threeDSecure2Required',
      confirm: true,
      return_url: 'https://shop.example/back?x=1',
      allowed_payment_method_types: ['card'],
    })
    expect(pi.status).toBe('requires_action')
    const redirect = pi.next_action?.redirect_to_url
    expect(redirect?.return_url).toBe('https://shop.example/back?x=1')
    // The customer's browser visits the bank page, which sends it back to the shop.
    const page = await fetch(redirect?.url as string, { redirect: 'manual' })
    expect(page.status).toBe(302)
    const back = new URL(page.headers.get('location') as string)
    expect(back.origin + back.pathname).toBe('https://shop.example/back')
    expect(back.searchParams.get('payment_intent')).toBe(pi.id)
    expect(back.searchParams.get('redirect_status')).toBe('succeeded')
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded')
  })

  it('records a failed authentication', async () => {
    const stripe = h.stripe()
    const pi = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'eur',
      payment_method: 'pm_card_authenticationRequired',
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    await h.emu.authenticate(pi.id, 'fail')
    const after = await stripe.paymentIntents.retrieve(pi.id)
    expect(after).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'payment_intent_authentication_failure' },
    })
  })

  it('declines after authentication for …1629', async () => {
    const stripe = h.stripe()
    const pi = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'usd',
      payment_method: 'pm_card_threeDSecureRequiredChargeDeclined',
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    await h.emu.authenticate(pi.id)
    expect(await stripe.paymentIntents.retrieve(pi.id)).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { decline_code: 'generic_decline' },
    })
  })

  it.each([
    'authenticationRequired',
    'authenticationRequiredOnSetup',
    'threeDSecure2Required',
  ] as const)(
    'fails %s off session with a 402 authentication_required carrying the intent',
    async (card) => {
      const stripe = h.stripe()
      const pm = await h.tokenize(card)
      const customer = await stripe.customers.create({ payment_method: pm.id })
      const error = await rejectionOf(
        stripe.paymentIntents.create({
          amount: 1500,
          currency: 'eur',
          customer: customer.id,
          payment_method: pm.id,
          confirm: true,
          off_session: true,
          automatic_payment_methods: NO_REDIRECTS,
        }),
      )
      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError)
      expect(error).toMatchObject({
        statusCode: 402,
        code: 'authentication_required',
        decline_code: 'authentication_required',
      })
      const pi = error.payment_intent as Stripe.PaymentIntent
      expect(pi).toMatchObject({
        status: 'requires_payment_method',
        last_payment_error: { code: 'authentication_required' },
      })
      expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('requires_payment_method')
    },
  )

  it('fails with authentication_required when error_on_requires_action is set', async () => {
    const error = await rejectionOf(
      h.stripe().paymentIntents.create({
        amount: 1500,
        currency: 'eur',
        payment_method: 'pm_card_authenticationRequired',
        confirm: true,
        error_on_requires_action: true,
        allowed_payment_method_types: ['card'],
      }),
    )
    expect(error.code).toBe('authentication_required')
  })

  it('lets …3155 pay off session once set up with an authenticated on-session payment', async () => {
    const stripe = h.stripe()
    const customer = await stripe.customers.create({})
    const pm = await h.tokenize('authenticationRequiredOnSetup')
    const first = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'eur',
      customer: customer.id,
      payment_method: pm.id,
      setup_future_usage: 'off_session',
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    })
    expect(first.status).toBe('requires_action')
    await h.emu.authenticate(first.id)
    expect((await stripe.paymentMethods.retrieve(pm.id)).customer).toBe(customer.id)
    const later = await stripe.paymentIntents.create({
      amount: 1500,
      currency: 'eur',
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
      off_session: true,
      automatic_payment_methods: NO_REDIRECTS,
    })
    expect(later.status).toBe('succeeded')
  })

  it('lets …0446 pay off session but not on session', async () => {
    const stripe = h.stripe()
    const customer = await stripe.customers.create({})
    const pm = await h.tokenize('authenticationRequiredSetUpForOffSession')
    await stripe.paymentMethods.attach(pm.id, { customer: customer.id })
    const params = {
      amount: 1500,
      currency: 'eur',
      customer: customer.id,
      payment_method: pm.id,
      confirm: true,
      automatic_payment_methods: NO_REDIRECTS,
    }
    expect((await stripe.paymentIntents.create({ ...params, off_session: true })).status).toBe(
      'succeeded',
    )
    expect((await stripe.paymentIntents.create(params)).status).toBe('requires_action')
  })
})

describe('list and search', () => {
  it('lists intents newest first, filtered by customer, with cursors', async () => {
    const stripe = h.stripe()
    const a = await stripe.customers.create({})
    const b = await stripe.customers.create({})
    const ids: string[] = []
    for (let i = 0; i < 3; i++)
      ids.push(
        (await stripe.paymentIntents.create({ amount: 500 + i, currency: 'usd', customer: a.id }))
          .id,
      )
    await stripe.paymentIntents.create({ amount: 999, currency: 'usd', customer: b.id })
    const page = await stripe.paymentIntents.list({ customer: a.id, limit: 2 })
    expect(page).toMatchObject({ object: 'list', has_more: true, url: '/v1/payment_intents' })
    expect(page.data.map((p) => p.id)).toEqual([ids[2], ids[1]])
    const next = await stripe.paymentIntents.list({
      customer: a.id,
      limit: 2,
      starting_after: ids[1],
    })
    expect(next.data.map((p) => p.id)).toEqual([ids[0]])
    expect(next.has_more).toBe(false)
    const all = await stripe.paymentIntents.list({ limit: 1 }).autoPagingToArray({ limit: 10 })
    expect(all).toHaveLength(4)
  })

  it('searches by metadata and status, joined by AND, consistent at once', async () => {
    const stripe = h.stripe()
    const good = await stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
      metadata: { client: 'abc', top_up: '1' },
    })
    await rejectionOf(
      stripe.paymentIntents.create({
        amount: 700,
        currency: 'usd',
        payment_method: 'pm_card_chargeDeclined',
        confirm: true,
        allowed_payment_method_types: ['card'],
        metadata: { client: 'abc', top_up: '2' },
      }),
    )
    await stripe.paymentIntents.create({
      amount: 700,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
      metadata: { client: 'other' },
    })
    const found = await stripe.paymentIntents.search({
      query: 'metadata["client"]:"abc" AND status:"succeeded"',
    })
    expect(found).toMatchObject({
      object: 'search_result',
      has_more: false,
      next_page: null,
      url: '/v1/payment_intents/search',
    })
    expect(found.data.map((p) => p.id)).toEqual([good.id])
    const both = await stripe.paymentIntents.search({ query: 'metadata["client"]:"abc"' })
    expect(both.data).toHaveLength(2)
    const either = await stripe.paymentIntents.search({
      query: 'metadata["top_up"]:"2" OR metadata["client"]:"other"',
    })
    expect(either.data).toHaveLength(2)
    const negated = await stripe.paymentIntents.search({
      query: '-metadata["client"]:"abc" AND amount>=700',
    })
    expect(negated.data.map((p) => p.metadata.client)).toEqual(['other'])
    const paged = await stripe.paymentIntents.search({ query: 'amount:700', limit: 2 })
    expect(paged.has_more).toBe(true)
    const rest = await stripe.paymentIntents.search({
      query: 'amount:700',
      limit: 2,
      page: paged.next_page as string,
    })
    expect(rest.data).toHaveLength(1)
  })

  it('refuses malformed and unsupported queries', async () => {
    const stripe = h.stripe()
    for (const query of [
      'metadata["a"]:"b" AND',
      'status:succeeded',
      'a:"1" AND b:"2" OR c:"3"',
      'metadata["a":"b"',
    ]) {
      const error = await rejectionOf(stripe.paymentIntents.search({ query }))
      expect(error).toMatchObject({ type: 'StripeInvalidRequestError', param: 'query' })
    }
    const unsupported = await rejectionOf(stripe.paymentIntents.search({ query: 'colour:"blue"' }))
    expect(messageOf(unsupported)).toMatch(/unsupported search field/)
  })

  it('searches and lists charges', async () => {
    const stripe = h.stripe()
    const pm = await h.tokenize('visa')
    const pi = await stripe.paymentIntents.create({
      amount: 800,
      currency: 'usd',
      payment_method: pm.id,
      confirm: true,
      allowed_payment_method_types: ['card'],
      metadata: { k: 'v' },
    })
    const byFingerprint = await stripe.charges.search({
      query: `payment_method_details.card.fingerprint:"${pm.card?.fingerprint}" AND status:"succeeded"`,
    })
    expect(byFingerprint.data.map((c) => c.id)).toEqual([pi.latest_charge])
    const byMetadata = await stripe.charges.search({
      query: 'metadata["k"]:"v" AND refunded:"false"',
    })
    expect(byMetadata.data).toHaveLength(1)
    const list = await stripe.charges.list({ payment_intent: pi.id })
    expect(list.data.map((c) => c.id)).toEqual([pi.latest_charge])
  })
})
