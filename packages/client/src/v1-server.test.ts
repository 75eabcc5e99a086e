// Against a bare stripe402 v1 server (no `extensions`, challenge only in the body): the client stays compatible and never writes blank checks.
import { afterEach, describe, expect, it } from 'vitest'
import { createPayingFetch, getPaymentInfo, type PaymentEvent } from './index'
import { type FakeServer, startFakeServer } from '../test/support/fake-server'

const card = { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' }
let server: FakeServer

afterEach(async () => {
  await server?.close()
})

describe('against a v1 server that does not honour maxAmount', () => {
  it('reads the challenge from the body, then sends the credential up front only on routes whose price it has seen', async () => {
    server = await startFakeServer({
      routes: {
        'GET /a': { amount: 500, minTopUp: 50_000 },
        'GET /b': { amount: 700, minTopUp: 50_000 },
      },
      challengeIn: 'body',
    })
    const pay = createPayingFetch({
      card,
      stripeApiBase: server.url,
      policy: { maxAmountPerRequest: 1000 },
    })

    const first = await pay(`${server.url}/a`)
    expect(first.status).toBe(200)
    expect(getPaymentInfo(first)).toMatchObject({
      outcome: 'paid',
      requests: 2,
      amount: 500,
      creditsRemaining: 49_500,
      topUp: { units: 50_000 },
    })

    const again = await pay(`${server.url}/a`)
    expect(again.status).toBe(200)
    expect(getPaymentInfo(again)?.requests).toBe(1)

    // /b was never priced: a v1 server would debit whatever it charges, so no credential goes up front.
    const other = await pay(`${server.url}/b`)
    expect(other.status).toBe(200)
    const toB = server.requests.filter((r) => r.path === '/b')
    expect(toB.map((r) => r.payment?.clientId !== undefined)).toEqual([false, true])
    expect(toB[1]?.payment?.paymentMethodId).toBeUndefined()
    expect(server.charges).toHaveLength(1)
    expect(server.stripeRequests).toHaveLength(1)

    const wallet = await pay.wallet()
    expect(wallet.origins).toEqual([
      {
        origin: server.url,
        currency: 'usd',
        creditsRemaining: 48_300,
        spent: 50_000,
        used: 1_700,
        topUps: 1,
        calls: 3,
        unconfirmed: 0,
        unconfirmedTopUps: 0,
      },
    ])
    expect(wallet.spent.usd).toEqual({ daily: 50_000, monthly: 50_000, total: 50_000 })
  })

  it('reports a card Stripe refuses at tokenization as a failed payment, with the 402 intact', async () => {
    server = await startFakeServer({ routes: { 'GET /a': { amount: 500, minTopUp: 50_000 } } })
    const events: string[] = []
    const pay = createPayingFetch({
      card: { ...card, number: '4000000000000000' },
      stripeApiBase: server.url,
      onEvent: (e) => events.push(e.type),
    })
    const res = await pay(`${server.url}/a`)
    expect(res.status).toBe(402)
    expect(await res.json()).toMatchObject({ stripe402Version: 1 })
    expect(getPaymentInfo(res)).toMatchObject({
      outcome: 'failed',
      reason: 'incorrect_number',
      requests: 1,
    })
    expect(events).toEqual(['challenge', 'payment_failed'])
    expect(server.charges).toHaveLength(0)
    expect((await pay.wallet()).spent).toEqual({})
  })
})

describe('against a v1 server, a payment it refuses', () => {
  it('is reported with its code and message, read from the PaymentResponse body (spec 13.3)', async () => {
    server = await startFakeServer({
      routes: { 'GET /a': { amount: 500, minTopUp: 50_000 } },
      challengeIn: 'body',
      v1Refusals: true,
    })
    const events: PaymentEvent[] = []
    const pay = createPayingFetch({
      card: { ...card, number: '4000000000000002' },
      stripeApiBase: server.url,
      onEvent: (e) => events.push(e),
    })
    const res = await pay(`${server.url}/a`)
    expect(res.status).toBe(402)
    expect(await res.json()).toEqual({
      success: false,
      error: 'Your card was declined.',
      errorCode: 'card_declined',
    })
    expect(getPaymentInfo(res)).toMatchObject({
      outcome: 'failed',
      reason: 'card_declined',
      message: 'Your card was declined.',
      requests: 2,
    })
    expect(events.filter((e) => e.type === 'payment_failed')).toMatchObject([
      { code: 'card_declined', message: 'Your card was declined.' },
    ])
    // Declined: nothing was charged, so nothing counts against budgets.
    expect(server.charges).toHaveLength(0)
    expect((await pay.wallet()).spent).toEqual({})
  })
})

describe('against a v1 server, a top-up whose answer was lost', () => {
  const lostOnce = () =>
    startFakeServer({
      routes: { 'GET /a': { amount: 500, minTopUp: 50_000 } },
      loseTopUpAnswers: 1,
    })

  it('is not replayed (v1 ignores idempotencyKey and would charge again): a new top-up, and budgets count both charges', async () => {
    server = await lostOnce()
    const pay = createPayingFetch({ card, stripeApiBase: server.url })
    expect((await pay(`${server.url}/a`)).status).toBe(503)
    const next = await pay(`${server.url}/a`)
    expect(next.status).toBe(200)

    expect(server.charges).toHaveLength(2)
    const keys = server.requests.flatMap((r) =>
      r.payment?.paymentMethodId ? [r.payment.idempotencyKey] : [],
    )
    expect(keys).toHaveLength(2)
    expect(keys[1]).not.toBe(keys[0])
    const wallet = await pay.wallet()
    expect(wallet.spent.usd).toEqual({ daily: 100_000, monthly: 100_000, total: 100_000 })
    expect(wallet.origins[0]).toMatchObject({ spent: 100_000, topUps: 2 })
    // Both lines are settled: nothing is left pending to be replayed later.
    expect((await pay.journal()).filter((e) => e.kind === 'top_up').map((e) => e.pending)).toEqual([
      undefined,
      undefined,
    ])
  })

  it('is not replayed, and a new top-up that does not fit the budget beside it is refused', async () => {
    server = await lostOnce()
    const pay = createPayingFetch({
      card,
      stripeApiBase: server.url,
      policy: { budget: { daily: 60_000 } },
    })
    expect((await pay(`${server.url}/a`)).status).toBe(503)
    const next = await pay(`${server.url}/a`)
    expect(next.status).toBe(402)
    expect(getPaymentInfo(next)).toMatchObject({ outcome: 'refused', reason: 'budget_exceeded' })
    expect(server.charges).toHaveLength(1)
    expect((await pay.wallet()).spent.usd).toEqual({
      daily: 50_000,
      monthly: 50_000,
      total: 50_000,
    })
  })
})
