/** OpenAPI 3.1 pieces a stripe402 server publishes: the 402 response, schema components, pricing extension. */
import type {
  ComponentsObject,
  HeaderObject,
  ParameterObject,
  ResponseObject,
  SchemaObject,
} from 'openapi3-ts/oas31'
import { HEADERS } from './constants'
import type { RoutePricing } from './discovery'
import { toJsonSchema } from './json-schema'
import { PaymentPayloadSchema, PaymentRequiredSchema, PaymentResponseSchema } from './schemas'

/** Name of the per-operation pricing extension. */
export const OPENAPI_PRICING_EXTENSION = 'x-stripe402' as const

/** Shape of `x-stripe402` on a paid operation: a discovery route's pricing, without method and path. */
export type OpenApiPricingExtension = RoutePricing

const SCHEMA_REFS = {
  PaymentRequired: '#/components/schemas/Stripe402PaymentRequired',
  PaymentPayload: '#/components/schemas/Stripe402PaymentPayload',
  PaymentResponse: '#/components/schemas/Stripe402PaymentResponse',
} as const

function toSchema(schema: Parameters<typeof toJsonSchema>[0]): SchemaObject {
  // OpenAPI 3.1's default dialect is draft 2020-12, so the schema is used as is, minus `$schema`.
  const { $schema: _dialect, ...rest } = toJsonSchema(schema)
  return rest as SchemaObject
}

/** `components.schemas` entries for the three stripe402 messages, named as the `$ref`s below expect. */
export function stripe402SchemaComponents(): NonNullable<ComponentsObject['schemas']> {
  return {
    Stripe402PaymentRequired: toSchema(PaymentRequiredSchema),
    Stripe402PaymentPayload: toSchema(PaymentPayloadSchema),
    Stripe402PaymentResponse: toSchema(PaymentResponseSchema),
  }
}

const base64Header = (description: string, schemaRef: string): HeaderObject => ({
  description: `${description} Base64 of UTF-8 JSON matching ${schemaRef}.`,
  schema: { type: 'string', contentEncoding: 'base64', contentMediaType: 'application/json' },
})

/** The `payment` request header's header object (for use inside a response or a custom parameter). */
export function paymentHeader(): HeaderObject {
  return base64Header(
    'stripe402 payment: a PaymentMethod to top up with, or a clientId to spend credits.',
    SCHEMA_REFS.PaymentPayload,
  )
}

/** The `payment` request header as an operation parameter (`in: header`, optional). */
export function paymentHeaderParameter(): ParameterObject {
  const { description, schema } = paymentHeader()
  return { name: HEADERS.PAYMENT, in: 'header', required: false, description, schema }
}

/** The `payment-response` header a paid 2xx answer carries. */
export function paymentResponseHeader(): HeaderObject {
  return base64Header(
    'Outcome of the payment: credits remaining and the clientId to reuse.',
    SCHEMA_REFS.PaymentResponse,
  )
}

/**
 * The 402 response of a paid operation: the `payment-required` header, the same JSON as
 * body, and the `payment-response` header that may accompany a failed payment.
 */
export function paymentRequiredResponse(): ResponseObject {
  return {
    description:
      'Payment Required: pay with a card through Stripe, or spend existing credits (stripe402).',
    headers: {
      [HEADERS.PAYMENT_REQUIRED]: {
        ...base64Header('The payment challenge.', SCHEMA_REFS.PaymentRequired),
        required: true,
      },
      [HEADERS.PAYMENT_RESPONSE]: {
        ...base64Header(
          'Present after a failed payment attempt, with success false.',
          SCHEMA_REFS.PaymentResponse,
        ),
        required: false,
      },
    },
    content: {
      'application/json': { schema: { $ref: SCHEMA_REFS.PaymentRequired } },
    },
  }
}

/** The extension object to spread into a paid operation: `{ 'x-stripe402': pricing }`. */
export function pricingExtension(pricing: OpenApiPricingExtension): {
  [OPENAPI_PRICING_EXTENSION]: OpenApiPricingExtension
} {
  return { [OPENAPI_PRICING_EXTENSION]: { ...pricing } }
}
