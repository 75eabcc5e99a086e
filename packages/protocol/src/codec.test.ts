import { describe, expect, it } from 'vitest'
import {
  decodeHeader,
  decodePaymentPayload,
  decodePaymentRequired,
  decodePaymentResponse,
  encodeHeader,
  encodePaymentPayload,
  encodePaymentRequired,
  encodePaymentResponse,
} from './codec'
import { DEFAULT_MAX_HEADER_BYTES, MAX_UNITS } from './constants'
import { Stripe402Error } from './errors'
import type { PaymentPayload, PaymentRequired, PaymentResponse } from './schemas'

/** How published stripe402 v1 writes a header. */
const v1Encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64')
/** How published stripe402 v1 reads a header. */
const v1Decode = (header: string): unknown =>
  JSON.parse(Buffer.from(header, 'base64').toString('utf-8'))
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64')

const challenge: PaymentRequired = {
  stripe402Version: 1,
  resource: { url: '/api/weather', description: 'Weather — 東京', mimeType: 'application/json' },
  accepts: [
    {
      scheme: 'stripe',
      currency: 'usd',
      amount: 500,
      minTopUp: 5000,
      publishableKey: 'pk_test_123',
      description: 'Weather data',
    },
  ],
}
const payload: PaymentPayload = {
  stripe402Version: 1,
  paymentMethodId: 'pm_card_visa',
  topUpAmount: 50_000,
}
const response: PaymentResponse = {
  success: true,
  chargeId: 'pi_123',
  creditsRemaining: 49_500,
  clientId: 'cred_abc',
}

/** Runs `fn` and returns the Stripe402Error it threw; fails the test on any other outcome. */
function refusal(fn: () => unknown): Stripe402Error {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(Stripe402Error)
    expect((error as Stripe402Error).code).toBe('invalid_payment')
    return error as Stripe402Error
  }
  throw new Error('expected a Stripe402Error, but nothing was thrown')
}

describe('round trips', () => {
  it('PaymentRequired, PaymentPayload and PaymentResponse come back unchanged', () => {
    expect(decodePaymentRequired(encodePaymentRequired(challenge))).toEqual(challenge)
    expect(decodePaymentPayload(encodePaymentPayload(payload))).toEqual(payload)
    expect(decodePaymentResponse(encodePaymentResponse(response))).toEqual(response)
  })

  it('writes exactly what v1 writes: padded standard base64 of JSON.stringify', () => {
    expect(encodePaymentRequired(challenge)).toBe(v1Encode(challenge))
    expect(encodePaymentPayload(payload)).toBe(v1Encode(payload))
    expect(encodePaymentResponse(response)).toBe(v1Encode(response))
    expect(encodeHeader({ a: 'é' })).toBe(v1Encode({ a: 'é' }))
  })

  it('reads headers v1 wrote', () => {
    expect(decodePaymentRequired(v1Encode(challenge))).toEqual(challenge)
    expect(decodePaymentPayload(v1Encode(payload))).toEqual(payload)
    expect(decodePaymentResponse(v1Encode(response))).toEqual(response)
  })

  it('writes headers v1 reads', () => {
    expect(v1Decode(encodePaymentRequired(challenge))).toEqual(challenge)
    expect(v1Decode(encodePaymentPayload(payload))).toEqual(payload)
    expect(v1Decode(encodePaymentResponse(response))).toEqual(response)
  })

  it('reads v1 failure bodies with an empty clientId', () => {
    const failure = {
      success: false,
      creditsRemaining: 0,
      clientId: '',
      error: 'Your card was declined.',
      errorCode: 'card_declined',
    }
    expect(decodePaymentResponse(v1Encode(failure))).toEqual(failure)
  })
})

describe('base64 variants', () => {
  // '?>' bytes make both '+'/'/' in base64 and '-'/'_' in base64url, and the length needs padding.
  const value = { stripe402Version: 1, clientId: 'cred??>>~~' }
  const standard = v1Encode(value)
  const url = Buffer.from(JSON.stringify(value)).toString('base64url')

  it('the fixture exercises both alphabets and padding', () => {
    expect(standard).toMatch(/[+/]/)
    expect(standard).toMatch(/=$/)
    expect(url).toMatch(/[-_]/)
  })

  it.each([
    ['standard, padded', standard],
    ['standard, unpadded', standard.replace(/=+$/, '')],
    ['url, unpadded', url],
    ['url, padded', url + '='.repeat((4 - (url.length % 4)) % 4)],
    ['surrounded by spaces', ` ${standard}\t`],
  ])('accepts %s', (_name, header) => {
    expect(decodePaymentPayload(header)).toEqual(value)
  })

  it('refuses a header that mixes both alphabets', () => {
    const mixed = standard.replace(/\+/, '-')
    expect(mixed).not.toBe(standard)
    expect(mixed).toMatch(/\//)
    refusal(() => decodePaymentPayload(mixed))
  })

  it('ignores spaces and tabs around the value, and nothing else', () => {
    expect(decodeHeader(' \te30=\t ')).toEqual({})
    refusal(() => decodeHeader('\ne30='))
    refusal(() => decodeHeader('e30=\u00a0'))
    refusal(() => decodeHeader('e3 0='))
  })

  it('refuses wrong padding and impossible lengths', () => {
    refusal(() => decodeHeader('e30=='))
    refusal(() => decodeHeader('e3=0'))
    refusal(() => decodeHeader('e30=='.slice(0, 1)))
    refusal(() => decodeHeader('abcde'))
    expect(decodeHeader('e30=')).toEqual({})
    expect(decodeHeader('e30')).toEqual({})
  })
})

describe('size cap', () => {
  it('refuses headers over 8 KiB by default, before decoding', () => {
    const big = v1Encode({ stripe402Version: 1, clientId: 'x', pad: 'p'.repeat(7000) })
    expect(big.length).toBeGreaterThan(DEFAULT_MAX_HEADER_BYTES)
    expect(refusal(() => decodePaymentPayload(big)).message).toMatch(/limit is 8192/)
  })

  it('checks the cap before anything else, so even garbage is refused by size', () => {
    const garbage = '!'.repeat(DEFAULT_MAX_HEADER_BYTES + 1)
    expect(refusal(() => decodeHeader(garbage)).message).toMatch(/bytes; the limit is/)
  })

  it('is configurable both ways', () => {
    const header = v1Encode(payload)
    expect(decodePaymentPayload(header, { maxBytes: header.length })).toEqual(payload)
    refusal(() => decodePaymentPayload(header, { maxBytes: header.length - 1 }))
    const big = v1Encode({ stripe402Version: 1, pad: 'p'.repeat(7000) })
    expect(decodePaymentPayload(big, { maxBytes: 16 * 1024 })).toEqual({ stripe402Version: 1 })
  })

  it('rejects a nonsensical cap as a programming error, not as a bad header', () => {
    for (const maxBytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => decodeHeader('e30=', { maxBytes })).toThrow(RangeError)
    }
  })

  it('refuses to encode a header peers would refuse', () => {
    const huge: PaymentRequired = {
      ...challenge,
      accepts: Array.from({ length: 8 }, () => ({
        ...challenge.accepts[0]!,
        description: 'd'.repeat(1024),
      })),
    }
    expect(refusal(() => encodePaymentRequired(huge)).message).toMatch(
      /peers refuse more than 8192/,
    )
  })
})

describe('hostile input', () => {
  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['an array of headers', ['e30=', 'e30=']],
    ['an empty string', ''],
    ['whitespace', '   '],
  ])('refuses %s', (_name, header) => {
    refusal(() => decodePaymentPayload(header))
    refusal(() => decodeHeader(header))
  })

  it('refuses non-JSON, invalid UTF-8 and a byte order mark', () => {
    refusal(() => decodeHeader(b64('stripe402Version=1')))
    refusal(() =>
      decodeHeader(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]).toString('base64')),
    )
    refusal(() =>
      decodeHeader(Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('{}')]).toString('base64')),
    )
  })

  it.each(['__proto__', 'constructor', 'prototype'])(
    'refuses the key %s at any depth, without polluting',
    (key) => {
      const top = `{"stripe402Version":1,"${key}":{"polluted":true}}`
      const nested = `{"stripe402Version":1,"a":[{"b":{"${key}":{"polluted":true}}}]}`
      expect(refusal(() => decodePaymentPayload(b64(top))).message).toContain(`"${key}"`)
      refusal(() => decodeHeader(b64(nested)))
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    },
  )

  it('refuses nesting deeper than 16 levels, accepts 16', () => {
    const nest = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`
    expect(decodeHeader(b64(nest(16)))).toBeDefined()
    expect(refusal(() => decodeHeader(b64(nest(17)))).message).toMatch(/deeper than 16/)
    refusal(() => decodeHeader(b64(nest(2000))))
  })

  it.each([
    ['an array', '[{"stripe402Version":1}]'],
    ['a string', '"pm_card_visa"'],
    ['a number', '1'],
    ['null', 'null'],
    ['a boolean', 'true'],
  ])('typed decoders refuse JSON that is %s', (_name, json) => {
    expect(refusal(() => decodePaymentPayload(b64(json))).message).toMatch(/JSON object/)
    refusal(() => decodePaymentRequired(b64(json)))
    refusal(() => decodePaymentResponse(b64(json)))
  })

  it('decodeHeader returns any JSON value, shape unchecked', () => {
    expect(decodeHeader(b64('[1,"a",null]'))).toEqual([1, 'a', null])
    expect(decodeHeader(b64('"text"'))).toBe('text')
  })
})

describe('numbers', () => {
  const withTopUp = (topUpAmount: unknown) =>
    `{"stripe402Version":1,"paymentMethodId":"pm_x","topUpAmount":${String(topUpAmount)}}`

  it.each([
    ['negative', '-1'],
    ['fractional', '0.5'],
    ['above 10^12', '1000000000001'],
    ['above 2^53', '9007199254740993'],
    ['overflowing to Infinity', '1e400'],
    ['a numeric string', '"500"'],
    ['the string NaN', '"NaN"'],
    ['null', 'null'],
    ['a boolean', 'true'],
  ])('refuses an amount that is %s', (_name, literal) => {
    expect(refusal(() => decodePaymentPayload(b64(withTopUp(literal)))).message).toMatch(
      /topUpAmount/,
    )
  })

  it('accepts 0, 10^12 and exponent notation of an integer', () => {
    expect(decodePaymentPayload(b64(withTopUp('0'))).topUpAmount).toBe(0)
    expect(decodePaymentPayload(b64(withTopUp(String(MAX_UNITS)))).topUpAmount).toBe(MAX_UNITS)
    expect(decodePaymentPayload(b64(withTopUp('5e4'))).topUpAmount).toBe(50_000)
  })

  it('checks every amount field, not just one', () => {
    refusal(() => decodePaymentPayload(v1Encode({ stripe402Version: 1, maxAmount: -1 })))
    refusal(() => decodePaymentResponse(v1Encode({ ...response, creditsRemaining: 1.5 })))
    refusal(() => decodePaymentResponse(v1Encode({ ...response, amountCharged: -5 })))
    refusal(() =>
      decodePaymentRequired(
        v1Encode({ ...challenge, accepts: [{ ...challenge.accepts[0], minTopUp: -1 }] }),
      ),
    )
    refusal(() =>
      decodePaymentRequired(
        v1Encode({ ...challenge, accepts: [{ ...challenge.accepts[0], maxTopUp: 0.1 }] }),
      ),
    )
  })
})

describe('shapes and strings', () => {
  it('refuses the wrong version and wrong types, naming the field', () => {
    expect(refusal(() => decodePaymentPayload(v1Encode({ stripe402Version: 2 }))).message).toMatch(
      /stripe402Version/,
    )
    expect(
      refusal(() => decodePaymentPayload(v1Encode({ stripe402Version: '1' }))).message,
    ).toMatch(/stripe402Version/)
    expect(
      refusal(() => decodePaymentPayload(v1Encode({ stripe402Version: 1, clientId: 7 }))).message,
    ).toMatch(/clientId/)
    expect(
      refusal(() => decodePaymentResponse(v1Encode({ ...response, success: 'yes' }))).message,
    ).toMatch(/success/)
    expect(
      refusal(() => decodePaymentRequired(v1Encode({ ...challenge, accepts: [] }))).message,
    ).toMatch(/accepts/)
    expect(
      refusal(() =>
        decodePaymentRequired(
          v1Encode({ ...challenge, accepts: [{ ...challenge.accepts[0], currency: 'USD' }] }),
        ),
      ).message,
    ).toMatch(/accepts\.0\.currency/)
  })

  it('caps string lengths', () => {
    expect(
      decodePaymentPayload(v1Encode({ stripe402Version: 1, clientId: 'c'.repeat(255) })).clientId,
    ).toHaveLength(255)
    refusal(() =>
      decodePaymentPayload(v1Encode({ stripe402Version: 1, clientId: 'c'.repeat(256) })),
    )
    refusal(() =>
      decodePaymentRequired(v1Encode({ ...challenge, resource: { url: '/'.repeat(2049) } })),
    )
    refusal(() => decodePaymentRequired(v1Encode({ ...challenge, error: 'e'.repeat(65) })))
    refusal(() => decodePaymentResponse(v1Encode({ ...response, error: 'e'.repeat(1025) })))
  })

  it('refuses empty identifiers and a spaced idempotency key', () => {
    refusal(() => decodePaymentPayload(v1Encode({ stripe402Version: 1, paymentMethodId: '' })))
    refusal(() => decodePaymentPayload(v1Encode({ stripe402Version: 1, clientId: '' })))
    refusal(() => decodePaymentPayload(v1Encode({ stripe402Version: 1, idempotencyKey: 'a b' })))
    refusal(() =>
      decodePaymentRequired(
        v1Encode({ ...challenge, accepts: [{ ...challenge.accepts[0], publishableKey: '' }] }),
      ),
    )
  })

  it('tolerates unknown fields at every level and strips them', () => {
    const header = v1Encode({
      ...challenge,
      future: { x: 1 },
      resource: { ...challenge.resource, etag: 'abc' },
      accepts: [{ ...challenge.accepts[0], network: 'visa' }],
    })
    const decoded = decodePaymentRequired(header)
    expect(decoded).toEqual(challenge)
    expect(decoded).not.toHaveProperty('future')
    expect(decoded.resource).not.toHaveProperty('etag')
    expect(decoded.accepts[0]).not.toHaveProperty('network')
    expect(decodePaymentPayload(v1Encode({ ...payload, agent: 'bot' }))).toEqual(payload)
    expect(decodePaymentResponse(v1Encode({ ...response, trace: 'x' }))).toEqual(response)
  })

  it('keeps the extension fields', () => {
    const extended: PaymentRequired = {
      ...challenge,
      error: 'price_above_max_amount',
      message: 'Price rose.',
      extensions: ['maxAmount', 'idempotencyKey'],
    }
    expect(decodePaymentRequired(encodePaymentRequired(extended))).toEqual(extended)
    const p: PaymentPayload = {
      stripe402Version: 1,
      clientId: 'cred',
      maxAmount: 600,
      idempotencyKey: 'k-1',
    }
    expect(decodePaymentPayload(encodePaymentPayload(p))).toEqual(p)
    const r: PaymentResponse = { ...response, amountCharged: 500, currency: 'usd' }
    expect(decodePaymentResponse(encodePaymentResponse(r))).toEqual(r)
  })

  it('keeps unknown error codes as strings (a generic failure to the reader)', () => {
    expect(decodePaymentRequired(v1Encode({ ...challenge, error: 'from_the_future' })).error).toBe(
      'from_the_future',
    )
    expect(
      decodePaymentResponse(v1Encode({ ...response, success: false, errorCode: 'from_the_future' }))
        .errorCode,
    ).toBe('from_the_future')
  })

  it('names the header in the message so a person knows what to fix', () => {
    expect(refusal(() => decodePaymentPayload('!!')).message).toMatch(/^Malformed payment header: /)
    expect(refusal(() => decodePaymentRequired('!!')).message).toMatch(
      /^Malformed payment-required header: /,
    )
    expect(refusal(() => decodePaymentResponse('!!')).message).toMatch(
      /^Malformed payment-response header: /,
    )
  })

  it('refuses to encode an invalid message', () => {
    expect(
      refusal(() => encodePaymentPayload({ stripe402Version: 1, topUpAmount: -1 })).message,
    ).toMatch(/Refusing to encode an invalid PaymentPayload: topUpAmount/)
    refusal(() => encodePaymentResponse({ ...response, creditsRemaining: 0.5 }))
    refusal(() => encodePaymentRequired({ ...challenge, accepts: [] }))
  })
})

describe('a payment header sent again', () => {
  it('decodes to an equal object of its own each time, whatever the caller did to the last one', () => {
    const header = encodePaymentPayload({ stripe402Version: 1, clientId: 'c1', maxAmount: 5 })
    const first = decodePaymentPayload(header)
    first.maxAmount = 1_000
    delete first.clientId
    const second = decodePaymentPayload(header)
    expect(second).toStrictEqual({ stripe402Version: 1, clientId: 'c1', maxAmount: 5 })
    expect(second).not.toBe(decodePaymentPayload(header))
    // Not frozen: callers own what they get, as they did before headers were remembered.
    second.maxAmount = 6
    expect(second.maxAmount).toBe(6)
  })

  it('is refused again each time when it was refused, and by its own options', () => {
    const bad = btoa(JSON.stringify({ stripe402Version: 1, clientId: '' }))
    expect(() => decodePaymentPayload(bad)).toThrow(Stripe402Error)
    expect(() => decodePaymentPayload(bad)).toThrow(Stripe402Error)
    const header = encodePaymentPayload({ stripe402Version: 1, clientId: 'c2' })
    expect(decodePaymentPayload(header).clientId).toBe('c2')
    expect(() => decodePaymentPayload(header, { maxBytes: 8 })).toThrow(/limit is 8/)
    expect(() => decodePaymentPayload(header, { maxBytes: 0 })).toThrow(RangeError)
  })

  it('decodes thousands of distinct headers, each to its own payload', () => {
    for (let i = 0; i < 3_000; i++) {
      const header = encodePaymentPayload({ stripe402Version: 1, clientId: `c${i}`, maxAmount: i })
      expect(decodePaymentPayload(header)).toStrictEqual({
        stripe402Version: 1,
        clientId: `c${i}`,
        maxAmount: i,
      })
    }
  })
})
