/** The per-card top-up lock, renewed while its holder works so that a slow Stripe call never outlives it. */
import { errorMessage } from '../events'
import type { Engine } from './context'

/**
 * Keeps the lock `token` holds on `key` alive, renewing it every third of its lifetime, until the
 * returned function stops the renewals and releases it. The lifetime then bounds only how long a
 * holder that crashed blocks its card; a live holder keeps it however long Stripe takes.
 */
export function holdLock(
  engine: Engine,
  key: string,
  token: string,
  ttlMs: number,
): () => Promise<void> {
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
