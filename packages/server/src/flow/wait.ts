/** Waiting for a top-up another request is charging for the same card, instead of charging twice. */
import type { PaywallOutcome } from '../outcome'
import { type CardPayer, spendByCard } from './card-debit'
import type { Engine, PricedRequest } from './context'
import { refuse, RETRY_AFTER_SECONDS, whereOf } from './deny'
import { viaLedger } from './failures'

/**
 * Polls for the top-up another request is charging for this card, spending from it as
 * soon as it lands. Returns the lock when the other request gave up or finished without
 * covering this one, or a 503 when the wait runs out.
 */
export async function waitForTopUp(
  engine: Engine,
  request: PricedRequest,
  payer: CardPayer,
  lockKey: string,
  lockTtlMs: number,
): Promise<PaywallOutcome | string> {
  const deadline = Date.now() + engine.config.lockWaitMs
  let pause = 20
  while (Date.now() < deadline) {
    await sleep(Math.min(pause, Math.max(0, deadline - Date.now())))
    pause = Math.min(pause * 1.5, 250)
    const spent = await spendByCard(engine, request, payer)
    if (!('insufficient' in spent)) return spent
    const lock = await viaLedger(() => engine.ledger.acquireLock(lockKey, lockTtlMs))
    if (lock) return lock
  }
  return refuse(
    engine,
    whereOf(request),
    503,
    'payment_unavailable',
    'Another payment with this card is in progress; retry shortly.',
    RETRY_AFTER_SECONDS,
  )
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
