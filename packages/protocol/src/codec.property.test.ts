import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  decodeHeader,
  decodePaymentPayload,
  encodeHeader,
  decodePaymentRequired,
  decodePaymentResponse,
  encodePaymentPayload,
  encodePaymentRequired,
  encodePaymentResponse,
} from './codec'
import { DEFAULT_MAX_HEADER_BYTES, MAX_UNITS } from './constants'
import { Stripe402Error } from './errors'
import {
  type PaymentPayload,
  PaymentPayloadSchema,
  type PaymentRequired,
  PaymentRequiredSchema,
  type PaymentRequirements,
  type PaymentResponse,
  PaymentResponseSchema,
} from './schemas'

const numRuns = Number(process.env.STRIPE402_FUZZ_RUNS) || 300

const v1Encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64')
const v1Decode = (header: string): unknown =>
  JSON.parse(Buffer.from(header, 'base64').toString('utf-8'))
const toUrl = (header: string) => header.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

// Arbitrary code points, lone surrogates included: JSON.stringify escapes them, so they survive.
const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength })
const nonEmpty = (maxLength: number) => fc.string({ unit: 'binary', minLength: 1, maxLength })
const units = fc.bigInt({ min: 0n, max: BigInt(MAX_UNITS) }).map(Number)
const currency = fc.stringMatching(/^[a-z]{3}$/)

const requirementsArb: fc.Arbitrary<PaymentRequirements> = fc.record(
  {
    scheme: fc.constant('stripe' as const),
    currency,
    amount: units,
    minTopUp: units,
    publishableKey: nonEmpty(60),
    description: text(120),
    maxTopUp: units,
  },
  { requiredKeys: ['scheme', 'currency', 'amount', 'minTopUp', 'publishableKey'] },
)

const requiredArb: fc.Arbitrary<PaymentRequired> = fc.record(
  {
    stripe402Version: fc.constant(1 as const),
    resource: fc.record(
      { url: nonEmpty(200), description: text(120), mimeType: text(40) },
      { requiredKeys: ['url'] },
    ),
    accepts: fc.array(requirementsArb, { minLength: 1, maxLength: 4 }),
    error: text(64),
    message: text(200),
    extensions: fc.array(text(64), { maxLength: 4 }),
  },
  { requiredKeys: ['stripe402Version', 'resource', 'accepts'] },
)

const payloadArb: fc.Arbitrary<PaymentPayload> = fc.record(
  {
    stripe402Version: fc.constant(1 as const),
    paymentMethodId: nonEmpty(255),
    clientId: nonEmpty(255),
    topUpAmount: units,
    maxAmount: units,
    idempotencyKey: fc.stringMatching(/^[\x21-\x7e]{1,64}$/),
  },
  { requiredKeys: ['stripe402Version'] },
)

const responseArb: fc.Arbitrary<PaymentResponse> = fc.record(
  {
    success: fc.boolean(),
    chargeId: text(255),
    creditsRemaining: units,
    clientId: text(255),
    error: text(300),
    errorCode: text(64),
    amountCharged: units,
    currency,
  },
  { requiredKeys: ['success', 'creditsRemaining', 'clientId'] },
)

const messages = [
  ['PaymentRequired', requiredArb, encodePaymentRequired, decodePaymentRequired],
  ['PaymentPayload', payloadArb, encodePaymentPayload, decodePaymentPayload],
  ['PaymentResponse', responseArb, encodePaymentResponse, decodePaymentResponse],
] as const

describe.each(messages)('%s round trip', (_name, arb, encode, decode) => {
  const run = (check: (value: never) => void) =>
    fc.assert(fc.property(arb as fc.Arbitrary<never>, check), { numRuns })
  const enc = encode as (value: unknown) => string
  const dec = decode as (header: string) => unknown

  it('decode(encode(x)) equals x', () =>
    run((x) => {
      expect(dec(enc(x))).toEqual(x)
    }))

  it('encodes exactly as v1 does, and v1 reads it back', () =>
    run((x) => {
      const header = enc(x)
      expect(header).toBe(v1Encode(x))
      expect(v1Decode(header)).toEqual(x)
    }))

  it('reads the same value from base64url without padding', () =>
    run((x) => {
      expect(dec(toUrl(enc(x)))).toEqual(x)
    }))
})

/** The decoders, and the raw decoder, as one list: each must return or throw Stripe402Error('invalid_payment'). */
const decoders: Array<
  [string, (header: unknown) => unknown, ((value: unknown) => boolean) | undefined]
> = [
  ['decodeHeader', decodeHeader, undefined],
  [
    'decodePaymentRequired',
    decodePaymentRequired,
    (v) => PaymentRequiredSchema.safeParse(v).success,
  ],
  ['decodePaymentPayload', decodePaymentPayload, (v) => PaymentPayloadSchema.safeParse(v).success],
  [
    'decodePaymentResponse',
    decodePaymentResponse,
    (v) => PaymentResponseSchema.safeParse(v).success,
  ],
]

function onlyInvalidPayment(header: unknown): void {
  for (const [, decode, valid] of decoders) {
    let value: unknown
    try {
      value = decode(header)
    } catch (error) {
      if (!(error instanceof Stripe402Error) || error.code !== 'invalid_payment') throw error
      expect(error.message.length).toBeGreaterThan(10)
      continue
    }
    // Whatever gets through is a valid message.
    if (valid) expect(valid(value)).toBe(true)
  }
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64')

describe('decoders throw only Stripe402Error("invalid_payment")', () => {
  it('over arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), onlyInvalidPayment), {
      numRuns,
    })
  })

  it('over strings drawn from the base64 alphabets', () => {
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z0-9+/_=-]{0,300}$/), onlyInvalidPayment), {
      numRuns,
    })
  })

  it('over base64 of arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) =>
        onlyInvalidPayment(Buffer.from(bytes).toString('base64')),
      ),
      { numRuns },
    )
  })

  it('over base64 and base64url of arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 20 }), fc.boolean(), (json, url) =>
        onlyInvalidPayment(url ? toUrl(b64(json)) : b64(json)),
      ),
      { numRuns },
    )
  })

  it('over arbitrary JSON objects shaped like our messages', () => {
    const field = fc.oneof(
      fc.constantFrom(
        'stripe402Version',
        'resource',
        'accepts',
        'clientId',
        'paymentMethodId',
        'topUpAmount',
        'maxAmount',
      ),
      fc.constantFrom(
        'success',
        'creditsRemaining',
        'amount',
        'minTopUp',
        'scheme',
        'currency',
        'url',
        '__proto__',
        'constructor',
      ),
      fc.string(),
    )
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(
          fc.integer(),
          fc.double(),
          fc.constantFrom(1, 0, -1, 1e12, 1e13, 2 ** 53),
          fc.string(),
          fc.boolean(),
          fc.constant(null),
        ),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(field, tie('node'), { maxKeys: 6 }),
      ),
    })).node
    fc.assert(
      fc.property(fc.dictionary(field, value, { maxKeys: 8 }), (obj) =>
        onlyInvalidPayment(b64(JSON.stringify(obj))),
      ),
      { numRuns },
    )
  })

  it('over valid headers with one character changed', () => {
    fc.assert(
      fc.property(payloadArb, fc.nat(), fc.constantFrom(...'AZaz09+/-_=!. '), (payload, at, ch) => {
        const header = encodePaymentPayload(payload)
        const i = at % header.length
        onlyInvalidPayment(header.slice(0, i) + ch + header.slice(i + 1))
      }),
      { numRuns },
    )
  })

  it('over values that are not strings at all', () => {
    fc.assert(fc.property(fc.anything(), onlyInvalidPayment), { numRuns })
  })
})

describe('encoders throw only Stripe402Error("invalid_payment")', () => {
  const encoders: Array<[string, (value: never) => string]> = [
    ['encodeHeader', encodeHeader],
    ['encodePaymentRequired', encodePaymentRequired],
    ['encodePaymentPayload', encodePaymentPayload],
    ['encodePaymentResponse', encodePaymentResponse],
  ]
  const cyclic = (): unknown => {
    const node: Record<string, unknown> = { a: 1 }
    node.self = node
    return node
  }
  // What JSON cannot hold, alone or nested in an object that otherwise could pass.
  const notJson = fc.oneof(
    fc.constantFrom<unknown>(undefined, () => 1, Symbol('s'), 1n),
    fc.bigInt().map((n) => ({ stripe402Version: 1, clientId: 'c', topUpAmount: n })),
    fc.constant(null).map(cyclic),
  )

  function onlyInvalidPaymentOrHeader(value: unknown): void {
    for (const [name, encode] of encoders) {
      let header: string
      try {
        header = encode(value as never)
      } catch (error) {
        if (!(error instanceof Stripe402Error) || error.code !== 'invalid_payment') throw error
        expect(error.message.length).toBeGreaterThan(10)
        continue
      }
      // Whatever is written is a header a peer can read: the JSON given (the typed encoders drop unknown fields).
      const decoded = decodeHeader(header)
      if (name === 'encodeHeader') expect(decoded).toEqual(JSON.parse(JSON.stringify(value)))
    }
  }

  it('over anything fast-check makes', () => {
    fc.assert(
      fc.property(
        fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true }),
        onlyInvalidPaymentOrHeader,
      ),
      { numRuns },
    )
  })

  it('refuses an own __proto__ key, which every decoder refuses (fast-check seed 605014235)', () => {
    onlyInvalidPaymentOrHeader(JSON.parse('{"__proto__":false}'))
    expect(() => encodeHeader(JSON.parse('{"a":{"constructor":1}}'))).toThrow(Stripe402Error)
  })

  it('over values JSON cannot hold: undefined, functions, symbols, BigInts, cycles', () => {
    fc.assert(fc.property(notJson, onlyInvalidPaymentOrHeader), { numRuns: Math.min(numRuns, 100) })
    // Not the base64 of the text "undefined", which a peer would then fail to read.
    expect(() => encodeHeader(undefined)).toThrow(Stripe402Error)
  })
})

describe('encodePaymentResponse, whose common case skips the schema', () => {
  // Values on both sides of every limit, of the wrong type, and arbitrary: the hand-written checks
  // must accept nothing the schema refuses and write exactly the header the schema's output makes.
  const number = fc.oneof(
    units,
    fc.constantFrom(
      -1,
      -0,
      0.5,
      MAX_UNITS,
      MAX_UNITS + 1,
      2 ** 53,
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ),
    fc.double(),
  )
  const textNear = (max: number) =>
    fc.oneof(
      text(4),
      fc.constantFrom('x'.repeat(max), 'x'.repeat(max + 1)),
      fc.string({ unit: 'binary', minLength: max - 2, maxLength: max + 2 }),
    )
  const field = <T>(arb: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 4, arbitrary: arb }, { weight: 1, arbitrary: fc.anything() })
  const responseLike = fc.record(
    {
      success: field(fc.boolean()),
      chargeId: field(textNear(255)),
      creditsRemaining: field(number),
      clientId: field(textNear(255)),
      error: field(textNear(1024)),
      errorCode: field(textNear(64)),
      amountCharged: field(number),
      currency: field(fc.oneof(currency, fc.constantFrom('USD', 'us', 'usdd'))),
      extra: fc.anything(),
    },
    { requiredKeys: [] },
  )

  it('writes what the schema would, and refuses what it refuses', () => {
    fc.assert(
      fc.property(responseLike, fc.boolean(), (value, reversed) => {
        // Key order must not matter: the output follows the schema's order either way.
        const input = reversed ? Object.fromEntries(Object.entries(value).reverse()) : value
        const parsed = PaymentResponseSchema.safeParse(input)
        if (parsed.success) {
          const header = v1Encode(parsed.data)
          // Valid, yet past the header cap every peer enforces (control characters escape to 6 bytes each): refused for its size.
          if (header.length > DEFAULT_MAX_HEADER_BYTES)
            expect(() => encodePaymentResponse(input as PaymentResponse)).toThrow(
              /^Refusing to encode a PaymentResponse header of \d+ bytes/,
            )
          else expect(encodePaymentResponse(input as PaymentResponse)).toBe(header)
        } else
          expect(() => encodePaymentResponse(input as PaymentResponse)).toThrow(
            /^Refusing to encode an invalid PaymentResponse: /,
          )
      }),
      { numRuns: Math.max(numRuns, 3000) },
    )
  })
})
