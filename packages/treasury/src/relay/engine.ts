/**
 * The treasury's one paying engine (`createPayingFetch` of @stripe402/client): the card, the
 * credentials and credits held at each origin, single-flight top-ups and the wallet, shared by every
 * agent. Each upstream request goes through the scope of the agent call it belongs to.
 */
import {
  type Card,
  type ClientStore,
  createPayingFetch,
  DEFAULT_STRIPE_API_BASE,
  type PayingFetch,
  type PaymentEvent,
} from '@stripe402/client'
import type { PaymentRequirements } from '@stripe402/protocol'
import type { TreasuryStore } from '../store/types'
import { currentScope } from './scope'

/** Top-ups are the treasury's: how large, and within which budget of card charges. Units throughout. */
export interface TopUpPolicy {
  /** Preferred top-up (default: each server's minimum). */
  amount?: number
  /** Largest single charge to the card. */
  max?: number
  /** Caps on card charges per UTC day, month and ever, in `currency` (default `usd`). */
  budget?: { daily?: number; monthly?: number; total?: number; currency?: string }
}

export interface EngineOptions {
  store: TreasuryStore
  card?: Card
  paymentMethod?: (requirements: PaymentRequirements, origin: string) => Promise<string | null>
  stripeApiBase?: string
  topUps?: TopUpPolicy
  /** Sends requests to the Stripe API (tokenization): the only place the card goes. */
  stripeFetch?: typeof fetch
  onEvent?: (event: PaymentEvent) => void
  now?: () => number
}

export interface Engine {
  pay: PayingFetch
  /** The Stripe API's origin: no agent may reach it through the treasury. */
  stripeOrigin: string
}

export function createEngine(options: EngineOptions): Engine {
  const stripeApiBase = (options.stripeApiBase ?? DEFAULT_STRIPE_API_BASE).replace(/\/+$/, '')
  const stripe = new URL(stripeApiBase)
  const stripeFetch = options.stripeFetch ?? ((input, init) => globalThis.fetch(input, init))
  const topUps = options.topUps ?? {}
  const pay = createPayingFetch({
    ...(options.card ? { card: options.card } : {}),
    ...(options.paymentMethod ? { paymentMethod: options.paymentMethod } : {}),
    stripeApiBase,
    store: walletStore(options.store),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.now ? { now: options.now } : {}),
    policy: {
      ...(topUps.amount !== undefined ? { topUp: topUps.amount } : {}),
      ...(topUps.max !== undefined ? { maxTopUp: topUps.max } : {}),
      ...(topUps.budget ? { budget: topUps.budget } : {}),
      // Outside an agent call nothing is approved.
      approve: (context) => currentScope()?.approve(context) ?? false,
    },
    fetch: (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      if (isStripeApi(url, stripeApiBase)) return stripeFetch(input, init)
      const scope = currentScope()
      if (!scope) return Promise.reject(new Error('treasury: an upstream request outside a call'))
      return scope.send(url, init ?? {})
    },
  })
  return { pay, stripeOrigin: stripe.origin }
}

/** Tokenization and only that reaches the Stripe API base; agents are kept off its origin. */
function isStripeApi(url: string, base: string): boolean {
  return url.startsWith(`${base}/v1/`)
}

/** The engine's wallet (credentials, credits, pending top-ups) in the treasury's store, shared by its instances. */
function walletStore(store: TreasuryStore): ClientStore {
  return {
    load: () => store.loadWallet(),
    save: (snapshot) => store.saveWallet(snapshot),
    lock: () => store.lockWallet(),
  }
}
