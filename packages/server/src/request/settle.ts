/** Settling a paid request: keep its debit once the answer went out, or give it back when the handler failed, exactly once. */
import { errorMessage } from '../events'
import type { Engine } from '../engine'

export interface Debit {
  accountId: string
  currency: string
  units: number
  /** The debit's ref (unique per request): its reversal is keyed by it, so it is never given back twice. */
  ref: string
  /** Held until then (epoch ms) when the ledger holds debits: settled by a sweep if this process never settles it. */
  holdUntil?: number
}

/**
 * Returns the `settle` of a paid outcome, and marks its debit in flight. The first call decides;
 * later calls return the same promise. Failures are logged and reported, never thrown: the
 * response is already on its way and the adapter has nothing better to do with them. A reversal
 * the ledger cannot take now is retried, and, if this process dies first, the debit's hold
 * brings it back by any instance's sweep.
 */
export function createSettle(engine: Engine, debit: Debit): (status: number) => Promise<void> {
  if (debit.holdUntil !== undefined) engine.settler.begin(debit, debit.holdUntil)
  let settled: Promise<void> | undefined
  return (status) => {
    settled ??= decide(engine, debit, status)
    return settled
  }
}

/** What settling a debit that stands returns: nothing to wait for, and no promise made per request. */
const KEPT: Promise<void> = Promise.resolve()

function decide(engine: Engine, debit: Debit, status: number): Promise<void> {
  // A status that is not a number means the adapter lost track of the response: treat it as failed.
  const final = Number.isInteger(status) ? status : 500
  let reverse: boolean
  try {
    reverse = engine.config.shouldReverse(final)
  } catch (error) {
    engine.logger.error('reverseDebit policy threw; the debit stands', {
      error: errorMessage(error),
    })
    reverse = false
  }
  // The same object `begin` was given: the settler finds it by identity, and copies nothing.
  if (!reverse) {
    engine.settler.keep(debit, final)
    return KEPT
  }
  return engine.settler.settle(debit, true, final).then(nothing)
}

function nothing(): void {}

/**
 * Gives a debit back (a `reversal` keyed by its ref, once). True when it is back now; false when
 * the ledger did not answer, and it is retried and, failing that, swept back. Never throws.
 */
export function giveBack(engine: Engine, debit: Debit, status: number): Promise<boolean> {
  return engine.settler.settle(debit, true, status)
}
