import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { TEST_CARDS, type TestCardName } from './cards/table'
import { expectedFingerprint, testCardParams } from './cards/test-params'
import { rejectionOf, tokenCard, useEmulator } from '../test/support/harness'

const h = useEmulator()

/** Charges a PaymentMethod once, without a customer, on session. */
function charge(
  stripe: Stripe,
  paymentMethod: string,
  extra: Partial<Stripe.PaymentIntentCreateParams> = {},
) {
  return stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    payment_method: paymentMethod,
    confirm: true,
    automatic_payment_methods: { enabled: true, allow_redirects: 'never' },
    expand: ['latest_charge'],
    ...extra,
  })
}

describe('the test card table', () => {
  const cards = Object.entries(TEST_CARDS).filter(([name]) => name !== 'incorrectNumber') as [
    TestCardName,
    (typeof TEST_CARDS)[TestCardName],
  ][]

  it.each(cards)('%s tokenizes, and its magic id stands for the same card', async (name, card) => {
    const pm = await h.tokenize(name)
    expect(pm.card).toMatchObject({
      brand: card.brand,
      funding: card.funding,
      country: card.country,
      last4: card.number.slice(-4),
    })
    if ('paymentMethod' in card) {
      const magic = await h.stripe().paymentMethods.retrieve(card.paymentMethod)
      expect(magic.card?.fingerprint).toBe(pm.card?.fingerprint)
    }
    if ('token' in card) {
      const token = await h.stripe().tokens.retrieve(card.token)
      expect(token.card?.fingerprint).toBe(pm.card?.fingerprint)
    }
  })
})

describe('successful test cards', () => {
  const successes: [TestCardName, string, string, string][] = [
    ['visa', 'visa', 'credit', '4242'],
    ['visaDebit', 'visa', 'debit', '5556'],
    ['mastercard', 'mastercard', 'credit', '4444'],
    ['mastercard2Series', 'mastercard', 'credit', '3222'],
    ['mastercardDebit', 'mastercard', 'debit', '8210'],
    ['mastercardPrepaid', 'mastercard', 'prepaid', '5100'],
    ['amex', 'amex', 'credit', '0005'],
    ['amex2', 'amex', 'credit', '8431'],
    ['discover', 'discover', 'credit', '1117'],
    ['discoverDebit', 'discover', 'debit', '1113'],
    ['diners', 'diners', 'credit', '0004'],
    ['diners14', 'diners', 'credit', '1667'],
    ['jcb', 'jcb', 'credit', '0505'],
    ['unionpay', 'unionpay', 'credit', '0005'],
    ['visaUnitedKingdom', 'visa', 'credit', '0000'],
    ['threeDSecureOptional', 'visa', 'credit', '3055'],
    ['elevatedRisk', 'visa', 'credit', '9235'],
  ]

  it.each(successes)(
    '%s tokenizes as %s %s …%s and charges',
    async (name, brand, funding, last4) => {
      const pm = await h.tokenize(name)
      expect(pm).toMatchObject({
        object: 'payment_method',
        type: 'card',
        livemode: false,
        customer: null,
      })
      expect(pm.card).toMatchObject({ brand, funding, last4, country: TEST_CARDS[name].country })
      const pi = await charge(h.stripe(), pm.id)
      expect(pi.status).toBe('succeeded')
      const ch = pi.latest_charge as Stripe.Charge
      expect(ch).toMatchObject({
        object: 'charge',
        status: 'succeeded',
        paid: true,
        amount: 2000,
        payment_method: pm.id,
      })
      expect(ch.payment_method_details?.card).toMatchObject({
        brand,
        last4,
        fingerprint: pm.card?.fingerprint,
      })
    },
  )

  it('takes a 4-digit CVC for American Express only', async () => {
    const pk = h.publishable()
    await expect(
      pk.paymentMethods.create({ type: 'card', card: testCardParams('amex', { cvc: '1234' }) }),
    ).resolves.toMatchObject({ card: { brand: 'amex' } })
    const amexShort = await rejectionOf(
      pk.paymentMethods.create({ type: 'card', card: testCardParams('amex', { cvc: '123' }) }),
    )
    expect(amexShort).toMatchObject({
      type: 'StripeCardError',
      code: 'invalid_cvc',
      statusCode: 402,
    })
    const visaLong = await rejectionOf(
      pk.paymentMethods.create({ type: 'card', card: testCardParams('visa', { cvc: '1234' }) }),
    )
    expect(visaLong).toMatchObject({ type: 'StripeCardError', code: 'invalid_cvc' })
  })

  it('marks elevated-risk payments in the charge outcome', async () => {
    const pi = await charge(h.stripe(), (await h.tokenize('elevatedRisk')).id)
    expect((pi.latest_charge as Stripe.Charge).outcome).toMatchObject({
      risk_level: 'elevated',
      type: 'authorized',
    })
  })

  it.each([
    'pm_card_visa',
    'pm_card_mastercard',
    'pm_card_amex',
    'pm_card_visa_debit',
    'pm_card_discover',
  ])('accepts the magic id %s', async (id) => {
    const stripe = h.stripe()
    const first = await charge(stripe, id)
    const second = await charge(stripe, id)
    expect(first.status).toBe('succeeded')
    // Each use makes a fresh PaymentMethod, with the card's fingerprint.
    expect(first.payment_method).toMatch(/^pm_(?!card_)/)
    expect(first.payment_method).not.toBe(second.payment_method)
    const [a, b] = await Promise.all([
      stripe.paymentMethods.retrieve(first.payment_method as string),
      stripe.paymentMethods.retrieve(second.payment_method as string),
    ])
    expect(a.card?.fingerprint).toBe(b.card?.fingerprint)
  })
})

describe('declines at charge time', () => {
  const declines: [TestCardName, string, string, string | undefined][] = [
    ['genericDecline', 'card_declined', 'generic_decline', undefined],
    ['insufficientFunds', 'card_declined', 'insufficient_funds', undefined],
    ['lostCard', 'card_declined', 'lost_card', undefined],
    ['stolenCard', 'card_declined', 'stolen_card', undefined],
    ['expiredCard', 'expired_card', 'expired_card', 'exp_month'],
    ['incorrectCvc', 'incorrect_cvc', 'incorrect_cvc', 'cvc'],
    ['processingError', 'processing_error', 'processing_error', undefined],
    ['fraudulent', 'card_declined', 'fraudulent', undefined],
    ['highestRisk', 'card_declined', 'fraudulent', undefined],
    ['velocityLimitExceeded', 'card_declined', 'card_velocity_exceeded', undefined],
    ['cvcCheckFail', 'incorrect_cvc', 'incorrect_cvc', 'cvc'],
  ]

  it.each(declines)(
    '%s tokenizes, then fails with code %s / decline_code %s',
    async (name, code, declineCode, param) => {
      const stripe = h.stripe()
      const pm = await h.tokenize(name)
      const error = await rejectionOf(charge(stripe, pm.id, { metadata: { order: name } }))
      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError)
      expect(error).toMatchObject({
        statusCode: 402,
        rawType: 'card_error',
        code,
        decline_code: declineCode,
      })
      expect(error.param).toBe(param)
      expect(error.doc_url).toBe(`https://stripe.com/docs/error-codes/${code.replaceAll('_', '-')}`)
      const pi = error.payment_intent as Stripe.PaymentIntent
      expect(pi).toMatchObject({
        object: 'payment_intent',
        status: 'requires_payment_method',
        payment_method: null,
        metadata: { order: name },
      })
      expect(pi.last_payment_error).toMatchObject({
        type: 'card_error',
        code,
        decline_code: declineCode,
        payment_method: { id: pm.id },
      })
      expect((error.payment_method as Stripe.PaymentMethod).id).toBe(pm.id)
      // The failed charge exists, as on Stripe.
      expect(error.charge).toMatch(/^ch_/)
      const failed = await stripe.charges.retrieve(error.charge as string)
      expect(failed).toMatchObject({
        status: 'failed',
        paid: false,
        failure_code: code,
        payment_intent: pi.id,
        outcome: { reason: expect.any(String) },
      })
      expect(pi.latest_charge).toBe(failed.id)
      const retrieved = await stripe.paymentIntents.retrieve(pi.id)
      expect(retrieved.status).toBe('requires_payment_method')
      expect(h.emu.charges({ status: 'failed' })).toMatchObject([
        { id: failed.id, failure_code: code },
      ])
      expect(h.emu.charges({ status: 'succeeded' })).toHaveLength(0)
    },
  )

  it('shows Radar blocks as blocked charges', async () => {
    const error = await rejectionOf(charge(h.stripe(), 'pm_card_radarBlock'))
    const failed = await h.stripe().charges.retrieve(error.charge as string)
    expect(failed.outcome).toMatchObject({
      type: 'blocked',
      risk_level: 'highest',
      network_status: 'not_sent_to_network',
    })
  })

  it.each([
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_visa_chargeDeclined', 'generic_decline'],
    ['pm_card_visa_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ['pm_card_visa_chargeDeclinedLostCard', 'lost_card'],
    ['pm_card_visa_chargeDeclinedStolenCard', 'stolen_card'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc'],
    ['pm_card_chargeDeclinedProcessingError', 'processing_error'],
    ['pm_card_radarBlock', 'fraudulent'],
  ])('the magic id %s declines with %s', async (id, declineCode) => {
    const error = await rejectionOf(charge(h.stripe(), id))
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError)
    expect(error.decline_code).toBe(declineCode)
  })

  it('declines cards like …0002 already when they are attached to a customer; …0341 attaches and fails later', async () => {
    const stripe = h.stripe()
    const customer = await stripe.customers.create({})
    const attachError = await rejectionOf(
      stripe.paymentMethods.attach((await h.tokenize('genericDecline')).id, {
        customer: customer.id,
      }),
    )
    expect(attachError).toMatchObject({
      type: 'StripeCardError',
      code: 'card_declined',
      decline_code: 'generic_decline',
    })
    const createError = await rejectionOf(
      stripe.customers.create({ payment_method: (await h.tokenize('lostCard')).id }),
    )
    expect(createError).toMatchObject({ type: 'StripeCardError', decline_code: 'lost_card' })
    const pm = await h.tokenize('chargeCustomerFail')
    await stripe.paymentMethods.attach(pm.id, { customer: customer.id })
    const error = await rejectionOf(
      charge(stripe, pm.id, { customer: customer.id, off_session: true }),
    )
    expect(error).toMatchObject({
      type: 'StripeCardError',
      code: 'card_declined',
      decline_code: 'generic_decline',
    })
  })

  it('passes the CVC-check card when no CVC was given', async () => {
    const pm = await h.publishable().paymentMethods.create({
      type: 'card',
      card: {
        number: TEST_CARDS.cvcCheckFail.number,
        exp_month: 1,
        exp_year: new Date().getFullYear() + 2,
      },
    })
    expect(pm.card?.checks?.cvc_check).toBeNull()
    await expect(charge(h.stripe(), pm.id)).resolves.toMatchObject({ status: 'succeeded' })
  })
})

describe('rejected at tokenization', () => {
  const year = new Date().getFullYear()
  const cases: [string, Record<string, string | number>, string, string][] = [
    [
      'a number failing the Luhn check',
      { number: '4242424242424241' },
      'incorrect_number',
      'number',
    ],
    ['a number with letters', { number: '4242abcd42424242' }, 'incorrect_number', 'number'],
    ['a too short number', { number: '42424242' }, 'incorrect_number', 'number'],
    ['month 13', { exp_month: 13 }, 'invalid_expiry_month', 'exp_month'],
    ['month 0', { exp_month: 0 }, 'invalid_expiry_month', 'exp_month'],
    ['a past year', { exp_year: year - 1 }, 'invalid_expiry_year', 'exp_year'],
    ['a year too far ahead', { exp_year: year + 60 }, 'invalid_expiry_year', 'exp_year'],
    ['a two-digit CVC', { cvc: '12' }, 'invalid_cvc', 'cvc'],
    ['a CVC with letters', { cvc: '12a' }, 'invalid_cvc', 'cvc'],
  ]
  if (new Date().getMonth() > 0)
    cases.push([
      'a past month of this year',
      { exp_month: new Date().getMonth(), exp_year: year },
      'invalid_expiry_month',
      'exp_month',
    ])

  it.each(cases)(
    'refuses %s (PaymentMethods, publishable key)',
    async (_what, change, code, field) => {
      const error = await rejectionOf(
        h.publishable().paymentMethods.create({
          type: 'card',
          card: {
            ...testCardParams('visa'),
            ...change,
          } as unknown as Stripe.PaymentMethodCreateParams.Card,
        }),
      )
      expect(error).toBeInstanceOf(Stripe.errors.StripeCardError)
      expect(error).toMatchObject({ statusCode: 402, code, param: `card[${field}]` })
      expect(h.emu.requests({ path: '/v1/payment_methods' })).toMatchObject([{ status: 402 }])
    },
  )

  it.each(cases)('refuses %s (tokens, publishable key)', async (_what, change, code) => {
    const error = await rejectionOf(
      h.publishable().tokens.create({ card: tokenCard('visa', change) }),
    )
    expect(error).toBeInstanceOf(Stripe.errors.StripeCardError)
    expect(error.code).toBe(code)
  })

  it('accepts spaces in the number and two-digit years', async () => {
    const pm = await h.publishable().paymentMethods.create({
      type: 'card',
      card: {
        number: '4242 4242 4242 4242',
        exp_month: 4,
        exp_year: (year + 2) % 100,
        cvc: '123',
      },
    })
    expect(pm.card).toMatchObject({ last4: '4242', exp_month: 4, exp_year: year + 2 })
  })

  it('answers missing card fields with parameter_missing', async () => {
    const error = await rejectionOf(
      h.publishable().paymentMethods.create({
        type: 'card',
        card: { exp_month: 1, exp_year: year + 1 } as Stripe.PaymentMethodCreateParams.Card,
      }),
    )
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(error).toMatchObject({
      statusCode: 400,
      code: 'parameter_missing',
      param: 'card[number]',
    })
    const noType = await rejectionOf(
      h.publishable().paymentMethods.create({
        card: testCardParams('visa'),
      } as Stripe.PaymentMethodCreateParams),
    )
    expect(noType).toMatchObject({ code: 'parameter_missing', param: 'type' })
  })
})

describe('fingerprints', () => {
  it('are 16 alphanumeric characters, stable per card number, blind to expiry and CVC', async () => {
    const pk = h.publishable()
    const a = await pk.paymentMethods.create({
      type: 'card',
      card: testCardParams('visa', { exp_month: 1, cvc: '111' }),
    })
    const b = await pk.paymentMethods.create({
      type: 'card',
      card: testCardParams('visa', {
        exp_month: 7,
        exp_year: new Date().getFullYear() + 6,
        cvc: '999',
      }),
    })
    const other = await h.tokenize('mastercard')
    expect(a.card?.fingerprint).toMatch(/^[A-Za-z0-9]{16}$/)
    expect(b.card?.fingerprint).toBe(a.card?.fingerprint)
    expect(other.card?.fingerprint).not.toBe(a.card?.fingerprint)
    expect(a.card?.fingerprint).toBe(expectedFingerprint('emulator', TEST_CARDS.visa.number))
  })

  it('differ between accounts for the same card', async () => {
    const here = await h.tokenize('visa', 'merchant_a')
    const there = await h.tokenize('visa', 'merchant_b')
    expect(here.card?.fingerprint).not.toBe(there.card?.fingerprint)
  })

  it('match between tokens, PaymentMethods, magic ids and charges of one account', async () => {
    const stripe = h.stripe()
    const token = await h.publishable().tokens.create({ card: tokenCard('visa') })
    const fromToken = await h
      .publishable()
      .paymentMethods.create({ type: 'card', card: { token: token.id } })
    const magic = await stripe.paymentMethods.retrieve('pm_card_visa')
    const pi = await charge(stripe, fromToken.id)
    expect(token.card?.fingerprint).toBe(fromToken.card?.fingerprint)
    expect(magic.card?.fingerprint).toBe(token.card?.fingerprint)
    expect((pi.latest_charge as Stripe.Charge).payment_method_details?.card?.fingerprint).toBe(
      token.card?.fingerprint,
    )
    expect(h.emu.charges()[0]?.fingerprint).toBe(token.card?.fingerprint)
  })
})

describe('tokens', () => {
  it('carry the legacy card object and are single-use', async () => {
    const pk = h.publishable()
    const token = await pk.tokens.create({ card: tokenCard('amex') })
    expect(token).toMatchObject({
      object: 'token',
      type: 'card',
      used: false,
      livemode: false,
      card: { object: 'card', brand: 'American Express', last4: '0005' },
    })
    expect(token.card?.id).toMatch(/^card_/)
    const pm = await pk.paymentMethods.create({ type: 'card', card: { token: token.id } })
    expect(pm.card?.brand).toBe('amex')
    const reused = await rejectionOf(
      pk.paymentMethods.create({ type: 'card', card: { token: token.id } }),
    )
    expect(reused).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(reused.code).toBe('token_already_used')
    expect((await h.stripe().tokens.retrieve(token.id)).used).toBe(true)
  })

  it('work as payment_method_data and keep the decline behaviour of their card', async () => {
    const stripe = h.stripe()
    const ok = await stripe.paymentIntents.create({
      amount: 700,
      currency: 'eur',
      confirm: true,
      payment_method_data: {
        type: 'card',
        card: { token: 'tok_visa' },
      } as unknown as Stripe.PaymentIntentCreateParams.PaymentMethodData,
      allowed_payment_method_types: ['card'],
    })
    expect(ok.status).toBe('succeeded')
    const token = await h.publishable().tokens.create({ card: tokenCard('insufficientFunds') })
    const error = await rejectionOf(
      stripe.paymentIntents.create({
        amount: 700,
        currency: 'eur',
        confirm: true,
        payment_method_data: {
          type: 'card',
          card: { token: token.id },
        } as unknown as Stripe.PaymentIntentCreateParams.PaymentMethodData,
        allowed_payment_method_types: ['card'],
      }),
    )
    expect(error.decline_code).toBe('insufficient_funds')
  })

  it('answers an unknown token with resource_missing', async () => {
    const error = await rejectionOf(
      h.publishable().paymentMethods.create({ type: 'card', card: { token: 'tok_doesnotexist' } }),
    )
    expect(error).toMatchObject({
      type: 'StripeInvalidRequestError',
      code: 'resource_missing',
      param: 'card[token]',
    })
  })
})
