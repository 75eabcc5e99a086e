/** Money charged to the card per currency over a UTC day, a UTC month and ever, from the journal. */
import type { SpentTotals } from '../options'
import type { WalletSnapshot } from './snapshot'

export function startOfUtcDay(now: number): number {
  const d = new Date(now)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())
}

export function startOfUtcMonth(now: number): number {
  const d = new Date(now)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

/** Top-ups (pending ones included: they may have been charged) in `currency`. */
export function spentTotals(state: WalletSnapshot, currency: string, now: number): SpentTotals {
  const day = startOfUtcDay(now)
  const month = startOfUtcMonth(now)
  let daily = 0
  let monthly = 0
  for (const entry of state.journal) {
    if (entry.kind !== 'top_up' || entry.currency !== currency) continue
    if (entry.at >= month) monthly += entry.units
    if (entry.at >= day) daily += entry.units
  }
  let total = 0
  for (const record of Object.values(state.origins)) total += record.stats[currency]?.spent ?? 0
  return { daily, monthly, total }
}

/**
 * Whether to take a server's word that a top-up was not charged (a 402 such as `card_declined`)
 * and release its line. The client cannot check it: an origin that charged the card and says
 * `card_declined` would otherwise take top-up after top-up outside every budget. So the word is
 * taken once per UTC day and currency, across origins; a later refusal that day keeps its line,
 * counted against budgets as an unconfirmed top-up. A lying origin gains at most one top-up a
 * day; an honest decline costs the budget a top-up's room for each retry after the first.
 * Records the taking when it answers true.
 */
export function takeRefusal(state: WalletSnapshot, currency: string, now: number): boolean {
  const taken = state.refusalsTaken?.[currency]
  if (taken !== undefined && taken >= startOfUtcDay(now)) return false
  state.refusalsTaken = { ...state.refusalsTaken, [currency]: now }
  return true
}

/** Every currency the wallet has charged in. */
export function currenciesSpent(state: WalletSnapshot): string[] {
  const set = new Set<string>()
  for (const record of Object.values(state.origins))
    for (const currency of Object.keys(record.stats)) set.add(currency)
  return [...set].sort()
}
