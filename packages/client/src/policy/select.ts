/** Picks which of a challenge's payment options to pay, and checks its price against the policy. */
import type { PaymentRequirements } from '@stripe402/protocol'
import type { Policy } from '../options'
import { budgetCurrency, budgetExcludes, excludesCurrency, limitFor } from './limits'
import { money, type Refusal, refusal } from './refusal'

/**
 * Options in a currency the policy pays in, cheapest first after the preferred currency
 * (the one credits are already held in). The first within `maxAmountPerRequest` wins.
 */
export function selectRequirements(
  accepts: readonly PaymentRequirements[],
  policy: Policy,
  preferredCurrency: string | undefined,
):
  | { requirements: PaymentRequirements }
  | { refusal: Refusal; requirements?: PaymentRequirements } {
  const payable = accepts.filter(
    (r) => r.scheme === 'stripe' && !excludedByPolicy(policy, r.currency),
  )
  if (payable.length === 0) {
    const currencies = [...new Set(accepts.map((r) => r.currency))]
    return {
      refusal: refusal('currency_not_allowed', notPaidIn(policy, currencies)),
      requirements: accepts[0],
    }
  }
  const ordered = [...payable].sort((a, b) => rank(a) - rank(b) || a.amount - b.amount)
  function rank(r: PaymentRequirements): number {
    return r.currency === preferredCurrency ? 0 : 1
  }
  for (const requirements of ordered) {
    const cap = limitFor(policy.maxAmountPerRequest, requirements.currency)
    if (cap === undefined || requirements.amount <= cap) return { requirements }
  }
  const first = ordered[0] as PaymentRequirements
  const cap = limitFor(policy.maxAmountPerRequest, first.currency) ?? 0
  return {
    refusal: refusal(
      'price_above_max',
      `The price ${money(first.amount, first.currency)} is above maxAmountPerRequest ${money(cap, first.currency)}.`,
    ),
    requirements: first,
  }
}

function excludedByPolicy(policy: Policy, currency: string): boolean {
  return (
    excludesCurrency(policy.maxAmountPerRequest, currency) ||
    excludesCurrency(policy.maxTopUp, currency) ||
    budgetExcludes(policy.budget, currency) !== undefined
  )
}

/** Why none of `currencies` is paid: a missing budget says which currency the budget is in. */
function notPaidIn(policy: Policy, currencies: readonly string[]): string {
  const list = currencies.join(', ')
  const period = currencies
    .map((currency) => budgetExcludes(policy.budget, currency))
    .find((p) => p !== undefined)
  if (period === undefined) return `The policy does not pay in ${list}.`
  const limit = policy.budget?.[period]
  const currency = currencies[0] as string
  if (typeof limit === 'number') {
    const ours = budgetCurrency(policy.budget)
    return `The policy has no budget in ${list}: a plain-number budget is in ${ours} only. Give ${currency} one of its own, e.g. budget.${period}: { ${ours}: ${limit}, ${currency}: … }.`
  }
  return `The policy has no budget in ${list}: budget.${period} names only ${Object.keys(limit ?? {}).join(', ') || 'no currency'}.`
}
