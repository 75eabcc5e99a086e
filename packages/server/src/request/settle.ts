/** Settling a paid request: give the debit back when the handler failed, exactly once. */
import { errorMessage } from '../events'
import type { Engine } from '../engine'

export interface Debit {
  accountId: string
  currency: string
  units: number
  /** Journal entry id of the debit; the reversal is keyed by it, so it can never be applied twice. */
  entryId: string
}

/**
 * Returns the `settle` of a paid outcome. The first call decides; later calls return the
 * same promise. Failures are logged and reported, never thrown: the response is already
 * on its way and the adapter has nothing better to do with them.
 */
export function createSettle(engine: Engine, debit: Debit): (status: number) => Promise<void> {
  let settled: Promise<void> | undefined
  return (status) => {
    settled ??= reverseIfFailed(engine, debit, status)
    return settled
  }
}

async function reverseIfFailed(engine: Engine, debit: Debit, status: number): Promise<void> {
  // A status that is not a number means the adapter lost track of the response: treat it as failed.
  const final = Number.isInteger(status) ? status : 500
  let reverse: boolean
  try {
    reverse = engine.config.shouldReverse(final)
  } catch (error) {
    engine.logger.error('reverseDebit policy threw; the debit stands', {
      error: errorMessage(error),
    })
    return
  }
  if (reverse) await giveBack(engine, debit, final)
}

/** Credits a debit back (`reversal` keyed by the debit's entry id). Never throws. */
export async function giveBack(engine: Engine, debit: Debit, status: number): Promise<void> {
  try {
    const { applied } = await engine.ledger.credit({
      accountId: debit.accountId,
      currency: debit.currency,
      units: debit.units,
      kind: 'reversal',
      ref: debit.entryId,
    })
    if (applied)
      engine.emit({
        type: 'reversal',
        accountId: debit.accountId,
        currency: debit.currency,
        units: debit.units,
        status,
      })
  } catch (error) {
    const message = errorMessage(error)
    engine.logger.error('could not reverse a debit after a failed response', {
      accountId: debit.accountId,
      entryId: debit.entryId,
      error: message,
    })
    engine.emit({ type: 'error', stage: 'settle', code: 'reversal_failed', message })
  }
}
