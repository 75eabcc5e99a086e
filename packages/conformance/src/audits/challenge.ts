/** Challenge audits: what an unpaid request to the paid route must get back. */
import {
  HEADERS,
  isSupportedCurrency,
  minimumTopUpUnits,
  type PaymentRequired,
} from '@stripe402/protocol'
import { type Exchange, isServed } from '../session/http'
import type { Session } from '../session/session'
import { challengeOf, isRecord, rawChallenge } from '../session/wire'
import { defineAudit } from './define'
import { fail } from './failure'
import type { Audit } from './types'

/** Origin sent where CORS matters; `.invalid` can never be a real site. */
const ORIGIN = 'https://stripe402-conformance.invalid'

export function challengeAudits(session: Session): Audit[] {
  const exchange = () => session.challengeExchange()
  /** The decoded header, or a failure naming why there is none. */
  const decoded = async (): Promise<[Exchange, unknown]> => {
    const ex = await exchange()
    const raw = rawChallenge(ex)
    if (!raw.ok) fail(`The 402 has no readable payment-required header: ${raw.reason}.`, ex)
    return [ex, raw.value]
  }
  const valid = async (): Promise<[Exchange, PaymentRequired]> => {
    const ex = await exchange()
    const challenge = challengeOf(ex)
    if (!challenge.ok)
      fail(`The payment-required header is not a valid PaymentRequired: ${challenge.reason}.`, ex)
    return [ex, challenge.value]
  }
  /** The `stripe` offer from the raw JSON, so these audits hold or fail independently of full schema validity. */
  const stripeOffer = async (): Promise<[Exchange, Record<string, unknown>]> => {
    const [ex, value] = await decoded()
    const accepts = isRecord(value) && Array.isArray(value.accepts) ? value.accepts : []
    const offer = accepts.find(
      (a): a is Record<string, unknown> => isRecord(a) && a.scheme === 'stripe',
    )
    if (!offer) fail('The challenge has no accepts entry with scheme "stripe".', ex)
    return [ex, offer]
  }

  return [
    defineAudit(
      'S402-CH-01',
      'MUST answer an unpaid request to the paid route with 402',
      { requiredAt: 'v1', section: '§2.4' },
      async () => {
        const ex = await exchange()
        if (ex.status !== 402)
          fail(
            `Expected 402 Payment Required for an unpaid ${session.route.method} ${session.route.path}, got ${ex.status}.`,
            ex,
          )
      },
    ),
    defineAudit(
      'S402-CH-02',
      'MUST send the payment-required header with the 402',
      { requiredAt: 'v1', section: '§3.1' },
      async () => {
        const ex = await exchange()
        if (ex.headers[HEADERS.PAYMENT_REQUIRED] === undefined)
          fail('The 402 has no payment-required header.', ex)
      },
    ),
    defineAudit(
      'S402-CH-03',
      'MUST encode payment-required as base64 JSON matching the PaymentRequired schema',
      { requiredAt: 'v1', section: '§4.1' },
      async () => {
        await valid()
      },
    ),
    defineAudit(
      'S402-CH-04',
      'MUST send a JSON body equal to the payment-required header',
      { requiredAt: 'v1', section: '§3.1' },
      async () => {
        const [ex, header] = await decoded()
        if (ex.json === undefined) fail('The 402 body is not JSON.', ex)
        if (!deepEqual(ex.json, header))
          fail('The 402 body and the decoded payment-required header differ.', ex)
      },
    ),
    defineAudit(
      'S402-CH-05',
      'MUST declare stripe402Version 1 and offer the "stripe" scheme',
      { requiredAt: 'v1', section: '§4.1' },
      async () => {
        const [ex, value] = await decoded()
        if (!isRecord(value) || value.stripe402Version !== 1) fail('stripe402Version is not 1.', ex)
        await stripeOffer()
      },
    ),
    defineAudit(
      'S402-CH-06',
      'MUST give a Stripe publishable key (pk_…) to tokenize with',
      { requiredAt: 'v1', section: '§4.3' },
      async () => {
        const [ex, offer] = await stripeOffer()
        const key = offer.publishableKey
        if (typeof key !== 'string' || !/^pk_(test|live)_\w+$/.test(key)) {
          fail(
            `publishableKey must be a Stripe publishable key (pk_test_… or pk_live_…), got ${JSON.stringify(key)}.`,
            ex,
          )
        }
      },
    ),
    defineAudit(
      'S402-CH-07',
      'MUST price in whole units: integer amount and minTopUp',
      { requiredAt: 'v1', section: '§3.5' },
      async () => {
        const [ex, offer] = await stripeOffer()
        for (const field of ['amount', 'minTopUp'] as const) {
          const value = offer[field]
          if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
            fail(
              `${field} must be a non-negative whole number of units, got ${JSON.stringify(value)}.`,
              ex,
            )
          }
        }
        if (offer.amount === 0) fail('amount is 0: a paid route must cost something.', ex)
      },
    ),
    defineAudit(
      'S402-CH-08',
      "MUST set minTopUp at or above Stripe's minimum charge for the currency",
      { requiredAt: 'v1', section: '§6.4' },
      async () => {
        const [ex, offer] = await stripeOffer()
        const { currency, minTopUp } = offer
        if (
          typeof currency !== 'string' ||
          !isSupportedCurrency(currency) ||
          currency !== currency.toLowerCase()
        ) {
          fail(
            `currency ${JSON.stringify(currency)} is not a lower-case currency Stripe can charge.`,
            ex,
          )
        }
        const minimum = minimumTopUpUnits(currency)
        if (typeof minTopUp !== 'number' || minTopUp < minimum) {
          fail(
            `minTopUp ${String(minTopUp)} is below Stripe's minimum charge for ${currency} (${minimum} units): Stripe would refuse every top-up.`,
            ex,
          )
        }
      },
    ),
    defineAudit(
      'S402-CH-09',
      'SHOULD set minTopUp to at least the price of one request',
      { requiredAt: 'v1', section: '§6.4' },
      async () => {
        const [ex, offer] = await stripeOffer()
        if (
          typeof offer.minTopUp === 'number' &&
          typeof offer.amount === 'number' &&
          offer.minTopUp < offer.amount
        ) {
          fail(
            `minTopUp ${offer.minTopUp} is below amount ${offer.amount}: the smallest top-up cannot pay for one request.`,
            ex,
          )
        }
      },
    ),
    defineAudit(
      'S402-CH-10',
      'SHOULD send Cache-Control: no-store with the 402',
      { requiredAt: 'stripe402', section: '§14.2' },
      async () => {
        const ex = await exchange()
        const value = ex.headers['cache-control'] ?? ''
        if (!/(^|,)\s*no-store\s*(,|$)/i.test(value))
          fail(
            `Cache-Control is ${value ? `"${value}"` : 'absent'}; a cached 402 would hide a price change.`,
            ex,
          )
      },
    ),
    defineAudit(
      'S402-CH-11',
      'SHOULD expose payment-required and payment-response to browsers with Access-Control-Expose-Headers',
      { requiredAt: 'stripe402', section: '§14.2' },
      async () => {
        const ex = await session.unpaid(undefined, { headers: { origin: ORIGIN } })
        const exposed = (ex.headers['access-control-expose-headers'] ?? '')
          .split(',')
          .map((h) => h.trim().toLowerCase())
        const missing = [HEADERS.PAYMENT_REQUIRED, HEADERS.PAYMENT_RESPONSE].filter(
          (h) => !exposed.includes(h) && !exposed.includes('*'),
        )
        if (missing.length > 0)
          fail(
            `Access-Control-Expose-Headers does not list ${missing.join(' and ')}: a browser client cannot read ${missing.length > 1 ? 'them' : 'it'}.`,
            ex,
          )
      },
    ),
    defineAudit(
      'S402-CH-12',
      'SHOULD name the requested path in resource.url',
      { requiredAt: 'v1', section: '§4.2' },
      async () => {
        const [ex, value] = await decoded()
        const url = isRecord(value) && isRecord(value.resource) ? value.resource.url : undefined
        if (typeof url !== 'string') fail('resource.url is missing.', ex)
        let path = url
        try {
          path = new URL(url, 'http://x').pathname
        } catch {
          // compared as written
        }
        if (path !== session.route.path)
          fail(`resource.url is "${url}", which does not name ${session.route.path}.`, ex)
      },
    ),
    defineAudit(
      'S402-CH-13',
      'SHOULD send the 402 body as application/json',
      { requiredAt: 'v1', section: '§3.1' },
      async () => {
        const ex = await exchange()
        const type = ex.headers['content-type'] ?? ''
        if (!/^application\/json\b/i.test(type))
          fail(`Content-Type is ${type ? `"${type}"` : 'absent'}.`, ex)
      },
    ),
    defineAudit(
      'S402-CH-14',
      'SHOULD answer a CORS preflight of the paid route itself: 2xx without a body, allowing the payment header',
      { requiredAt: 'stripe402', section: '§14.12' },
      async () => {
        const { method, path } = session.route
        const ex = await session.unpaid(path, {
          method: 'OPTIONS',
          raw: true,
          headers: {
            origin: ORIGIN,
            'access-control-request-method': method,
            'access-control-request-headers': HEADERS.PAYMENT,
          },
        })
        if (!isServed(ex))
          fail(
            `The preflight of ${method} ${path} was answered ${ex.status}: a browser will not send the payment header.`,
            ex,
          )
        // A preflight answer has no content; one with a body came from a handler, which then ran without payment.
        if (ex.text !== '')
          fail(
            `The preflight of ${method} ${path} was answered with a body: it reached the application instead of being answered by the paywall.`,
            ex,
          )
        const list = (name: string) =>
          (ex.headers[name] ?? '').split(',').map((v) => v.trim().toLowerCase())
        const headers = list('access-control-allow-headers')
        if (!headers.includes(HEADERS.PAYMENT) && !headers.includes('*'))
          fail(
            'Access-Control-Allow-Headers does not name payment: a browser will not send it.',
            ex,
          )
        // GET, HEAD and POST need no listing (CORS-safelisted methods).
        const methods = list('access-control-allow-methods')
        if (
          !['GET', 'HEAD', 'POST'].includes(method) &&
          !methods.includes(method.toLowerCase()) &&
          !methods.includes('*')
        )
          fail(`Access-Control-Allow-Methods does not name ${method}.`, ex)
        const origin = ex.headers['access-control-allow-origin']
        if (origin !== '*' && origin !== ORIGIN)
          fail(
            `Access-Control-Allow-Origin is ${origin === undefined ? 'missing' : `"${origin}"`}, neither * nor the page's origin (fine only if the server restricts callers).`,
            ex,
          )
      },
    ),
  ]
}

/** Structural equality of JSON values (key order ignored). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((v, i) => deepEqual(v, b[i]))
    )
  }
  if (!isRecord(a) || !isRecord(b)) return false
  const keys = Object.keys(a)
  return (
    keys.length === Object.keys(b).length &&
    keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]))
  )
}
