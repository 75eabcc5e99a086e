import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodePaymentPayload } from './codec'
import { MAX_UNITS } from './constants'
import { Stripe402Error } from './errors'
import { checkedPaymentPayload } from './fast-checks'
import { PaymentPayloadSchema } from './schemas'

const numRuns = Math.max(Number(process.env.STRIPE402_FUZZ_RUNS) || 0, 5000)

// Values on both sides of every limit, of the wrong type, and arbitrary JSON.
const number = fc.oneof(
  fc.bigInt({ min: 0n, max: BigInt(MAX_UNITS) }).map(Number),
  fc.constantFrom(-1, -0, 0, 0.5, 1, MAX_UNITS, MAX_UNITS + 1, 2 ** 53, 1e300, -1e-300),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
)
const textNear = (max: number) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 4 }),
    fc.constantFrom('', ' ', 'x'.repeat(max), 'x'.repeat(max + 1), 'pm_1', 's402_x'),
    fc.string({ unit: 'binary', minLength: max - 2, maxLength: max + 2 }),
  )
const printable = fc.oneof(
  fc.stringMatching(/^[\x21-\x7e]{1,8}$/),
  fc.constantFrom('', 'a b', 'é', 'x'.repeat(255), 'x'.repeat(256), 'tab\there'),
)
const field = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: fc.jsonValue() })
const payloadLike = fc.record(
  {
    stripe402Version: fc.oneof(
      { weight: 6, arbitrary: fc.constant(1) },
      { weight: 1, arbitrary: fc.constantFrom(0, 2, '1', 1.5, null) },
    ),
    paymentMethodId: field(textNear(255)),
    clientId: field(textNear(255)),
    topUpAmount: field(number),
    maxAmount: field(number),
    idempotencyKey: field(printable),
    extra: fc.jsonValue(),
  },
  { requiredKeys: [] },
)

describe('checkedPaymentPayload, the payment header check that skips zod', () => {
  it('accepts nothing PaymentPayloadSchema refuses, and returns what it returns, key order included', () => {
    fc.assert(
      fc.property(payloadLike, fc.boolean(), (value, reversed) => {
        // As the decoder sees it: a value JSON.parse made, in either key order.
        const input = JSON.parse(
          JSON.stringify(reversed ? Object.fromEntries(Object.entries(value).reverse()) : value),
        )
        const parsed = PaymentPayloadSchema.safeParse(input)
        const checked = checkedPaymentPayload(input)
        if (checked === undefined) return
        expect(parsed.success).toBe(true)
        expect(checked).toStrictEqual(parsed.data)
        expect(Object.keys(checked)).toEqual(Object.keys(parsed.data as object))
      }),
      { numRuns },
    )
  })

  it('is sure of every payload a client sends (the hot path never falls back to zod for one)', () => {
    // Unsure only of text longer than its limit in UTF-16 units that may still fit in code points.
    const ascii = (min: number, max: number) =>
      fc.string({
        unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
        minLength: min,
        maxLength: max,
      })
    const valid = fc.record(
      {
        stripe402Version: fc.constant(1),
        paymentMethodId: ascii(1, 255),
        clientId: ascii(1, 255),
        topUpAmount: fc.bigInt({ min: 0n, max: BigInt(MAX_UNITS) }).map(Number),
        maxAmount: fc.bigInt({ min: 0n, max: BigInt(MAX_UNITS) }).map(Number),
        idempotencyKey: fc.stringMatching(/^[\x21-\x7e]{1,255}$/),
        extra: fc.jsonValue(),
      },
      { requiredKeys: ['stripe402Version'] },
    )
    fc.assert(
      fc.property(valid, (value) => {
        const input = JSON.parse(JSON.stringify(value))
        const parsed = PaymentPayloadSchema.safeParse(input)
        expect(parsed.success).toBe(true)
        expect(checkedPaymentPayload(input)).toStrictEqual(parsed.data)
      }),
      { numRuns },
    )
  })

  it('is unsure of anything that is not an object', () => {
    for (const value of [null, 1, 'x', [], [{ stripe402Version: 1 }], true])
      expect(checkedPaymentPayload(value)).toBeUndefined()
  })

  it('leaves the refusal to the schema, worded as before', () => {
    const header = btoa(JSON.stringify({ stripe402Version: 1, clientId: 'c', maxAmount: -1 }))
    expect(() => decodePaymentPayload(header)).toThrow(Stripe402Error)
    expect(() => decodePaymentPayload(header)).toThrow(
      'Malformed payment header: maxAmount: maxAmount must not be negative.',
    )
  })
})
