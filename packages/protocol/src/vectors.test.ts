import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  decodePaymentPayload,
  decodePaymentRequired,
  decodePaymentResponse,
  encodePaymentPayload,
  encodePaymentRequired,
  encodePaymentResponse,
} from './codec'
import { Stripe402Error } from './errors'
import { PaymentPayloadSchema, PaymentRequiredSchema, PaymentResponseSchema } from './schemas'

/** spec/vectors/<Type>/*.json: golden headers, so the written spec and this code cannot drift. */
const VECTOR_DIR = join(import.meta.dirname, '..', '..', '..', 'spec', 'vectors')

interface Vector {
  description: string
  header: string
  decoded?: unknown
  error?: string
}

const TYPES = {
  PaymentRequired: {
    schema: PaymentRequiredSchema,
    decode: decodePaymentRequired,
    encode: encodePaymentRequired,
  },
  PaymentPayload: {
    schema: PaymentPayloadSchema,
    decode: decodePaymentPayload,
    encode: encodePaymentPayload,
  },
  PaymentResponse: {
    schema: PaymentResponseSchema,
    decode: decodePaymentResponse,
    encode: encodePaymentResponse,
  },
} as const

function load(type: string): Array<[string, Vector]> {
  const dir = join(VECTOR_DIR, type)
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Vector])
}

/** What a published v1 peer does with a header. */
const v1Decode = (header: string): unknown =>
  JSON.parse(Buffer.from(header, 'base64').toString('utf-8'))

describe('spec/vectors', () => {
  it('has exactly one folder per message type', () => {
    const dirs = readdirSync(VECTOR_DIR, { withFileTypes: true })
      // mcp/ holds the MCP binding's messages, read by @stripe402/mcp's own vector test.
      .filter((d) => d.isDirectory() && d.name !== 'mcp')
      .map((d) => d.name)
    expect(dirs.sort()).toEqual(Object.keys(TYPES).sort())
  })

  it('has valid and malformed vectors in every folder, and at least ten malformed ones in all', () => {
    let malformed = 0
    for (const type of Object.keys(TYPES)) {
      const vectors = load(type)
      expect(
        vectors.filter(([, v]) => 'decoded' in v).length,
        `${type} has no valid vectors`,
      ).toBeGreaterThan(0)
      expect(
        vectors.filter(([, v]) => 'error' in v).length,
        `${type} has no malformed vectors`,
      ).toBeGreaterThan(0)
      malformed += vectors.filter(([, v]) => 'error' in v).length
    }
    expect(malformed).toBeGreaterThanOrEqual(10)
  })

  it('includes headers written the v1 way: padded standard base64 of JSON.stringify', () => {
    const v1Written = Object.keys(TYPES).flatMap((type) =>
      load(type).filter(
        ([, v]) =>
          v.decoded !== undefined &&
          Buffer.from(JSON.stringify(v1Decode(v.header))).toString('base64') === v.header,
      ),
    )
    expect(v1Written.length).toBeGreaterThanOrEqual(10)
  })

  for (const [type, { schema, decode, encode }] of Object.entries(TYPES)) {
    describe(type, () => {
      for (const [file, vector] of load(type)) {
        it(`${file}: ${vector.description}`, () => {
          expect(Object.keys(vector).sort()).toEqual(
            ['description', 'header', vector.error === undefined ? 'decoded' : 'error'].sort(),
          )
          expect(typeof vector.header).toBe('string')
          if (vector.error !== undefined) {
            expect(vector.error).toBe('invalid_payment')
            let thrown: unknown
            try {
              decode(vector.header)
            } catch (error) {
              thrown = error
            }
            expect(thrown).toBeInstanceOf(Stripe402Error)
            expect((thrown as Stripe402Error).code).toBe(vector.error)
            return
          }
          // The decoder yields exactly the expected value ...
          expect(decode(vector.header)).toEqual(vector.decoded)
          // ... which is itself a canonical message (nothing left to strip) ...
          expect(schema.parse(vector.decoded)).toEqual(vector.decoded)
          // ... a v1 peer reading the same header sees the same fields ...
          expect(schema.parse(v1Decode(vector.header.trim()))).toEqual(vector.decoded)
          // ... and re-encoding it round-trips.
          expect(decode((encode as (v: unknown) => string)(vector.decoded))).toEqual(vector.decoded)
        })
      }
    })
  }
})
