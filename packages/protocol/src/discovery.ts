/** The price list a server publishes at `GET /.well-known/stripe402`, so agents can budget before calling. */
import { z } from 'zod'
import { MAX_UNITS, STRIPE402_VERSION } from './constants'

/** Where a stripe402 server publishes its discovery document. */
export const WELL_KNOWN_PATH = '/.well-known/stripe402' as const

const units = (what: string) =>
  z
    .number({ error: `${what} must be a number of units` })
    .int({ error: `${what} must be a whole number of units` })
    .nonnegative({ error: `${what} must not be negative` })
    .max(MAX_UNITS, { error: `${what} must be at most ${MAX_UNITS} units` })

/** The price of one operation: the same shape as the OpenAPI `x-stripe402` extension. */
export const RoutePricingSchema = z.object({
  /** Price per call in units, or `"dynamic"` when it depends on the request. */
  amount: z
    .union([units('amount'), z.literal('dynamic')])
    .describe('Price per call in units, or "dynamic" when it depends on the request.'),
  /** ISO 4217 currency, lower case. */
  currency: z
    .string()
    .regex(/^[a-z]{3}$/, { error: 'currency must be a lower-case ISO 4217 code such as "usd"' })
    .describe('ISO 4217 currency code, lower case.'),
  /** Smallest top-up in units. */
  minTopUp: units('minTopUp').describe('Smallest top-up the server will charge, in units.'),
  /** Largest top-up in units, when the server caps it. */
  maxTopUp: units('maxTopUp')
    .optional()
    .describe('Largest top-up the server will charge, in units.'),
  /** Human-readable description of the charge. */
  description: z
    .string()
    .max(1024)
    .optional()
    .describe('Human-readable description of the charge.'),
  /** MIME type of the paid response. */
  mimeType: z.string().max(255).optional().describe('MIME type of the paid response.'),
})
export type RoutePricing = z.infer<typeof RoutePricingSchema>

/** One paid route in the discovery document. */
export const DiscoveryRouteSchema = RoutePricingSchema.extend({
  /** HTTP method in upper case, or `*` when the route matches every method. */
  method: z
    .string()
    .regex(/^([A-Z]+|\*)$/, { error: 'method must be an upper-case HTTP method or "*"' })
    .describe('HTTP method in upper case, or "*" for every method.'),
  /** Path pattern: literal segments, `:name` parameters, and a trailing `*` wildcard. */
  path: z
    .string()
    .min(1)
    .max(2048)
    .regex(/^\//, { error: 'path must start with "/"' })
    .describe('Path pattern: literal segments, :name parameters and a trailing * wildcard.'),
})
export type DiscoveryRoute = z.infer<typeof DiscoveryRouteSchema>

/** The body of `GET /.well-known/stripe402`. */
export const DiscoveryDocumentSchema = z.object({
  /** Protocol version, `1`. */
  stripe402Version: z.literal(STRIPE402_VERSION).describe('Protocol version, 1.'),
  /** Stripe publishable key clients tokenize cards with. */
  publishableKey: z
    .string()
    .min(1)
    .max(255)
    .describe('Stripe publishable key (pk_...) clients tokenize cards with.'),
  /** Optional payload fields this server honours, as in `PaymentRequired.extensions`. */
  extensions: z
    .array(z.string().max(64))
    .max(32)
    .describe('Optional payload fields this server honours, as in PaymentRequired.extensions.'),
  /** Every paid route. Free routes are not listed. */
  routes: z
    .array(DiscoveryRouteSchema)
    .max(10_000)
    .describe('Every paid route; free routes are not listed.'),
})
export type DiscoveryDocument = z.infer<typeof DiscoveryDocumentSchema>
