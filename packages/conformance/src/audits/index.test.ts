import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { serverAudits } from './index'

const options = {
  url: 'http://127.0.0.1:1',
  route: 'GET /api/joke',
  payment: { stripeApi: 'http://127.0.0.1:2' },
}

describe('serverAudits', () => {
  const audits = serverAudits({
    ...options,
    freeRoute: 'GET /health',
    paramRoute: 'GET /users/:id',
  })

  it('pins every audit id to its requirement, so an id never silently changes meaning', () => {
    expect(audits.map((a) => [a.id, a.name])).toEqual([
      ['S402-CH-01', 'MUST answer an unpaid request to the paid route with 402'],
      ['S402-CH-02', 'MUST send the payment-required header with the 402'],
      [
        'S402-CH-03',
        'MUST encode payment-required as base64 JSON matching the PaymentRequired schema',
      ],
      ['S402-CH-04', 'MUST send a JSON body equal to the payment-required header'],
      ['S402-CH-05', 'MUST declare stripe402Version 1 and offer the "stripe" scheme'],
      ['S402-CH-06', 'MUST give a Stripe publishable key (pk_…) to tokenize with'],
      ['S402-CH-07', 'MUST price in whole units: integer amount and minTopUp'],
      ['S402-CH-08', "MUST set minTopUp at or above Stripe's minimum charge for the currency"],
      ['S402-CH-09', 'SHOULD set minTopUp to at least the price of one request'],
      ['S402-CH-10', 'SHOULD send Cache-Control: no-store with the 402'],
      [
        'S402-CH-11',
        'SHOULD expose payment-required and payment-response to browsers with Access-Control-Expose-Headers',
      ],
      ['S402-CH-12', 'SHOULD name the requested path in resource.url'],
      ['S402-CH-13', 'SHOULD send the 402 body as application/json'],
      [
        'S402-CH-14',
        'SHOULD answer a CORS preflight of the paid route itself: 2xx without a body, allowing the payment header',
      ],
      ['S402-PAY-01', 'MUST serve a request paid with a new PaymentMethod'],
      [
        'S402-PAY-02',
        'MUST send a valid payment-response with success, creditsRemaining and clientId when it serves a paid request',
      ],
      [
        'S402-PAY-03',
        'MUST credit the top-up less the price: creditsRemaining = minTopUp − amount after a first payment',
      ],
      ['S402-PAY-04', 'SHOULD return the chargeId of the top-up it charged'],
      ['S402-PAY-05', 'MUST spend exactly amount per call made with the returned clientId'],
      ['S402-PAY-06', 'MUST refuse an unknown clientId with 402'],
      ['S402-PAY-07', 'MUST refuse with 402 insufficient_credits once the credits run out'],
      [
        'S402-PAY-08',
        'MUST charge a client-chosen topUpAmount: creditsRemaining = topUpAmount − amount',
      ],
      [
        'S402-PAY-09',
        'SHOULD refuse without debiting a call priced above the maxAmount it announces support for',
      ],
      ['S402-PAY-10', 'MUST mark a paid answer Cache-Control: no-store or private'],
      ['S402-PAY-11', 'SHOULD send Vary: payment with a paid answer'],
      [
        'S402-PAY-12',
        'MUST refuse a PaymentMethod bound to another origin with payment_method_origin_mismatch, charging nothing',
      ],
      ['S402-MON-01', 'MUST NOT charge again when a card that still has credits pays again'],
      ['S402-MON-02', 'MUST charge only once for concurrent first payments with one card'],
      ['S402-MON-03', 'MUST serve exactly K of 3K parallel calls when the credits cover K'],
      ['S402-MON-04', 'SHOULD reverse the debit of a paid request whose handler fails'],
      [
        'S402-MON-05',
        'SHOULD keep the debit of a paid request whose 200 went out before its handler failed',
      ],
      [
        'S402-MON-06',
        'MUST NOT charge again when a top-up is retried after Stripe charged and its answer was lost',
      ],
      [
        'S402-BAD-01',
        'MUST answer a payment header that is not base64 with 4xx and an error code, charging nothing',
      ],
      [
        'S402-BAD-02',
        'MUST answer base64 of something other than JSON with 4xx and an error code, charging nothing',
      ],
      [
        'S402-BAD-03',
        'MUST answer JSON that is not an object with 4xx and an error code, charging nothing',
      ],
      [
        'S402-BAD-04',
        'MUST answer fields of the wrong type with 4xx and an error code, charging nothing',
      ],
      [
        'S402-BAD-05',
        'MUST answer a negative topUpAmount with 4xx and an error code, charging nothing',
      ],
      [
        'S402-BAD-06',
        'MUST answer a fractional topUpAmount with 4xx and an error code, charging nothing',
      ],
      [
        'S402-BAD-07',
        'MUST answer a huge topUpAmount with 4xx and an error code, charging nothing',
      ],
      [
        'S402-BAD-08',
        'MUST answer a topUpAmount below minTopUp with 402 top_up_below_minimum, charging nothing',
      ],
      ['S402-BAD-09', 'MUST answer an oversized payment header with 4xx, charging nothing'],
      [
        'S402-BAD-10',
        'MUST answer a payment header with a __proto__ key with 4xx and an error code, charging nothing',
      ],
      [
        'S402-BAD-11',
        'MUST answer an unsupported stripe402Version with 4xx and an error code, charging nothing',
      ],
      [
        'S402-BAD-12',
        'MUST answer a payment header with neither paymentMethodId nor clientId with 4xx and an error code',
      ],
      ['S402-BAD-13', 'MUST answer an unknown PaymentMethod with 4xx and an error code, not 5xx'],
      ['S402-DEC-01', 'MUST answer a declined card with 402 card_declined'],
      ['S402-DEC-02', 'MUST NOT credit or serve anything after a decline'],
      ['S402-DEC-03', 'MUST answer an insufficient-funds decline with 402 card_declined'],
      ['S402-DEC-04', 'MUST answer a card that requires 3-D Secure with 402'],
      ['S402-DEC-05', 'SHOULD say authentication_required for a card that requires 3-D Secure'],
      ['S402-DEC-06', "SHOULD NOT pass Stripe's decline reason to the client"],
      ['S402-PATH-01', 'MUST serve the free route without payment'],
      ['S402-PATH-02', 'MUST NOT spend credits on the free route'],
      ['S402-PATH-03', 'MUST NOT serve the paid path with a trailing slash unpaid'],
      ['S402-PATH-04', 'MUST NOT serve the paid path with doubled slashes unpaid'],
      ['S402-PATH-05', 'MUST NOT serve the paid path in another letter case unpaid'],
      ['S402-PATH-06', 'MUST NOT serve the paid path with a percent-encoded character unpaid'],
      ['S402-PATH-07', 'MUST NOT serve the paid path with dot segments unpaid'],
      ['S402-PATH-08', 'MUST NOT serve the paid path with an encoded slash unpaid'],
      ['S402-PATH-09', 'MUST NOT serve the paid path with ;parameters unpaid'],
      ['S402-PATH-10', 'MUST NOT serve the paid path with a query string unpaid'],
      ['S402-PATH-11', 'SHOULD NOT answer HEAD of the paid path with 2xx unpaid'],
      ['S402-PATH-12', 'MUST answer an unpaid request to the parameter route with 402'],
      [
        'S402-PATH-13',
        'MUST NOT serve the parameter route unpaid when a parameter holds an encoded slash',
      ],
      [
        'S402-PATH-14',
        'MUST NOT serve the parameter route unpaid when a parameter is a dot segment',
      ],
      ['S402-PATH-15', 'MUST NOT serve the parameter route unpaid when a parameter holds ;'],
      [
        'S402-PATH-16',
        'MUST NOT serve the parameter route unpaid when an absolute-form request target puts a dot segment in a parameter',
      ],
      ['S402-PATH-17', 'MUST NOT serve the paid path with runs of empty segments unpaid'],
      [
        'S402-PATH-18',
        'MUST NOT serve the paid route unpaid to another method that asks to be overridden',
      ],
    ])
  })

  it('has unique, well-formed ids and names that start with their level', () => {
    expect(new Set(audits.map((a) => a.id)).size).toBe(audits.length)
    for (const audit of audits) {
      expect(audit.id).toMatch(/^S402-(CH|PAY|MON|BAD|DEC|PATH)-\d{2}$/)
      expect(audit.name).toMatch(/^(MUST|SHOULD|MAY) /)
    }
    expect(audits.length).toBeGreaterThanOrEqual(30)
  })

  it('states the level that requires each audit and a spec section that exists', async () => {
    // Extensions of this document; everything else is required of a v1-compatible server (spec §13).
    expect(audits.filter((a) => a.requiredAt === 'stripe402').map((a) => a.id)).toEqual([
      'S402-CH-10',
      'S402-CH-11',
      'S402-CH-14',
      'S402-PAY-09',
      'S402-PAY-10',
      'S402-PAY-11',
      'S402-PAY-12',
      'S402-BAD-04',
      'S402-BAD-09',
      'S402-BAD-10',
      'S402-BAD-11',
      'S402-BAD-12',
      'S402-DEC-05',
      'S402-PATH-18',
    ])
    expect(audits.every((a) => a.requiredAt === 'v1' || a.requiredAt === 'stripe402')).toBe(true)
    const spec = await readFile(new URL('../../../../spec/stripe402.md', import.meta.url), 'utf8')
    const sections = new Set(
      [...spec.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((m) => `§${m[1]}`),
    )
    expect(audits.filter((a) => !sections.has(a.section)).map((a) => [a.id, a.section])).toEqual([])
  })

  it('leaves the free-route and parameter-route audits out when those routes are not given', () => {
    const ids = serverAudits(options).map((a) => a.id)
    expect(ids).not.toContain('S402-PATH-01')
    expect(ids).not.toContain('S402-PATH-02')
    for (const id of [
      'S402-PATH-12',
      'S402-PATH-13',
      'S402-PATH-14',
      'S402-PATH-15',
      'S402-PATH-16',
    ])
      expect(ids).not.toContain(id)
    expect(ids).toHaveLength(audits.length - 7)
  })

  it('refuses options it cannot use, with a message naming the field', () => {
    expect(() => serverAudits({ ...options, route: 'api/joke' })).toThrow(
      /route must look like "GET \/api\/joke"/,
    )
    expect(() => serverAudits({ ...options, url: 'localhost:3000' })).toThrow(/url must be an/)
    expect(() => serverAudits({ ...options, paramRoute: 'GET /users/me' })).toThrow(
      /paramRoute must have a :name segment/,
    )
  })

  it('reports a server it cannot reach as failing, never by throwing', async () => {
    const [first] = serverAudits(options)
    const result = await first!.run()
    expect(result).toMatchObject({ id: 'S402-CH-01', level: 'MUST', status: 'error' })
    expect(result.reason).toMatch(/could not be completed/)
  })
})
