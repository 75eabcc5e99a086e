/** `wallet`: what was charged to the card, what the budgets leave, and the credits held per server. */
import type { PerCurrency, Policy, TreasuryFetch } from '@stripe402/client'
import type { PayingAgent } from '../agent/agent'
import { messageOf, money, type ToolAnswer } from './answer'

type Period = 'daily' | 'monthly' | 'total'
const PERIODS: readonly Period[] = ['daily', 'monthly', 'total']
const PERIOD_WORDS: Record<Period, string> = {
  daily: 'today',
  monthly: 'this month',
  total: 'in all',
}

export async function wallet(agent: PayingAgent): Promise<ToolAnswer> {
  if (agent.treasury) return treasuryWallet(agent.treasury)
  let view: Awaited<ReturnType<PayingAgent['fetch']['wallet']>>
  try {
    view = await agent.fetch.wallet()
  } catch (error) {
    return { isError: true, text: `The wallet could not be read: ${messageOf(error)}.`, data: {} }
  }
  const budget = agent.policy.budget
  const currencies = new Set([...Object.keys(view.spent), budgetCurrency(budget)])
  const budgets: Record<string, Partial<Record<Period, { limit: number; left: number }>>> = {}
  const lines: string[] = []
  for (const currency of [...currencies].sort()) {
    const spent = view.spent[currency] ?? { daily: 0, monthly: 0, total: 0 }
    const parts: string[] = []
    for (const period of PERIODS) {
      const limit = budgetFor(budget, period, currency)
      const words = `${money(spent[period], currency)} ${PERIOD_WORDS[period]}`
      if (limit === undefined) {
        parts.push(words)
        continue
      }
      const left = Math.max(0, limit - spent[period])
      const row = budgets[currency] ?? {}
      row[period] = { limit, left }
      budgets[currency] = row
      parts.push(`${words} of a ${money(limit, currency)} budget (${money(left, currency)} left)`)
    }
    if (view.spent[currency] || budgets[currency])
      lines.push(`Charged to the card in ${currency.toUpperCase()}: ${parts.join('; ')}.`)
  }
  for (const o of view.origins) {
    const unsure =
      o.unconfirmedTopUps > 0
        ? ` (${o.unconfirmedTopUps} of them, ${money(o.unconfirmed, o.currency)}, unconfirmed: no answer named a charge, so the card may or may not have been charged)`
        : ''
    lines.push(
      `${o.origin}: ${money(o.creditsRemaining, o.currency)} of credits left; ${o.calls} paid calls used ${money(o.used, o.currency)}; ${o.topUps} top-ups charged ${money(o.spent, o.currency)}${unsure}.`,
    )
  }
  if (lines.length === 0) lines.push('Nothing was paid yet, and no budget is set.')
  return {
    isError: false,
    text: lines.join('\n'),
    data: { spent: view.spent, budgets, origins: view.origins },
  }
}

function budgetCurrency(budget: Policy['budget']): string {
  return budget?.currency ?? 'usd'
}

/** As the client reads a budget: a plain number is in the budget's currency only; a record per currency. */
function budgetFor(budget: Policy['budget'], period: Period, currency: string): number | undefined {
  const limit: PerCurrency | undefined = budget?.[period]
  if (limit === undefined) return undefined
  if (typeof limit === 'number') return currency === budgetCurrency(budget) ? limit : 0
  return Object.hasOwn(limit, currency) ? limit[currency] : 0
}

/** The agent's account at its treasury: what it spent against its caps, and what is left. */
async function treasuryWallet(treasury: TreasuryFetch): Promise<ToolAnswer> {
  let account: Awaited<ReturnType<TreasuryFetch['account']>>
  try {
    account = await treasury.account()
  } catch (error) {
    return {
      isError: true,
      text: `The treasury's account could not be read: ${messageOf(error)}.`,
      data: {},
    }
  }
  const lines = [
    `Paying through a treasury as agent "${account.name}" (${account.status}); the treasury holds the card.`,
  ]
  for (const [currency, spent] of Object.entries(account.spent)) {
    const left = account.remaining[currency]
    const parts = PERIODS.map((period) => {
      const words = `${money(spent[period], currency)} ${PERIOD_WORDS[period]}`
      const rest = left?.[period]
      return rest === undefined ? words : `${words} (${money(rest, currency)} left)`
    })
    lines.push(`Spent in ${currency.toUpperCase()}: ${parts.join('; ')}.`)
    if (left) lines.push(`The next call may cost at most ${money(left.next, currency)}.`)
  }
  return {
    isError: false,
    text: lines.join('\n'),
    data: {
      treasury: { name: account.name, status: account.status },
      spent: account.spent,
      remaining: account.remaining,
      caps: account.caps,
    },
  }
}
