import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { testCardParams } from './cards/test-params'
import { rejectionOf, tokenCard, useEmulator, messageOf } from '../test/support/harness'

const h = useEmulator()

/** A client whose requests carry whatever Authorization header `authorize` sets (or none). */
function customAuth(authorize: (headers: Record<string, string>) => void): Stripe {
  return new Stripe('', {
    ...h.emu.sdkConfig(),
    maxNetworkRetries: 0,
    // The SDK supports a custom authenticator; its types do not list it.
    authenticator: async (request: { headers: Record<string, string> }) => {
      delete request.headers.Authorization
      authorize(request.headers)
    },
  } as Stripe.StripeConfig)
}

describe('secret keys', () => {
  it('accepts any sk_test_<account> with Bearer auth and answers with a Request-Id', async () => {
    const customer = await h.stripe('acme').customers.create({ email: 'a@example.com' })
    expect(customer.id).toMatch(/^cus_/)
    expect(customer.lastResponse.requestId).toMatch(/^req_/)
    expect(customer.lastResponse.headers['request-id']).toBe(customer.lastResponse.requestId)
    expect(h.emu.requests({ path: '/v1/customers' })).toMatchObject([
      { method: 'POST', account: 'acme', status: 200 },
    ])
  })

  it('accepts Basic auth with the key as user name, as curl -u sk_test_x: sends it', async () => {
    const basic = customAuth((headers) => {
      headers.Authorization = `Basic ${Buffer.from('sk_test_basic:').toString('base64')}`
    })
    const customer = await basic.customers.create({ name: 'Basic' })
    const again = await h.stripe('basic').customers.retrieve(customer.id)
    expect(again.id).toBe(customer.id)
  })

  it('gives keys only for account names made of letters, digits and _, as Stripe keys are', () => {
    expect(h.emu.keys('shop_2')).toEqual({
      secretKey: 'sk_test_shop_2',
      publishableKey: 'pk_test_shop_2',
    })
    // A pk_test_my-shop would be refused by clients and by the conformance suite's key check.
    for (const name of ['my-shop', 'a b', '', 'é'])
      expect(() => h.emu.keys(name)).toThrow(/letters, digits and _/)
  })

  it('keeps accounts apart: an object of one account is missing in another', async () => {
    const customer = await h.stripe('one').customers.create({})
    const error = await rejectionOf(h.stripe('two').customers.retrieve(customer.id))
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(error.statusCode).toBe(404)
    expect(error.code).toBe('resource_missing')
    expect(error.param).toBe('id')
    expect(messageOf(error)).toBe(`No such customer: '${customer.id}'`)
  })

  it('refuses a request without a key with 401', async () => {
    const error = await rejectionOf(customAuth(() => {}).customers.list())
    expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError)
    expect(error.statusCode).toBe(401)
    expect(messageOf(error)).toMatch(/You did not provide an API key/)
    expect(error.requestId).toMatch(/^req_/)
  })

  it.each(['nope', 'sk_test_', 'sk_test_bad key', 'sk_live_realmoney', 'rk_test_restricted'])(
    'refuses the malformed or unknown key %j with 401',
    async (key) => {
      const error = await rejectionOf(
        new Stripe(key, { ...h.emu.sdkConfig(), maxNetworkRetries: 0 }).customers.list(),
      )
      expect(error).toBeInstanceOf(Stripe.errors.StripeAuthenticationError)
      expect(error.statusCode).toBe(401)
      expect(messageOf(error)).toMatch(/^Invalid API Key provided/)
      expect(messageOf(error)).not.toContain(key.slice(8, -4) || '\u0000')
    },
  )

  it('answers an unknown URL with 404 like Stripe', async () => {
    const error = await rejectionOf(h.stripe().rawRequest('GET', '/v1/not_a_resource'))
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(error.statusCode).toBe(404)
    expect(messageOf(error)).toMatch(/Unrecognized request URL \(GET: \/v1\/not_a_resource\)/)
  })
})

describe('publishable keys', () => {
  it('may create PaymentMethods and tokens, which the secret key of the same account can use', async () => {
    const pk = h.publishable('shop')
    const pm = await pk.paymentMethods.create({ type: 'card', card: testCardParams('visa') })
    const token = await pk.tokens.create({ card: tokenCard('mastercard') })
    expect(pm.id).toMatch(/^pm_/)
    expect(token.id).toMatch(/^tok_/)
    const sk = h.stripe('shop')
    const pi = await sk.paymentIntents.create({
      amount: 1000,
      currency: 'usd',
      payment_method: pm.id,
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    expect(pi.status).toBe('succeeded')
    const other = await rejectionOf(h.stripe('elsewhere').paymentMethods.retrieve(pm.id))
    expect(other.statusCode).toBe(404)
  })

  it.each([
    ['customers.create', (s: Stripe) => s.customers.create({})],
    ['customers.list', (s: Stripe) => s.customers.list()],
    [
      'paymentIntents.create',
      (s: Stripe) => s.paymentIntents.create({ amount: 500, currency: 'usd' }),
    ],
    ['paymentMethods.retrieve', (s: Stripe) => s.paymentMethods.retrieve('pm_card_visa')],
    [
      'paymentMethods.attach',
      (s: Stripe) => s.paymentMethods.attach('pm_card_visa', { customer: 'cus_x' }),
    ],
    ['refunds.create', (s: Stripe) => s.refunds.create({ charge: 'ch_x' })],
    ['charges.retrieve', (s: Stripe) => s.charges.retrieve('ch_x')],
    ['tokens.retrieve', (s: Stripe) => s.tokens.retrieve('tok_visa')],
  ])('may not call %s (403)', async (_name, call) => {
    const error = await rejectionOf(call(h.publishable('shop')))
    expect(error).toBeInstanceOf(Stripe.errors.StripePermissionError)
    expect(error.statusCode).toBe(403)
    expect(messageOf(error)).toMatch(/cannot be made with a publishable API key/)
  })

  it('is logged under its account', async () => {
    await rejectionOf(h.publishable('shop').customers.list())
    expect(h.emu.requests({ account: 'shop' })).toMatchObject([
      { method: 'GET', path: '/v1/customers', status: 403 },
    ])
  })
})
