/** Tells an unreachable or unready PostgreSQL apart from a bug, so the engine can answer 503 and retry later. */
import { LedgerUnavailableError } from './types'

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
])

// SQLSTATEs that mean "not now" rather than "wrong": connection loss, shutdown, overload,
// timeouts, contention, a read-only failover target, a missing database or credentials.
const UNAVAILABLE_STATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '57014',
  '55P03',
  '40001',
  '40P01',
  '25006',
  '3D000',
  '28000',
  '28P01',
])
const UNAVAILABLE_CLASSES = ['08', '53']

// Messages node-postgres, pg-pool and PGlite use for a dead or closed connection (they carry no code).
const CONNECTION_MESSAGES = [
  'connection terminated',
  'timeout exceeded when trying to connect',
  'query read timeout',
  'not queryable',
  'cannot use a pool after calling end',
  'pglite is closed',
]

// A schema that was never migrated is a deploy-order problem: fail closed with a 503 that says what to run.
const NOT_MIGRATED_STATES = new Set(['42P01', '42883', '3F000'])

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

function isConnectionFailure(err: unknown): boolean {
  const code = codeOf(err)
  if (code !== undefined) {
    if (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code)) return true
    if (code.length === 5 && UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) return true
  }
  // Node wraps a refused connection to every address of a host name in an AggregateError.
  if (err instanceof AggregateError && err.errors.some(isConnectionFailure)) return true
  const message = err instanceof Error ? err.message.toLowerCase() : ''
  return CONNECTION_MESSAGES.some((m) => message.includes(m))
}

/** Rethrows `err` as a LedgerUnavailableError when PostgreSQL is unreachable or not migrated; as is otherwise. */
export function toLedgerError(err: unknown, schema: string): unknown {
  if (err instanceof LedgerUnavailableError) return err
  if (isConnectionFailure(err)) {
    const why = err instanceof Error ? err.message : String(err)
    return new LedgerUnavailableError(
      `stripe402 ledger: PostgreSQL is unavailable (${why || codeOf(err) || 'connection failed'})`,
      { cause: err },
    )
  }
  const code = codeOf(err)
  if (code !== undefined && NOT_MIGRATED_STATES.has(code)) {
    return new LedgerUnavailableError(
      `stripe402 ledger: schema "${schema}" is missing or out of date; run \`await ledger.migrate()\` before serving (${(err as Error).message})`,
      { cause: err },
    )
  }
  return err
}

/**
 * Whether PostgreSQL answered a statement with an error that is not "not now": a data or schema
 * error (`22021`: NUL or invalid UTF-8 in text), a constraint, a bug. At severity `ERROR` the
 * statement's transaction rolled back before any commit, so it applied nothing, and running it
 * again fails the same way. Server errors carry a SQLSTATE and a severity; a network error
 * (`EPIPE`) has no severity. A `FATAL` or `PANIC` ends the session and can come after a commit, so
 * it says nothing of what was applied: not a statement error.
 */
export function isStatementError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const { code, severity } = err as { code?: unknown; severity?: unknown }
  return (
    typeof code === 'string' &&
    /^[0-9A-Z]{5}$/.test(code) &&
    severity === 'ERROR' &&
    !(toLedgerError(err, '') instanceof LedgerUnavailableError)
  )
}
