/** Top-ups whose first answer Stripe keeps as a 500 or a `processing`: the card is never blocked for the 12 hours a record may live. */
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { MemoryLedger } from '../ledger/memory'
import {
  expectDeny,
  expectPaid,
  pay,
  paymentResponse,
  req,
  useEmulator,
} from '../../test/support/harness'

const h = useEmulator()

const stripeConfig = (maxNetworkRetries: number) => ({
  ...h.emu.keys(),
  apiBase: h.emu.url,
  maxNetworkRetries,
  timeoutMs: 2_000,
})

describe("a 500 Stripe keeps as the answer to the top-up's key", () => {
  it('after it charged: the next attempt finds the PaymentIntent by its metadata and credits it, once', async () => {
    const { paywall, ledger } = h.paywall({ stripe: stripeConfig(0) })
    const paymentMethodId = await h.card()
    // Every retry with this key gets the same 500 back, as on Stripe.
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, status: 500 })
    expect(
      expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })))
        .status,
    ).toBe(503)
    const served = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    const [pi] = h.emu.paymentIntents()
    expect(h.emu.charges()).toHaveLength(1)
    expect(paymentResponse(served)).toMatchObject({ creditsRemaining: 4_500, chargeId: pi!.id })
    expect((await ledger.journal(served.payment.accountId)).map((e) => [e.kind, e.units])).toEqual([
      ['top_up', 5_000],
      ['debit', -500],
    ])
    // The key was replayed (the saved 500), then the PaymentIntent was listed by Customer.
    expect(
      h.emu
        .requests({ method: 'POST', path: '/v1/payment_intents' })
        .map((r) => [r.status, r.replayed]),
    ).toEqual([
      [500, false],
      [500, true],
    ])
    expect(h.emu.requests({ method: 'GET', path: '/v1/payment_intents' })).toHaveLength(1)
  })

  it('before it charged: the key is spent, and the next attempt charges with a new one', async () => {
    const { paywall } = h.paywall({ stripe: stripeConfig(0) })
    const paymentMethodId = await h.card()
    h.emu.inject({ path: '/v1/payment_intents', status: 500, savedError: true })
    expect(
      expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })))
        .status,
    ).toBe(503)
    expect(h.emu.paymentIntents()).toEqual([])
    const served = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(h.emu.charges()).toHaveLength(1)
    expect(paymentResponse(served).creditsRemaining).toBe(4_500)
  })

  it("when the SDK's own retry gets it back, the same request moves to a new key and is served", async () => {
    const { paywall } = h.paywall({ stripe: stripeConfig(1) })
    h.emu.inject({ path: '/v1/payment_intents', status: 500, savedError: true })
    const served = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(paymentResponse(served).creditsRemaining).toBe(4_500)
    const creates = h.emu.requests({ method: 'POST', path: '/v1/payment_intents' })
    expect(creates.map((r) => r.status)).toEqual([500, 500, 200])
    expect(new Set(creates.map((r) => r.idempotencyKey)).size).toBe(2)
    expect(h.emu.charges()).toHaveLength(1)
  })

  it('with a client idempotencyKey, a retry of the same payment walks the same keys and charges no more', async () => {
    const { paywall } = h.paywall({
      stripe: stripeConfig(0),
      routes: { 'GET /api/joke': { amount: 5_000 } },
    })
    const payload = pay({ paymentMethodId: await h.card(), idempotencyKey: 'pay-once' })
    h.emu.inject({ path: '/v1/payment_intents', status: 500, savedError: true })
    expect(expectDeny(await paywall.begin(req('/api/joke', { payment: payload }))).status).toBe(503)
    expectPaid(await paywall.begin(req('/api/joke', { payment: payload })))
    // The client never saw that answer and sends the same payment again: no second charge.
    const retried = await paywall.begin(req('/api/joke', { payment: payload }))
    expect(retried.type).not.toBe('paid')
    expect(h.emu.charges()).toHaveLength(1)
  })

  it('that Stripe keeps answering to every new key too: 503, then served once Stripe recovers', async () => {
    const { paywall } = h.paywall({ stripe: stripeConfig(1) })
    const paymentMethodId = await h.card()
    h.emu.inject({
      path: '/v1/payment_intents',
      status: 500,
      savedError: true,
      times: Number.POSITIVE_INFINITY,
    })
    const down = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(down.status).toBe(503)
    expect(down.headers['retry-after']).toBe('2')
    h.emu.clearFaults()
    expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })))
    expect(h.emu.charges()).toHaveLength(1)
  })
})

describe('a `processing` answer', () => {
  it('is read from the PaymentIntent on the next attempt, not from the replay that never changes', async () => {
    const client = new Stripe(h.emu.keys().secretKey, {
      ...h.emu.sdkConfig(),
      maxNetworkRetries: 0,
    })
    // Stripe answered `processing` and replays that first answer for 24 hours; the PaymentIntent itself moves on.
    const create = client.paymentIntents.create.bind(client.paymentIntents)
    client.paymentIntents.create = (async (...args: Parameters<typeof create>) =>
      Object.assign(await create(...args), { status: 'processing' })) as typeof create
    const { paywall, ledger } = h.paywall({
      stripe: { client, publishableKey: h.emu.keys().publishableKey },
      ledger: new MemoryLedger(),
    })
    const paymentMethodId = await h.card()
    const first = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(first.status).toBe(503)
    expect(JSON.parse(first.body).message).toMatch(/processing/)
    const served = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(h.emu.charges()).toHaveLength(1)
    expect(paymentResponse(served)).toMatchObject({
      creditsRemaining: 4_500,
      chargeId: h.emu.paymentIntents()[0]!.id,
    })
    expect(await ledger.balance(served.payment.accountId, 'usd')).toBe(4_500)
  })
})

describe('a replayed top-up refunded or disputed while its outcome was unknown, with no webhook', () => {
  it('is credited net of the refund: refunded money is never spent', async () => {
    const { paywall, ledger } = h.paywall({ stripe: stripeConfig(0) })
    const paymentMethodId = await h.card()
    // Stripe charged; both answers (the SDK retries a drop once) were lost.
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, drop: true, times: 2 })
    expect(
      expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })))
        .status,
    ).toBe(503)
    const [lost] = h.emu.paymentIntents()
    await new Stripe(h.emu.keys().secretKey, h.emu.sdkConfig()).refunds.create({
      payment_intent: lost!.id,
    })
    // The retry learns the charge and its refund; the request is paid by a new top-up.
    const served = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(h.emu.charges().map((c) => [c.amount, c.amount_refunded])).toEqual([
      [50, 50],
      [50, 0],
    ])
    expect(paymentResponse(served)).toMatchObject({
      creditsRemaining: 4_500,
      chargeId: h.emu.paymentIntents()[1]!.id,
    })
    const { accountId } = served.payment
    expect((await ledger.journal(accountId)).map((e) => [e.kind, e.units])).toEqual([
      ['refund', 0],
      ['top_up', 5_000],
      ['shortfall', -5_000],
      ['top_up', 5_000],
      ['debit', -500],
    ])
    expect(await ledger.shortfall(accountId, 'usd')).toBe(0)
  })

  it('is credited net of the dispute, and the account is frozen', async () => {
    const { paywall, ledger } = h.paywall({ stripe: stripeConfig(0) })
    const paymentMethodId = await h.card('4000000000000259')
    h.emu.inject({ path: '/v1/payment_intents', afterResponse: true, drop: true, times: 2 })
    expect(
      expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })))
        .status,
    ).toBe(503)
    // The dispute card's dispute opens a moment after the charge.
    await h.emu.flushWebhooks()
    expect(h.emu.charges()[0]?.disputed).toBe(true)
    const frozen = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(frozen.status).toBe(403)
    expect(h.emu.charges()).toHaveLength(1)
    const accountId = h.emu.paymentIntents()[0]!.metadata.stripe402_account!
    expect(await ledger.balance(accountId, 'usd')).toBe(0)
    expect((await ledger.journal(accountId)).map((e) => e.kind)).toEqual([
      'dispute',
      'top_up',
      'shortfall',
    ])
  })
})
