/** OPTIONS on paid routes: CORS preflights answered by the paywall, a plain OPTIONS priced where the route names no method. */
import { describe, expect, it } from 'vitest'
import { Stripe402ConfigError } from '../config/errors'
import type { PaywallOutcome, RespondOutcome } from '../outcome'
import {
  expectDeny,
  expectPaid,
  pay,
  payWithNewCard,
  req,
  required,
  useEmulator,
} from '../../test/support/harness'

const h = useEmulator()

/** `GET /api/joke` names its method; `/api/report` prices every method, as `app.all` serves it. */
const ROUTES = {
  'GET /api/joke': { amount: 500 },
  '/api/report': { amount: 700 },
  'GET /users/:id': { amount: 300 },
}

const preflight = (path: string, method: string, headers: Record<string, string> = {}) =>
  req(path, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example', 'access-control-request-method': method, ...headers },
  })

function expectRespond(outcome: PaywallOutcome): RespondOutcome {
  if (outcome.type !== 'respond') throw new Error(`expected respond, got ${outcome.type}`)
  return outcome
}

describe('a CORS preflight of a paid route', () => {
  it.each([
    ['/api/report', 'POST'],
    ['/api/report', 'GET'],
    ['/api/joke', 'GET'],
    ['/API/joke/', 'GET'],
    ['/users/%2e%2e', 'GET'],
  ])(
    '%s for %s: answered 204 by the paywall, allowing the payment header',
    async (path, method) => {
      const { paywall, events } = h.paywall({ routes: ROUTES })
      const outcome = expectRespond(
        await paywall.begin(
          preflight(path, method, { 'access-control-request-headers': 'Content-Type, X-Trace' }),
        ),
      )
      expect(outcome).toEqual({
        type: 'respond',
        status: 204,
        headers: {
          'access-control-allow-origin': '*',
          'access-control-allow-methods': method,
          'access-control-allow-headers': 'payment, content-type, x-trace',
          'access-control-expose-headers': 'payment-required, payment-response',
          'access-control-max-age': '600',
          vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
        },
        body: '',
      })
      expect(events).toEqual([])
    },
  )

  it('keeps the requested method as sent and drops requested header names that are not tokens', async () => {
    const { paywall } = h.paywall({ routes: ROUTES })
    const outcome = expectRespond(
      await paywall.begin(
        preflight('/api/report', 'patch', {
          'access-control-request-headers': 'a b, x-ok,, payment, "q"',
        }),
      ),
    )
    expect(outcome.headers['access-control-allow-methods']).toBe('patch')
    expect(outcome.headers['access-control-allow-headers']).toBe('payment, x-ok')
  })

  it('leaves a preflight for a method the route does not price, or of a free path, to the application', async () => {
    const { paywall } = h.paywall({ routes: ROUTES })
    expect((await paywall.begin(preflight('/api/joke', 'POST'))).type).toBe('free')
    expect((await paywall.begin(preflight('/health', 'GET'))).type).toBe('free')
  })

  it('echoes only the origins cors.origins lists, and never allows credentials', async () => {
    const { paywall } = h.paywall({
      routes: ROUTES,
      cors: { origins: ['https://app.example'], maxAge: 60 },
    })
    const listed = expectRespond(
      await paywall.begin(preflight('/api/joke', 'GET', { origin: 'https://APP.example' })),
    )
    expect(listed.headers).toMatchObject({
      'access-control-allow-origin': 'https://APP.example',
      'access-control-max-age': '60',
      vary: expect.stringContaining('Origin'),
    })
    expect(listed.headers['access-control-allow-credentials']).toBeUndefined()
    const other = expectRespond(
      await paywall.begin(preflight('/api/joke', 'GET', { origin: 'https://evil.example' })),
    )
    expect(other.status).toBe(204)
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('refuses a cors.origins entry that is not an origin, naming it', () => {
    expect(() =>
      h.paywall({ routes: ROUTES, cors: { origins: ['https://app.example/'] } }),
    ).toThrow(Stripe402ConfigError)
    expect(() =>
      h.paywall({ routes: ROUTES, cors: { origins: ['https://app.example/'] } }),
    ).toThrow(/cors\.origins\[0\]/)
  })
})

describe('a plain OPTIONS (no Access-Control-Request-Method)', () => {
  it('is priced like any other method on a route that names none: 402 unpaid, debited when paid', async () => {
    const { paywall } = h.paywall({ routes: ROUTES })
    const unpaid = expectDeny(await paywall.begin(req('/api/report', { method: 'OPTIONS' })))
    expect(unpaid.status).toBe(402)
    expect(required(unpaid).accepts[0]?.amount).toBe(700)
    // An Access-Control-Request-Method that is no method makes no preflight.
    expect(
      expectDeny(
        await paywall.begin(
          req('/api/report', {
            method: 'OPTIONS',
            headers: { 'access-control-request-method': 'G E T' },
          }),
        ),
      ).status,
    ).toBe(402)

    const { clientId, outcome: first } = await payWithNewCard(h, paywall, '/api/report')
    const paid = expectPaid(
      await paywall.begin(req('/api/report', { method: 'OPTIONS', payment: pay({ clientId }) })),
    )
    expect(paid.payment.creditsRemaining).toBe(first.payment.creditsRemaining - 700)
  })

  it('is left to the application on a route that names its method', async () => {
    const { paywall } = h.paywall({ routes: ROUTES })
    expect((await paywall.begin(req('/api/joke', { method: 'OPTIONS' }))).type).toBe('free')
    expect((await paywall.begin(req('/users/7', { method: 'OPTIONS' }))).type).toBe('free')
  })
})
