// Top-up sizing: the amount reserved against budgets is exactly what the card will be charged.
import { describe, expect, it } from 'vitest'
import type { PaymentRequirements } from '@stripe402/protocol'
import type { Policy } from '../options'
import { chooseTopUp } from './top-up'

const usd: PaymentRequirements = {
  scheme: 'stripe',
  currency: 'usd',
  amount: 500,
  minTopUp: 50_000,
  publishableKey: 'pk_test_x',
}
const nothingSpent = { daily: 0, monthly: 0, total: 0 }
const size = (policy: Policy, requirements = usd, spent = nothingSpent) =>
  chooseTopUp({ policy, requirements, origin: 'https://api.example.com', route: 'GET /x', spent })

describe('chooseTopUp', () => {
  it('says in plain words what a budget refusal is about: the top-up, the budget, what is already charged (issue 17)', () => {
    expect(
      size({ budget: { total: 50_000 } }, usd, { daily: 50_000, monthly: 50_000, total: 50_000 }),
    ).toEqual({
      refusal: {
        reason: 'budget_exceeded',
        message: 'A top-up of $5.00 would exceed the total budget of $5.00: $5.00 already charged.',
      },
    })
    expect(
      size({ budget: { daily: 80_000 } }, usd, { daily: 40_000, monthly: 40_000, total: 40_000 }),
    ).toEqual({
      refusal: {
        reason: 'budget_exceeded',
        message:
          'A top-up of $5.00 would exceed the daily budget of $8.00: $4.00 already charged today.',
      },
    })
  })

  it("defaults to the server's minimum", () => {
    expect(size({})).toEqual({ units: 50_000 })
  })

  it('rounds up to a whole cent, which is what Stripe charges', () => {
    expect(size({ topUp: 50_001 })).toEqual({ units: 50_100 })
    expect(size({ topUp: () => 73_333.3 })).toEqual({ units: 73_400 })
  })

  it('rounds to a whole yen for zero-decimal currencies', () => {
    const jpy = { ...usd, currency: 'jpy', amount: 10_000, minTopUp: 500_000 }
    expect(size({ topUp: 512_345 }, jpy)).toEqual({ units: 520_000 })
  })

  it('shrinks to what is left of the budget, in whole cents, but never below the minimum', () => {
    expect(
      size({ topUp: 200_000, budget: { daily: 120_050 } }, usd, {
        daily: 10_001,
        monthly: 0,
        total: 0,
      }),
    ).toEqual({ units: 110_000 })
    expect(
      size({ budget: { daily: 60_000 } }, usd, { daily: 10_001, monthly: 0, total: 0 }),
    ).toMatchObject({ refusal: { reason: 'budget_exceeded' } })
  })

  it('never tops up less than the call costs', () => {
    expect(size({}, { ...usd, amount: 80_000 })).toEqual({ units: 80_000 })
  })

  it('respects maxTopUp over a larger preference, and refuses when the minimum is above it', () => {
    expect(size({ topUp: 500_000, maxTopUp: 100_000 })).toEqual({ units: 100_000 })
    expect(size({ maxTopUp: { usd: 10_000 } })).toMatchObject({
      refusal: { reason: 'top_up_above_max' },
    })
  })

  it("stays within the server's own maxTopUp", () => {
    expect(size({ topUp: 500_000 }, { ...usd, maxTopUp: 200_000 })).toEqual({ units: 200_000 })
  })
})
