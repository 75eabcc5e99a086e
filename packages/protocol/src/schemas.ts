/** Wire messages of stripe402 v1 (plus optional extension fields), as zod schemas and types. */
import { z } from 'zod'
import { MAX_UNITS, STRIPE402_VERSION } from './constants'

const units = (what: string) =>
  z
    .number({ error: `${what} must be a number of units` })
    .int({
      error: `${what} must be a whole number of units (1 unit = 1/10,000 of the major currency unit)`,
    })
    .nonnegative({ error: `${what} must not be negative` })
    .max(MAX_UNITS, { error: `${what} must be at most ${MAX_UNITS} units` })

const text = (max: number) => z.string().max(max, { error: `must be at most ${max} characters` })

const currencyCode = z
  .string()
  .regex(/^[a-z]{3}$/, { error: 'currency must be a lower-case ISO 4217 code such as "usd"' })

/** `stripe402Version`: must be exactly 1 for this protocol version. */
const VersionSchema = z.literal(STRIPE402_VERSION, {
  error: `stripe402Version must be ${STRIPE402_VERSION}`,
})

/** Describes the resource the client asked for. */
export const ResourceInfoSchema = z.object({
  /** The requested URL or path, e.g. `/api/weather`. */
  url: text(2048)
    .min(1, { error: 'url must not be empty' })
    .describe('The requested URL or path, e.g. /api/weather.'),
  /** Human-readable description of the resource. */
  description: text(1024).optional().describe('Human-readable description of the resource.'),
  /** MIME type of the resource once paid for. */
  mimeType: text(255).optional().describe('MIME type of the resource once paid for.'),
})
export type ResourceInfo = z.infer<typeof ResourceInfoSchema>

/** One accepted way to pay. stripe402 v1 has exactly one scheme: `stripe`. */
export const PaymentRequirementsSchema = z.object({
  /** Payment rail; always `stripe`. */
  scheme: z.literal('stripe').describe('Payment rail; always "stripe".'),
  /** ISO 4217 currency code, lower case (`usd`). */
  currency: currencyCode.describe('ISO 4217 currency code, lower case.'),
  /** Price of this request in units (1 unit = 1/10,000 of the major currency unit). */
  amount: units('amount').describe(
    'Price of this request in units (1 unit = 1/10,000 of the major unit).',
  ),
  /** Smallest top-up the server will charge, in units. */
  minTopUp: units('minTopUp').describe('Smallest top-up the server will charge, in units.'),
  /** Stripe publishable key the client tokenizes its card with. */
  publishableKey: text(255)
    .min(1, { error: 'publishableKey must not be empty' })
    .describe('Stripe publishable key (pk_...) the client tokenizes its card with.'),
  /** Human-readable description of the charge. */
  description: text(1024).optional().describe('Human-readable description of the charge.'),
  /** Extension: largest top-up the server will charge, in units. */
  maxTopUp: units('maxTopUp')
    .optional()
    .describe('Extension: largest top-up the server will charge, in units.'),
})
export type PaymentRequirements = z.infer<typeof PaymentRequirementsSchema>

/** Sent on a 402, both as the `payment-required` header and as the JSON body. */
export const PaymentRequiredSchema = z.object({
  /** Protocol version, `1`. */
  stripe402Version: VersionSchema.describe('Protocol version, 1.'),
  /** The resource being paid for. */
  resource: ResourceInfoSchema.describe('The resource being paid for.'),
  /** Accepted payment options; at least one, with `scheme: 'stripe'`. */
  accepts: z.array(PaymentRequirementsSchema).min(1).max(8).describe('Accepted payment options.'),
  /** Why the 402 was sent, as an error code; absent on a plain challenge. */
  error: text(64)
    .optional()
    .describe('Error code saying why the 402 was sent; absent on a plain challenge.'),
  /** Extension: a message a person can act on. */
  message: text(1024).optional().describe('Extension: human-readable explanation of `error`.'),
  /** Extension: optional payload fields this server honours (`maxAmount`, `idempotencyKey`). */
  extensions: z
    .array(text(64))
    .max(32)
    .optional()
    .describe(
      'Extension: optional payload fields this server honours, e.g. ["maxAmount","idempotencyKey"].',
    ),
})
export type PaymentRequired = z.infer<typeof PaymentRequiredSchema>

/** Sent by the client in the `payment` header. */
export const PaymentPayloadSchema = z.object({
  /** Protocol version, `1`. */
  stripe402Version: VersionSchema.describe('Protocol version, 1.'),
  /** A Stripe PaymentMethod id (`pm_…`) to charge a top-up to. */
  paymentMethodId: text(255)
    .min(1)
    .optional()
    .describe('Stripe PaymentMethod id (pm_...) to charge a top-up to.'),
  /** The credential the server returned earlier; spends existing credits. */
  clientId: text(255)
    .min(1)
    .optional()
    .describe('Credential returned by the server earlier; spends existing credits.'),
  /** Top-up to charge in units; defaults to the route's `minTopUp`. */
  topUpAmount: units('topUpAmount')
    .optional()
    .describe("Top-up to charge, in units; defaults to the route's minTopUp."),
  /** Extension: the most the client accepts to pay for this call, in units. */
  maxAmount: units('maxAmount')
    .optional()
    .describe('Extension: the most the client accepts to pay for this call, in units.'),
  /** Extension: client-chosen key that makes a retried top-up charge at most once. */
  idempotencyKey: text(255)
    .regex(/^[\x21-\x7e]+$/, { error: 'idempotencyKey must be printable ASCII without spaces' })
    .optional()
    .describe('Extension: client-chosen key that makes a retried top-up charge at most once.'),
})
export type PaymentPayload = z.infer<typeof PaymentPayloadSchema>

/** Sent by the server in the `payment-response` header. */
export const PaymentResponseSchema = z.object({
  /** Whether the payment or the credit spend succeeded. */
  success: z.boolean().describe('Whether the payment or the credit spend succeeded.'),
  /** Stripe PaymentIntent id, present only when a top-up was charged. */
  chargeId: text(255)
    .optional()
    .describe('Stripe PaymentIntent id, only when a top-up was charged.'),
  /** Credits left after this request, in units. */
  creditsRemaining: units('creditsRemaining').describe(
    'Credits left after this request, in units.',
  ),
  /** Credential to send as `clientId` on later requests. */
  clientId: text(255).describe('Credential to send as clientId on later requests.'),
  /** Human-readable error when `success` is false. */
  error: text(1024).optional().describe('Human-readable error when success is false.'),
  /** Machine-readable error code; unknown codes mean a generic failure. */
  errorCode: text(64)
    .optional()
    .describe('Machine-readable error code; unknown codes mean generic failure.'),
  /** Extension: units charged for this request. */
  amountCharged: units('amountCharged')
    .optional()
    .describe('Extension: units debited for this request.'),
  /** Extension: currency of `creditsRemaining`. */
  currency: currencyCode.optional().describe('Extension: currency of creditsRemaining.'),
})
export type PaymentResponse = z.infer<typeof PaymentResponseSchema>
