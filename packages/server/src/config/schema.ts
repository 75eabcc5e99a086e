/** The shape of `createPaywall`'s config, as zod schemas with the types inferred beside them. */
import type Stripe from 'stripe'
import { z } from 'zod'
import type { PaywallEvent, PaywallLogger } from '../events'
import type { PricingRequest } from '../http/request'
import type { Ledger } from '../ledger/types'

/** A price computed per request, in units. */
export type PriceFunction = (req: PricingRequest) => number | Promise<number>

const isFunction = (value: unknown) => typeof value === 'function'
const units = (what: string) =>
  z.number({ error: `${what} must be a number of units` }).int({
    error: `${what} must be a whole number of units (1 unit = 1/10,000 of the major currency unit)`,
  })

/** One priced route. */
export const RouteConfigSchema = z
  .object({
    /** Price per request in units (500 = $0.05), or a function of the request for dynamic pricing. */
    amount: z.union(
      [
        units('amount').positive({
          error: 'amount must be positive (leave free routes out of the config)',
        }),
        z.custom<PriceFunction>(isFunction),
      ],
      { error: 'amount must be a positive whole number of units or a function returning one' },
    ),
    /** ISO 4217 currency, default `usd`. Balances are per currency. */
    currency: z.string().optional(),
    /** Smallest top-up in units; at least Stripe's minimum charge for the currency. Default: that minimum, or the amount if larger. */
    minTopUp: units('minTopUp').optional(),
    /** Largest top-up a client may ask for, in units. */
    maxTopUp: units('maxTopUp').optional(),
    /** Shown in the challenge, the price list and on the Stripe charge. */
    description: z.string().max(1024).optional(),
    /** MIME type of the paid resource, for the challenge's `resource`. */
    mimeType: z.string().max(255).optional(),
  })
  .strict()
export type RouteConfig = z.input<typeof RouteConfigSchema>

const limit = z
  .object({
    /** Events allowed per window. */
    limit: z.number().int().positive(),
    /** Window length in milliseconds. */
    windowMs: z.number().int().positive(),
  })
  .strict()
export type RateLimit = z.infer<typeof limit>

export const RateLimitsSchema = z.union([
  z.literal(false),
  z
    .object({
      /** Failed payment attempts (declines, unknown PaymentMethods) per client address. */
      failedPaymentsPerAddress: z.union([limit, z.literal(false)]).optional(),
      /** Failed payment attempts per card (by fingerprint). */
      failedPaymentsPerCard: z.union([limit, z.literal(false)]).optional(),
      /** Top-ups charged per account. */
      topUpsPerAccount: z.union([limit, z.literal(false)]).optional(),
    })
    .strict(),
])
export type RateLimitsConfig = z.input<typeof RateLimitsSchema>

export const StripeConfigSchema = z
  .object({
    /** Secret (`sk_…`) or restricted (`rk_…`) key. Optional only when `client` is given. */
    secretKey: z
      .string()
      .regex(/^(sk|rk)_/, { error: 'must be a Stripe secret key (sk_…) or restricted key (rk_…)' })
      .optional(),
    /** Publishable key (`pk_…`) clients tokenize cards with; it is sent in every challenge. */
    publishableKey: z.string().regex(/^pk_/, { error: 'must be a Stripe publishable key (pk_…)' }),
    /** Stripe API base, e.g. the emulator's URL. Default https://api.stripe.com. */
    apiBase: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL such as https://api.stripe.com' })
      .optional(),
    /** Per-request timeout for Stripe calls in ms (default 20,000). */
    timeoutMs: z.number().int().positive().optional(),
    /** Retries of failed Stripe calls; safe because every charge carries an idempotency key (default 1). */
    maxNetworkRetries: z.number().int().min(0).max(10).optional(),
    /**
     * How the SDK makes HTTP calls: `node` (node:http) or `fetch` (Cloudflare Workers, Deno, Bun).
     * Default: `node` on Node, `fetch` elsewhere. Ignored when `client` is given.
     */
    httpClient: z.enum(['node', 'fetch']).optional(),
    /** A configured `stripe` SDK instance to use instead of building one. */
    client: z
      .custom<Stripe>(
        (value) => typeof value === 'object' && value !== null && 'paymentIntents' in value,
        {
          error: 'must be an instance of the stripe SDK',
        },
      )
      .optional(),
  })
  .strict()

/** True for an http(s) origin in its serialized form (RFC 6454 §6.2), as `URL.origin` writes it. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value
  } catch {
    return false
  }
}

/** The paywall's answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) of a paid route. */
export const CorsConfigSchema = z
  .object({
    /**
     * `'*'` (default): any page may call the paid routes. Or the origins (`https://app.example.com`)
     * whose preflights are allowed: the preflight echoes the page's Origin only when it is listed.
     */
    origins: z
      .union([
        z.literal('*'),
        z
          .array(
            z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\s]+$/, {
              error:
                'must be an origin such as https://app.example.com (no path, no trailing slash)',
            }),
          )
          .min(1, { error: 'must list at least one origin, or be "*"' }),
      ])
      .optional(),
    /** Seconds a browser may cache the preflight answer (default 600). */
    maxAge: z.number().int().min(0).max(86_400).optional(),
  })
  .strict()
export type CorsConfig = z.input<typeof CorsConfigSchema>

export const PaywallConfigSchema = z
  .object({
    stripe: StripeConfigSchema,
    /** Server secret for account ids; a newest-first array rotates it without losing balances. */
    secret: z.union(
      [
        z.string().min(1, { error: 'must not be empty' }),
        z
          .array(z.string().min(1, { error: 'must not be empty' }))
          .min(1, { error: 'must hold at least one secret' }),
      ],
      {
        error: 'a server secret (string, or newest-first array of strings) is required',
      },
    ),
    /**
     * Names this paywall in the metadata of its PaymentIntents (`stripe402_paywall`): webhooks and
     * reconcile credit and claw back only this paywall's top-ups, so deployments sharing a Stripe
     * account (staging and production, two APIs) never credit each other's. Default: derived from `secret`.
     */
    paywallId: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, { error: 'must be 1 to 64 letters, digits or _ . : -' })
      .optional(),
    /** Where balances live: MemoryLedger, PostgresLedger, RedisLedger. */
    ledger: z.custom<Ledger>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as Ledger).spend === 'function',
      { error: 'a Ledger (MemoryLedger, PostgresLedger or RedisLedger) is required' },
    ),
    /** Priced routes: `'GET /api/weather'`, `'/api/*'`, `'GET /users/:id'`. */
    routes: z.record(z.string(), RouteConfigSchema, {
      error: 'routes must be an object of "METHOD /path": { amount, … }',
    }),
    /** `token` (default): random revocable credential stored hashed. `account`: v1-identical clientId = account id. */
    credentials: z.enum(['token', 'account']).optional(),
    /** When to give a debit back: `on-5xx` (default), `never`, or a function of the final status. */
    reverseDebit: z
      .union([z.enum(['on-5xx', 'never']), z.custom<(status: number) => boolean>(isFunction)])
      .optional(),
    /** Stripe webhook signing secret and the path the paywall answers it on (default `/stripe402/webhook`). */
    webhook: z
      .object({
        secret: z.string().min(1),
        path: z.string().startsWith('/').optional(),
      })
      .strict()
      .optional(),
    /** Freeze an account when a dispute arrives (default true). */
    freezeOnDispute: z.boolean().optional(),
    /** Match paths with their letter case (default false, like Express and Koa). */
    caseSensitive: z.boolean().optional(),
    /**
     * The public origins clients reach this paywall by (`https://api.example.com`), behind any
     * proxy. A PaymentMethod bound to another origin is refused (spec §7.4). Never taken from the
     * request: its Host is written by the sender, so an origin relaying a card would name itself.
     */
    origins: z
      .array(
        z.string().refine(isOrigin, {
          error:
            'must be an origin as a browser writes it: https://api.example.com (lower case, no path, no trailing slash, no default port)',
        }),
      )
      .min(1, { error: 'must list at least one origin' })
      .optional(),
    /**
     * What a PaymentMethod with no origin binding (a v1 client's) may pay for (spec §7.4).
     * `new-accounts` (default): a card with no account yet, or an account whose valid credential
     * comes with it. `refuse`: nothing. `any`: everything, as in v1 (v1 compatibility).
     */
    unboundPaymentMethods: z.enum(['new-accounts', 'refuse', 'any']).optional(),
    /** Card-testing defences; `false` turns them off. */
    rateLimits: RateLimitsSchema.optional(),
    /** `GET /.well-known/stripe402` price list; `false` turns it off. */
    discovery: z
      .union([z.boolean(), z.object({ path: z.string().startsWith('/').optional() }).strict()])
      .optional(),
    /** Receives typed events (no secrets in them). */
    onEvent: z.custom<(event: PaywallEvent) => void>(isFunction).optional(),
    /** Where warnings and errors go (default console). */
    logger: z
      .custom<PaywallLogger>(
        (value) =>
          typeof value === 'object' &&
          value !== null &&
          typeof (value as PaywallLogger).warn === 'function' &&
          typeof (value as PaywallLogger).error === 'function',
        { error: 'must have warn(message, meta) and error(message, meta)' },
      )
      .optional(),
    /** How long a concurrent payment with the same card waits for the top-up in flight (ms, default 10,000). */
    lockWaitMs: z.number().int().min(0).optional(),
    /**
     * Lifetime of the per-card top-up lock (ms, default 15,000). The holder renews it while it
     * charges, so it bounds only how long a crashed holder blocks its card.
     */
    lockTtlMs: z.number().int().min(1).optional(),
    /**
     * How long a paid call's debit is held for its answer (ms, default 60,000). The paywall confirms
     * it once the answer went out (or gives it back on a failed one), and keeps extending it while the
     * handler works; a debit nobody settled by then (its process was killed) is given back by any
     * instance. So a crash costs the payer nothing, and the operator at most the calls served in the
     * last `settleBatchMs` before it. See docs/reliability.md.
     */
    holdMs: z.number().int().min(1_000).optional(),
    /** How often confirmations of held debits are written, in one batch (ms, default 1,000). */
    settleBatchMs: z.number().int().min(1).optional(),
    /** How the paywall answers CORS preflights of paid routes itself (so that none reaches a handler). */
    cors: CorsConfigSchema.optional(),
  })
  .strict()

export type PaywallConfig = z.input<typeof PaywallConfigSchema>
