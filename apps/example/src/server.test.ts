/** The example API never runs in production on its public built-in secret. */
import { MemoryLedger } from '@stripe402/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { exampleSecret, startApi } from './server'

describe('the example server secret', () => {
  afterEach(() => vi.unstubAllEnvs())

  it('refuses to start with NODE_ENV=production and no STRIPE402_SECRET', async () => {
    expect(() => exampleSecret({ NODE_ENV: 'production' })).toThrow(/STRIPE402_SECRET is required/)
    vi.stubEnv('NODE_ENV', 'production')
    vi.stubEnv('STRIPE402_SECRET', '')
    const ledger = { ledger: new MemoryLedger(), label: 'memory', close: async () => {} }
    await expect(
      startApi({
        port: 0,
        stripe: { secretKey: 'sk_test_x', publishableKey: 'pk_test_x' },
        ledger,
      }),
    ).rejects.toThrow(/STRIPE402_SECRET is required/)
  })

  it('uses STRIPE402_SECRET when set, and the public one only outside production', () => {
    expect(
      exampleSecret({
        NODE_ENV: 'production',
        STRIPE402_SECRET: 'kR8vQ2mN5pL9xT3wZ7yB1cF4hJ6gD0sA',
      }),
    ).toBe('kR8vQ2mN5pL9xT3wZ7yB1cF4hJ6gD0sA')
    expect(exampleSecret({})).toMatch(/^example-only/)
  })
})
