/** The per-card top-up lock, renewed while its holder works so that a slow Stripe call never outlives it. */
import type { Engine } from '../engine'
import { errorMessage } from '../events'
import { viaLedger } from '../ledger-calls/via-ledger'
import { topUpKey } from './key'

/** Takes the lock on an account's top-ups in `currency`: its token, or null while another request holds it. */
export function acquireTopUpLock(
  engine: Engine,
  accountId: string,
  currency: string,
): Promise<string | null> {
  const key = topUpKey(accountId, currency)
  return viaLedger(() => engine.ledger.acquireLock(key, engine.config.lockTtlMs))
}

/**
 * Keeps the lock `token` holds alive, renewing it every third of its lifetime, until the
 * returned function stops the renewals and releases it. The lifetime then bounds only how long a
 * holder that crashed blocks its card; a live holder keeps it however long Stripe takes.
 */
export function holdLock(
  engine: Engine,
  accountId: string,
  currency: string,
  token: string,
): () => Promise<void> {
  const key = topUpKey(accountId, currency)
  const ttlMs = engine.config.lockTtlMs
  let timer: ReturnType<typeof setTimeout> | undefined
  let held = true
  const renew = async () => {
    try {
      held = await engine.ledger.renewLock(key, token, ttlMs)
      if (!held)
        engine.logger.warn('a top-up lock expired before its holder renewed it', {
          lockTtlMs: ttlMs,
        })
    } catch (error) {
      engine.logger.warn('could not renew a top-up lock; retrying', { error: errorMessage(error) })
    }
    schedule()
  }
  const schedule = () => {
    if (!held) return
    timer = setTimeout(renew, Math.max(1, Math.floor(ttlMs / 3)))
  }
  schedule()
  return async () => {
    held = false
    clearTimeout(timer)
    await engine.ledger.releaseLock(key, token).catch((error: unknown) => {
      engine.logger.warn('could not release a top-up lock; it expires by itself', {
        error: errorMessage(error),
      })
    })
  }
}
