/** Reconciliation: makes the ledger match Stripe for this paywall's top-ups (a crash between charge and credit, a missed webhook). */
import { applyTopUp } from './top-up/apply'
import { topUpTarget } from './top-up/target'
import type { Engine } from './engine'

export interface ReconcileOptions {
  /** Only PaymentIntents created at or after this time (a Date or epoch milliseconds). Default: all. */
  since?: Date | number
  /** Most PaymentIntents to examine (default 1,000). */
  limit?: number
}

export interface ReconcileResult {
  /** Succeeded top-ups of this paywall examined. */
  checked: number
  /** Top-ups that were missing and are now credited. */
  credited: number
  /** Top-ups the ledger already had. */
  alreadyCredited: number
}

/**
 * Lists PaymentIntents (not search: Stripe's search index lags by up to a minute, the list
 * does not) with their latest charge, and applies each succeeded one this paywall charged
 * (its `stripe402_paywall` metadata): the credit, and the charge's refunds and disputes.
 * Every effect is keyed by a Stripe id, so running this any number of times, alongside
 * webhooks and live traffic, never applies anything twice. Errors are thrown: this is an
 * operator's call.
 */
export async function reconcile(
  engine: Engine,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const since =
    options.since === undefined
      ? undefined
      : Math.floor((options.since instanceof Date ? options.since.getTime() : options.since) / 1000)
  const limit = options.limit ?? 1000
  const result: ReconcileResult = { checked: 0, credited: 0, alreadyCredited: 0 }
  for await (const pi of engine.gateway.listPaymentIntents(since, limit)) {
    if (pi.status !== 'succeeded' || !topUpTarget(engine, pi)) continue
    result.checked++
    const applied = await applyTopUp(engine, pi, 'reconcile')
    if (applied?.applied) result.credited++
    else result.alreadyCredited++
  }
  return result
}
