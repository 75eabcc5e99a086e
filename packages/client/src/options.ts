/** What `createPayingFetch` accepts: the card, the spending policy, where state lives. */
import type { PaymentRequirements } from '@stripe402/protocol'
import type { PaymentEvent } from './events'
import type { ClientStore } from './store/types'

/** Card details, tokenized with the publishable key a server names in its 402. Never logged, never stored. */
export interface Card {
  number: string
  exp_month: number | string
  exp_year: number | string
  cvc: string
}

/**
 * A limit in units (1 unit = 1/10,000 of the major currency unit): one number applies
 * to each currency separately; a record sets one per currency, and a currency missing
 * from the record gets nothing (fail closed).
 */
export type PerCurrency = number | Readonly<Record<string, number>>

/** Passed to `policy.topUp` when it is a function. */
export interface TopUpContext {
  origin: string
  /** `METHOD /path` of the call that needs the top-up. */
  route: string
  currency: string
  /** Price of the call, in units. */
  amount: number
  /** Smallest top-up the server charges, in units. */
  minTopUp: number
  /** Largest top-up the server charges, in units, when it says. */
  maxTopUp?: number
  /** Credits the client last saw at this origin, in units. */
  creditsRemaining?: number
}

/** Money charged to the card in one currency over the budget periods (UTC day and month), in units. */
export interface SpentTotals {
  daily: number
  monthly: number
  total: number
}

/** Passed to `policy.approve` before the client answers a 402 with a payment. */
export interface ApprovalContext {
  origin: string
  url: string
  method: string
  route: string
  requirements: PaymentRequirements
  /** Units about to be charged to the card; 0 when credits already held pay for the call. */
  topUpAmount: number
  /** What has been charged so far in this currency. */
  spent: SpentTotals
  /** The server's reason for the 402 (`payment_required`, `insufficient_credits`, …). */
  reason?: string
}

/** The spending policy, checked before any money moves. Every limit is in units. */
export interface Policy {
  /**
   * Highest price accepted for one call. Also sent up front as `maxAmount`, so a server
   * that raised its price answers 402 instead of debiting. Without it, the last price seen
   * for the route is the ceiling.
   */
  maxAmountPerRequest?: PerCurrency
  /** Largest single charge to the card. */
  maxTopUp?: PerCurrency
  /** Preferred top-up size (default: the server's `minTopUp`); kept within every ceiling and never below what the call needs. */
  topUp?: number | ((context: TopUpContext) => number)
  /**
   * Caps on money charged to the card (top-ups): per UTC day, per UTC month, ever. A budget is
   * in one currency: a plain number is in `currency` (default `usd`), and a currency with no
   * budget of its own is refused (`currency_not_allowed`), so "$20 a day" is never drawn once per
   * currency. Give others their own with a record: `{ daily: { usd: 200_000, eur: 180_000 } }`.
   */
  budget?: {
    daily?: PerCurrency
    monthly?: PerCurrency
    total?: PerCurrency
    /** The currency a plain-number budget is in; default `usd`. */
    currency?: string
  }
  /** Origins (`https://api.example.com`, `https://*.example.com`) the client may pay; absent means any. */
  allowOrigins?: readonly string[]
  /** Last word before paying in answer to a 402 (a human, or a higher-level agent). Not called for calls already covered up front. */
  approve?: (context: ApprovalContext) => boolean | Promise<boolean>
  /**
   * When an origin names a different Stripe publishable key than the one remembered for it (its
   * card charges would go to another Stripe account): `warn` (default) emits
   * `publishable_key_changed` and pays; `refuse` emits it and refuses (`publishable_key_changed`)
   * until the wallet forgets the origin or this is set back to `warn` for one call.
   */
  onPublishableKeyChange?: 'warn' | 'refuse'
}

/** Options of `createPayingFetch`. */
export interface PayingFetchOptions {
  /** Card to pay with; tokenized over plain `fetch` with the publishable key from the 402. */
  card?: Card
  /** Or bring your own PaymentMethod (Stripe.js in a browser, a stored `pm_…`); `null` declines. Wins over `card`. */
  paymentMethod?: (requirements: PaymentRequirements, origin: string) => Promise<string | null>
  /** Stripe API base for tokenization; default `https://api.stripe.com` (the emulator's URL in tests). */
  stripeApiBase?: string
  policy?: Policy
  /** Where credentials, prices seen and the spend journal live; in memory by default. */
  store?: ClientStore
  /** The `fetch` to send requests with; default `globalThis.fetch`. */
  fetch?: typeof fetch
  /** Every decision and spend, as it happens. Errors thrown by the listener are ignored. */
  onEvent?: (event: PaymentEvent) => void
  /** Clock in epoch milliseconds; default `Date.now`. Budget days and months are UTC. */
  now?: () => number
  /**
   * How long a call waits for another call's top-up to the same origin (which may be waiting on
   * `approve`) before it gives up with `top_up_timeout`; default 60,000 ms.
   */
  topUpWaitMs?: number
  /**
   * Send payment headers (credentials, PaymentMethod ids) over plain `http:` to any host. Off by
   * default: only `https:` and loopback hosts (`localhost`, 127.0.0.0/8, `[::1]`) get them, and a
   * challenge from any other `http:` origin is refused (`insecure_transport`). For tests and
   * development only.
   */
  allowInsecureHttp?: boolean
}
