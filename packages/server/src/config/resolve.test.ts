/** createPaywall refuses bad configs at startup, naming the field, and fills in defaults. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MemoryLedger } from '../ledger/memory'
import { createPaywall } from '../paywall'
import { Stripe402ConfigError } from './errors'
import type { PaywallConfig } from './schema'

const STRONG = 'kR8vQ2mN5pL9xT3wZ7yB1cF4hJ6gD0sA'

function config(overrides: Partial<PaywallConfig> = {}): PaywallConfig {
  return {
    stripe: { secretKey: 'sk_test_x', publishableKey: 'pk_test_x' },
    secret: STRONG,
    ledger: new MemoryLedger(),
    routes: { 'GET /api/joke': { amount: 500 } },
    logger: { warn: () => {}, error: () => {} },
    ...overrides,
  }
}

function configError(overrides: Partial<PaywallConfig>): Stripe402ConfigError {
  try {
    createPaywall(config(overrides))
  } catch (error) {
    expect(error).toBeInstanceOf(Stripe402ConfigError)
    return error as Stripe402ConfigError
  }
  throw new Error('createPaywall accepted the config')
}

describe('createPaywall config validation', () => {
  afterEach(() => vi.unstubAllEnvs())

  it('accepts a minimal config and fills in defaults', () => {
    const list = createPaywall(config()).priceList()
    expect(list.routes).toEqual([
      { method: 'GET', path: '/api/joke', amount: 500, currency: 'usd', minTopUp: 5_000 },
    ])
  })

  it.each<[string, Partial<PaywallConfig>, string, RegExp]>([
    [
      'a bad pattern',
      { routes: { 'FETCH /x': { amount: 1 } } },
      'routes["FETCH /x"]',
      /unknown method/,
    ],
    [
      'an unknown currency',
      { routes: { 'GET /x': { amount: 1, currency: 'xyz' } } },
      'routes["GET /x"].currency',
      /not a currency/,
    ],
    [
      'minTopUp below the Stripe minimum',
      { routes: { 'GET /x': { amount: 1, minTopUp: 4_999 } } },
      'routes["GET /x"].minTopUp',
      /the minimum is 5000 units/,
    ],
    [
      'a GBP minTopUp below its minimum',
      { routes: { 'GET /x': { amount: 1, currency: 'gbp', minTopUp: 2_000 } } },
      'routes["GET /x"].minTopUp',
      /the minimum is 3000 units/,
    ],
    [
      'maxTopUp below minTopUp',
      { routes: { 'GET /x': { amount: 1, minTopUp: 10_000, maxTopUp: 9_000 } } },
      'routes["GET /x"].maxTopUp',
      /below minTopUp/,
    ],
    [
      'an amount above maxTopUp',
      { routes: { 'GET /x': { amount: 20_000, maxTopUp: 10_000 } } },
      'routes["GET /x"].amount',
      /above maxTopUp/,
    ],
    [
      'a fractional amount',
      { routes: { 'GET /x': { amount: 1.5 } } },
      'routes["GET /x"].amount',
      /whole number/,
    ],
    [
      'a zero amount',
      { routes: { 'GET /x': { amount: 0 } } },
      'routes["GET /x"].amount',
      /positive/,
    ],
    [
      'an unknown route option',
      { routes: { 'GET /x': { amount: 1, price: 2 } as never } },
      'routes["GET /x"]',
      /price/,
    ],
    ['a missing secret', { secret: '' }, 'secret', /must not be empty/],
    [
      'a publishable key that is not pk_',
      { stripe: { secretKey: 'sk_test_x', publishableKey: 'sk_test_x' } },
      'stripe.publishableKey',
      /pk_/,
    ],
    [
      'a secret key that is not sk_ or rk_',
      { stripe: { secretKey: 'pk_test_x', publishableKey: 'pk_test_x' } },
      'stripe.secretKey',
      /sk_/,
    ],
    [
      'keys from different modes',
      { stripe: { secretKey: 'sk_live_x', publishableKey: 'pk_test_x' } },
      'stripe.publishableKey',
      /same mode/,
    ],
    ['no ledger', { ledger: undefined as never }, 'ledger', /Ledger/],
    ['an unknown option', { ledgr: 1 } as never, 'config', /ledgr/],
  ])('refuses %s, naming the field', (_name, overrides, field, message) => {
    const error = configError(overrides)
    expect(error.field).toBe(field)
    expect(error.message).toMatch(message)
  })

  it('reports every problem of a config at once, naming each field', () => {
    const error = configError({
      stripe: { publishableKey: 'sk_test_x' },
      routes: undefined as never,
    })
    expect(error.issues.map((issue) => issue.field)).toEqual([
      'stripe.publishableKey',
      'routes',
      'stripe.secretKey',
    ])
    expect(error.field).toBe('stripe.publishableKey')
    expect(error.message).toMatch(/3 problems/)
    for (const field of ['stripe.publishableKey', 'routes', 'stripe.secretKey']) {
      expect(error.message).toContain(`${field}: `)
    }
  })

  it('reports every bad route and a bad option together', () => {
    const error = configError({
      paywallId: 'has spaces',
      routes: { 'GET /a': { amount: 0 }, 'GET /b': { amount: 1, currency: 'xyz' } },
    })
    expect(error.issues.map((issue) => issue.field)).toEqual([
      'paywallId',
      'routes["GET /a"].amount',
      'routes["GET /b"].currency',
    ])
  })

  it('keeps the one-line message for a single problem', () => {
    const error = configError({ paywallId: 'has spaces' })
    expect(error.issues).toEqual([{ field: 'paywallId', message: expect.any(String) }])
    expect(error.message).toBe(`stripe402 config: paywallId: ${error.issues[0]?.message}`)
  })

  it('refuses a weak secret in production and warns about it otherwise', () => {
    const warnings: string[] = []
    createPaywall(
      config({ secret: 'changeme', logger: { warn: (m) => warnings.push(m), error: () => {} } }),
    )
    expect(warnings.join()).toMatch(/secret is weak/)
    vi.stubEnv('NODE_ENV', 'production')
    expect(configError({ secret: 'changeme' }).message).toMatch(
      /refused in production: it is a well-known example value/,
    )
    expect(configError({ secret: 'short-but-unique-secret' }).message).toMatch(/use at least 32/)
    expect(configError({ secret: [STRONG, 'old'] }).field).toBe('secret[1]')
    expect(() => createPaywall(config())).not.toThrow()
  })

  it('refuses a long secret made of placeholder words in production, whatever its length', () => {
    const placeholders = [
      'example-only-secret-change-me-in-production-0123456789',
      'your-secret-here-please-replace-0123456789abcdef',
      'CHANGE_ME_to_something_random_0123456789abcdef',
      'my-super-secret-key-for-stripe402-production-2024',
    ]
    const warnings: string[] = []
    for (const secret of placeholders)
      createPaywall(config({ secret, logger: { warn: (m) => warnings.push(m), error: () => {} } }))
    expect(warnings.filter((w) => /placeholder/.test(w))).toHaveLength(placeholders.length)
    vi.stubEnv('NODE_ENV', 'production')
    for (const secret of placeholders) {
      const error = configError({ secret })
      expect(error.message).toMatch(/refused in production: it reads like a placeholder/)
      expect(error.message).not.toContain(secret)
    }
    expect(() =>
      createPaywall(config({ secret: 'Zq7!xK2#mP9$wR4@tL6^vN8&bJ3*hF5%' })),
    ).not.toThrow()
  })

  it('warns at startup when no webhook is configured, naming the remedy', () => {
    const warnings: string[] = []
    createPaywall(config({ logger: { warn: (m) => warnings.push(m), error: () => {} } }))
    expect(warnings.join('\n')).toMatch(/no webhook configured.*reconcile/)
    warnings.length = 0
    createPaywall(
      config({
        webhook: { secret: 'whsec_x' },
        logger: { warn: (m) => warnings.push(m), error: () => {} },
      }),
    )
    expect(warnings.join('\n')).not.toMatch(/webhook/)
  })

  it('checks paywallId and stripe.httpClient', () => {
    expect(configError({ paywallId: 'has spaces' }).field).toBe('paywallId')
    expect(
      configError({
        stripe: { secretKey: 'sk_test_x', publishableKey: 'pk_test_x', httpClient: 'xhr' as never },
      }).field,
    ).toBe('stripe.httpClient')
    expect(() =>
      createPaywall(
        config({
          paywallId: 'api-prod',
          stripe: { secretKey: 'sk_test_x', publishableKey: 'pk_test_x', httpClient: 'fetch' },
        }),
      ),
    ).not.toThrow()
  })

  it('defaults minTopUp to what Stripe can charge, never below the route price', () => {
    const list = createPaywall(
      config({
        routes: {
          'GET /cheap': { amount: 1 },
          'GET /dear': { amount: 123_456 },
          'GET /yen': { amount: 100, currency: 'JPY' },
        },
      }),
    ).priceList()
    expect(list.routes.map((r) => [r.path, r.currency, r.minTopUp])).toEqual([
      ['/cheap', 'usd', 5_000],
      ['/dear', 'usd', 123_500],
      ['/yen', 'jpy', 500_000],
    ])
  })
})
