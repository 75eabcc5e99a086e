/** The price list and the OpenAPI fragment. */
import { DiscoveryDocumentSchema } from '@stripe402/protocol'
import { describe, expect, it } from 'vitest'
import { req, useEmulator } from '../../test/support/harness'

const h = useEmulator()

const routes = {
  'GET /api/weather': {
    amount: 1_000,
    description: 'Weather now',
    mimeType: 'application/json',
    maxTopUp: 100_000,
  },
  'GET /users/:id': { amount: 200 },
  '/api/*': { amount: 100 },
  'POST /api/search': { amount: () => 300, currency: 'eur' },
}

describe('the price list', () => {
  it('is served at GET /.well-known/stripe402 and lists every paid route', async () => {
    const { paywall } = h.paywall({ routes })
    const outcome = await paywall.begin(req('/.well-known/stripe402'))
    if (outcome.type !== 'respond') throw new Error(`expected respond, got ${outcome.type}`)
    expect(outcome.status).toBe(200)
    expect(outcome.headers['content-type']).toMatch(/^application\/json/)
    expect(JSON.parse(outcome.body)).toEqual(paywall.priceList())
    // The document is exactly what the protocol defines, so any client can parse it.
    expect(DiscoveryDocumentSchema.parse(JSON.parse(outcome.body))).toEqual(paywall.priceList())
    expect(paywall.priceList()).toEqual({
      stripe402Version: 1,
      publishableKey: h.emu.keys().publishableKey,
      extensions: ['maxAmount', 'idempotencyKey', 'originBinding'],
      routes: [
        {
          method: 'GET',
          path: '/api/weather',
          amount: 1_000,
          currency: 'usd',
          minTopUp: 5_000,
          maxTopUp: 100_000,
          description: 'Weather now',
          mimeType: 'application/json',
        },
        { method: 'GET', path: '/users/:id', amount: 200, currency: 'usd', minTopUp: 5_000 },
        { method: '*', path: '/api/*', amount: 100, currency: 'usd', minTopUp: 5_000 },
        {
          method: 'POST',
          path: '/api/search',
          amount: 'dynamic',
          currency: 'eur',
          minTopUp: 5_000,
        },
      ],
    })
  })

  it('moves or turns off with the discovery option', async () => {
    const moved = h.paywall({ discovery: { path: '/pricing' } }).paywall
    expect((await moved.begin(req('/pricing'))).type).toBe('respond')
    expect((await moved.begin(req('/.well-known/stripe402'))).type).toBe('free')
    const off = h.paywall({ discovery: false }).paywall
    expect((await off.begin(req('/.well-known/stripe402'))).type).toBe('free')
  })

  it('is not reachable with a POST', async () => {
    const { paywall } = h.paywall()
    expect((await paywall.begin(req('/.well-known/stripe402', { method: 'POST' }))).type).toBe(
      'free',
    )
  })
})

describe('the OpenAPI fragment', () => {
  it('describes each paid operation with its payment header, 402 response and price', async () => {
    const { paywall } = h.paywall({ routes })
    const doc = paywall.openapi()
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths ?? {})).toEqual([
      '/api/weather',
      '/users/{id}',
      '/api/{path}',
      '/api/search',
    ])
    const weather = doc.paths!['/api/weather']!.get!
    expect(weather.parameters).toContainEqual(
      expect.objectContaining({ name: 'payment', in: 'header', required: false }),
    )
    expect(weather.responses?.['200'].headers['payment-response']).toBeDefined()
    expect(weather.responses?.['402'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Stripe402PaymentRequired',
    })
    expect(weather['x-stripe402']).toEqual({
      amount: 1_000,
      currency: 'usd',
      minTopUp: 5_000,
      maxTopUp: 100_000,
      description: 'Weather now',
    })
    expect(doc.paths!['/users/{id}']!.get!.parameters).toContainEqual({
      name: 'id',
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })
    expect(Object.keys(doc.paths!['/api/{path}']!)).toEqual([
      'get',
      'post',
      'put',
      'patch',
      'delete',
    ])
    expect(doc.paths!['/api/search']!.post!['x-stripe402']).toMatchObject({
      amount: 'dynamic',
      currency: 'eur',
    })
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual([
      'Stripe402PaymentRequired',
      'Stripe402PaymentPayload',
      'Stripe402PaymentResponse',
    ])
  })
})
