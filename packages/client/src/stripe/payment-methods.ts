/** Where a top-up's PaymentMethod comes from: the caller's callback, or the card tokenized once per (origin, publishable key). */
import type { PaymentRequirements } from '@stripe402/protocol'
import { abortable } from '../abort'
import type { Card } from '../options'
import { tokenizeCard, type TokenizeResult } from './tokenize'

export type PaymentMethodResult =
  | { ok: true; id: string; cached: boolean; source: 'card' | 'callback' }
  | { ok: false; refused: true; message: string }
  | { ok: false; refused: false; code: string; declineCode?: string; message: string }

export interface PaymentMethodConfig {
  fetch: typeof fetch
  apiBase: string
  card?: Card
  callback?: (requirements: PaymentRequirements, origin: string) => Promise<string | null>
}

const PUBLISHABLE_KEY = /^pk_[A-Za-z0-9_]{1,250}$/

export class PaymentMethods {
  /**
   * Keyed by origin and publishable key: a PaymentMethod is bound to the origin it pays (spec
   * §7.4), so one origin naming another's publishable key never receives the PaymentMethod made
   * for the other, which that other would charge. Promises, so concurrent calls tokenize once.
   */
  private readonly cache = new Map<string, Promise<TokenizeResult>>()

  constructor(private readonly config: PaymentMethodConfig) {}

  async resolve(
    requirements: PaymentRequirements,
    origin: string,
    signal: AbortSignal | undefined,
  ): Promise<PaymentMethodResult> {
    const { callback, card } = this.config
    if (callback) {
      const id = await abortable(
        Promise.resolve().then(() => callback(requirements, origin)),
        signal,
      )
      if (id === null)
        return {
          ok: false,
          refused: true,
          message: 'The paymentMethod callback declined to provide a PaymentMethod.',
        }
      return { ok: true, id, cached: false, source: 'callback' }
    }
    if (!card)
      return {
        ok: false,
        refused: true,
        message: 'No card or paymentMethod callback is configured.',
      }
    const key = requirements.publishableKey
    // The key comes from the server; it only selects the Stripe account, the card only ever goes to stripeApiBase.
    if (!PUBLISHABLE_KEY.test(key)) {
      return {
        ok: false,
        refused: false,
        code: 'invalid_publishable_key',
        message: 'The server did not name a Stripe publishable key (pk_…).',
      }
    }
    const slot = cacheKey(origin, key)
    let pending = this.cache.get(slot)
    const cached = pending !== undefined
    if (!pending) {
      pending = tokenizeCard({
        fetch: this.config.fetch,
        apiBase: this.config.apiBase,
        publishableKey: key,
        origin,
        card,
        signal,
      })
      this.cache.set(slot, pending)
    }
    let result: TokenizeResult
    try {
      result = await pending
    } catch (error) {
      this.cache.delete(slot)
      throw error
    }
    if (!result.ok) {
      this.cache.delete(slot)
      return {
        ok: false,
        refused: false,
        code: result.code,
        ...(result.declineCode ? { declineCode: result.declineCode } : {}),
        message: result.message,
      }
    }
    return { ok: true, id: result.id, cached, source: 'card' }
  }

  /** Forgets a cached PaymentMethod that a charge failed with, so the next top-up tokenizes afresh. */
  evict(origin: string, publishableKey: string): void {
    this.cache.delete(cacheKey(origin, publishableKey))
  }
}

/** Origins hold no space, so a space separates the two without ambiguity. */
function cacheKey(origin: string, publishableKey: string): string {
  return `${origin} ${publishableKey}`
}
