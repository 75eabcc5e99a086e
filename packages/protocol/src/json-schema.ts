/** JSON Schema (draft 2020-12) of every stripe402 message, generated from the zod schemas. */
import { z } from 'zod'
import { DiscoveryDocumentSchema } from './discovery'
import { PaymentErrorCodeSchema } from './errors'
import {
  PaymentPayloadSchema,
  PaymentRequiredSchema,
  PaymentRequirementsSchema,
  PaymentResponseSchema,
  ResourceInfoSchema,
} from './schemas'

/** A JSON Schema document, as plain JSON. */
export type JsonSchema = Record<string, unknown>

const MESSAGES = {
  PaymentRequired: [
    PaymentRequiredSchema,
    'Sent on a 402 as the payment-required header (base64 of this JSON) and as the JSON body.',
  ],
  PaymentRequirements: [
    PaymentRequirementsSchema,
    'One accepted way to pay, inside PaymentRequired.accepts.',
  ],
  ResourceInfo: [ResourceInfoSchema, 'The resource a PaymentRequired is about.'],
  PaymentPayload: [
    PaymentPayloadSchema,
    'Sent by the client in the payment header (base64 of this JSON).',
  ],
  PaymentResponse: [
    PaymentResponseSchema,
    'Sent by the server in the payment-response header (base64 of this JSON).',
  ],
  PaymentErrorCode: [
    PaymentErrorCodeSchema,
    'Error codes this version defines; peers treat any other string as a generic failure.',
  ],
  DiscoveryDocument: [
    DiscoveryDocumentSchema,
    'Body of GET /.well-known/stripe402: the price list of every paid route.',
  ],
} as const satisfies Record<string, readonly [z.ZodType, string]>

/** Name of each message that has a JSON Schema (also its file name under `spec/schemas/`). */
export type JsonSchemaName = keyof typeof MESSAGES

/**
 * Converts a zod schema to JSON Schema as a receiver sees it: the input side, so
 * unknown properties stay allowed (a v1 peer ignores them; we strip them).
 */
export function toJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'throw',
  }) as JsonSchema
}

/** Every stripe402 message as a standalone draft 2020-12 JSON Schema, keyed by name. */
export function stripe402JsonSchemas(): Record<JsonSchemaName, JsonSchema> {
  const out = {} as Record<JsonSchemaName, JsonSchema>
  for (const [name, [schema, description]] of Object.entries(MESSAGES) as Array<
    [JsonSchemaName, readonly [z.ZodType, string]]
  >) {
    const { $schema, description: _ignored, ...rest } = toJsonSchema(schema)
    out[name] = { $schema, title: name, description, ...rest }
  }
  return out
}
