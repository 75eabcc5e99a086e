/** Stripe outages, timeouts and refusals become 503s with nothing credited. */
import { describe, expect, it } from 'vitest'
import { expectDeny, expectPaid, pay, req, useEmulator } from '../../test/support/harness'

const h = useEmulator()

describe('Stripe faults', () => {
  it.each([
    ['a 500', { status: 500 }],
    ['a 429', { status: 429 }],
    ['a 409 lock timeout', { status: 409 }],
    ['a hang past the timeout', { hang: true }],
    ['a dropped connection', { drop: true, times: 2 }],
  ])(
    '%s on the charge → 503 payment_unavailable with Retry-After, nothing credited',
    async (_name, fault) => {
      const { paywall, ledger } = h.paywall({
        stripe: { ...h.emu.keys(), apiBase: h.emu.url, maxNetworkRetries: 0, timeoutMs: 300 },
      })
      h.emu.inject({ path: '/v1/payment_intents', ...fault })
      const outcome = expectDeny(
        await paywall.begin(
          req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) }),
        ),
      )
      expect(outcome.status).toBe(503)
      expect(outcome.headers['retry-after']).toBe('2')
      expect(JSON.parse(outcome.body)).toMatchObject({ error: 'payment_unavailable' })
      expect(h.emu.charges()).toEqual([])
      // Stripe is back: charged once and served, from exactly one top-up.
      const served = expectPaid(
        await paywall.begin(
          req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) }),
        ),
      )
      expect(h.emu.charges()).toHaveLength(1)
      expect((await ledger.journal(served.payment.accountId)).map((e) => e.kind)).toEqual([
        'top_up',
        'debit',
      ])
    },
  )

  it.each([
    ['a 500', { status: 500 }],
    ['a hang', { hang: true }],
  ])('%s on the PaymentMethod lookup → 503, no charge', async (_name, fault) => {
    const { paywall } = h.paywall({
      stripe: { ...h.emu.keys(), apiBase: h.emu.url, maxNetworkRetries: 0, timeoutMs: 300 },
    })
    h.emu.inject({ path: /^\/v1\/payment_methods\/pm_/, ...fault })
    const outcome = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(outcome.status).toBe(503)
    expect(h.emu.charges()).toEqual([])
  })

  it('retries a transient failure by itself when retries are on, charging once', async () => {
    const { paywall } = h.paywall({
      stripe: { ...h.emu.keys(), apiBase: h.emu.url, maxNetworkRetries: 2, timeoutMs: 2_000 },
    })
    h.emu.inject({ path: '/v1/payment_intents', status: 500 })
    expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(h.emu.charges()).toHaveLength(1)
  })

  it("answers 503 and logs an error when Stripe refuses the server's key", async () => {
    const { paywall, logs } = h.paywall({
      stripe: {
        secretKey: 'sk_test_',
        publishableKey: h.emu.keys().publishableKey,
        apiBase: h.emu.url,
        maxNetworkRetries: 0,
      },
    })
    const outcome = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(outcome.status).toBe(503)
    expect(JSON.parse(outcome.body).message).toMatch(/API key/)
    expect(logs.some((l) => l.level === 'error')).toBe(true)
  })
})
