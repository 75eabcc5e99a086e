/** Card-testing defences: 429 on failed payments per address and per card, and on top-ups. */
import { describe, expect, it } from 'vitest'
import {
  CARDS,
  expectDeny,
  expectPaid,
  pay,
  req,
  required,
  useEmulator,
} from '../test/support/harness'

const h = useEmulator()

describe('card-testing defences', () => {
  it('limits failed payments per client address, answering 429 with Retry-After before calling Stripe', async () => {
    const { paywall, events } = h.paywall({
      rateLimits: { failedPaymentsPerAddress: { limit: 3, windowMs: 60_000 } },
    })
    const from = { clientAddress: '198.51.100.7' }
    for (let i = 0; i < 3; i++) {
      const outcome = await paywall.begin(
        req('/api/joke', { payment: pay({ paymentMethodId: await h.card(CARDS.declined) }) }),
        from,
      )
      expect(required(outcome).error).toBe('card_declined')
    }
    const pm = await h.card(CARDS.visa)
    const charges = h.emu.charges().length
    const limited = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: pm }) }), from),
    )
    expect(limited.status).toBe(429)
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0)
    expect(JSON.parse(limited.body)).toMatchObject({ error: 'rate_limited' })
    expect(h.emu.charges()).toHaveLength(charges)
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'rate_limited', limit: 'failed_payments_per_address' }),
    )
    // Another address is not affected.
    expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: pm }) }), {
        clientAddress: '198.51.100.8',
      }),
    )
  })

  it('counts every address of one IPv6 /64 as one address, however it is written', async () => {
    const { paywall, events } = h.paywall({
      rateLimits: { failedPaymentsPerAddress: { limit: 3, windowMs: 60_000 } },
    })
    // One customer's /64 holds 2^64 addresses: a card tester rotates through them.
    const rotating = ['2001:db8:1:2::a', '2001:DB8:1:2:0:0:0:b', '2001:0db8:0001:0002:ffff::c']
    for (const clientAddress of rotating) {
      const outcome = await paywall.begin(
        req('/api/joke', { payment: pay({ paymentMethodId: await h.card(CARDS.declined) }) }),
        { clientAddress },
      )
      expect(required(outcome).error).toBe('card_declined')
    }
    const pm = await h.card(CARDS.visa)
    const charges = h.emu.charges().length
    const limited = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: pm }) }), {
        clientAddress: '2001:db8:1:2:1234:5678:9abc:def0%eth0',
      }),
    )
    expect(limited.status).toBe(429)
    expect(h.emu.charges()).toHaveLength(charges)
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'rate_limited', limit: 'failed_payments_per_address' }),
    )
    // The next /64 is another customer.
    expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: pm }) }), {
        clientAddress: '2001:db8:1:3::a',
      }),
    )
  })

  it('counts unknown PaymentMethods as failures too', async () => {
    const { paywall } = h.paywall({
      rateLimits: { failedPaymentsPerAddress: { limit: 2, windowMs: 60_000 } },
    })
    const from = { clientAddress: '::ffff:198.51.100.9' }
    for (let i = 0; i < 2; i++)
      await paywall.begin(
        req('/api/joke', { payment: pay({ paymentMethodId: `pm_nope${i}` }) }),
        from,
      )
    expect(
      expectDeny(
        await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: 'pm_nope' }) }), {
          clientAddress: '198.51.100.9',
        }),
      ).status,
    ).toBe(429)
  })

  it('limits failed payments per card, whatever the address', async () => {
    const { paywall } = h.paywall({
      rateLimits: { failedPaymentsPerCard: { limit: 2, windowMs: 60_000 } },
    })
    for (let i = 0; i < 2; i++) {
      await paywall.begin(
        req('/api/joke', {
          payment: pay({ paymentMethodId: await h.card(CARDS.insufficientFunds) }),
        }),
        { clientAddress: `10.0.0.${i}` },
      )
    }
    const limited = expectDeny(
      await paywall.begin(
        req('/api/joke', {
          payment: pay({ paymentMethodId: await h.card(CARDS.insufficientFunds) }),
        }),
        { clientAddress: '10.0.0.99' },
      ),
    )
    expect(limited.status).toBe(429)
    expect(h.emu.charges()).toHaveLength(2)
  })

  it('limits top-ups per account', async () => {
    const { paywall } = h.paywall({
      routes: { 'GET /api/big': { amount: 5_000 } },
      rateLimits: { topUpsPerAccount: { limit: 2, windowMs: 60_000 } },
    })
    for (let i = 0; i < 2; i++)
      expectPaid(
        await paywall.begin(req('/api/big', { payment: pay({ paymentMethodId: await h.card() }) })),
      )
    const limited = expectDeny(
      await paywall.begin(req('/api/big', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(limited.status).toBe(429)
    expect(h.emu.charges()).toHaveLength(2)
  })

  it('can be turned off', async () => {
    const { paywall } = h.paywall({ rateLimits: false })
    const from = { clientAddress: '198.51.100.10' }
    for (let i = 0; i < 25; i++) {
      const outcome = await paywall.begin(
        req('/api/joke', { payment: pay({ paymentMethodId: 'pm_unknown' }) }),
        from,
      )
      expect(required(outcome).error).toBe('invalid_payment')
    }
  })
})
