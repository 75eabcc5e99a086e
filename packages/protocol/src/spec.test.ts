import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodePaymentPayload, decodePaymentRequired, decodePaymentResponse } from './codec'
import { DEFAULT_MAX_HEADER_BYTES, EXTENSIONS, MAX_JSON_DEPTH, ORIGIN_BINDING } from './constants'
import { DiscoveryDocumentSchema, DiscoveryRouteSchema, WELL_KNOWN_PATH } from './discovery'
import { ERROR_HTTP_STATUS, V1_ERROR_CODES } from './errors'
import {
  PaymentPayloadSchema,
  PaymentRequiredSchema,
  PaymentRequirementsSchema,
  PaymentResponseSchema,
  ResourceInfoSchema,
} from './schemas'
import {
  minimumTopUpUnits,
  STRIPE_MINIMUM_CHARGE_MINOR,
  THREE_DECIMAL_CURRENCIES,
  ZERO_DECIMAL_CURRENCIES,
} from './units'

/** spec/stripe402.md is written for people; these checks keep its tables equal to the code. */
const SPEC = readFileSync(
  join(import.meta.dirname, '..', '..', '..', 'spec', 'stripe402.md'),
  'utf8',
)

/** The text of the section whose heading starts with `heading`, up to the next heading. */
function section(heading: string): string {
  const start = SPEC.indexOf(`\n${heading}`)
  expect(start, `section "${heading}" is missing`).toBeGreaterThan(-1)
  const rest = SPEC.slice(start + 1)
  const end = rest.slice(1).search(/\n#{2,3} /)
  return end === -1 ? rest : rest.slice(0, end + 1)
}

/** First-column member names of the markdown table(s) in a section. */
function members(text: string): string[] {
  return [...text.matchAll(/^\| `([\w.[\]]+)`/gm)].map((m) => m[1]!)
}

describe('spec/stripe402.md', () => {
  it.each([
    ['### 4.1 PaymentRequired', PaymentRequiredSchema],
    ['### 4.2 ResourceInfo', ResourceInfoSchema],
    ['### 4.3 PaymentRequirements', PaymentRequirementsSchema],
    ['### 4.4 PaymentPayload', PaymentPayloadSchema],
    ['### 4.5 PaymentResponse', PaymentResponseSchema],
  ])('%s lists exactly the schema members', (heading, schema) => {
    expect(members(section(heading)).sort()).toEqual(Object.keys(schema.shape).sort())
  })

  it('the discovery table lists exactly the document and route members', () => {
    const listed = members(section('### 12.1 Price list'))
    const top = listed.filter((m) => !m.startsWith('routes[].'))
    const route = listed
      .filter((m) => m.startsWith('routes[].'))
      .map((m) => m.slice('routes[].'.length))
    expect(top.sort()).toEqual(Object.keys(DiscoveryDocumentSchema.shape).sort())
    expect(route.sort()).toEqual(Object.keys(DiscoveryRouteSchema.shape).sort())
    expect(SPEC).toContain(`GET ${WELL_KNOWN_PATH}`)
  })

  it('the example discovery document is valid', () => {
    const json = section('### 12.1 Price list').match(/```json\n([\s\S]*?)```/)![1]!
    expect(
      DiscoveryDocumentSchema.safeParse(JSON.parse(json.replace('pk_test_51NqX2v…', 'pk_test_x')))
        .success,
    ).toBe(true)
  })

  it('the error table gives every code, with the status the code uses', () => {
    const rows = [
      ...section('## 5. Error codes').matchAll(/^\| `(\w+)` \| (\d{3})[^|]*\| (v1|ext\.) \|/gm),
    ]
    const table = Object.fromEntries(rows.map((m) => [m[1], Number(m[2])]))
    expect(table).toEqual(ERROR_HTTP_STATUS)
    expect(rows.filter((m) => m[3] === 'v1').map((m) => m[1])).toEqual([...V1_ERROR_CODES])
  })

  it('§2.4 step 4 and §7.2 say what the engine does with a revoked clientId sent beside a card: the card pays (server request/card.test.ts)', () => {
    const flat = (text: string) => text.replace(/\s+/g, ' ')
    const step4 = flat(section('### 2.4 Server processing'))
    expect(step4).toContain(
      'Unknown or revoked credential: treat as absent if `paymentMethodId` is present',
    )
    expect(step4).not.toContain('Revoked credential: `credential_revoked`.')
    expect(flat(section('### 7.2 Credentials'))).toContain(
      'sent with a `paymentMethodId`, the card pays and a new credential is returned',
    )
  })

  it("the minimum top-up table equals Stripe's minimums in the code", () => {
    const rows = [
      ...section('### 6.4 Minimum and maximum top-up').matchAll(
        /\| `([a-z]{3})` \| [^|]+ \| ([\d,]+) \|/g,
      ),
    ]
    const table = Object.fromEntries(rows.map((m) => [m[1], Number(m[2]!.replace(/,/g, ''))]))
    expect(Object.keys(table).sort()).toEqual(Object.keys(STRIPE_MINIMUM_CHARGE_MINOR).sort())
    for (const [currency, units] of Object.entries(table))
      expect(units, currency).toBe(minimumTopUpUnits(currency))
  })

  it('the decimals table names the same zero- and three-decimal currencies', () => {
    const text = section('### 6.2 Conversion to Stripe amounts')
    const list = (kind: string) =>
      text
        .match(new RegExp(`\\| ${kind} \\| \`([a-z ]+)\``))![1]!
        .split(' ')
        .sort()
    expect(list('Zero-decimal')).toEqual([...ZERO_DECIMAL_CURRENCIES].sort())
    expect(list('Three-decimal')).toEqual([...THREE_DECIMAL_CURRENCIES].sort())
  })

  it('states the limits the code enforces', () => {
    expect(SPEC).toContain(`**${DEFAULT_MAX_HEADER_BYTES.toLocaleString('en-US')} bytes**`)
    expect(SPEC).toContain(`deeper than ${MAX_JSON_DEPTH} levels`)
    expect(SPEC).toContain('`0 ≤ n ≤ 10^12`')
  })

  it('registers every payload extension under the name servers announce', () => {
    const registry = section('### 11.3 Registry')
    for (const name of Object.values(EXTENSIONS))
      expect(registry).toContain(`| \`${name}\` | PaymentPayload | \`"${name}"\``)
  })

  it('registers origin binding (§7.4) under its metadata key and announced name, with its codes', () => {
    const registry = section('### 11.3 Registry')
    expect(registry).toContain(
      `| \`${ORIGIN_BINDING.METADATA_KEY}\` | PaymentMethod \`metadata\` (Stripe) | \`"${ORIGIN_BINDING.EXTENSION}"\``,
    )
    const binding = section('### 7.4 Origin binding of PaymentMethods')
    expect(binding).toContain(`metadata[${ORIGIN_BINDING.METADATA_KEY}]=`)
    for (const code of ['payment_method_origin_mismatch', 'payment_method_unbound'])
      expect(binding).toContain(`"${code}"`)
  })

  it('every header printed in the spec decodes', () => {
    const decoders = {
      'payment-required': decodePaymentRequired,
      payment: decodePaymentPayload,
      'payment-response': decodePaymentResponse,
    }
    const found = [
      ...SPEC.matchAll(
        /(payment-required|payment-response|payment): ([A-Za-z0-9+/_-]{16,}={0,2})/g,
      ),
    ]
    expect(found.length).toBeGreaterThanOrEqual(4)
    for (const [, name, header] of found)
      expect(() => decoders[name as keyof typeof decoders](header)).not.toThrow()
  })
})
