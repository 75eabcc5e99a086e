/** Reads a per-currency limit: one number for every currency, or a record where a missing currency gets nothing. */
import type { PerCurrency } from '../options'

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
