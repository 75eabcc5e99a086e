/** The wallet view: how much was spent, where, and what is left. */
import type { SpentTotals } from '../options'
import { currenciesSpent, spentTotals } from './budget'
import type { WalletSnapshot } from './snapshot'

/** One row per (origin, currency). */
export interface WalletOrigin {
  origin: string
  currency: string
  /** Credits left at the origin as of the last answer, in units (0 when no credential is held). */
  creditsRemaining: number
  /** Units charged to the card for this origin, unconfirmed top-ups included (they may have been charged). */
  spent: number
  /**
   * Units of recent top-ups the server never confirmed (no charge id: a 503, a lost answer): the
   * card may or may not have been charged. Part of `spent`, so budgets count them.
   */
  unconfirmed: number
  /** Number of those unconfirmed top-ups. */
  unconfirmedTopUps: number
  /** Units of credits spent on calls. */
  used: number
  /** Number of top-ups. */
  topUps: number
  /** Number of paid calls. */
  calls: number
}

export interface WalletView {
  origins: WalletOrigin[]
  /** Per currency: charged to the card today, this month (UTC) and ever, in units. What budgets limit. */
  spent: Record<string, SpentTotals>
}

export function walletView(state: WalletSnapshot, now: number): WalletView {
  const origins: WalletOrigin[] = []
  for (const [origin, record] of Object.entries(state.origins)) {
    const currencies = new Set(Object.keys(record.stats))
    if (record.credential) currencies.add(record.credential.currency)
    for (const currency of [...currencies].sort()) {
      const stats = record.stats[currency] ?? { spent: 0, used: 0, topUps: 0, calls: 0 }
      const credits =
        record.credential?.currency === currency ? record.credential.creditsRemaining : 0
      const unsure = state.journal.filter(
        (e) =>
          e.kind === 'top_up' &&
          e.origin === origin &&
          e.currency === currency &&
          e.chargeId === undefined,
      )
      origins.push({
        origin,
        currency,
        creditsRemaining: credits,
        ...stats,
        unconfirmed: unsure.reduce((n, e) => n + e.units, 0),
        unconfirmedTopUps: unsure.length,
      })
    }
  }
  origins.sort((a, b) => a.origin.localeCompare(b.origin) || a.currency.localeCompare(b.currency))
  const spent: Record<string, SpentTotals> = {}
  for (const currency of currenciesSpent(state)) spent[currency] = spentTotals(state, currency, now)
  return { origins, spent }
}
