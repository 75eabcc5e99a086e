/** The example API never runs in production on its public built-in secret. */
import { MemoryLedger } from '@stripe402/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { demoLogger, exampleSecret, startApi } from './server'

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

describe('the example server warnings', () => {
  afterEach(() => vi.restoreAllMocks())

  it('still tells an operator who starts it about the public secret and the missing webhook', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const ledger = { ledger: new MemoryLedger(), label: 'memory', close: async () => {} }
    const api = await startApi({
      port: 0,
      stripe: { secretKey: 'sk_test_x', publishableKey: 'pk_test_x' },
      ledger,
    })
    await api.close()
    const printed = warn.mock.calls.map((c) => c.join(' ')).join('\n')
    expect(printed).toMatch(/config secret is weak/)
    expect(printed).toMatch(/no webhook configured/)
  })

  it("the demo's logger drops only the warnings about the example's own setup", () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    demoLogger({}).warn('config secret is weak (placeholder)')
    demoLogger({}).warn('no webhook configured: …')
    expect(warn).not.toHaveBeenCalled()
    demoLogger({}).warn('onEvent listener threw; ignored')
    demoLogger({ STRIPE402_SECRET: 'changeme' }).warn('config secret is weak (placeholder)')
    demoLogger({ STRIPE_WEBHOOK_SECRET: 'whsec_x' }).warn('no webhook configured: …')
    expect(warn).toHaveBeenCalledTimes(3)
  })
})
