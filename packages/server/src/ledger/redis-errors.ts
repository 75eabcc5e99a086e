/** Tells an unreachable or unready Redis apart from a bug, so the engine can answer 503 and retry later. */
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

// Error replies that mean "not now": loading, failover, cluster trouble, memory, authentication.
const UNAVAILABLE_REPLIES = [
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'READONLY',
  'NOREPLICAS',
  'OOM',
  'NOAUTH',
  'WRONGPASS',
]

// What ioredis says (without a code) when it has no connection to send on or gave up waiting.
const CONNECTION_MESSAGES = [
  "stream isn't writeable",
  'connection is closed',
  'command timed out',
  'none of startup nodes is available',
  "cluster isn't ready",
  'failed to refresh slots cache',
]

function isConnectionFailure(err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err.name === 'MaxRetriesPerRequestError') return true
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true
  if (err instanceof AggregateError && err.errors.some(isConnectionFailure)) return true
  if (
    UNAVAILABLE_REPLIES.some(
      (reply) => err.message.startsWith(`${reply} `) || err.message === reply,
    )
  )
    return true
  const message = err.message.toLowerCase()
  return CONNECTION_MESSAGES.some((m) => message.includes(m))
}

/** Rethrows `err` as a LedgerUnavailableError when Redis cannot serve the call; as is otherwise. */
export function toLedgerError(err: unknown): unknown {
  if (err instanceof LedgerUnavailableError || !isConnectionFailure(err)) return err
  return new LedgerUnavailableError(
    `stripe402 ledger: Redis is unavailable (${(err as Error).message})`,
    { cause: err },
  )
}
