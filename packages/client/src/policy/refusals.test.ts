// Every policy refusal happens before money moves: the caller gets the 402, and Stripe is never called.
import { describe, expect, it } from 'vitest'
import { startPaidApi } from '../../test/support/paid-api'
import { CARDS, useStack } from '../../test/support/stack'
import {
  type ApprovalContext,
  createPayingFetch,
  getPaymentInfo,
  type PayingFetchOptions,
  type PaymentEvent,
} from '../index'

const stack = useStack()

describe('refused by policy: a 402 back, no call to Stripe, no charge', () => {
  const cases: [string, Omit<PayingFetchOptions, 'stripeApiBase'>, string][] = [
    [
      'a price above maxAmountPerRequest',
      { card: CARDS.visa, policy: { maxAmountPerRequest: 100 } },
      'price_above_max',
    ],
    [
      'a minimum top-up above maxTopUp',
      { card: CARDS.visa, policy: { maxTopUp: 10_000 } },
      'top_up_above_max',
    ],
    [
      'a top-up larger than the daily budget',
      { card: CARDS.visa, policy: { budget: { daily: 20_000 } } },
      'budget_exceeded',
    ],
    [
      'a top-up larger than the monthly budget',
      { card: CARDS.visa, policy: { budget: { monthly: 49_999 } } },
      'budget_exceeded',
    ],
    [
      'a top-up larger than the total budget',
      { card: CARDS.visa, policy: { budget: { total: 0 } } },
      'budget_exceeded',
    ],
    [
      'a currency the policy does not budget for',
      { card: CARDS.visa, policy: { budget: { daily: { eur: 100_000 } } } },
      'currency_not_allowed',
    ],
    [
      'an origin outside allowOrigins',
      { card: CARDS.visa, policy: { allowOrigins: ['https://api.example.com'] } },
      'origin_not_allowed',
    ],
    [
      'an approve hook that says no',
      { card: CARDS.visa, policy: { approve: () => false } },
      'not_approved',
    ],
    [
      'an approve hook that throws',
      { card: CARDS.visa, policy: { approve: () => Promise.reject(new Error('no human around')) } },
      'not_approved',
    ],
    [
      'a paymentMethod callback that returns null',
      { paymentMethod: async () => null },
      'no_payment_method',
    ],
    ['no card at all', {}, 'no_payment_method'],
  ]

  it.each(cases)('%s', async (_name, options, reason) => {
    const events: PaymentEvent[] = []
    const pay = createPayingFetch({
      ...options,
      stripeApiBase: stack.emulator.url,
      onEvent: (e) => events.push(e),
    })
    const res = await pay(`${stack.api.url}/api/joke`)

    expect(res.status).toBe(402)
    expect(await res.json()).toMatchObject({ stripe402Version: 1 })
    expect(getPaymentInfo(res)).toMatchObject({ outcome: 'refused', reason, requests: 1 })
    expect(events.filter((e) => e.type === 'refused')).toMatchObject([{ reason }])
    expect(stack.emulator.requests()).toEqual([])
    expect(stack.emulator.charges()).toEqual([])
    expect(stack.api.requests).toHaveLength(1)
    expect((await pay.wallet()).spent).toEqual({})
  })
})

describe('budgets', () => {
  it('are in one currency: a plain-number budget is in usd, and a price in eur is refused before any money moves unless eur has a budget of its own', async () => {
    const eur = await startPaidApi(stack.emulator, {
      routes: { 'GET /api/joke': { amount: 500, minTopUp: 50_000, currency: 'eur' } },
    })
    try {
      const events: PaymentEvent[] = []
      const pay = createPayingFetch({
        card: CARDS.visa,
        stripeApiBase: stack.emulator.url,
        policy: { budget: { daily: 200_000 } }, // $20 a day
        onEvent: (e) => events.push(e),
      })
      const refused = await pay(`${eur.url}/api/joke`)
      expect(refused.status).toBe(402)
      expect(getPaymentInfo(refused)).toMatchObject({
        outcome: 'refused',
        reason: 'currency_not_allowed',
        requests: 1,
      })
      expect(getPaymentInfo(refused)?.message).toMatch(/no budget in eur/)
      expect(events.filter((e) => e.type === 'refused')).toMatchObject([
        { reason: 'currency_not_allowed' },
      ])
      // Nothing moved: no tokenization, no charge.
      expect(stack.emulator.requests()).toEqual([])
      expect(stack.emulator.charges()).toEqual([])
      expect((await pay.wallet()).spent).toEqual({})
      // The budget's own currency still pays.
      expect(getPaymentInfo(await pay(`${stack.api.url}/api/joke`))).toMatchObject({
        outcome: 'paid',
      })

      // Given a budget of its own, eur pays too.
      const both = createPayingFetch({
        card: CARDS.visa,
        stripeApiBase: stack.emulator.url,
        policy: { budget: { daily: { usd: 200_000, eur: 180_000 } } },
      })
      expect(getPaymentInfo(await both(`${eur.url}/api/joke`))).toMatchObject({ outcome: 'paid' })
      expect(stack.emulator.charges().map((c) => c.currency)).toEqual(['usd', 'eur'])
    } finally {
      await eur.close()
    }
  })

  it('count top-ups across origins in the same currency', async () => {
    const other = await startPaidApi(stack.emulator)
    try {
      const pay = createPayingFetch({
        card: CARDS.visa,
        stripeApiBase: stack.emulator.url,
        policy: { budget: { daily: 60_000 } },
      })
      expect((await pay(`${stack.api.url}/api/joke`)).status).toBe(200)
      const requestsBefore = stack.emulator.requests().length
      const res = await pay(`${other.url}/api/joke`)
      expect(getPaymentInfo(res)).toMatchObject({ outcome: 'refused', reason: 'budget_exceeded' })
      expect(stack.emulator.requests()).toHaveLength(requestsBefore)
      expect(stack.emulator.charges()).toHaveLength(1)
    } finally {
      await other.close()
    }
  })

  it('reset with the UTC day, and a top-up shrinks to fit what is left', async () => {
    let now = Date.UTC(2030, 5, 1, 23, 0)
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      now: () => now,
      policy: { topUp: 200_000, budget: { daily: 120_000 } },
    })
    const whole = `${stack.api.url}/api/whole`
    const first = await pay(whole)
    expect(getPaymentInfo(first)?.topUp?.units).toBe(120_000) // wanted 200,000; the budget allows 120,000
    await pay(whole) // 70,000 left
    await pay(whole) // 20,000 left
    const refused = await pay(whole)
    expect(getPaymentInfo(refused)).toMatchObject({ outcome: 'refused', reason: 'budget_exceeded' })

    now = Date.UTC(2030, 5, 2, 0, 1)
    const nextDay = await pay(whole)
    expect(getPaymentInfo(nextDay)).toMatchObject({ outcome: 'paid', topUp: { units: 120_000 } })
    expect(stack.emulator.charges().map((c) => c.amount)).toEqual([1200, 1200])
    expect((await pay.wallet()).spent.usd).toEqual({
      daily: 120_000,
      monthly: 240_000,
      total: 240_000,
    })
  })

  it('ask the approve hook with the top-up about to be charged and what was spent', async () => {
    const seen: ApprovalContext[] = []
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      policy: {
        approve: (ctx) => {
          seen.push(ctx)
          return true
        },
      },
    })
    await pay(`${stack.api.url}/api/joke`)
    expect(seen).toMatchObject([
      {
        origin: stack.api.url,
        method: 'GET',
        route: 'GET /api/joke',
        topUpAmount: 50_000,
        spent: { daily: 0, monthly: 0, total: 0 },
        requirements: { amount: 500 },
      },
    ])
    // Steady state is covered by the ceiling already: no more questions.
    await pay(`${stack.api.url}/api/joke`)
    expect(seen).toHaveLength(1)
  })
})
