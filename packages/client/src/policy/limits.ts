/** Reads a per-currency limit: one number for every currency, or a record where a missing currency gets nothing. */
import type { PerCurrency, Policy } from '../options'

/** The currency a plain-number budget is in when `policy.budget.currency` does not say. */
export const DEFAULT_BUDGET_CURRENCY = 'usd'

export type BudgetPeriod = 'daily' | 'monthly' | 'total'

/** The limit in `currency`, or `undefined` when there is none. */
export function limitFor(limit: PerCurrency | undefined, currency: string): number | undefined {
  if (limit === undefined) return undefined
  if (typeof limit === 'number') return limit
  return Object.hasOwn(limit, currency) ? limit[currency] : 0
}

/** True when a record-shaped limit leaves `currency` out, i.e. the policy never pays in it. */
export function excludesCurrency(limit: PerCurrency | undefined, currency: string): boolean {
  return limit !== undefined && typeof limit !== 'number' && !Object.hasOwn(limit, currency)
}

/**
 * A budget is in one currency, unlike per-call limits: a plain number is in the budget's
 * `currency` and gives every other currency nothing, or one number would be drawn once per
 * currency (eight currencies, eight days' budget in a day).
 */
export function budgetFor(
  budget: Policy['budget'],
  period: BudgetPeriod,
  currency: string,
): number | undefined {
  const limit = budget?.[period]
  if (typeof limit !== 'number') return limitFor(limit, currency)
  return currency === budgetCurrency(budget) ? limit : 0
}

/** The period of a budget that gives `currency` nothing of its own, if any: the policy never pays in it. */
export function budgetExcludes(
  budget: Policy['budget'],
  currency: string,
): BudgetPeriod | undefined {
  return (['daily', 'monthly', 'total'] as const).find((period) => {
    const limit = budget?.[period]
    if (typeof limit === 'number') return currency !== budgetCurrency(budget)
    return excludesCurrency(limit, currency)
  })
}

/** What a plain-number budget is in. */
export function budgetCurrency(budget: Policy['budget']): string {
  return budget?.currency ?? DEFAULT_BUDGET_CURRENCY
}
