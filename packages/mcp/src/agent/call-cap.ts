/**
 * A ceiling for one call (`maxPrice` of a tool), on top of the policy's own: the paying fetch
 * reads `policy.maxAmountPerRequest` at each call, both to refuse a dearer 402 and as the
 * `maxAmount` it sends up front, so a getter that reads the current call's ceiling applies it
 * to exactly that call. Tested end to end in `agent.test.ts`.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import type { PerCurrency, Policy } from '@stripe402/client'

const current = new AsyncLocalStorage<number>()

/** Runs `call` with `maxPrice` (units) as its ceiling; `undefined` leaves the policy's. */
export function withCallCap<T>(maxPrice: number | undefined, call: () => Promise<T>): Promise<T> {
  return maxPrice === undefined ? call() : current.run(maxPrice, call)
}

/** The running call's `maxPrice`, if any (a treasury enforces it on its side). */
export function currentCallCap(): number | undefined {
  return current.getStore()
}

/** The policy with its per-call ceiling lowered to the running call's `maxPrice`, if any. */
export function cappedPolicy(policy: Policy = {}): Policy {
  const base = policy.maxAmountPerRequest
  const capped = { ...policy }
  Object.defineProperty(capped, 'maxAmountPerRequest', {
    enumerable: true,
    get: (): PerCurrency | undefined => lower(base, current.getStore()),
  })
  return capped
}

function lower(base: PerCurrency | undefined, cap: number | undefined): PerCurrency | undefined {
  if (cap === undefined) return base
  if (base === undefined) return cap
  if (typeof base === 'number') return Math.min(base, cap)
  // A currency the record leaves out stays out: it is never paid in.
  return Object.fromEntries(Object.entries(base).map(([c, limit]) => [c, Math.min(limit, cap)]))
}
