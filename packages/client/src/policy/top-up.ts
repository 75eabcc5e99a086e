/** Sizes a top-up: the preferred amount, kept within every ceiling, never below what the call needs. */
import { chargeableUnits, type PaymentRequirements } from '@stripe402/protocol'
import type { Policy, SpentTotals, TopUpContext } from '../options'
import { budgetFor, limitFor } from './limits'
import { amount, money, type Refusal, refusal } from './refusal'

export interface TopUpInput {
  policy: Policy
  requirements: PaymentRequirements
  origin: string
  route: string
  creditsRemaining?: number
  spent: SpentTotals
}

/**
 * The lower bound is what the server will charge at least and what this call costs.
 * Ceilings are the policy's `maxTopUp`, the server's `maxTopUp`, and what is left of each budget.
 */
export function chooseTopUp(input: TopUpInput): { units: number } | { refusal: Refusal } {
  const { policy, requirements: r, spent } = input
  const lower = Math.max(r.minTopUp, r.amount, 1)
  const ceilings: { units: number; refusal: () => Refusal }[] = []
  const maxTopUp = limitFor(policy.maxTopUp, r.currency)
  if (maxTopUp !== undefined) {
    ceilings.push({
      units: maxTopUp,
      refusal: () =>
        refusal(
          'top_up_above_max',
          `A top-up of at least ${money(lower, r.currency)} is needed; maxTopUp is ${money(maxTopUp, r.currency)}.`,
        ),
    })
  }
  if (r.maxTopUp !== undefined) {
    const serverMax = r.maxTopUp
    ceilings.push({
      units: serverMax,
      refusal: () =>
        refusal(
          'top_up_above_max',
          `The server needs at least ${money(lower, r.currency)} but charges at most ${money(serverMax, r.currency)}.`,
        ),
    })
  }
  for (const period of ['daily', 'monthly', 'total'] as const) {
    const limit = budgetFor(policy.budget, period, r.currency)
    if (limit === undefined) continue
    const left = Math.max(0, limit - spent[period])
    ceilings.push({
      units: left,
      refusal: () =>
        refusal(
          'budget_exceeded',
          `A top-up of ${amount(lower, r.currency)} would exceed the ${period} budget of ${amount(limit, r.currency)}: ${amount(spent[period], r.currency)} already charged${SINCE[period]}.`,
        ),
    })
  }
  const binding = ceilings.find((c) => c.units < lower)
  if (binding) return { refusal: binding.refusal() }
  const ceiling = Math.min(...ceilings.map((c) => c.units))
  const units = Math.min(Math.max(preferred(input), lower), ceiling)
  // Stripe charges whole minor units (cents, yen) and the server rounds up to them: the
  // amount reserved against budgets must be what the card will really be charged.
  const up = chargeableUnits(units, r.currency)
  if (up <= ceiling) return { units: up }
  const down = wholeMinorDown(ceiling, r.currency)
  if (down >= lower && chargeableUnits(down, r.currency) === down) return { units: down }
  const tightest = ceilings.reduce((a, b) => (b.units < a.units ? b : a))
  return { refusal: tightest.refusal() }
}

/** When a budget's charges were counted from, for its refusal message. */
const SINCE = { daily: ' today', monthly: ' this month', total: '' } as const

function wholeMinorDown(units: number, currency: string): number {
  const step = chargeableUnits(1, currency)
  return Math.floor(units / step) * step
}

function preferred(input: TopUpInput): number {
  const { policy, requirements: r } = input
  if (policy.topUp === undefined) return r.minTopUp
  let value: number
  if (typeof policy.topUp === 'number') {
    value = policy.topUp
  } else {
    const context: TopUpContext = {
      origin: input.origin,
      route: input.route,
      currency: r.currency,
      amount: r.amount,
      minTopUp: r.minTopUp,
      ...(r.maxTopUp !== undefined ? { maxTopUp: r.maxTopUp } : {}),
      ...(input.creditsRemaining !== undefined ? { creditsRemaining: input.creditsRemaining } : {}),
    }
    value = policy.topUp(context)
  }
  // A fractional or nonsensical answer falls back to the server's minimum rather than guessing.
  return Number.isFinite(value) && value > 0 ? Math.ceil(value) : r.minTopUp
}
