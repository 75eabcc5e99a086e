/**
 * Writes the golden vectors under spec/vectors/<Type>/. Headers are made here with Node's
 * Buffer, exactly as published stripe402 v1 writes them, never with our own codec, and every
 * expected `decoded` value is written out by hand: the vectors test our decoder, not the reverse.
 * Run: `pnpm --filter @stripe402/protocol gen:vectors`.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Type = 'PaymentRequired' | 'PaymentPayload' | 'PaymentResponse'

interface Case {
  type: Type
  name: string
  description: string
  /** The header exactly, or how to build it from JSON or raw bytes. */
  header:
    | string
    | { v1: Json }
    | { json: Json; style: Style }
    | { text: string; style?: Style }
    | { bytes: number[] }
  /** Expected decoded value, or the error code. */
  expect: { decoded: Json } | { error: 'invalid_payment' }
}
type Style = 'v1' | 'base64-unpadded' | 'base64url-unpadded' | 'base64url-padded'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', 'spec', 'vectors')
const INVALID = { error: 'invalid_payment' } as const

/** What published v1 does: `Buffer.from(JSON.stringify(x)).toString('base64')`. */
const v1 = (value: Json): string => Buffer.from(JSON.stringify(value)).toString('base64')

function styled(text: string, style: Style = 'v1'): string {
  const b64 = Buffer.from(text, 'utf8').toString('base64')
  switch (style) {
    case 'v1':
      return b64
    case 'base64-unpadded':
      return b64.replace(/=+$/, '')
    case 'base64url-unpadded':
      return Buffer.from(text, 'utf8').toString('base64url')
    case 'base64url-padded':
      return b64.replace(/\+/g, '-').replace(/\//g, '_')
  }
}

function build(header: Case['header']): string {
  if (typeof header === 'string') return header
  if ('v1' in header) return v1(header.v1)
  if ('json' in header) return styled(JSON.stringify(header.json), header.style)
  if ('text' in header) return styled(header.text, header.style)
  return Buffer.from(header.bytes).toString('base64')
}

const CLIENT_ID = 'a3f1c9e07b5d4e2f8a6b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f'
const PK = 'pk_test_51NqX2vLkdIwHu7ixTestKey0000000000'

const weatherOffer = {
  scheme: 'stripe',
  currency: 'usd',
  amount: 500,
  minTopUp: 50000,
  publishableKey: PK,
  description: 'Weather data',
}
const weather = {
  stripe402Version: 1,
  resource: { url: '/api/weather' },
  accepts: [weatherOffer],
}
const fullChallenge = {
  stripe402Version: 1,
  resource: {
    url: '/api/forecast?days=7',
    description: '7-day forecast (>?)',
    mimeType: 'application/json',
  },
  accepts: [
    {
      scheme: 'stripe',
      currency: 'usd',
      amount: 1200,
      minTopUp: 5000,
      publishableKey: PK,
      description: 'Forecast',
      maxTopUp: 1000000,
    },
  ],
  error: 'price_above_max_amount',
  message: 'This call costs 1200 units; your payment allowed at most 1000.',
  extensions: ['maxAmount', 'idempotencyKey'],
}
const withAmount = (amount: Json): Json => ({
  ...weather,
  accepts: [{ ...weatherOffer, amount }],
})

const cases: Case[] = [
  // ---------------------------------------------------------------- PaymentRequired
  {
    type: 'PaymentRequired',
    name: 'v1-docs-example',
    description:
      'The example 402 header printed in the published stripe402 v1 docs (docs/protocol/http-headers.md), verbatim.',
    header:
      'eyJzdHJpcGU0MDJWZXJzaW9uIjoxLCJyZXNvdXJjZSI6eyJ1cmwiOiIvYXBpL3dlYXRoZXIifSwiYWNjZXB0cyI6W3sic2NoZW1lIjoic3RyaXBlIiwiY3VycmVuY3kiOiJ1c2QiLCJhbW91bnQiOjUwMCwibWluVG9wVXAiOjUwMDAwLCJwdWJsaXNoYWJsZUtleSI6InBrX3Rlc3RfLi4uIiwiZGVzY3JpcHRpb24iOiJXZWF0aGVyIGRhdGEifV19',
    expect: {
      decoded: {
        stripe402Version: 1,
        resource: { url: '/api/weather' },
        accepts: [
          {
            scheme: 'stripe',
            currency: 'usd',
            amount: 500,
            minTopUp: 50000,
            publishableKey: 'pk_test_...',
            description: 'Weather data',
          },
        ],
      },
    },
  },
  {
    type: 'PaymentRequired',
    name: 'v1-challenge',
    description: 'A plain challenge written the v1 way: padded base64 of JSON.stringify.',
    header: { v1: weather },
    expect: { decoded: weather },
  },
  {
    type: 'PaymentRequired',
    name: 'v1-insufficient-credits',
    description:
      'A v1 server answering a clientId whose balance is too low: error is the code insufficient_credits.',
    header: { v1: { ...weather, error: 'insufficient_credits' } },
    expect: { decoded: { ...weather, error: 'insufficient_credits' } },
  },
  {
    type: 'PaymentRequired',
    name: 'extensions-all-fields',
    description:
      'Every optional field: resource description and mimeType, maxTopUp, error with message, and the extensions the server honours.',
    header: { v1: fullChallenge },
    expect: { decoded: fullChallenge },
  },
  {
    type: 'PaymentRequired',
    name: 'base64url-unpadded',
    description:
      'The same challenge as extensions-all-fields in base64url without padding; decoders must accept it.',
    header: { json: fullChallenge, style: 'base64url-unpadded' },
    expect: { decoded: fullChallenge },
  },
  {
    type: 'PaymentRequired',
    name: 'utf8-description',
    description: 'Non-ASCII text is UTF-8 before base64, as Buffer writes it.',
    header: { v1: { ...weather, resource: { url: '/api/météo', description: 'Météo — 東京 ☀️' } } },
    expect: {
      decoded: { ...weather, resource: { url: '/api/météo', description: 'Météo — 東京 ☀️' } },
    },
  },
  {
    type: 'PaymentRequired',
    name: 'unknown-fields-stripped',
    description:
      'Fields this version does not know are tolerated at every level and dropped from the decoded value.',
    header: {
      v1: {
        ...weather,
        futureField: { nested: true },
        resource: { url: '/api/weather', etag: 'abc' },
        accepts: [{ ...weatherOffer, network: 'visa' }],
      },
    },
    expect: { decoded: weather },
  },
  {
    type: 'PaymentRequired',
    name: 'several-currencies',
    description:
      'Several accepted options, including a zero-decimal currency (JPY: 50000 units = 5 yen).',
    header: {
      v1: {
        ...weather,
        accepts: [
          weatherOffer,
          { scheme: 'stripe', currency: 'eur', amount: 450, minTopUp: 5000, publishableKey: PK },
          {
            scheme: 'stripe',
            currency: 'jpy',
            amount: 50000,
            minTopUp: 500000,
            publishableKey: PK,
          },
        ],
      },
    },
    expect: {
      decoded: {
        ...weather,
        accepts: [
          weatherOffer,
          { scheme: 'stripe', currency: 'eur', amount: 450, minTopUp: 5000, publishableKey: PK },
          {
            scheme: 'stripe',
            currency: 'jpy',
            amount: 50000,
            minTopUp: 500000,
            publishableKey: PK,
          },
        ],
      },
    },
  },
  {
    type: 'PaymentRequired',
    name: 'unknown-error-code',
    description:
      'An error code from a later version is carried as a string; the receiver treats it as a generic failure.',
    header: { v1: { ...weather, error: 'some_future_code' } },
    expect: { decoded: { ...weather, error: 'some_future_code' } },
  },
  {
    type: 'PaymentRequired',
    name: 'invalid-empty-accepts',
    description: 'accepts must hold at least one option.',
    header: { v1: { ...weather, accepts: [] } },
    expect: INVALID,
  },
  {
    type: 'PaymentRequired',
    name: 'invalid-wrong-scheme',
    description: 'The only scheme is "stripe".',
    header: { v1: { ...weather, accepts: [{ ...weatherOffer, scheme: 'paypal' }] } },
    expect: INVALID,
  },
  {
    type: 'PaymentRequired',
    name: 'invalid-upper-case-currency',
    description: 'Currencies are lower-case ISO 4217 codes, as Stripe requires.',
    header: { v1: { ...weather, accepts: [{ ...weatherOffer, currency: 'USD' }] } },
    expect: INVALID,
  },
  {
    type: 'PaymentRequired',
    name: 'invalid-negative-amount',
    description: 'Amounts are never negative.',
    header: { v1: withAmount(-500) },
    expect: INVALID,
  },
  {
    type: 'PaymentRequired',
    name: 'invalid-fractional-amount',
    description: 'Amounts are whole units.',
    header: { v1: withAmount(0.5) },
    expect: INVALID,
  },
  {
    type: 'PaymentRequired',
    name: 'invalid-huge-amount',
    description: 'Amounts above 10^12 units are refused.',
    header: { v1: withAmount(1e13) },
    expect: INVALID,
  },
  {
    type: 'PaymentRequired',
    name: 'invalid-amount-as-string',
    description: 'Numbers are JSON numbers, not strings.',
    header: { v1: withAmount('500') },
    expect: INVALID,
  },
  {
    type: 'PaymentRequired',
    name: 'invalid-version-2',
    description: 'Only stripe402Version 1 exists.',
    header: { v1: { ...weather, stripe402Version: 2 } },
    expect: INVALID,
  },
  {
    type: 'PaymentRequired',
    name: 'invalid-missing-resource',
    description: 'resource is required.',
    header: { v1: { stripe402Version: 1, accepts: weather.accepts } },
    expect: INVALID,
  },
  // ---------------------------------------------------------------- PaymentPayload
  {
    type: 'PaymentPayload',
    name: 'v1-new-payment',
    description:
      'What the published v1 fetch client sends after tokenizing a card (clientId undefined, so absent).',
    header: {
      v1: {
        stripe402Version: 1,
        paymentMethodId: 'pm_1OqX2vLkdIwHu7ixAbCdEfGh',
        topUpAmount: 50000,
      },
    },
    expect: {
      decoded: {
        stripe402Version: 1,
        paymentMethodId: 'pm_1OqX2vLkdIwHu7ixAbCdEfGh',
        topUpAmount: 50000,
      },
    },
  },
  {
    type: 'PaymentPayload',
    name: 'v1-spend-credits',
    description: 'The v1 credit path: only the clientId (here a v1 account id, 64 hex characters).',
    header: { v1: { stripe402Version: 1, clientId: CLIENT_ID } },
    expect: { decoded: { stripe402Version: 1, clientId: CLIENT_ID } },
  },
  {
    type: 'PaymentPayload',
    name: 'v1-top-up-with-client-id',
    description: 'A v1 top-up that also names the clientId it already holds.',
    header: {
      v1: {
        stripe402Version: 1,
        paymentMethodId: 'pm_card_visa',
        clientId: CLIENT_ID,
        topUpAmount: 100000,
      },
    },
    expect: {
      decoded: {
        stripe402Version: 1,
        paymentMethodId: 'pm_card_visa',
        clientId: CLIENT_ID,
        topUpAmount: 100000,
      },
    },
  },
  {
    type: 'PaymentPayload',
    name: 'version-only',
    description:
      'A payload with neither paymentMethodId nor clientId is well-formed; the server answers it with a challenge.',
    header: { v1: { stripe402Version: 1 } },
    expect: { decoded: { stripe402Version: 1 } },
  },
  {
    type: 'PaymentPayload',
    name: 'extensions-max-amount-idempotency-key',
    description: 'The optional maxAmount and idempotencyKey fields; a v1 server ignores them.',
    header: {
      v1: {
        stripe402Version: 1,
        clientId: 's402_cred_Vt3qZ8',
        maxAmount: 1000,
        idempotencyKey: '3f2b8c1e-9d4a-4e55-b1c2-7a9e0f6d5c4b',
      },
    },
    expect: {
      decoded: {
        stripe402Version: 1,
        clientId: 's402_cred_Vt3qZ8',
        maxAmount: 1000,
        idempotencyKey: '3f2b8c1e-9d4a-4e55-b1c2-7a9e0f6d5c4b',
      },
    },
  },
  {
    type: 'PaymentPayload',
    name: 'base64url-unpadded',
    description:
      'base64url without padding (the bytes of "?>" make "-" and "_" appear); decoders must accept it.',
    header: { json: { stripe402Version: 1, clientId: 'cred??>>~~' }, style: 'base64url-unpadded' },
    expect: { decoded: { stripe402Version: 1, clientId: 'cred??>>~~' } },
  },
  {
    type: 'PaymentPayload',
    name: 'base64url-padded',
    description: 'base64url with padding; decoders must accept it.',
    header: { json: { stripe402Version: 1, clientId: 'cred??>>~~x' }, style: 'base64url-padded' },
    expect: { decoded: { stripe402Version: 1, clientId: 'cred??>>~~x' } },
  },
  {
    type: 'PaymentPayload',
    name: 'base64-unpadded',
    description: 'Standard base64 with the padding removed; decoders must accept it.',
    header: { json: { stripe402Version: 1, clientId: 'cred??>>~~x' }, style: 'base64-unpadded' },
    expect: { decoded: { stripe402Version: 1, clientId: 'cred??>>~~x' } },
  },
  {
    type: 'PaymentPayload',
    name: 'surrounding-whitespace',
    description: 'Leading and trailing spaces (HTTP optional whitespace) are ignored.',
    header: `  ${v1({ stripe402Version: 1, clientId: CLIENT_ID })} `,
    expect: { decoded: { stripe402Version: 1, clientId: CLIENT_ID } },
  },
  {
    type: 'PaymentPayload',
    name: 'unknown-fields-stripped',
    description: 'Unknown fields are tolerated and dropped.',
    header: {
      v1: {
        stripe402Version: 1,
        clientId: CLIENT_ID,
        agent: { name: 'research-bot', version: '2.1' },
        note: 'hi',
      },
    },
    expect: { decoded: { stripe402Version: 1, clientId: CLIENT_ID } },
  },
  {
    type: 'PaymentPayload',
    name: 'largest-amount',
    description: 'The largest amount any field may carry: 10^12 units.',
    header: {
      v1: { stripe402Version: 1, paymentMethodId: 'pm_card_visa', topUpAmount: 1_000_000_000_000 },
    },
    expect: {
      decoded: {
        stripe402Version: 1,
        paymentMethodId: 'pm_card_visa',
        topUpAmount: 1_000_000_000_000,
      },
    },
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-empty',
    description: 'An empty header.',
    header: '',
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-not-base64',
    description: 'Characters outside both base64 alphabets.',
    header: 'not base64!',
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-base64-length',
    description: 'A length that is 1 more than a multiple of 4 cannot be base64.',
    header: 'eyJzdHJpc',
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-mixed-alphabets',
    description: 'Both "+" (base64) and "_" (base64url) in one header.',
    header: 'eyJ+_3RyaXBlNDAyVmVyc2lvbiI6MX0',
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-bad-padding',
    description: 'Padding that does not complete a 4-character group.',
    header: 'e30==',
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-not-json',
    description: 'Valid base64 of text that is not JSON.',
    header: { text: 'stripe402Version=1' },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-json-array',
    description: 'The JSON must be an object, not an array.',
    header: { v1: [{ stripe402Version: 1 }] },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-json-string',
    description: 'The JSON must be an object, not a string.',
    header: { v1: 'pm_card_visa' },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-json-null',
    description: 'The JSON must be an object, not null.',
    header: { v1: null },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-missing-version',
    description: 'stripe402Version is required.',
    header: { v1: { clientId: CLIENT_ID } },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-version-2',
    description: 'Only stripe402Version 1 exists.',
    header: { v1: { stripe402Version: 2, clientId: CLIENT_ID } },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-version-as-string',
    description: 'stripe402Version is the number 1, not "1".',
    header: { v1: { stripe402Version: '1', clientId: CLIENT_ID } },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-negative-top-up',
    description: 'A negative top-up.',
    header: { v1: { stripe402Version: 1, paymentMethodId: 'pm_card_visa', topUpAmount: -50000 } },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-fractional-top-up',
    description: 'A fractional number of units.',
    header: { v1: { stripe402Version: 1, paymentMethodId: 'pm_card_visa', topUpAmount: 50000.5 } },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-huge-top-up',
    description: 'More than 10^12 units.',
    header: { v1: { stripe402Version: 1, paymentMethodId: 'pm_card_visa', topUpAmount: 1e13 } },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-overflowing-number',
    description: 'A JSON number too large for a double (parses to Infinity).',
    header: { text: '{"stripe402Version":1,"paymentMethodId":"pm_card_visa","topUpAmount":1e400}' },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-negative-max-amount',
    description: 'maxAmount follows the same rules as every amount.',
    header: { v1: { stripe402Version: 1, clientId: CLIENT_ID, maxAmount: -1 } },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-proto-key',
    description: 'A "__proto__" key (prototype pollution attempt) is refused outright.',
    header: { text: '{"stripe402Version":1,"clientId":"x","__proto__":{"isAdmin":true}}' },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-constructor-key',
    description: 'A nested "constructor"/"prototype" key is refused outright.',
    header: {
      text: '{"stripe402Version":1,"meta":{"constructor":{"prototype":{"isAdmin":true}}}}',
    },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-oversized',
    description: 'A header above the 8 KiB default cap is refused before any decoding.',
    header: { v1: { stripe402Version: 1, clientId: CLIENT_ID, padding: 'x'.repeat(6200) } },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-deep-nesting',
    description: 'JSON nested deeper than 16 levels.',
    header: { text: `{"stripe402Version":1,"x":${'['.repeat(20)}${']'.repeat(20)}}` },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-client-id-number',
    description: 'clientId must be a string.',
    header: { v1: { stripe402Version: 1, clientId: 12345 } },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-empty-client-id',
    description: 'clientId, when present, is not empty.',
    header: { v1: { stripe402Version: 1, clientId: '' } },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-long-client-id',
    description: 'clientId is at most 255 characters.',
    header: { v1: { stripe402Version: 1, clientId: 'c'.repeat(256) } },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-idempotency-key-space',
    description: 'idempotencyKey is printable ASCII without spaces.',
    header: {
      v1: { stripe402Version: 1, paymentMethodId: 'pm_card_visa', idempotencyKey: 'retry 1' },
    },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-utf8',
    description: 'Bytes that are not UTF-8 (0xFF 0xFE inside a string).',
    header: {
      bytes: [
        ...Buffer.from('{"stripe402Version":1,"clientId":"'),
        0xff,
        0xfe,
        ...Buffer.from('"}'),
      ],
    },
    expect: INVALID,
  },
  {
    type: 'PaymentPayload',
    name: 'invalid-utf8-bom',
    description: 'A UTF-8 byte order mark before the JSON (JSON.parse refuses it, in v1 too).',
    header: { bytes: [0xef, 0xbb, 0xbf, ...Buffer.from('{"stripe402Version":1}')] },
    expect: INVALID,
  },
  // ---------------------------------------------------------------- PaymentResponse
  {
    type: 'PaymentResponse',
    name: 'v1-docs-example',
    description:
      'The example payment-response header printed in the published stripe402 v1 docs, verbatim.',
    header:
      'eyJzdWNjZXNzIjp0cnVlLCJjaGFyZ2VJZCI6InBpXzEyMzQ1NiIsImNyZWRpdHNSZW1haW5pbmciOjQ5NTAwLCJjbGllbnRJZCI6ImExYjJjM2Q0ZTVmNi4uLiJ9',
    expect: {
      decoded: {
        success: true,
        chargeId: 'pi_123456',
        creditsRemaining: 49500,
        clientId: 'a1b2c3d4e5f6...',
      },
    },
  },
  {
    type: 'PaymentResponse',
    name: 'v1-credit-spend',
    description: 'A v1 server after spending credits: no chargeId.',
    header: { v1: { success: true, creditsRemaining: 44000, clientId: CLIENT_ID } },
    expect: { decoded: { success: true, creditsRemaining: 44000, clientId: CLIENT_ID } },
  },
  {
    type: 'PaymentResponse',
    name: 'v1-failure',
    description:
      'The failure object v1 servers send (there as the 402 body): empty clientId, zero credits, message and code.',
    header: {
      v1: {
        success: false,
        creditsRemaining: 0,
        clientId: '',
        error: 'Your card was declined.',
        errorCode: 'card_declined',
      },
    },
    expect: {
      decoded: {
        success: false,
        creditsRemaining: 0,
        clientId: '',
        error: 'Your card was declined.',
        errorCode: 'card_declined',
      },
    },
  },
  {
    type: 'PaymentResponse',
    name: 'extensions-amount-and-currency',
    description: 'The optional amountCharged and currency fields.',
    header: {
      v1: {
        success: true,
        chargeId: 'pi_3OqX2vLkdIwHu7ix1AbCdEfG',
        creditsRemaining: 4500,
        clientId: 's402_cred_Vt3qZ8',
        amountCharged: 500,
        currency: 'usd',
      },
    },
    expect: {
      decoded: {
        success: true,
        chargeId: 'pi_3OqX2vLkdIwHu7ix1AbCdEfG',
        creditsRemaining: 4500,
        clientId: 's402_cred_Vt3qZ8',
        amountCharged: 500,
        currency: 'usd',
      },
    },
  },
  {
    type: 'PaymentResponse',
    name: 'unknown-error-code',
    description:
      'An errorCode this version does not define is kept as a string: a generic failure to the receiver.',
    header: {
      v1: {
        success: false,
        creditsRemaining: 0,
        clientId: '',
        error: 'Try later.',
        errorCode: 'quota_exhausted_v9',
      },
    },
    expect: {
      decoded: {
        success: false,
        creditsRemaining: 0,
        clientId: '',
        error: 'Try later.',
        errorCode: 'quota_exhausted_v9',
      },
    },
  },
  {
    type: 'PaymentResponse',
    name: 'base64url-unpadded',
    description: 'base64url without padding; decoders must accept it.',
    header: {
      json: { success: true, creditsRemaining: 9500, clientId: 'cred??>>~~' },
      style: 'base64url-unpadded',
    },
    expect: { decoded: { success: true, creditsRemaining: 9500, clientId: 'cred??>>~~' } },
  },
  {
    type: 'PaymentResponse',
    name: 'invalid-negative-credits',
    description: 'Balances are never negative.',
    header: { v1: { success: true, creditsRemaining: -100, clientId: CLIENT_ID } },
    expect: INVALID,
  },
  {
    type: 'PaymentResponse',
    name: 'invalid-fractional-credits',
    description: 'Balances are whole units.',
    header: { v1: { success: true, creditsRemaining: 99.5, clientId: CLIENT_ID } },
    expect: INVALID,
  },
  {
    type: 'PaymentResponse',
    name: 'invalid-huge-credits',
    description: 'Above 10^12 units (and above 2^53).',
    header: {
      text: `{"success":true,"creditsRemaining":90071992547409930,"clientId":"${CLIENT_ID}"}`,
    },
    expect: INVALID,
  },
  {
    type: 'PaymentResponse',
    name: 'invalid-nan-string',
    description: 'JSON has no NaN; the string "NaN" is not a number.',
    header: { v1: { success: true, creditsRemaining: 'NaN', clientId: CLIENT_ID } },
    expect: INVALID,
  },
  {
    type: 'PaymentResponse',
    name: 'invalid-success-as-string',
    description: 'success is a JSON boolean.',
    header: { v1: { success: 'true', creditsRemaining: 100, clientId: CLIENT_ID } },
    expect: INVALID,
  },
  {
    type: 'PaymentResponse',
    name: 'invalid-missing-client-id',
    description: 'clientId is required (empty on failures).',
    header: { v1: { success: true, creditsRemaining: 100 } },
    expect: INVALID,
  },
  {
    type: 'PaymentResponse',
    name: 'invalid-upper-case-currency',
    description: 'currency is lower case.',
    header: { v1: { success: true, creditsRemaining: 100, clientId: CLIENT_ID, currency: 'USD' } },
    expect: INVALID,
  },
  {
    type: 'PaymentResponse',
    name: 'invalid-long-error-code',
    description: 'errorCode is at most 64 characters.',
    header: {
      v1: { success: false, creditsRemaining: 0, clientId: '', errorCode: 'x'.repeat(65) },
    },
    expect: INVALID,
  },
  {
    type: 'PaymentResponse',
    name: 'invalid-json-number',
    description: 'The JSON must be an object.',
    header: { v1: 42 },
    expect: INVALID,
  },
]

function main(): void {
  for (const type of ['PaymentRequired', 'PaymentPayload', 'PaymentResponse'] as const) {
    const dir = join(ROOT, type)
    mkdirSync(dir, { recursive: true })
    for (const f of readdirSync(dir)) if (f.endsWith('.json')) rmSync(join(dir, f))
  }
  const seen = new Set<string>()
  for (const c of cases) {
    const key = `${c.type}/${c.name}`
    if (seen.has(key)) throw new Error(`duplicate vector ${key}`)
    seen.add(key)
    const header = build(c.header)
    if (
      typeof c.header === 'object' &&
      'style' in c.header &&
      c.header.style?.startsWith('base64url') &&
      !/[-_]/.test(header)
    ) {
      throw new Error(`${key}: pick content whose base64url shows "-" or "_"`)
    }
    const body = { description: c.description, header, ...c.expect }
    writeFileSync(join(ROOT, c.type, `${c.name}.json`), `${JSON.stringify(body, null, 2)}\n`)
  }
  console.log(`Wrote ${cases.length} vectors to spec/vectors.`)
}

main()
