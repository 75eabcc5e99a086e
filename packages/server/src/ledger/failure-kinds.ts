/** What a ledger error says about the store, whichever store threw it: down (ask again later), or answering with an error. */
import { isStatementError, toLedgerError as postgresError } from './postgres-errors'
import { toLedgerError as redisError } from './redis-errors'
import { LedgerUnavailableError } from './types'

/**
 * The store did not answer: a `LedgerUnavailableError` (what every ledger throws when its store
 * cannot be reached, by the contract), or a raw connection loss or timeout as the PostgreSQL and
 * Redis classifiers see it (a custom ledger that forgot to wrap one). Asking again later may succeed.
 */
export function isLedgerUnavailable(error: unknown): boolean {
  if (error instanceof LedgerUnavailableError) return true
  // Another copy of this package (ESM beside CJS) has its own class.
  if (error instanceof Error && error.name === 'LedgerUnavailableError') return true
  return (
    postgresError(error, '') instanceof LedgerUnavailableError ||
    redisError(error) instanceof LedgerUnavailableError
  )
}

/**
 * The store answered the call with an error (PostgreSQL with a SQLSTATE, Redis with an error
 * reply) that is no outage: asking again gets the same answer.
 */
export function isStoreAnswer(error: unknown): boolean {
  if (isStatementError(error)) return true
  return error instanceof Error && error.name === 'ReplyError' && !isLedgerUnavailable(error)
}
