/** Origin binding (spec §7.4): a card relayed by another origin, or an unbound one alone, takes nothing. */
import { describe, expect, it } from 'vitest'
import { accountIdFor } from '../identity'
import {
  CARDS,
  expectDeny,
  expectPaid,
  ORIGIN,
  pay,
  paymentResponse,
  payWithNewCard,
  req,
  required,
  SECRET,
  useEmulator,
} from '../../test/support/harness'

const h = useEmulator()
const MALICIOUS = 'https://evil.example'

/** The agent paid ORIGIN once with its card: 5,000 units topped up, 500 spent. */
async function agentWithAccount(overrides: Parameters<typeof h.paywall>[0] = {}) {
  const setup = h.paywall(overrides)
  const { clientId, outcome } = await payWithNewCard(h, setup.paywall)
  const accountId = outcome.payment.accountId
  expect(await setup.ledger.balance(accountId, 'usd')).toBe(4_500)
  return { ...setup, clientId, accountId }
}

describe('a PaymentMethod bound to another origin', () => {
  it('is refused with 402 payment_method_origin_mismatch: no charge, no debit, no credential', async () => {
    const { paywall, ledger, accountId } = await agentWithAccount()
    const charges = h.emu.charges().length
    // The malicious origin named this server's publishable key; the client bound the card to it.
    const relayed = await h.card(CARDS.visa, { origin: MALICIOUS })
    for (const topUpAmount of [undefined, 1_000_000]) {
      const outcome = await paywall.begin(
        req('/api/joke', {
          payment: pay({
            paymentMethodId: relayed,
            ...(topUpAmount !== undefined && { topUpAmount }),
          }),
        }),
      )
      expect(expectDeny(outcome).status).toBe(402)
      expect(required(outcome).error).toBe('payment_method_origin_mismatch')
      expect(paymentResponse(outcome)).toMatchObject({ success: false, clientId: '' })
    }
    expect(h.emu.charges()).toHaveLength(charges)
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)
    expect((await ledger.journal(accountId)).map((e) => e.kind)).toEqual(['top_up', 'debit'])
  })

  it('never charges a card that has no account here either', async () => {
    const { paywall } = h.paywall()
    const relayed = await h.card(CARDS.mastercard, { origin: MALICIOUS })
    const outcome = await paywall.begin(
      req('/api/joke', { payment: pay({ paymentMethodId: relayed }) }),
    )
    expect(required(outcome).error).toBe('payment_method_origin_mismatch')
    expect(h.emu.charges()).toHaveLength(0)
  })

  it('pays when bound to one of the configured origins', async () => {
    const { paywall } = h.paywall({ origins: ['https://other.example', ORIGIN] })
    expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(h.emu.charges()).toHaveLength(1)
  })

  it('is announced as originBinding only when origins are configured', async () => {
    const { paywall } = h.paywall()
    expect(required(await paywall.begin(req('/api/joke'))).extensions).toContain('originBinding')
    expect(paywall.priceList()?.extensions).toContain('originBinding')
    const { paywall: unconfigured } = h.paywall({ origins: undefined })
    expect(required(await unconfigured.begin(req('/api/joke'))).extensions).not.toContain(
      'originBinding',
    )
  })

  it('without configured origins is treated as unbound: it cannot take an existing account over', async () => {
    const { paywall, ledger, accountId, logs } = await agentWithAccount({ origins: undefined })
    const outcome = await paywall.begin(
      req('/api/joke', {
        payment: pay({ paymentMethodId: await h.card(CARDS.visa, { origin: MALICIOUS }) }),
      }),
    )
    expect(required(outcome).error).toBe('payment_method_unbound')
    expect(h.emu.charges()).toHaveLength(1)
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)
    expect(logs.some((l) => l.message.includes('has no `origins`'))).toBe(true)
  })

  it('refuses origins that are not serialized origins at startup', () => {
    for (const origin of ['https://api.example.com/', 'https://API.example.com', 'api.example.com'])
      expect(() => h.paywall({ origins: [origin] }), origin).toThrow(/origins/)
  })
})

describe('an unbound PaymentMethod (a v1 client)', () => {
  it('alone gets no credential for an existing account and spends nothing of it, by default', async () => {
    const { paywall, ledger, accountId } = await agentWithAccount()
    const unbound = await h.card(CARDS.visa, { origin: null })
    for (const topUpAmount of [undefined, 1_000_000]) {
      const outcome = await paywall.begin(
        req('/api/joke', {
          payment: pay({
            paymentMethodId: unbound,
            ...(topUpAmount !== undefined && { topUpAmount }),
          }),
        }),
      )
      expect(expectDeny(outcome).status).toBe(402)
      expect(required(outcome).error).toBe('payment_method_unbound')
      expect(paymentResponse(outcome).clientId).toBe('')
    }
    expect(h.emu.charges()).toHaveLength(1)
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)
    expect((await ledger.journal(accountId)).map((e) => e.kind)).toEqual(['top_up', 'debit'])
  })

  it('spends and gets a credential when the operator opts in for v1 compatibility', async () => {
    const { paywall, ledger, accountId } = await agentWithAccount({ unboundPaymentMethods: 'any' })
    const outcome = expectPaid(
      await paywall.begin(
        req('/api/joke', {
          payment: pay({ paymentMethodId: await h.card(CARDS.visa, { origin: null }) }),
        }),
      ),
    )
    await outcome.settle(200)
    expect(paymentResponse(outcome).clientId).toMatch(/^s402_/)
    expect(h.emu.charges()).toHaveLength(1)
    expect(await ledger.balance(accountId, 'usd')).toBe(4_000)
  })

  it('tops up a card that has no account yet (v1 clients keep working against a fresh server)', async () => {
    const { paywall, ledger } = h.paywall()
    const outcome = expectPaid(
      await paywall.begin(
        req('/api/joke', {
          payment: pay({ paymentMethodId: await h.card(CARDS.visa, { origin: null }) }),
        }),
      ),
    )
    await outcome.settle(200)
    expect(paymentResponse(outcome).clientId).toMatch(/^s402_/)
    expect(h.emu.charges()).toHaveLength(1)
    const accountId = accountIdFor(SECRET, h.emu.charges()[0]!.fingerprint)
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)
  })

  it("pays beside the account's valid credential (the v1 client's top-up), not beside a revoked one", async () => {
    const { paywall, ledger, accountId, clientId } = await agentWithAccount({
      routes: { 'GET /api/joke': { amount: 500 }, 'GET /api/big': { amount: 8_000 } },
    })
    const unbound = await h.card(CARDS.visa, { origin: null })
    // Dearer than the balance: the card tops up, as a v1 client does after insufficient_credits.
    const topUp = pay({ paymentMethodId: unbound, clientId, topUpAmount: 10_000 })
    const big = expectPaid(await paywall.begin(req('/api/big', { payment: topUp })))
    await big.settle(200)
    expect(paymentResponse(big).clientId).toBe(clientId)
    expect(h.emu.charges()).toHaveLength(2)
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500 + 10_000 - 8_000)

    await paywall.revoke(clientId)
    const outcome = await paywall.begin(req('/api/joke', { payment: topUp }))
    expect(required(outcome).error).toBe('payment_method_unbound')
    expect(h.emu.charges()).toHaveLength(2)
    expect(await ledger.balance(accountId, 'usd')).toBe(6_500)
  })

  it("is refused even for a new card when the operator says 'refuse'", async () => {
    const { paywall } = h.paywall({ unboundPaymentMethods: 'refuse' })
    const outcome = await paywall.begin(
      req('/api/joke', {
        payment: pay({ paymentMethodId: await h.card(CARDS.visa, { origin: null }) }),
      }),
    )
    expect(required(outcome).error).toBe('payment_method_unbound')
    expect(h.emu.charges()).toHaveLength(0)
  })
})
