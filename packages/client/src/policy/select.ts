/** Picks which of a challenge's payment options to pay, and checks its price against the policy. */
import type { PaymentRequirements } from '@stripe402/protocol'
import type { Policy } from '../options'
import { excludesCurrency, limitFor } from './limits'
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
    const currencies = [...new Set(accepts.map((r) => r.currency))].join(', ')
    return {
      refusal: refusal('currency_not_allowed', `The policy does not pay in ${currencies}.`),
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
  const budget = policy.budget
  return (
    excludesCurrency(policy.maxAmountPerRequest, currency) ||
    excludesCurrency(policy.maxTopUp, currency) ||
    excludesCurrency(budget?.daily, currency) ||
    excludesCurrency(budget?.monthly, currency) ||
    excludesCurrency(budget?.total, currency)
  )
}
