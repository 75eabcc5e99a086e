import { describe, expect, it } from 'vitest'
import { DiscoveryDocumentSchema, DiscoveryRouteSchema, WELL_KNOWN_PATH } from './discovery'

const doc = {
  stripe402Version: 1,
  publishableKey: 'pk_test_123',
  extensions: ['maxAmount', 'idempotencyKey'],
  routes: [
    {
      method: 'GET',
      path: '/api/weather',
      amount: 500,
      currency: 'usd',
      minTopUp: 5000,
      description: 'Weather',
      mimeType: 'application/json',
    },
    {
      method: '*',
      path: '/api/llm/*',
      amount: 'dynamic',
      currency: 'usd',
      minTopUp: 5000,
      maxTopUp: 1_000_000,
    },
    { method: 'POST', path: '/users/:id/report', amount: 0, currency: 'jpy', minTopUp: 500_000 },
  ],
}

describe('discovery document', () => {
  it('lives at /.well-known/stripe402', () => {
    expect(WELL_KNOWN_PATH).toBe('/.well-known/stripe402')
  })

  it('parses a price list with fixed and dynamic prices', () => {
    expect(DiscoveryDocumentSchema.parse(doc)).toEqual(doc)
  })

  it('tolerates and strips unknown fields', () => {
    const parsed = DiscoveryDocumentSchema.parse({
      ...doc,
      operator: 'acme',
      routes: [{ ...doc.routes[0], tags: ['x'] }],
    })
    expect(parsed).not.toHaveProperty('operator')
    expect(parsed.routes[0]).not.toHaveProperty('tags')
  })

  it.each([
    ['a lower-case method', { method: 'get' }],
    ['a relative path', { path: 'api/weather' }],
    ['a negative price', { amount: -1 }],
    ['a price that is another word', { amount: 'free' }],
    ['an upper-case currency', { currency: 'USD' }],
    ['a fractional minTopUp', { minTopUp: 0.5 }],
  ])('refuses a route with %s', (_name, change) => {
    expect(DiscoveryRouteSchema.safeParse({ ...doc.routes[0], ...change }).success).toBe(false)
  })

  it('requires version 1, a publishable key and the extension list', () => {
    expect(DiscoveryDocumentSchema.safeParse({ ...doc, stripe402Version: 2 }).success).toBe(false)
    expect(DiscoveryDocumentSchema.safeParse({ ...doc, publishableKey: '' }).success).toBe(false)
    const { extensions: _e, ...withoutExtensions } = doc
    expect(DiscoveryDocumentSchema.safeParse(withoutExtensions).success).toBe(false)
  })
})
