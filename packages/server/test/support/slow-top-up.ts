/** Test-only: two first payments with one card while the first one's charge outlasts the top-up lock. */
import { expect, vi } from 'vitest'
import type { Ledger } from '../../src/ledger/types'
import type { PaywallOutcome } from '../../src/outcome'
import { type Harness, pay, req } from './harness'

/** The lock lifetime of the race: far shorter than the Stripe latency injected below. */
const LOCK_TTL_MS = 100
/** How long Stripe takes to answer the first top-up: many lock lifetimes. */
const STRIPE_LATENCY_MS = 1_000

/**
 * Sends a first payment whose PaymentIntent Stripe answers slowly, then, once its top-up is
 * recorded, a second payment with the same card and no shared idempotency key (a v1 client,
 * another process). Any read of the pending record after that waits for the first request's
 * answer, so the first top-up credits between the second request's balance read and its read of
 * the pending record: the ordering that let a second, unneeded charge through.
 */
export async function slowTopUpRace(
  harness: Harness,
  store: Ledger,
): Promise<{ first: PaywallOutcome; second: PaywallOutcome }> {
  let recorded = 0
  let firstAnswered: Promise<unknown> = Promise.resolve()
  const ledger = new Proxy(store, {
    get(target, property) {
      if (property === 'setPending')
        return (key: string, value: string, ttlMs: number) => {
          recorded++
          return target.setPending(key, value, ttlMs)
        }
      if (property === 'getPending')
        return async (key: string) => {
          if (recorded > 0) await firstAnswered
          return target.getPending(key)
        }
      const value = Reflect.get(target, property) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as Ledger
  const { paywall } = harness.paywall({ ledger, lockTtlMs: LOCK_TTL_MS })
  const [a, b] = [await harness.card(), await harness.card()]
  harness.emu.inject({ method: 'POST', path: '/v1/payment_intents', latencyMs: STRIPE_LATENCY_MS })
  const first = paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: a }) }))
  firstAnswered = first.catch(() => undefined)
  await vi.waitFor(() => expect(recorded).toBe(1))
  const second = paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: b }) }))
  return { first: await first, second: await second }
}
