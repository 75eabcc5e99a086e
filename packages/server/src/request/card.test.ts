/** Paying with a card: one charge per need, credits, bounds, declines, concurrency, idempotency. */
import Stripe from 'stripe'
import { describe, expect, it, vi } from 'vitest'
import { accountIdFor, paywallIdFor } from '../identity'
import { MemoryLedger } from '../ledger/memory'
import type { Ledger } from '../ledger/types'
import {
  CARDS,
  serverRequests,
  expectDeny,
  expectPaid,
  pay,
  paymentResponse,
  req,
  required,
  SECRET,
  useEmulator,
} from '../../test/support/harness'
import { slowTopUpRace } from '../../test/support/slow-top-up'

const h = useEmulator()

/** A paywall whose top-up locks all expire after 50 ms, with Stripe calls of up to 1 s and no SDK retry. */
function shortLockPaywall() {
  const ledger = new Proxy(new MemoryLedger(), {
    get(target, property) {
      if (property === 'acquireLock') return (key: string) => target.acquireLock(key, 50)
      const value = Reflect.get(target, property) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as Ledger
  return h.paywall({
    ledger,
    stripe: { ...h.emu.keys(), apiBase: h.emu.url, maxNetworkRetries: 0, timeoutMs: 1_000 },
  })
}

describe('paying with a PaymentMethod', () => {
  it('charges minTopUp once, credits it, debits the price and issues a credential', async () => {
    const { paywall, ledger, events } = h.paywall()
    const outcome = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    const response = paymentResponse(outcome)
    const [charge] = h.emu.charges()
    expect(h.emu.charges()).toHaveLength(1)
    expect(charge).toMatchObject({ amount: 50, currency: 'usd', status: 'succeeded' })
    expect(response).toMatchObject({
      success: true,
      chargeId: charge!.payment_intent,
      creditsRemaining: 4_500,
      amountCharged: 500,
      currency: 'usd',
    })
    expect(response.clientId).toMatch(/^s402_[0-9a-f]{64}_[A-Za-z0-9_-]{43}$/)
    expect(outcome.headers['access-control-expose-headers']).toBe(
      'payment-required, payment-response',
    )
    const accountId = accountIdFor(SECRET, charge!.fingerprint)
    expect(outcome.payment).toEqual({
      accountId,
      amount: 500,
      currency: 'usd',
      creditsRemaining: 4_500,
      chargeId: charge!.payment_intent,
    })
    expect(await ledger.balance(accountId, 'usd')).toBe(4_500)
    expect((await ledger.journal(accountId)).map((e) => [e.kind, e.units])).toEqual([
      ['top_up', 5_000],
      ['debit', -500],
    ])
    expect(h.emu.paymentIntents()[0]?.metadata).toEqual({
      stripe402_account: accountId,
      stripe402_units: '5000',
      stripe402_currency: 'usd',
      stripe402_version: '1',
      stripe402_paywall: paywallIdFor(SECRET),
      stripe402_attempt: expect.stringMatching(/^[0-9a-f]{32}$/),
    })
    expect(events.map((e) => e.type)).toEqual(['top_up', 'credential_issued', 'debit'])
  })

  it('spends the credential it issued on later calls, without charging', async () => {
    const { paywall } = h.paywall()
    const first = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    const { clientId } = paymentResponse(first)
    for (let i = 0; i < 9; i++)
      expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
    const empty = await paywall.begin(req('/api/joke', { payment: pay({ clientId }) }))
    expect(required(empty).error).toBe('insufficient_credits')
    expect(paymentResponse(empty)).toMatchObject({
      success: false,
      errorCode: 'insufficient_credits',
      creditsRemaining: 0,
      clientId,
    })
    expect(h.emu.charges()).toHaveLength(1)
  })

  it('charges the same PaymentMethod again when credits run out (it is attached to a Customer)', async () => {
    const { paywall } = h.paywall()
    const paymentMethodId = await h.card()
    expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })))
    // 4,500 units left: nine more calls drain them, the tenth needs a new top-up with the same pm_.
    for (let i = 0; i < 9; i++)
      expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })))
    const second = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(paymentResponse(second)).toMatchObject({ success: true, creditsRemaining: 4_500 })
    const charges = h.emu.charges()
    expect(charges).toHaveLength(2)
    expect(charges[0]!.customer).toBeTruthy()
    expect(charges[1]!.customer).toBe(charges[0]!.customer)
  })

  it('charges the requested topUpAmount, rounded up to a whole cent', async () => {
    const { paywall } = h.paywall()
    const outcome = expectPaid(
      await paywall.begin(
        req('/api/joke', {
          payment: pay({ paymentMethodId: await h.card(), topUpAmount: 12_345 }),
        }),
      ),
    )
    expect(h.emu.charges()[0]?.amount).toBe(124)
    expect(paymentResponse(outcome).creditsRemaining).toBe(12_400 - 500)
  })

  it("debits without charging when the card's balance already covers the price", async () => {
    const { paywall } = h.paywall()
    expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    const again = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(paymentResponse(again)).toMatchObject({ success: true, creditsRemaining: 4_000 })
    expect(paymentResponse(again).chargeId).toBeUndefined()
    expect(h.emu.charges()).toHaveLength(1)
  })

  it('tops up with the card when the credential runs dry, and hands the same credential back', async () => {
    const { paywall, events } = h.paywall({ routes: { 'GET /api/joke': { amount: 3_000 } } })
    const first = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    const { clientId } = paymentResponse(first)
    events.length = 0
    const second = expectPaid(
      await paywall.begin(
        req('/api/joke', { payment: pay({ clientId, paymentMethodId: await h.card() }) }),
      ),
    )
    expect(paymentResponse(second)).toMatchObject({
      creditsRemaining: 2_000 + 5_000 - 3_000,
      clientId,
    })
    expect(events.map((e) => e.type)).not.toContain('credential_issued')
    expect(h.emu.charges()).toHaveLength(2)
    expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
  })

  it('issues a new credential when the one sent along is revoked or belongs to another card', async () => {
    const { paywall, events } = h.paywall({ routes: { 'GET /api/joke': { amount: 3_000 } } })
    const { clientId: revoked } = paymentResponse(
      expectPaid(
        await paywall.begin(
          req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) }),
        ),
      ),
    )
    const { clientId: otherCard } = paymentResponse(
      expectPaid(
        await paywall.begin(
          req('/api/joke', { payment: pay({ paymentMethodId: await h.card(CARDS.mastercard) }) }),
        ),
      ),
    )
    expect(await paywall.revoke(revoked)).toBe(true)
    events.length = 0
    const afterRevoke = paymentResponse(
      expectPaid(
        await paywall.begin(
          req('/api/joke', {
            payment: pay({ clientId: revoked, paymentMethodId: await h.card() }),
          }),
        ),
      ),
    )
    expect(afterRevoke.clientId).not.toBe(revoked)
    expect(events.filter((e) => e.type === 'credential_issued')).toHaveLength(1)
    // The mastercard's credential with the visa: the visa's account answers, with a credential of its own.
    const mixed = paymentResponse(
      expectPaid(
        await paywall.begin(
          req('/api/joke', {
            payment: pay({ clientId: otherCard, paymentMethodId: await h.card() }),
          }),
        ),
      ),
    )
    expect(mixed.clientId).not.toBe(otherCard)
    expect(await paywall.balance(mixed.clientId)).toBe(mixed.creditsRemaining)
    expect(await paywall.balance(otherCard)).toBe(2_000)
    expect(
      required(await paywall.begin(req('/api/joke', { payment: pay({ clientId: revoked }) })))
        .error,
    ).toBe('credential_revoked')
  })

  it('charges enough to cover a price above minTopUp', async () => {
    const { paywall } = h.paywall({
      routes: { 'GET /api/report': { amount: (_r) => 7_777, minTopUp: 5_000 } },
    })
    const outcome = expectPaid(
      await paywall.begin(
        req('/api/report', { payment: pay({ paymentMethodId: await h.card() }) }),
      ),
    )
    expect(h.emu.charges()[0]?.amount).toBe(78)
    expect(paymentResponse(outcome).creditsRemaining).toBe(23)
  })

  it('keeps balances per currency: a EUR route never spends USD credits', async () => {
    const { paywall } = h.paywall({
      routes: { 'GET /us': { amount: 500 }, 'GET /eu': { amount: 500, currency: 'eur' } },
    })
    const first = expectPaid(
      await paywall.begin(req('/us', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    const { clientId } = paymentResponse(first)
    expect(required(await paywall.begin(req('/eu', { payment: pay({ clientId }) }))).error).toBe(
      'insufficient_credits',
    )
    const eu = expectPaid(
      await paywall.begin(req('/eu', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(paymentResponse(eu)).toMatchObject({ currency: 'eur', creditsRemaining: 4_500 })
    expect(h.emu.charges().map((c) => [c.currency, c.amount])).toEqual([
      ['usd', 50],
      ['eur', 50],
    ])
    expect(await paywall.balance(clientId, 'usd')).toBe(4_500)
    expect(await paywall.balance(clientId, 'eur')).toBe(4_500)
  })

  it('issues v1-identical clientIds (the account id) in account mode', async () => {
    const { paywall } = h.paywall({ credentials: 'account' })
    const outcome = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    const { clientId } = paymentResponse(outcome)
    expect(clientId).toBe(accountIdFor(SECRET, h.emu.charges()[0]!.fingerprint))
    expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
    expect(await paywall.balance(clientId)).toBe(4_000)
  })
})

describe('top-up bounds', () => {
  it('refuses topUpAmount below minTopUp and above maxTopUp without charging', async () => {
    const { paywall } = h.paywall({
      routes: { 'GET /api/joke': { amount: 500, minTopUp: 10_000, maxTopUp: 50_000 } },
    })
    const below = await paywall.begin(
      req('/api/joke', { payment: pay({ paymentMethodId: await h.card(), topUpAmount: 9_999 }) }),
    )
    expect(required(below)).toMatchObject({
      error: 'top_up_below_minimum',
      accepts: [{ minTopUp: 10_000, maxTopUp: 50_000 }],
    })
    const above = await paywall.begin(
      req('/api/joke', { payment: pay({ paymentMethodId: await h.card(), topUpAmount: 50_001 }) }),
    )
    expect(required(above).error).toBe('top_up_above_maximum')
    expect(serverRequests(h)).toEqual([])
  })
})

describe('card failures', () => {
  it.each([
    ['4000000000009995', 'insufficient_funds'],
    ['4000000000000127', 'incorrect_cvc'],
    ['4000000000000069', 'expired_card'],
  ])('card %s (%s): the payer is told card_declined and no reason', async (number, reason) => {
    const { paywall, events } = h.paywall()
    const outcome = expectDeny(
      await paywall.begin(
        req('/api/joke', { payment: pay({ paymentMethodId: await h.card(number) }) }),
      ),
    )
    const challenge = required(outcome)
    const answer = paymentResponse(outcome)
    expect(challenge.error).toBe('card_declined')
    expect(answer.errorCode).toBe('card_declined')
    expect(challenge.message).toBe('The card was declined.')
    // Everything the payer receives: status, headers decoded, body.
    const seen = JSON.stringify({ outcome, challenge, answer })
    expect(seen).not.toContain(reason)
    expect(seen).not.toMatch(/insufficient|funds|cvc|security code|expired|expiration/i)
    expect(events).toContainEqual(expect.objectContaining({ type: 'deny', code: 'card_declined' }))
  })

  it.each([
    [CARDS.declined, 'card_declined', /^The card was declined\.$/],
    [CARDS.insufficientFunds, 'card_declined', /^The card was declined\.$/],
    [CARDS.threeDSecure, 'authentication_required', /3-D Secure/],
  ])('card %s → 402 %s, nothing credited', async (number, code, message) => {
    const { paywall, ledger } = h.paywall()
    const outcome = await paywall.begin(
      req('/api/joke', { payment: pay({ paymentMethodId: await h.card(number) }) }),
    )
    const challenge = required(outcome)
    expect(challenge.error).toBe(code)
    expect(challenge.message).toMatch(message)
    expect(paymentResponse(outcome)).toMatchObject({
      success: false,
      errorCode: code,
      creditsRemaining: 0,
      clientId: '',
    })
    expect(h.emu.charges({ status: 'succeeded' })).toEqual([])
    const fingerprint = h.emu.charges()[0]?.fingerprint
    if (fingerprint) expect(await ledger.journal(accountIdFor(SECRET, fingerprint))).toEqual([])
  })

  it('refuses a frozen account with 403 and charges nothing', async () => {
    const { paywall, ledger } = h.paywall()
    expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    await ledger.setFrozen(accountIdFor(SECRET, h.emu.charges()[0]!.fingerprint), true)
    const outcome = expectDeny(
      await paywall.begin(
        req('/api/weather', { payment: pay({ paymentMethodId: await h.card() }) }),
      ),
    )
    expect(outcome.status).toBe(403)
    expect(JSON.parse(outcome.body)).toMatchObject({ error: 'account_frozen' })
    expect(h.emu.charges()).toHaveLength(1)
  })
})

describe('concurrent first payments with one card', () => {
  it('10 at once charge exactly once and all are served from that top-up', async () => {
    const { paywall, ledger } = h.paywall()
    const pms = await Promise.all(Array.from({ length: 10 }, () => h.card()))
    const outcomes = await Promise.all(
      pms.map((paymentMethodId) =>
        paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
      ),
    )
    expect(outcomes.map((o) => o.type)).toEqual(Array(10).fill('paid'))
    expect(h.emu.charges()).toHaveLength(1)
    const accountId = accountIdFor(SECRET, h.emu.charges()[0]!.fingerprint)
    expect(await ledger.balance(accountId, 'usd')).toBe(0)
    const journal = await ledger.journal(accountId)
    expect(journal.filter((e) => e.kind === 'top_up')).toHaveLength(1)
    expect(journal.reduce((sum, e) => sum + e.units, 0)).toBe(0)
  })

  it('charge again, once, when the first top-up covers only part of the burst', async () => {
    const { paywall } = h.paywall({ routes: { 'GET /api/joke': { amount: 2_000 } } })
    const pms = await Promise.all(Array.from({ length: 5 }, () => h.card()))
    const outcomes = await Promise.all(
      pms.map((paymentMethodId) =>
        paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
      ),
    )
    expect(outcomes.every((o) => o.type === 'paid')).toBe(true)
    // 5 × 2,000 = 10,000 units = two top-ups of 5,000.
    expect(h.emu.charges()).toHaveLength(2)
  })

  it('answers 503 with Retry-After when the top-up in flight outlasts lockWaitMs', async () => {
    const { paywall, ledger } = h.paywall({ lockWaitMs: 30 })
    const pm = await h.card()
    const stripe = new Stripe(h.emu.keys().secretKey, h.emu.sdkConfig())
    const fingerprint = (await stripe.paymentMethods.retrieve(pm)).card!.fingerprint!
    // Another process is charging this card right now.
    expect(
      await ledger.acquireLock(`topup:${accountIdFor(SECRET, fingerprint)}:usd`, 60_000),
    ).not.toBeNull()
    const waited = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: pm }) })),
    )
    expect(waited.status).toBe(503)
    expect(waited.headers['retry-after']).toBe('2')
    expect(JSON.parse(waited.body).error).toBe('payment_unavailable')
    expect(h.emu.charges()).toEqual([])
  })
})

describe('client idempotency keys', () => {
  it('a retried top-up with the same idempotencyKey charges once', async () => {
    const { paywall } = h.paywall({ routes: { 'GET /api/joke': { amount: 5_000 } } })
    const pm = await h.card()
    const payload = pay({ paymentMethodId: pm, idempotencyKey: 'retry-1' })
    // The first answer is lost after Stripe charged (no credit was applied on this path).
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, status: 500 })
    expect(expectDeny(await paywall.begin(req('/api/joke', { payment: payload }))).status).toBe(503)
    const retried = expectPaid(await paywall.begin(req('/api/joke', { payment: payload })))
    expect(h.emu.charges()).toHaveLength(1)
    expect(paymentResponse(retried)).toMatchObject({
      creditsRemaining: 0,
      chargeId: h.emu.charges()[0]!.payment_intent,
    })
  })
})

describe('a charge whose answer is lost', () => {
  it.each([
    ['dropped twice (the SDK retries a drop once by itself)', { drop: true, times: 2 }],
    ['answered with a 500', { status: 500 }],
    ['never answered (timeout)', { hang: true }],
  ])(
    '%s after Stripe charged: the client retry replays it, one charge, credited once',
    async (_name, fault) => {
      const { paywall, ledger } = h.paywall({
        stripe: { ...h.emu.keys(), apiBase: h.emu.url, maxNetworkRetries: 0, timeoutMs: 500 },
      })
      const paymentMethodId = await h.card()
      h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, ...fault })
      const lost = expectDeny(
        await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
      )
      expect(lost.status).toBe(503)
      expect(h.emu.charges({ status: 'succeeded' })).toHaveLength(1)
      // No webhook, no reconcile: the client simply retries.
      const retried = expectPaid(
        await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
      )
      const [charge] = h.emu.charges()
      expect(h.emu.charges()).toHaveLength(1)
      expect(paymentResponse(retried)).toMatchObject({
        success: true,
        creditsRemaining: 4_500,
        chargeId: charge!.payment_intent,
      })
      expect(await ledger.balance(retried.payment.accountId, 'usd')).toBe(5_000 - 500)
      expect((await ledger.journal(retried.payment.accountId)).map((e) => e.kind)).toEqual([
        'top_up',
        'debit',
      ])
      // Later top-ups are new charges again.
      for (let i = 0; i < 9; i++)
        expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })))
      expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })))
      expect(h.emu.charges()).toHaveLength(2)
    },
  )

  it('a retry while Stripe still has no answer is refused without a second charge', async () => {
    const { paywall } = h.paywall({
      stripe: { ...h.emu.keys(), apiBase: h.emu.url, maxNetworkRetries: 0, timeoutMs: 500 },
    })
    const paymentMethodId = await h.card()
    // Stripe charges but the answer is lost; then Stripe is down when the retry asks again.
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, drop: true, times: 2 })
    expect(
      expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })))
        .status,
    ).toBe(503)
    h.emu.inject({ path: '/v1/payment_intents', status: 500 })
    const again = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(again.status).toBe(503)
    expect(again.headers['retry-after']).toBe('2')
    expect(h.emu.charges()).toHaveLength(1)
    // Stripe is back: the first charge is credited and pays for the request; nothing new is charged.
    const served = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(h.emu.charges()).toHaveLength(1)
    expect(paymentResponse(served).creditsRemaining).toBe(4_500)
  })

  it('a lock that expires while Stripe is still charging lets no second charge through', async () => {
    // The first holder outlives its lock: every lock expires after 50 ms.
    const { paywall } = shortLockPaywall()
    const paymentMethodId = await h.card()
    // Stripe charges, then its answer to the first holder never comes.
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, hang: true })
    const first = paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) }))
    await vi.waitFor(() => expect(h.emu.charges()).toHaveLength(1))
    const second = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(expectDeny(await first).status).toBe(503)
    expect(h.emu.charges()).toHaveLength(1)
    expect(paymentResponse(second)).toMatchObject({
      creditsRemaining: 4_500,
      chargeId: h.emu.charges()[0]!.payment_intent,
    })
  })

  it("a request that settles another payment's top-up does not name its charge: one receipt per charge", async () => {
    // The first holder outlives its lock: every lock expires after 50 ms.
    const { paywall } = shortLockPaywall()
    // Two payers on one card (two processes of one treasury, say): each its PaymentMethod and key.
    const [a, b] = [await h.card(), await h.card()]
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, hang: true })
    const first = paywall.begin(
      req('/api/joke', { payment: pay({ paymentMethodId: a, idempotencyKey: 'key-of-a' }) }),
    )
    await vi.waitFor(() => expect(h.emu.charges()).toHaveLength(1))
    const second = expectPaid(
      await paywall.begin(
        req('/api/joke', { payment: pay({ paymentMethodId: b, idempotencyKey: 'key-of-b' }) }),
      ),
    )
    expect(expectDeny(await first).status).toBe(503)
    // b was served from a's charge: credits already there, not a charge of its own.
    expect(paymentResponse(second).creditsRemaining).toBe(4_500)
    expect(paymentResponse(second).chargeId).toBeUndefined()
    // a's retry, same key: served from the credits, charged nothing more. a's client keeps its
    // top-up counted as unconfirmed, b's released it: the one charge is counted once.
    const retried = expectPaid(
      await paywall.begin(
        req('/api/joke', { payment: pay({ paymentMethodId: a, idempotencyKey: 'key-of-a' }) }),
      ),
    )
    expect(h.emu.charges()).toHaveLength(1)
    expect(paymentResponse(retried).creditsRemaining).toBe(4_000)
    expect(paymentResponse(retried).chargeId).toBeUndefined()
  })

  it('a retry that settles its own earlier top-up names that charge (spec: the original chargeId)', async () => {
    // The first holder outlives its lock: every lock expires after 50 ms.
    const { paywall } = shortLockPaywall()
    const a = await h.card()
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, hang: true })
    const payment = pay({ paymentMethodId: a, idempotencyKey: 'key-of-a' })
    const first = paywall.begin(req('/api/joke', { payment }))
    await vi.waitFor(() => expect(h.emu.charges()).toHaveLength(1))
    // The retry comes while the first is still waiting on Stripe, its lock expired: it settles the record.
    const retried = expectPaid(await paywall.begin(req('/api/joke', { payment })))
    expect(expectDeny(await first).status).toBe(503)
    expect(h.emu.charges()).toHaveLength(1)
    expect(paymentResponse(retried)).toMatchObject({
      creditsRemaining: 4_500,
      chargeId: h.emu.charges()[0]!.payment_intent,
    })
  })

  it('a top-up that outlasts the lock lifetime is charged once: the lock is renewed while held', async () => {
    const ledger = new MemoryLedger()
    const { first, second } = await slowTopUpRace(h, ledger)
    expect(h.emu.charges()).toHaveLength(1)
    const [charge] = h.emu.charges()
    expect(expectPaid(first).payment.chargeId).toBe(charge!.payment_intent)
    const served = expectPaid(second)
    const accountId = served.payment.accountId
    expect(await ledger.balance(accountId, 'usd')).toBe(5_000 - 2 * 500)
    const journal = await ledger.journal(accountId)
    expect(journal.filter((e) => e.kind === 'top_up')).toHaveLength(1)
    expect(journal.reduce((sum, e) => sum + e.units, 0)).toBe(4_000)
  })

  it('a crashed lock holder blocks its card for at most 15 s, however long Stripe calls may take', async () => {
    const memory = new MemoryLedger()
    const ttls: number[] = []
    const ledger = new Proxy(memory, {
      get(target, property) {
        if (property === 'acquireLock')
          return (key: string, ttlMs: number) => {
            ttls.push(ttlMs)
            return target.acquireLock(key, ttlMs)
          }
        const value = Reflect.get(target, property) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as Ledger
    const { paywall } = h.paywall({
      ledger,
      stripe: { ...h.emu.keys(), apiBase: h.emu.url, maxNetworkRetries: 2, timeoutMs: 20_000 },
    })
    expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(ttls.length).toBeGreaterThan(0)
    expect(Math.max(...ttls)).toBeLessThanOrEqual(15_000)
  })
})

describe('the top-up credit and its debit', () => {
  it('are one step: a credential spending the same account at that moment cannot take the new credits first', async () => {
    const memory = new MemoryLedger()
    let drain: (() => Promise<unknown>) | undefined
    // Right after a top-up reaches the ledger, another client spends the account's credential twice.
    const afterTopUp = async <T>(result: T): Promise<T> => {
      const run = drain
      drain = undefined
      await run?.()
      return result
    }
    const ledger = new Proxy(memory, {
      get(target, property) {
        if (property === 'credit')
          return async (input: Parameters<Ledger['credit']>[0]) =>
            input.kind === 'top_up' ? afterTopUp(await target.credit(input)) : target.credit(input)
        if (property === 'creditAndSpend')
          return async (input: Parameters<Ledger['creditAndSpend']>[0]) =>
            afterTopUp(await target.creditAndSpend(input))
        const value = Reflect.get(target, property) as unknown
        return typeof value === 'function' ? value.bind(target) : value
      },
    }) as Ledger
    const { paywall } = h.paywall({ ledger, routes: { 'GET /api/report': { amount: 3_000 } } })
    const first = expectPaid(
      await paywall.begin(
        req('/api/report', { payment: pay({ paymentMethodId: await h.card() }) }),
      ),
    )
    const { clientId } = paymentResponse(first)
    drain = () =>
      Promise.all(
        [1, 2].map(() => paywall.begin(req('/api/report', { payment: pay({ clientId }) }))),
      )
    // 2,000 left: this request needs a top-up of 5,000 and is served from it.
    const second = expectPaid(
      await paywall.begin(
        req('/api/report', { payment: pay({ paymentMethodId: await h.card() }) }),
      ),
    )
    expect(paymentResponse(second)).toMatchObject({
      success: true,
      creditsRemaining: 4_000,
      chargeId: h.emu.charges()[1]!.payment_intent,
    })
    expect(drain).toBeUndefined()
    expect(await paywall.balance(clientId)).toBe(1_000)
    expect(h.emu.charges()).toHaveLength(2)
  })
})
