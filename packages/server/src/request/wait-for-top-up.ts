/** Waiting for a top-up another request is charging for the same card, instead of charging twice. */
import type { Engine } from '../engine'
import { acquireTopUpLock } from '../top-up/lock'
import { type CardPayer, type CardSpend, spendByCard } from './card-spend'
import { refuse, RETRY_AFTER_SECONDS, whereOf } from './deny'
import type { PricedRequest } from './priced'

/** How a wait ends: the other top-up paid (or the card was refused), or the lock is this request's now. */
export type Waited =
  | Exclude<CardSpend, { kind: 'short' }>
  | { kind: 'locked'; lock: string; payer: CardPayer }

/**
 * Polls for the top-up another request is charging for this card, spending from it as
 * soon as it lands. Ends `locked` when the other request gave up or finished without
 * covering this one, or `refused` with a 503 when the wait runs out.
 */
export async function waitForTopUp(
  engine: Engine,
  request: PricedRequest,
  payer: CardPayer,
): Promise<Waited> {
  const deadline = Date.now() + engine.config.lockWaitMs
  let pause = 20
  let current = payer
  while (Date.now() < deadline) {
    await sleep(Math.min(pause, Math.max(0, deadline - Date.now())))
    pause = Math.min(pause * 1.5, 250)
    const spent = await spendByCard(engine, request, current)
    if (spent.kind !== 'short') return spent
    current = spent.payer
    const lock = await acquireTopUpLock(engine, current.accountId, request.route.currency)
    if (lock) return { kind: 'locked', lock, payer: current }
  }
  const outcome = refuse(
    engine,
    whereOf(request),
    503,
    'payment_unavailable',
    'Another payment with this card is in progress; retry shortly.',
    RETRY_AFTER_SECONDS,
  )
  return { kind: 'refused', outcome }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
