/** createPaywall refuses, at startup, a route whose 402 challenge could not fit the header every peer accepts. */
import { describe, expect, it } from 'vitest'
import { Stripe402ConfigError } from './config/errors'
import { MemoryLedger } from './ledger/memory'
import { createPaywall } from './paywall'

const config = (description: string) => ({
  stripe: {
    secretKey: 'sk_test_paywall',
    publishableKey: 'pk_test_paywall',
    apiBase: 'http://127.0.0.1:9',
  },
  secret: 'paywall-test-secret-0123456789abcdefghijklmnop',
  ledger: new MemoryLedger(),
  routes: {
    'GET /api/free-text': { amount: 500 },
    'GET /api/report': { amount: 500, description },
  },
  logger: { warn: () => {}, error: () => {} },
})

describe('createPaywall: challenge size', () => {
  it('refuses a route whose description leaves no room in the 8 KiB challenge, naming the route', () => {
    const create = () => createPaywall(config('報'.repeat(1_000)))
    expect(create).toThrow(Stripe402ConfigError)
    expect(create).toThrow(
      /routes\["GET \/api\/report"\]\.description: the 402 challenge would leave 0 bytes/,
    )
  })

  it('accepts the longest ASCII description the schema allows', () => {
    expect(() => createPaywall(config('d'.repeat(1_024)))).not.toThrow()
  })
})
