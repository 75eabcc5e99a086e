/** How the payment path reports to the card-testing defences: counting failures and answering 429. */
import { errorMessage } from '../events'
import type { PaywallOutcome } from '../outcome'
import type { LimitName } from '../limit-name'
import type { Engine } from '../engine'
import { refuse, type Where } from './deny'

/** Counts a failed payment against the client's address and, once known, the card's account. */
export async function countFailure(
  engine: Engine,
  clientAddress: string | undefined,
  cardAccountId: string | undefined,
): Promise<void> {
  try {
    await engine.guard.recordFailure('failed_payments_per_address', clientAddress)
    await engine.guard.recordFailure('failed_payments_per_card', cardAccountId)
  } catch (error) {
    // The refusal stands either way; a counter we could not bump only weakens the limit for a moment.
    engine.logger.warn('could not count a failed payment for rate limiting', {
      error: errorMessage(error),
    })
  }
}

/** 429 `rate_limited` with Retry-After, reported as a `rate_limited` event too. */
export function rateLimited(
  engine: Engine,
  where: Where,
  limit: LimitName,
  retryAfterSeconds: number,
): PaywallOutcome {
  engine.emit({ type: 'rate_limited', limit, retryAfterSeconds })
  const what =
    limit === 'top_ups_per_account' ? 'Too many top-ups for this card' : 'Too many failed payments'
  return refuse(
    engine,
    where,
    429,
    'rate_limited',
    `${what}; retry after ${retryAfterSeconds} seconds.`,
    retryAfterSeconds,
  )
}
