/** begin(): free routes, the 402 challenge, crafted paths, bad headers, maxAmount, dynamic pricing. */
import { encodeHeader } from '@stripe402/protocol'
import { describe, expect, it } from 'vitest'
import {
  serverRequests,
  expectDeny,
  expectPaid,
  pay,
  payWithNewCard,
  paymentResponse,
  req,
  required,
  useEmulator,
} from '../../test/support/harness'

const h = useEmulator()

describe('begin: free requests', () => {
  it('lets unpaid routes through, and a plain OPTIONS of a route that names its method (see preflight.test.ts)', async () => {
    const { paywall } = h.paywall()
    expect((await paywall.begin(req('/'))).type).toBe('free')
    expect((await paywall.begin(req('/api/other'))).type).toBe('free')
    expect((await paywall.begin(req('/api/joke', { method: 'POST' }))).type).toBe('free')
    expect((await paywall.begin(req('/api/joke', { method: 'OPTIONS' }))).type).toBe('free')
  })
})

describe('begin: the 402 challenge', () => {
  it('answers an unpaid request with the price in header and body, uncached and exposed', async () => {
    const { paywall, events } = h.paywall()
    const outcome = expectDeny(await paywall.begin(req('/api/joke?x=1')))
    expect(outcome.status).toBe(402)
    expect(outcome.headers['cache-control']).toBe('no-store')
    expect(outcome.headers['content-type']).toMatch(/^application\/json/)
    expect(outcome.headers['access-control-expose-headers']).toBe(
      'payment-required, payment-response',
    )
    expect(outcome.headers['payment-response']).toBeUndefined()
    expect(required(outcome)).toEqual({
      stripe402Version: 1,
      resource: { url: '/api/joke?x=1', description: 'A joke' },
      accepts: [
        {
          scheme: 'stripe',
          currency: 'usd',
          amount: 500,
          minTopUp: 5_000,
          publishableKey: h.emu.keys().publishableKey,
          description: 'A joke',
        },
      ],
      extensions: ['maxAmount', 'idempotencyKey', 'originBinding'],
    })
    expect(events).toEqual([
      {
        type: 'challenge',
        method: 'GET',
        path: '/api/joke',
        route: 'GET /api/joke',
        amount: 500,
        currency: 'usd',
      },
    ])
  })

  it('prices HEAD like GET', async () => {
    const { paywall } = h.paywall()
    expect(expectDeny(await paywall.begin(req('/api/joke', { method: 'HEAD' }))).status).toBe(402)
  })

  it('accepts absolute URLs as a WHATWG Request carries them', async () => {
    const { paywall } = h.paywall()
    const outcome = await paywall.begin(new Request('https://api.example.com/api/joke'))
    expect(required(outcome).resource.url).toBe('https://api.example.com/api/joke')
  })

  it.each([
    '/api/joke/',
    '//api/joke',
    '/API/joke',
    '/api/%6Aoke',
    '/api/./joke',
    '/api/joke;x=1',
    '/x/../api/joke',
    '/api%2Fjoke',
    '/api/joke%2F',
    'http://h//api/joke',
  ])('never lets %j through unpaid', async (path) => {
    const { paywall } = h.paywall()
    const outcome = expectDeny(await paywall.begin(req(path)))
    expect(outcome.status).toBe(402)
    expect(required(outcome).accepts[0]?.amount).toBe(500)
  })

  it.each([
    '/users/a%2Fb',
    '/users/%2E%2E',
    '/users/%2e',
    '/users/.',
    '/users/..',
    '/users/a;b',
    '/users/;b',
    '/users/%3B',
    '/files/..',
    '/files/%2e%2e/x',
    '/files/./x',
    // Absolute-form: Express and Koa route these on the raw pathname, `..` unresolved.
    'http://x/users/%2e%2e',
    'http://x/users/..',
    'http://x/files/..',
    'http://x/files/%2E%2E',
    'http://x\\users\\..',
  ])(
    'never lets %j through unpaid when a router would serve it from a :param or * route',
    async (path) => {
      const { paywall } = h.paywall({
        routes: { 'GET /users/:id': { amount: 500 }, 'GET /files/*': { amount: 700 } },
      })
      const outcome = expectDeny(await paywall.begin(req(path)))
      expect(outcome.status).toBe(402)
      expect(required(outcome).accepts[0]?.amount).toBe(/users/i.test(path) ? 500 : 700)
    },
  )

  it('hands a price function the :param as the router decodes it', async () => {
    const seen: Array<Record<string, string>> = []
    const { paywall } = h.paywall({
      routes: {
        'GET /repos/:slug': {
          amount: (r) => {
            seen.push({ ...r.params })
            return 300
          },
        },
      },
    })
    expect(required(await paywall.begin(req('/repos/Group%2FProject'))).accepts[0]?.amount).toBe(
      300,
    )
    expect(seen).toEqual([{ slug: 'Group/Project' }])
  })

  it('keeps free paths next to :param and * routes free', async () => {
    const { paywall } = h.paywall({
      routes: { 'GET /users/:id': { amount: 500 }, 'GET /files/*': { amount: 700 } },
    })
    for (const path of ['/users', '/users/', '/users/7/avatar', '/health', '/filesx/a'])
      expect((await paywall.begin(req(path))).type, path).toBe('free')
    expect(expectDeny(await paywall.begin(req('/users/7'))).status).toBe(402)
  })

  it('refuses malformed percent-encoding on a paid path with 400, and lets it through elsewhere', async () => {
    const { paywall } = h.paywall()
    const outcome = expectDeny(await paywall.begin(req('/api/%6Aoke%zz/../../api/joke')))
    expect(outcome.status).toBe(400)
    expect(JSON.parse(outcome.body)).toMatchObject({ error: 'invalid_path' })
    expect((await paywall.begin(req('/static/%zz'))).type).toBe('free')
  })
})

describe('begin: bad payment headers', () => {
  it.each([
    ['not base64', '%%%'],
    ['not JSON', Buffer.from('nope').toString('base64')],
    ['an array', encodeHeader([1])],
    ['the wrong version', encodeHeader({ stripe402Version: 2, clientId: 'x' })],
    [
      'a negative topUpAmount',
      encodeHeader({ stripe402Version: 1, paymentMethodId: 'pm_x', topUpAmount: -1 }),
    ],
    [
      'a fractional maxAmount',
      encodeHeader({ stripe402Version: 1, clientId: 'x', maxAmount: 1.5 }),
    ],
    [
      'a prototype-polluting key',
      Buffer.from('{"stripe402Version":1,"__proto__":{"x":1}}').toString('base64'),
    ],
    ['a huge header', 'A'.repeat(20_000)],
  ])('answers %s with 402 invalid_payment and charges nothing', async (_name, header) => {
    const { paywall, ledger } = h.paywall()
    const outcome = expectDeny(await paywall.begin(req('/api/joke', { payment: header })))
    expect(outcome.status).toBe(402)
    expect(required(outcome).error).toBe('invalid_payment')
    expect(paymentResponse(outcome)).toMatchObject({ success: false, errorCode: 'invalid_payment' })
    expect(h.emu.charges()).toEqual([])
    expect(serverRequests(h)).toEqual([])
    expect(await ledger.balance('0'.repeat(64), 'usd')).toBe(0)
  })

  it('answers a payload with neither clientId nor paymentMethodId with a plain challenge (spec §2.4 step 6)', async () => {
    const { paywall, ledger } = h.paywall()
    const outcome = expectDeny(
      await paywall.begin(req('/api/joke', { payment: encodeHeader({ stripe402Version: 1 }) })),
    )
    expect(outcome.status).toBe(402)
    expect(required(outcome)).toMatchObject({
      error: 'payment_required',
      accepts: [{ amount: 500, minTopUp: 5_000 }],
    })
    expect(outcome.headers['payment-response']).toBeUndefined()
    expect(serverRequests(h)).toEqual([])
    expect(await ledger.balance('0'.repeat(64), 'usd')).toBe(0)
  })

  it('refuses a PaymentMethod id of the wrong shape without calling Stripe', async () => {
    const { paywall } = h.paywall()
    const outcome = await paywall.begin(
      req('/api/joke', { payment: pay({ paymentMethodId: '../v1/charges' }) }),
    )
    expect(required(outcome).error).toBe('invalid_payment')
    expect(serverRequests(h)).toEqual([])
  })

  it('answers an unknown PaymentMethod with 402 invalid_payment', async () => {
    const { paywall } = h.paywall()
    const outcome = await paywall.begin(
      req('/api/joke', { payment: pay({ paymentMethodId: 'pm_doesnotexist' }) }),
    )
    expect(required(outcome).error).toBe('invalid_payment')
    expect(h.emu.charges()).toEqual([])
  })
})

describe('begin: maxAmount', () => {
  it("refuses to debit a price above the client's maxAmount and shows the current price", async () => {
    const { paywall } = h.paywall()
    const { clientId } = await payWithNewCard(h, paywall)
    const before = await paywall.balance(clientId)
    const outcome = await paywall.begin(
      req('/api/weather', { payment: pay({ clientId, maxAmount: 999 }) }),
    )
    const challenge = required(outcome)
    expect(challenge.error).toBe('price_above_max_amount')
    expect(challenge.accepts[0]?.amount).toBe(1_000)
    expect(await paywall.balance(clientId)).toBe(before)
  })

  it('refuses before charging a card', async () => {
    const { paywall } = h.paywall()
    const outcome = await paywall.begin(
      req('/api/joke', { payment: pay({ paymentMethodId: await h.card(), maxAmount: 100 }) }),
    )
    expect(required(outcome).error).toBe('price_above_max_amount')
    expect(h.emu.charges()).toEqual([])
  })

  it('debits when the price is within maxAmount', async () => {
    const { paywall } = h.paywall()
    const { clientId } = await payWithNewCard(h, paywall)
    expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ clientId, maxAmount: 500 }) })),
    )
  })
})

describe('begin: dynamic pricing', () => {
  it('prices each request with the route function and charges that amount', async () => {
    const { paywall } = h.paywall({
      routes: {
        'GET /api/search': {
          amount: (r) => (r.query.get('deep') === '1' ? 2_000 : 100),
          minTopUp: 5_000,
        },
        'GET /api/items/:id': { amount: (r) => (r.params.id === 'free' ? 0 : 300) },
      },
    })
    expect(required(await paywall.begin(req('/api/search'))).accepts[0]?.amount).toBe(100)
    expect(required(await paywall.begin(req('/api/search?deep=1'))).accepts[0]?.amount).toBe(2_000)
    expect((await paywall.begin(req('/api/items/free'))).type).toBe('free')
    const { clientId } = await payWithNewCard(h, paywall, '/api/search?deep=1')
    expect(await paywall.balance(clientId)).toBe(3_000)
    const paid = expectPaid(
      await paywall.begin(req('/api/items/9', { payment: pay({ clientId }) })),
    )
    expect(paid.payment.amount).toBe(300)
    expect(await paywall.balance(clientId)).toBe(2_700)
    expect(paywall.priceList().routes.map((r) => r.amount)).toEqual(['dynamic', 'dynamic'])
  })

  it('refuses (500, nothing charged) when the price function throws or returns nonsense', async () => {
    const { paywall, logs } = h.paywall({
      routes: {
        'GET /a': {
          amount: () => {
            throw new Error('boom')
          },
        },
        'GET /b': { amount: () => 1.5 },
      },
    })
    for (const path of ['/a', '/b']) {
      const outcome = expectDeny(
        await paywall.begin(req(path, { payment: pay({ paymentMethodId: await h.card() }) })),
      )
      expect(outcome.status).toBe(500)
      expect(JSON.parse(outcome.body).error).toBe('pricing_failed')
    }
    expect(h.emu.charges()).toEqual([])
    expect(logs.filter((l) => l.level === 'error')).toHaveLength(2)
  })

  it('lets a price function refuse bad input with a 4xx invalid_request, charging nothing and logging no error', async () => {
    const tooBig = (size: number) =>
      Object.assign(new Error(`size must be at most 100, got ${size}`), { status: 422 })
    const { paywall, logs, events } = h.paywall({
      routes: {
        'GET /api/render': {
          amount: (r) => {
            const size = Number(r.query.get('size'))
            if (!(size <= 100)) throw tooBig(size)
            return size * 100
          },
        },
        'GET /api/http-errors': {
          amount: () => {
            throw Object.assign(new Error('no such item'), { statusCode: 404, expose: true })
          },
        },
      },
    })
    const refused = expectDeny(
      await paywall.begin(
        req('/api/render?size=1000', { payment: pay({ paymentMethodId: await h.card() }) }),
      ),
    )
    expect(refused.status).toBe(422)
    expect(refused.headers['payment-required']).toBeUndefined()
    expect(JSON.parse(refused.body)).toEqual({
      error: 'invalid_request',
      message: 'size must be at most 100, got 1000',
    })
    const notFound = expectDeny(await paywall.begin(req('/api/http-errors')))
    expect([notFound.status, JSON.parse(notFound.body).error]).toEqual([404, 'invalid_request'])
    expect(required(await paywall.begin(req('/api/render?size=5'))).accepts[0]?.amount).toBe(500)
    expect(h.emu.charges()).toEqual([])
    expect(serverRequests(h)).toEqual([])
    expect(logs.filter((l) => l.level === 'error')).toEqual([])
    expect(
      events.filter((e) => e.type === 'deny').map((e) => e.type === 'deny' && [e.status, e.code]),
    ).toEqual([
      [422, 'invalid_request'],
      [404, 'invalid_request'],
    ])
  })

  it("answers a price function's 429 with Retry-After: its retryAfter, else the default", async () => {
    const busy = (retryAfter?: unknown) =>
      Object.assign(
        new Error('too many renders'),
        { status: 429 },
        retryAfter === undefined ? {} : { retryAfter },
      )
    const { paywall } = h.paywall({
      routes: {
        'GET /api/given': {
          amount: () => {
            throw busy(30)
          },
        },
        'GET /api/text': {
          amount: () => {
            throw busy('7.2')
          },
        },
        'GET /api/default': {
          amount: () => {
            throw busy()
          },
        },
        'GET /api/nonsense': {
          amount: () => {
            throw busy(-5)
          },
        },
        'GET /api/other-4xx': {
          amount: () => {
            throw Object.assign(new Error('bad'), { status: 400, retryAfter: 9 })
          },
        },
      },
    })
    const answer = async (path: string) => {
      const denied = expectDeny(await paywall.begin(req(path)))
      return [denied.status, denied.headers['retry-after'], JSON.parse(denied.body).error]
    }
    expect(await answer('/api/given')).toEqual([429, '30', 'invalid_request'])
    expect(await answer('/api/text')).toEqual([429, '8', 'invalid_request'])
    expect(await answer('/api/default')).toEqual([429, '2', 'invalid_request'])
    expect(await answer('/api/nonsense')).toEqual([429, '2', 'invalid_request'])
    expect(await answer('/api/other-4xx')).toEqual([400, undefined, 'invalid_request'])
  })

  it('keeps secrets a price function quotes out of logs, events and the answer', async () => {
    const secret = 'sk_test_51Secretkeyvalue 4242424242424242 pm_1SecretPaymentMethod'
    const { paywall, logs, events } = h.paywall({
      routes: {
        'GET /a': {
          amount: () => {
            throw new Error(`upstream refused ${secret}`)
          },
        },
        'GET /b': {
          amount: () => {
            throw Object.assign(new Error(`bad input ${secret}`), { status: 400 })
          },
        },
      },
    })
    const failed = expectDeny(await paywall.begin(req('/a')))
    const rejected = expectDeny(await paywall.begin(req('/b')))
    expect(failed.status).toBe(500)
    expect(rejected.status).toBe(400)
    const seen = JSON.stringify({ logs, events, failed, rejected })
    for (const part of ['sk_test_51Secretkeyvalue', '4242424242424242', 'pm_1SecretPaymentMethod'])
      expect(seen).not.toContain(part)
    expect(seen).toContain('upstream refused')
  })
})

describe('begin: minTopUp covers the price', () => {
  it('raises minTopUp in the challenge, and in top_up_below_minimum, to what pays for a dynamic price above it', async () => {
    const { paywall } = h.paywall({
      routes: {
        'GET /api/report': { amount: (r) => Number(r.query.get('units') ?? 100), minTopUp: 5_000 },
      },
    })
    expect(required(await paywall.begin(req('/api/report?units=100'))).accepts[0]?.minTopUp).toBe(
      5_000,
    )
    // 12,345 units is 123.45 cents: Stripe charges whole cents, so the top-up is 12,400 units.
    expect(required(await paywall.begin(req('/api/report?units=12345'))).accepts[0]?.minTopUp).toBe(
      12_400,
    )
    const below = required(
      await paywall.begin(
        req('/api/report?units=12345', {
          payment: pay({ paymentMethodId: await h.card(), topUpAmount: 6_000 }),
        }),
      ),
    )
    expect(below.error).toBe('top_up_below_minimum')
    expect(below.accepts[0]?.minTopUp).toBe(12_400)
    expect(h.emu.charges()).toEqual([])
    const paid = expectPaid(
      await paywall.begin(
        req('/api/report?units=12345', {
          payment: pay({
            paymentMethodId: await h.card(),
            topUpAmount: below.accepts[0]!.minTopUp,
          }),
        }),
      ),
    )
    expect(paid.payment.creditsRemaining).toBe(55)
    expect(h.emu.charges()).toHaveLength(1)
  })
})

describe('begin: challenge size', () => {
  it('answers 402 with a header within 8 KiB however long the URL, never 500', async () => {
    const { paywall } = h.paywall({
      routes: { 'GET /api/report': { amount: 500, description: 'é'.repeat(1_000) } },
    })
    const url = `https://api.example.com/api/report?q=${'ü'.repeat(2_000)}`
    const outcome = expectDeny(await paywall.begin(req(url)))
    expect(outcome.status).toBe(402)
    expect(outcome.headers['payment-required']!.length).toBeLessThanOrEqual(8_192)
    expect(url.startsWith(required(outcome).resource.url)).toBe(true)
    const paid = expectDeny(
      await paywall.begin(req(url, { payment: pay({ clientId: 'unknown' }) })),
    )
    expect(required(paid).error).toBe('insufficient_credits')
  })
})

describe('begin: one decision per request', () => {
  it('answers free to a second begin with the same key, so a paywall mounted twice debits once', async () => {
    const { paywall } = h.paywall()
    const { clientId } = await payWithNewCard(h, paywall)
    const request = req('/api/joke', { payment: pay({ clientId }) })
    const nativeRequest = {}
    const outer = expectPaid(await paywall.begin(request, { key: nativeRequest }))
    expect((await paywall.begin(request, { key: nativeRequest })).type).toBe('free')
    await outer.settle(200)
    expect(await paywall.balance(clientId)).toBe(4_000)
    // Another request (another key) pays again.
    expectPaid(await paywall.begin(request, { key: {} }))
    expect(await paywall.balance(clientId)).toBe(3_500)
  })
})

describe('begin: client address', () => {
  const attempt = async (paywall: import('../paywall').Paywall, clientAddress?: string) =>
    paywall.begin(
      req('/api/joke', { payment: pay({ paymentMethodId: 'pm_doesnotexist' }) }),
      clientAddress === undefined ? {} : { clientAddress },
    )
  const warnings = (logs: Array<{ level: string; message: string }>) =>
    logs.filter((l) => l.level === 'warn' && l.message.includes('clientAddress'))

  it('warns once, naming the option, when payment attempts come without clientAddress and the per-address limit is on', async () => {
    const { paywall, logs } = h.paywall()
    await attempt(paywall)
    await attempt(paywall)
    expect(warnings(logs)).toHaveLength(1)
    expect(warnings(logs)[0]?.message).toContain('rateLimits.failedPaymentsPerAddress')
  })

  it('stays quiet with an address, on the credit path, or with the limit off', async () => {
    const withAddress = h.paywall()
    await attempt(withAddress.paywall, '203.0.113.7')
    await withAddress.paywall.begin(req('/api/joke', { payment: pay({ clientId: 'x' }) }))
    expect(warnings(withAddress.logs)).toEqual([])
    const off = h.paywall({ rateLimits: { failedPaymentsPerAddress: false } })
    await attempt(off.paywall)
    expect(warnings(off.logs)).toEqual([])
  })
})

describe('begin: never rejects', () => {
  it('answers 500 internal_error when reading the request throws, and logs it', async () => {
    const { paywall, logs } = h.paywall()
    const hostile = {
      ...req('/api/joke'),
      method: {
        toString() {
          throw new Error('no method here')
        },
      } as unknown as string,
    }
    const denied = expectDeny(await paywall.begin(hostile))
    expect(denied.status).toBe(500)
    expect(JSON.parse(denied.body)).toMatchObject({ error: 'internal_error' })
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'unexpected error in paywall.begin' }),
    )
  })

  it('holds a debit whose ledger call throws before it returns a promise as one in doubt: 503, repaired', async () => {
    const { paywall, ledger } = h.paywall()
    const { clientId, outcome: first } = await payWithNewCard(h, paywall, '/api/joke')
    const spend = ledger.spend
    ledger.spend = () => {
      throw new Error('socket closed')
    }
    const denied = expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
    ledger.spend = spend
    expect(denied.status).toBe(503)
    expect(JSON.parse(denied.body)).toMatchObject({ error: 'ledger_unavailable' })
    // Queued for repair: the pass finds no debit, gives nothing back, and looks again later.
    expect(await paywall.repair()).toMatchObject({ checked: 1, reversed: 0, pending: 1 })
    expect(await ledger.balance(first.payment.accountId, 'usd')).toBe(
      first.payment.creditsRemaining,
    )
  })
})
