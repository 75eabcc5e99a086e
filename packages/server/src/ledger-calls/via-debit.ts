/** Runs a request's debit so that one whose answer is lost is held for repair instead of forgotten. */
import { isStatementError } from '../ledger/postgres-errors'
import type { Engine } from '../engine'
import { MAX_DOUBTS } from './doubt'
import { LedgerFailure } from './via-ledger'

/** The request a debit is for: its ref and price, and the route's currency. */
export interface DebitSource {
  route: { currency: string }
  price: number
  ref: string
}

/**
 * Runs a ledger call that debits `debit` (possibly with a top-up credit in the same step). If it
 * throws, nobody can tell in general whether the store applied it (a connection loss, a timeout, a
 * custom ledger's own error): the debit is queued for repair and the failure says so, so the 503
 * does not claim that nothing was spent. The one exception is a statement PostgreSQL answered with
 * a data or schema error (`isStatementError`): its transaction rolled back, so nothing was applied,
 * and it is a bug, answered 500 and never queued (its lookup would fail the same way, for good).
 * Redis error replies stay queued: a Lua script is not rolled back, and the repair pass can tell.
 */
export function viaDebit<T>(
  engine: Engine,
  request: DebitSource,
  accountId: string,
  operation: () => Promise<T>,
): Promise<T> {
  if (engine.doubts.size >= MAX_DOUBTS) {
    return Promise.reject(
      new LedgerFailure(
        new Error(
          `${MAX_DOUBTS} debits are in doubt; no debit is attempted until the ledger answers again`,
        ),
      ),
    )
  }
  // Not an async function: on the paid path an async frame costs more than the call it guards.
  let pending: Promise<T>
  try {
    pending = operation()
  } catch (error) {
    return Promise.reject(failedDebit(engine, request, accountId, error))
  }
  return pending.then(undefined, (error: unknown) => {
    throw failedDebit(engine, request, accountId, error)
  })
}

/** What a debit that threw becomes: refused (nothing applied) or in doubt (queued for repair). */
function failedDebit(
  engine: Engine,
  request: DebitSource,
  accountId: string,
  error: unknown,
): LedgerFailure {
  if (isStatementError(error)) return new LedgerFailure(error, { refused: true })
  // Built here, not per request: nearly every debit gets its answer.
  engine.doubts.add({
    accountId,
    currency: request.route.currency,
    units: request.price,
    ref: request.ref,
  })
  return new LedgerFailure(error, { debitInDoubt: true })
}
