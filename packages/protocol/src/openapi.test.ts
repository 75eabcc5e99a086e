import type { OpenAPIObject } from 'openapi3-ts/oas31'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { HEADERS } from './constants'
import type { RoutePricing } from './discovery'
import {
  OPENAPI_PRICING_EXTENSION,
  type OpenApiPricingExtension,
  paymentHeader,
  paymentHeaderParameter,
  paymentRequiredResponse,
  paymentResponseHeader,
  pricingExtension,
  stripe402SchemaComponents,
} from './openapi'
import { PaymentPayloadSchema, PaymentRequiredSchema, PaymentResponseSchema } from './schemas'

/** A whole OpenAPI 3.1 document describing one paid operation, built only from the helpers. */
function document(): OpenAPIObject {
  return {
    openapi: '3.1.0',
    info: { title: 'Weather', version: '1.0.0' },
    paths: {
      '/api/weather': {
        get: {
          operationId: 'getWeather',
          parameters: [paymentHeaderParameter()],
          responses: {
            '200': {
              description: 'The weather.',
              headers: { [HEADERS.PAYMENT_RESPONSE]: paymentResponseHeader() },
            },
            '402': paymentRequiredResponse(),
          },
          ...pricingExtension({
            amount: 500,
            currency: 'usd',
            minTopUp: 5000,
            description: 'Weather lookup',
          }),
        },
      },
    },
    components: { schemas: stripe402SchemaComponents() },
  }
}

/** Every `$ref` string anywhere in the value, with where it was found. */
function refs(value: unknown, path = '#'): Array<[string, string]> {
  if (value === null || typeof value !== 'object') return []
  return Object.entries(value).flatMap(([k, v]) =>
    k === '$ref' && typeof v === 'string'
      ? [[path, v] as [string, string]]
      : refs(v, `${path}/${k}`),
  )
}

function resolve(doc: unknown, ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true)
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, key) =>
        node !== null && typeof node === 'object'
          ? (node as Record<string, unknown>)[key]
          : undefined,
      doc,
    )
}

const HEADER_OBJECT_KEYS = new Set([
  'description',
  'required',
  'deprecated',
  'style',
  'explode',
  'schema',
  'example',
  'examples',
  'content',
])

describe('OpenAPI helpers', () => {
  it('every $ref resolves to a component, including those named in descriptions', () => {
    const doc = document()
    const found = refs(doc)
    expect(found.length).toBeGreaterThan(0)
    for (const [at, ref] of found) expect(resolve(doc, ref), `${ref} at ${at}`).toBeTypeOf('object')
    const described = JSON.stringify(doc).match(/#\/components\/schemas\/\w+/g) ?? []
    expect(described.length).toBeGreaterThanOrEqual(4)
    for (const ref of described) expect(resolve(doc, ref), ref).toBeTypeOf('object')
  })

  it('the 402 response has the OpenAPI 3.1 response shape', () => {
    const r = paymentRequiredResponse()
    expect(typeof r.description).toBe('string')
    expect(Object.keys(r.headers ?? {})).toEqual([
      HEADERS.PAYMENT_REQUIRED,
      HEADERS.PAYMENT_RESPONSE,
    ])
    for (const header of Object.values(r.headers ?? {})) {
      for (const key of Object.keys(header)) expect(HEADER_OBJECT_KEYS.has(key), key).toBe(true)
      expect(header).toMatchObject({
        schema: { type: 'string', contentEncoding: 'base64', contentMediaType: 'application/json' },
      })
    }
    expect(r.headers?.[HEADERS.PAYMENT_REQUIRED]).toMatchObject({ required: true })
    expect(r.content?.['application/json']?.schema).toEqual({
      $ref: '#/components/schemas/Stripe402PaymentRequired',
    })
  })

  it('header objects carry no name or in; the parameter does', () => {
    for (const h of [paymentHeader(), paymentResponseHeader()]) {
      for (const key of Object.keys(h)) expect(HEADER_OBJECT_KEYS.has(key), key).toBe(true)
    }
    expect(paymentHeaderParameter()).toMatchObject({
      name: 'payment',
      in: 'header',
      required: false,
    })
  })

  it('component schemas are JSON Schema 2020-12 objects matching the zod shapes, open to new fields', () => {
    const schemas = stripe402SchemaComponents()
    const zod = {
      Stripe402PaymentRequired: PaymentRequiredSchema,
      Stripe402PaymentPayload: PaymentPayloadSchema,
      Stripe402PaymentResponse: PaymentResponseSchema,
    }
    expect(Object.keys(schemas)).toEqual(Object.keys(zod))
    for (const [name, schema] of Object.entries(schemas)) {
      const s = schema as Record<string, unknown>
      expect(s.type).toBe('object')
      expect(s).not.toHaveProperty('$schema')
      expect(JSON.stringify(s)).not.toContain('"additionalProperties":false')
      expect(Object.keys(s.properties as object).sort()).toEqual(
        Object.keys(zod[name as keyof typeof zod].shape).sort(),
      )
    }
    expect((schemas.Stripe402PaymentPayload as { required: string[] }).required).toEqual([
      'stripe402Version',
    ])
    expect((schemas.Stripe402PaymentResponse as { required: string[] }).required).toEqual([
      'success',
      'creditsRemaining',
      'clientId',
    ])
  })

  it('prices an operation under x-stripe402', () => {
    expect(OPENAPI_PRICING_EXTENSION).toBe('x-stripe402')
    const op = document().paths?.['/api/weather']?.get as Record<string, unknown>
    expect(op['x-stripe402']).toEqual({
      amount: 500,
      currency: 'usd',
      minTopUp: 5000,
      description: 'Weather lookup',
    })
    expect(pricingExtension({ amount: 'dynamic', currency: 'eur', minTopUp: 5000 })).toEqual({
      'x-stripe402': { amount: 'dynamic', currency: 'eur', minTopUp: 5000 },
    })
  })

  it('the extension type is the discovery route pricing type', () => {
    expectTypeOf<OpenApiPricingExtension>().toEqualTypeOf<RoutePricing>()
  })
})
