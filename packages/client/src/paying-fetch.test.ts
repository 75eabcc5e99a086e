// The paying fetch against a real stripe402 API (Express adapter + engine) charging through the Stripe emulator.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createPayingFetch, getPaymentInfo, type PayingFetch, type PaymentEvent } from './index'
import { type PaidApi, startPaidApi } from '../test/support/paid-api'
import { CARDS, useStack } from '../test/support/stack'

/** A server's attempt to charge a card: attaching it to a Customer (declines surface there) or the PaymentIntent. */
const CHARGE_ATTEMPT = /^\/v1\/(payment_methods\/[^/]+\/attach|payment_intents)$/

const stack = useStack()
const joke = () => `${stack.api.url}/api/joke`

describe('one round trip per paid call in steady state', () => {
  it('meets a 402 only on the first call, then sends the credential up front with its ceiling', async () => {
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      policy: { maxAmountPerRequest: 1000 },
    })

    const first = await pay(joke())
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ joke: 'A 402 walks into a bar.' })
    for (let i = 0; i < 5; i++) {
      const res = await pay(joke())
      expect(res.status).toBe(200)
      expect(getPaymentInfo(res)).toMatchObject({ outcome: 'paid', requests: 1, amount: 500 })
    }

    const seen = stack.api.requests
    // 2 for the first call (challenge, then pay), then exactly 1 per call.
    expect(seen).toHaveLength(2 + 5)
    expect(seen[0]?.payment).toBeUndefined()
    expect(seen[1]?.payment).toMatchObject({ topUpAmount: 50_000, maxAmount: 500 })
    for (const r of seen.slice(2)) {
      expect(r.payment).toEqual({
        stripe402Version: 1,
        clientId: seen[2]?.payment?.clientId,
        maxAmount: 1000,
      })
    }
    expect(stack.emulator.charges()).toHaveLength(1)
    expect(stack.emulator.charges()[0]).toMatchObject({
      amount: 500,
      currency: 'usd',
      status: 'succeeded',
    })
    const clientId = seen[2]?.payment?.clientId as string
    expect(await stack.api.paywall.balance(clientId)).toBe(50_000 - 6 * 500)
    expect((await pay.wallet()).origins).toEqual([
      {
        origin: stack.api.url,
        currency: 'usd',
        creditsRemaining: 47_000,
        spent: 50_000,
        used: 3_000,
        topUps: 1,
        calls: 6,
        unconfirmed: 0,
        unconfirmedTopUps: 0,
      },
    ])
  })

  it('tops up again, once, when the credits run out', async () => {
    const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const whole = `${stack.api.url}/api/whole` // 50,000 a call: each top-up pays for exactly one
    expect((await pay(whole)).status).toBe(200)
    const second = await pay(whole)
    expect(second.status).toBe(200)
    expect(getPaymentInfo(second)).toMatchObject({
      outcome: 'paid',
      requests: 2,
      topUp: { units: 50_000 },
      creditsRemaining: 0,
    })
    expect(stack.emulator.charges().filter((c) => c.status === 'succeeded')).toHaveLength(2)
    // The server attached the PaymentMethod to a Customer, so the cached one pays again: one tokenization.
    expect(stack.emulator.requests({ method: 'POST', path: '/v1/payment_methods' })).toHaveLength(1)
    // Top-up retry carries the credential so the new credits land on the same account.
    expect(stack.api.requests.at(-1)?.payment?.clientId).toBe(
      stack.api.requests.at(-2)?.payment?.clientId,
    )
  })

  it('never sends the credential to a route it has not seen priced, and stays one round trip where it has', async () => {
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      policy: { maxAmountPerRequest: 1000 },
    })
    expect((await pay(joke())).status).toBe(200)
    const health = await pay(`${stack.api.url}/health`)
    expect(health.status).toBe(200)
    expect(getPaymentInfo(health)).toMatchObject({ outcome: 'none', requests: 1 })
    // A free route that logs or forwards headers would leak the credential: none reaches it.
    const toHealth = stack.api.requests.filter((r) => r.path === '/health')
    expect(toHealth).toHaveLength(1)
    expect(toHealth[0]?.payment).toBeUndefined()
    const again = await pay(joke())
    expect(getPaymentInfo(again)).toMatchObject({ outcome: 'paid', requests: 1 })
    expect(stack.api.requests.at(-1)?.payment).toMatchObject({ maxAmount: 1000 })
    expect(stack.emulator.charges()).toHaveLength(1)
  })

  it("learns the priced routes from the server's price list when it fetches it, and still sends nothing to a free route", async () => {
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      policy: { maxAmountPerRequest: 1000 },
    })
    expect((await pay(joke())).status).toBe(200)
    const list = await pay(`${stack.api.url}/.well-known/stripe402`)
    expect(list.status).toBe(200)
    expect(stack.api.requests.at(-1)?.payment).toBeUndefined()
    // Listed (its price is dynamic), never met: up front at once, one round trip.
    const dynamic = await pay(`${stack.api.url}/api/dynamic`)
    expect(getPaymentInfo(dynamic)).toMatchObject({ outcome: 'paid', requests: 1 })
    expect(stack.api.requests.at(-1)?.payment).toMatchObject({ maxAmount: 1000 })
    await pay(`${stack.api.url}/health`)
    expect(stack.api.requests.at(-1)).toMatchObject({ path: '/health' })
    expect(stack.api.requests.at(-1)?.payment).toBeUndefined()
  })

  it('passes a free route through without paying', async () => {
    const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const res = await pay(`${stack.api.url}/free`)
    expect(res.status).toBe(200)
    expect(getPaymentInfo(res)).toMatchObject({ outcome: 'none', requests: 1 })
    expect(stack.emulator.requests()).toEqual([])
  })
})

describe('single flight', () => {
  it('tops up once for 20 parallel first calls to a new origin', async () => {
    const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const responses = await Promise.all(Array.from({ length: 20 }, () => pay(joke())))
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(stack.emulator.charges()).toHaveLength(1)
    expect(stack.emulator.requests({ method: 'POST', path: '/v1/payment_methods' })).toHaveLength(1)
    expect(stack.api.requests.filter((r) => r.payment?.paymentMethodId !== undefined)).toHaveLength(
      1,
    )
    const wallet = await pay.wallet()
    expect(wallet.origins[0]).toMatchObject({
      creditsRemaining: 50_000 - 20 * 500,
      spent: 50_000,
      topUps: 1,
      calls: 20,
    })
  })
})

describe('never a blank check, never a loop', () => {
  it('answers a price raised above the policy ceiling with the 402, and debits nothing', async () => {
    const events: PaymentEvent[] = []
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      policy: { maxAmountPerRequest: 1000 },
      onEvent: (e) => events.push(e),
    })
    const dynamic = `${stack.api.url}/api/dynamic`
    expect((await pay(dynamic)).status).toBe(200)
    const before = (await pay.wallet()).origins[0]?.creditsRemaining

    stack.api.price.current = 2_000
    const res = await pay(dynamic)
    expect(res.status).toBe(402)
    expect(getPaymentInfo(res)).toMatchObject({
      outcome: 'refused',
      reason: 'price_above_max',
      requests: 1,
    })
    expect(events.at(-1)).toMatchObject({ type: 'refused', reason: 'price_above_max' })
    // The credential went up front with maxAmount 1000, so the server refused instead of debiting.
    expect(stack.api.requests.at(-1)?.payment?.maxAmount).toBe(1000)
    const credential = stack.api.requests.at(-1)?.payment?.clientId as string
    expect(await stack.api.paywall.balance(credential)).toBe(before)
    expect(stack.emulator.charges()).toHaveLength(1)
  })

  it('without a ceiling, uses the last price seen as maxAmount and sees a raise before paying it', async () => {
    const approvals: number[] = []
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      policy: {
        approve: (ctx) => {
          approvals.push(ctx.requirements.amount)
          return true
        },
      },
    })
    const dynamic = `${stack.api.url}/api/dynamic`
    await pay(dynamic)
    stack.api.price.current = 800
    const res = await pay(dynamic)
    expect(res.status).toBe(200)
    expect(getPaymentInfo(res)).toMatchObject({ outcome: 'paid', amount: 800, requests: 2 })
    const [offer, retry] = stack.api.requests.slice(-2)
    expect(offer?.payment).toMatchObject({ maxAmount: 500 })
    expect(retry?.payment).toMatchObject({ maxAmount: 800 })
    expect(retry?.payment?.paymentMethodId).toBeUndefined()
    expect(approvals).toEqual([500, 800])
    // Learned: the next call goes up front at the new price.
    expect(getPaymentInfo(await pay(dynamic))?.requests).toBe(1)
  })

  it('returns the 402 for a declined card after one payment attempt', async () => {
    const events: PaymentEvent[] = []
    const pay = createPayingFetch({
      card: CARDS.declined,
      stripeApiBase: stack.emulator.url,
      onEvent: (e) => events.push(e),
    })
    const res = await pay(joke())
    expect(res.status).toBe(402)
    expect(getPaymentInfo(res)).toMatchObject({
      outcome: 'failed',
      reason: 'card_declined',
      requests: 2,
    })
    expect(await res.json()).toMatchObject({ error: 'card_declined' })
    expect(stack.api.requests).toHaveLength(2)
    // One charge attempt: the server's attach (where Stripe declines this card) or its PaymentIntent.
    expect(stack.emulator.requests({ method: 'POST', path: CHARGE_ATTEMPT })).toHaveLength(1)
    expect(stack.emulator.charges({ status: 'succeeded' })).toHaveLength(0)
    expect(events.map((e) => e.type)).toEqual(['challenge', 'tokenized', 'payment_failed'])
    expect(JSON.stringify(events)).not.toContain(CARDS.declined.number)
    // Nothing was charged, so nothing counts against budgets.
    expect((await pay.wallet()).spent).toEqual({})
  })

  it('reports a declined card once per waiting call instead of charging it twenty times', async () => {
    const pay = createPayingFetch({ card: CARDS.declined, stripeApiBase: stack.emulator.url })
    const responses = await Promise.all(Array.from({ length: 20 }, () => pay(joke())))
    expect(responses.map((r) => getPaymentInfo(r)?.reason)).toEqual(Array(20).fill('card_declined'))
    expect(stack.emulator.requests({ method: 'POST', path: CHARGE_ATTEMPT })).toHaveLength(1)
    expect(stack.api.requests).toHaveLength(21)
  })

  it('forgets a revoked credential and pays for a new one', async () => {
    const events: PaymentEvent[] = []
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      onEvent: (e) => events.push(e),
    })
    await pay(joke())
    await pay(joke())
    const clientId = stack.api.requests.at(-1)?.payment?.clientId as string
    expect(await stack.api.paywall.revoke(clientId)).toBe(true)

    const res = await pay(joke())
    expect(res.status).toBe(200)
    expect(events.some((e) => e.type === 'credential_dropped')).toBe(true)
    // Events are for logs: they never carry the credential or the card.
    expect(JSON.stringify(events)).not.toContain(clientId)
    expect(JSON.stringify(events)).not.toContain(CARDS.visa.number)
    const last = stack.api.requests.at(-1)?.payment
    expect(last?.paymentMethodId).toBeDefined()
    expect(last?.clientId).toBeUndefined()
    const next = await pay(joke())
    expect(getPaymentInfo(next)?.requests).toBe(1)
    expect(stack.api.requests.at(-1)?.payment?.clientId).not.toBe(clientId)
  })
})

describe('the spend journal', () => {
  it('records every top-up and paid call with origin, route, units and credits left', async () => {
    let now = Date.UTC(2030, 0, 15, 12)
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      now: () => now,
    })
    await pay(joke())
    now += 1000
    await pay(`${stack.api.url}/api/dynamic`)
    const journal = await pay.journal()
    expect(
      journal.map(({ kind, origin, route, units, creditsRemaining, currency }) => ({
        kind,
        origin,
        route,
        units,
        creditsRemaining,
        currency,
      })),
    ).toEqual([
      {
        kind: 'top_up',
        origin: stack.api.url,
        route: 'GET /api/joke',
        units: 50_000,
        creditsRemaining: 49_500,
        currency: 'usd',
      },
      {
        kind: 'call',
        origin: stack.api.url,
        route: 'GET /api/joke',
        units: 500,
        creditsRemaining: 49_500,
        currency: 'usd',
      },
      {
        kind: 'call',
        origin: stack.api.url,
        route: 'GET /api/dynamic',
        units: 500,
        creditsRemaining: 49_000,
        currency: 'usd',
      },
    ])
    expect(journal[0]?.chargeId).toBe(stack.emulator.paymentIntents()[0]?.id)
  })

  describe('under a wildcard price, where the server debits whatever the handler answers', () => {
    let api: PaidApi
    beforeEach(async () => {
      api = await startPaidApi(stack.emulator, {
        routes: { 'GET /api/*': { amount: 500, minTopUp: 50_000 } },
      })
    })
    afterEach(async () => {
      await api.close()
    })
    const credentialOf = async (pay: PayingFetch) => (await pay.wallet()).origins[0]

    it('records a paid 404: the server kept its debit, so the wallet counts it', async () => {
      const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
      await pay(`${api.url}/api/joke`)
      const missing = await pay(`${api.url}/api/nothing-here`)
      expect(missing.status).toBe(404)
      expect(getPaymentInfo(missing)).toMatchObject({
        outcome: 'paid',
        amount: 500,
        creditsRemaining: 49_000,
      })
      expect((await pay.journal()).filter((e) => e.kind === 'call').map((e) => e.route)).toEqual([
        'GET /api/joke',
        'GET /api/nothing-here',
      ])
      const clientId = api.requests.at(-1)?.payment?.clientId as string
      expect(await api.paywall.balance(clientId)).toBe(49_000)
      expect(await credentialOf(pay)).toMatchObject({
        creditsRemaining: 49_000,
        used: 1_000,
        calls: 2,
      })
    })

    it('does not believe the balance on a paid 5xx, which the server gives back after answering', async () => {
      const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
      await pay(`${api.url}/api/joke`)
      const broken = await pay(`${api.url}/api/broken`)
      expect(broken.status).toBe(500)
      const clientId = api.requests.at(-1)?.payment?.clientId as string
      await expect.poll(() => api.paywall.balance(clientId)).toBe(49_500)
      // The receipt said 49,000 (written before the reversal); the wallet keeps what is really there.
      expect(getPaymentInfo(broken)).toMatchObject({ creditsRemaining: 49_500 })
      expect(await credentialOf(pay)).toMatchObject({
        creditsRemaining: 49_500,
        used: 500,
        calls: 1,
      })
      expect((await pay.journal()).filter((e) => e.kind === 'call')).toHaveLength(1)
    })
  })
})
