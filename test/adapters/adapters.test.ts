/** One adapter suite, run over real HTTP against every adapter (Express 4/5, Koa 2/3, fetch). */
import {
  decodePaymentRequired,
  decodePaymentResponse,
  encodePaymentPayload,
  HEADERS,
  ORIGIN_BINDING,
} from '@stripe402/protocol'
import { createPaywall, MemoryLedger, type Ledger, type Paywall } from '@stripe402/server'
import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { request as httpRequest } from 'node:http'
import { ADAPTERS, type AppHooks, PAID_ROUTES, PARAM_ROUTES, type RunningServer } from './servers'
import { RedisLedger } from '@stripe402/server'
import { Redis } from 'ioredis'
import { requireService } from '../services'

let emulator: StripeEmulator
beforeAll(async () => {
  emulator = await startStripeEmulator({ port: 0 })
})
afterAll(async () => {
  await emulator?.close()
})

const redis = await requireService('redis')

/**
 * The public origin the suite's paywalls are configured with (`origins`), as if behind a proxy:
 * they listen on 127.0.0.1:<port>, but the origin a server checks bindings against comes from its
 * configuration, never from the request. The suite's PaymentMethods are bound to it (spec §7.4).
 */
const ORIGIN = 'https://api.adapters.example'

interface Variant {
  name: string
  adapter: (typeof ADAPTERS)[number]
  ledger: () => Promise<{ ledger: Ledger; close(): Promise<void> }>
}

const memory = async () => ({ ledger: new MemoryLedger() as Ledger, close: async () => {} })
const variants: Variant[] = ADAPTERS.map((adapter) => ({
  name: `${adapter.name} + memory`,
  adapter,
  ledger: memory,
}))
if (redis.available) {
  variants.push({
    name: 'express 5 + redis',
    adapter: ADAPTERS[0]!,
    ledger: async () => {
      const client = new Redis(redis.url, { maxRetriesPerRequest: 1, enableOfflineQueue: true })
      return {
        ledger: new RedisLedger(client, { prefix: `s402test:${process.pid}:${Date.now()}` }),
        close: async () => {
          client.disconnect()
        },
      }
    },
  })
}

describe.each(variants)('adapter: $name', ({ name, adapter, ledger: makeLedger }) => {
  const account = name.replace(/[^a-z0-9]/gi, '').toLowerCase()
  let server: RunningServer
  let paywall: Paywall
  let closeLedger: () => Promise<void>
  let releaseStream: () => void = () => {}
  const hooks: AppHooks = {
    hits: new Map(),
    streamGate: () => new Promise<void>((resolve) => (releaseStream = resolve)),
  }
  let publishable: Stripe
  /** The caller's address each `begin` was given, as the adapter saw it. */
  const addresses: Array<string | undefined> = []
  /** How many paid requests have settled: a test waits for its own before reading the balance. */
  let settles = 0

  beforeAll(async () => {
    const keys = emulator.keys(account)
    const { ledger, close } = await makeLedger()
    closeLedger = close
    const engine = createPaywall({
      stripe: {
        secretKey: keys.secretKey,
        publishableKey: keys.publishableKey,
        apiBase: emulator.url,
      },
      secret: 'adapter-suite-secret-that-is-long-enough-0123456789',
      ledger,
      routes: PAID_ROUTES,
      webhook: { secret: 'whsec_adapter_suite' },
      origins: [ORIGIN],
      rateLimits: false,
    })
    // The same engine, watched: what the adapter passed in, and when a paid request's settle is done.
    paywall = {
      ...engine,
      begin: async (request, options) => {
        addresses.push(options?.clientAddress)
        const outcome = await engine.begin(request, options)
        if (outcome.type !== 'paid') return outcome
        return {
          ...outcome,
          settle: (status) => outcome.settle(status).finally(() => void settles++),
        }
      },
    }
    server = await adapter.start(paywall, hooks)
    publishable = new Stripe(keys.publishableKey, { ...emulator.sdkConfig(), maxNetworkRetries: 0 })
  })
  afterAll(async () => {
    await server?.close()
    await closeLedger?.()
  })

  const charges = () => emulator.charges({ account })
  /** A PaymentMethod made with the publishable key, as a client does, bound to `origin`. */
  const paymentMethod = async (number = '4242424242424242', origin = ORIGIN) =>
    (
      await publishable.paymentMethods.create({
        type: 'card',
        card: { number, exp_month: 12, exp_year: 2034, cvc: '123' },
        metadata: { [ORIGIN_BINDING.METADATA_KEY]: origin },
      })
    ).id
  const payment = (payload: Record<string, unknown>) =>
    encodePaymentPayload({ stripe402Version: 1, ...payload })
  const get = (path: string, init: RequestInit = {}) => fetch(server.url + path, init)
  const pay = async (path: string, card?: string, init: RequestInit = {}) => {
    const res = await get(path, {
      ...init,
      headers: {
        ...(init.headers as object),
        [HEADERS.PAYMENT]: payment({ paymentMethodId: await paymentMethod(card) }),
      },
    })
    return res
  }
  const responseOf = (res: Response) =>
    decodePaymentResponse(res.headers.get(HEADERS.PAYMENT_RESPONSE))
  /**
   * A request with the path byte for byte (fetch() would resolve `.` and `..` before sending) and
   * any header (fetch() may refuse the CORS ones a browser sets).
   */
  const rawRequest = (method: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; headers: Record<string, string | undefined>; body: string }>(
      (resolve, reject) => {
        const req = httpRequest(`${server.url}/`, { method, path, headers }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (body += chunk))
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: Object.fromEntries(
                Object.entries(res.headers).map(([k, v]) => [
                  k,
                  Array.isArray(v) ? v.join(', ') : v,
                ]),
              ),
              body,
            }),
          )
        })
        req.on('error', reject)
        req.end()
      },
    )
  const hitsOf = (label: string) => hooks.hits.get(label) ?? 0
  const withClient = (clientId: string, extra: Record<string, unknown> = {}) => ({
    headers: { [HEADERS.PAYMENT]: payment({ clientId, ...extra }) },
  })

  it('lets free routes through untouched', async () => {
    const res = await get('/health')
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('ok')
    expect(res.headers.get(HEADERS.PAYMENT_REQUIRED)).toBeNull()
    expect(res.headers.get(HEADERS.PAYMENT_RESPONSE)).toBeNull()
  })

  it('answers an unpaid request with a 402 whose header equals its body', async () => {
    const before = hooks.hits.get('/api/joke') ?? 0
    const res = await get('/api/joke')
    expect(res.status).toBe(402)
    const header = decodePaymentRequired(res.headers.get(HEADERS.PAYMENT_REQUIRED))
    expect(await res.json()).toEqual(header)
    expect(header.accepts[0]).toMatchObject({
      scheme: 'stripe',
      currency: 'usd',
      amount: 500,
      minTopUp: 50000,
    })
    expect(header.accepts[0]!.publishableKey).toBe(emulator.keys(account).publishableKey)
    expect(res.headers.get('cache-control')).toContain('no-store')
    const exposed = res.headers.get('access-control-expose-headers')?.toLowerCase() ?? ''
    expect(exposed).toContain('payment-required')
    expect(exposed).toContain('payment-response')
    expect(hooks.hits.get('/api/joke') ?? 0).toBe(before)
  })

  let clientId = ''
  it('charges a top-up once with a PaymentMethod and serves the request', async () => {
    const res = await pay('/api/joke')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ path: '/api/joke' })
    const response = responseOf(res)
    expect(response).toMatchObject({ success: true, creditsRemaining: 49500 })
    expect(response.chargeId).toMatch(/^pi_/)
    expect(res.headers.get('access-control-expose-headers')?.toLowerCase()).toContain(
      'payment-response',
    )
    expect(charges()).toHaveLength(1)
    expect(charges()[0]).toMatchObject({ amount: 500, currency: 'usd' })
    clientId = response.clientId
  })

  it('spends credits with the clientId alone, without charging again', async () => {
    const res = await get('/api/joke', withClient(clientId))
    expect(res.status).toBe(200)
    expect(responseOf(res)).toMatchObject({ success: true, creditsRemaining: 49000 })
    expect(responseOf(res).chargeId).toBeUndefined()
    expect(charges()).toHaveLength(1)
  })

  it('refuses a call the balance cannot cover with insufficient_credits', async () => {
    const res = await get('/api/pricey', withClient(clientId))
    expect(res.status).toBe(402)
    expect(decodePaymentRequired(res.headers.get(HEADERS.PAYMENT_REQUIRED)).error).toBe(
      'insufficient_credits',
    )
    expect(hooks.hits.get('/api/pricey') ?? 0).toBe(0)
    expect(await paywall.balance(clientId)).toBe(49000)
  })

  it.each(['/api/fail', '/api/throw'])('reverses the debit when %s fails', async (path) => {
    const res = await get(path, withClient(clientId))
    expect(res.status).toBe(500)
    expect(hooks.hits.get(path)).toBe(1)
    await expect.poll(() => paywall.balance(clientId)).toBe(49000)
  })

  it('prices HEAD like GET', async () => {
    const head = await get('/api/joke', { method: 'HEAD' })
    expect(head.status).toBe(402)
  })

  it("hands the engine the caller's address from the socket", async () => {
    addresses.length = 0
    expect((await get('/api/joke')).status).toBe(402)
    expect(addresses).toContain('127.0.0.1')
    expect(addresses.filter((address) => address !== '127.0.0.1')).toEqual([])
  })

  it.each(['/api/joke', '/api/report'])(
    'answers a CORS preflight of %s itself, allowing the payment header, and runs no handler',
    async (path) => {
      const before = [hitsOf('/api/joke'), hitsOf(PARAM_ROUTES.report)]
      const res = await rawRequest('OPTIONS', path, {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'payment, content-type',
      })
      expect(res.status).toBe(204)
      expect(res.body).toBe('')
      expect(res.headers['access-control-allow-origin']).toBe('*')
      expect(res.headers['access-control-allow-methods']).toBe('GET')
      expect(res.headers['access-control-allow-headers']).toBe('payment, content-type')
      expect(res.headers['access-control-expose-headers']).toBe(
        'payment-required, payment-response',
      )
      expect(res.headers['access-control-max-age']).toBe('600')
      expect([hitsOf('/api/joke'), hitsOf(PARAM_ROUTES.report)]).toEqual(before)
    },
  )

  it('prices a plain OPTIONS of a route that names no method, and leaves one of a GET route to the app', async () => {
    const before = hitsOf(PARAM_ROUTES.report)
    const plain = await rawRequest('OPTIONS', '/api/report')
    expect(plain.status).toBe(402)
    expect(decodePaymentRequired(plain.headers[HEADERS.PAYMENT_REQUIRED]).accepts[0]?.amount).toBe(
      500,
    )
    // Like every other method.
    expect((await rawRequest('POST', '/api/report')).status).toBe(402)
    expect(hitsOf(PARAM_ROUTES.report)).toBe(before)
    const jokes = hitsOf('/api/joke')
    const appOptions = await rawRequest('OPTIONS', '/api/joke')
    expect(appOptions.status).not.toBe(402)
    expect(appOptions.headers[HEADERS.PAYMENT_REQUIRED]).toBeUndefined()
    expect(hitsOf('/api/joke')).toBe(jokes)
  })

  it('streams a paid response chunk by chunk', async () => {
    const res = await get('/api/stream', withClient(clientId))
    expect(res.status).toBe(200)
    expect(responseOf(res).creditsRemaining).toBe(48500)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let seen = ''
    // The handler holds its second chunk until we release it: reading chunk 1 first proves streaming.
    while (!seen.includes('chunk-1;')) {
      const { value, done } = await reader.read()
      if (done) break
      seen += decoder.decode(value)
    }
    expect(seen).toBe('chunk-1;')
    releaseStream()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      seen += decoder.decode(value)
    }
    expect(seen).toBe('chunk-1;chunk-2')
  })

  it('replays nothing and charges per call on POST with a body', async () => {
    const res = await get('/api/echo', {
      method: 'POST',
      body: 'hello',
      headers: { 'content-type': 'text/plain', ...withClient(clientId).headers },
    })
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('hello')
    expect(responseOf(res).creditsRemaining).toBe(48000)
  })

  it('matches the configured route inside mounted apps', async () => {
    const unpaid = await get('/v1/api/mounted')
    expect(unpaid.status).toBe(402)
    expect(
      decodePaymentRequired(unpaid.headers.get(HEADERS.PAYMENT_REQUIRED)).resource.url,
    ).toContain('/v1/api/mounted')
    expect(hooks.hits.get('/v1/api/mounted') ?? 0).toBe(0)
    const paid = await get('/v1/api/mounted', withClient(clientId))
    expect(paid.status).toBe(200)
    expect(responseOf(paid).creditsRemaining).toBe(47500)
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
    '/Api/Joke/',
  ])('never serves the path variant %s unpaid', async (variant) => {
    const before = hooks.hits.get('/api/joke') ?? 0
    const res = await get(variant)
    expect(res.status).not.toBe(200)
    expect(res.status).toBeLessThan(500)
    expect(hooks.hits.get('/api/joke') ?? 0).toBe(before)
  })

  const rawGet = (path: string, headers: Record<string, string> = {}) =>
    rawRequest('GET', path, headers)

  it.each([
    '/users/a%2Fb',
    '/users/a%2fb',
    '/users/%2E%2E',
    '/users/%2e',
    '/users/.',
    '/users/..',
    '/users/a;b',
    '/users/;b',
    '/users/%3B',
    '/USERS/a%2Fb',
    '/users/x%2F..%2F..',
    '/files/..',
    '/files/%2e%2e/x',
    '/files/./x',
    '/files/%2E%2E',
    // Absolute-form request targets: Express and Koa route on their raw pathname, `..` unresolved.
    'http://x/users/%2e%2e',
    'http://x/users/%2E%2E',
    'http://x/users/..',
    'http://x/users/.',
    'http://x/files/..',
    'http://x/files/%2E%2E',
    'http://x/files/%2e%2e/x',
    'HTTP://x:1/USERS/..',
  ])('never serves %s from a :param or * route unpaid', async (variant) => {
    const before = hitsOf(PARAM_ROUTES.user) + hitsOf(PARAM_ROUTES.files)
    const res = await rawGet(variant)
    // A fetch server resolves `/users/.` to the free `/users` before routing (a 200 from it is fine);
    // what must never happen is a paid handler running.
    expect(res.status).toBeLessThan(500)
    expect(hitsOf(PARAM_ROUTES.user) + hitsOf(PARAM_ROUTES.files)).toBe(before)
  })

  it('charges :param and * routes, including a parameter holding an encoded slash, and keeps /users free', async () => {
    expect((await rawGet('/users/42')).status).toBe(402)
    const before = (await paywall.balance(clientId))!
    const paid = await rawGet('/users/a%2Fb', withClient(clientId).headers)
    expect(paid.status).toBe(200)
    expect(JSON.parse(paid.body)).toEqual({ id: 'a/b' })
    expect((await rawGet('/files/a/b', withClient(clientId).headers)).status).toBe(200)
    expect(await paywall.balance(clientId)).toBe(before - 1000)
    const listed = hitsOf(PARAM_ROUTES.users)
    const free = await rawGet('/users')
    expect(free.status).toBe(200)
    expect(hitsOf(PARAM_ROUTES.users)).toBe(listed + 1)
    expect(await paywall.balance(clientId)).toBe(before - 1000)
  })

  it('debits once when the paywall is mounted both on the app and again on the route', async () => {
    const before = (await paywall.balance(clientId))!
    const res = await get('/api/twice', withClient(clientId))
    expect(res.status).toBe(200)
    expect(hitsOf(PARAM_ROUTES.twice)).toBe(1)
    expect(responseOf(res).creditsRemaining).toBe(before - 500)
    expect(await paywall.balance(clientId)).toBe(before - 500)
  })

  it('keeps the debit of a 200 that went out when the handler fails after its first bytes', async () => {
    const before = (await paywall.balance(clientId))!
    const settled = settles
    const res = await get('/api/stream-fail', withClient(clientId))
    expect(res.status).toBe(200)
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let seen = ''
    const read = async () => {
      const { value, done } = await reader.read()
      if (!done) seen += decoder.decode(value)
      return done
    }
    while (!seen.includes('chunk-1;')) if (await read()) break
    expect(seen).toBe('chunk-1;')
    // Only now does the handler fail.
    releaseStream()
    try {
      while (!(await read()));
    } catch {
      // The fetch servers cut the connection when the body errors.
    }
    expect(seen).toBe('chunk-1;')
    // Served with a 200: the error handler's later `res.status(500)` reaches no client.
    await expect.poll(() => settles).toBe(settled + 1)
    expect(await paywall.balance(clientId)).toBe(before - 500)
  })

  it.each(['/docs//x', '/docs//x/', '/docs/x//'])(
    'prices %s, an empty path segment, at least what the handler that serves it costs',
    async (path) => {
      const served = () => [hitsOf(PARAM_ROUTES.doc), hitsOf(PARAM_ROUTES.docs)]
      const before = served()
      const unpaid = await rawGet(path)
      expect(unpaid.status).toBe(402)
      // `/docs/*` (10,000) serves it on Express and Koa, not the `/docs/:name` (100) that drops the empty segment.
      expect(
        decodePaymentRequired(unpaid.headers[HEADERS.PAYMENT_REQUIRED]).accepts[0]?.amount,
      ).toBe(10_000)
      expect(served()).toEqual(before)
      const balance = (await paywall.balance(clientId))!
      const settled = settles
      const paid = await rawGet(path, withClient(clientId).headers)
      if (paid.status !== 200) return // a server that serves it from no handler charges nothing
      await expect.poll(() => settles).toBe(settled + 1)
      expect(await paywall.balance(clientId)).toBe(balance - 10_000)
    },
  )

  it('prices a path a URL rewrite before the paywall sends to a paid handler', async () => {
    const served = hitsOf('/api/joke')
    const unpaid = await rawGet('/latest/api/joke')
    expect(unpaid.status).toBe(402)
    expect(decodePaymentRequired(unpaid.headers[HEADERS.PAYMENT_REQUIRED]).accepts[0]?.amount).toBe(
      500,
    )
    expect(hitsOf('/api/joke')).toBe(served)
    const balance = (await paywall.balance(clientId))!
    const settled = settles
    const paid = await rawGet('/latest/api/joke', withClient(clientId).headers)
    expect(paid.status).toBe(200)
    expect(hitsOf('/api/joke')).toBe(served + 1)
    await expect.poll(() => settles).toBe(settled + 1)
    expect(await paywall.balance(clientId)).toBe(balance - 500)
  })

  it.each([
    ['/api/joke', { 'x-http-method-override': 'GET' }],
    ['/api/joke?_method=GET', {}],
    ['/api/joke?_method=get', {}],
  ])(
    'prices POST %s %j, a method override the router acts on, as the method it dispatches',
    async (path, headers) => {
      const served = hitsOf('/api/joke')
      const unpaid = await rawRequest('POST', path, headers)
      expect(unpaid.status).toBe(402)
      expect(
        decodePaymentRequired(unpaid.headers[HEADERS.PAYMENT_REQUIRED]).accepts[0]?.amount,
      ).toBe(500)
      expect(hitsOf('/api/joke')).toBe(served)
      const balance = (await paywall.balance(clientId))!
      const settled = settles
      const paid = await rawRequest('POST', path, { ...headers, ...withClient(clientId).headers })
      expect(paid.status).toBe(200)
      expect(hitsOf('/api/joke')).toBe(served + 1)
      await expect.poll(() => settles).toBe(settled + 1)
      expect(await paywall.balance(clientId)).toBe(balance - 500)
    },
  )

  it.each(['?days=3', '?days[]=90', '?days=2&days=90', '?days[0]=90', '?days=90'])(
    'charges a dynamic price for %s on the query the handler reads',
    async (query) => {
      const balance = (await paywall.balance(clientId))!
      const settled = settles
      const res = await rawGet(`/api/days${query}`, withClient(clientId).headers)
      expect(res.status).toBe(200)
      const { days } = JSON.parse(res.body) as { days: number }
      await expect.poll(() => settles).toBe(settled + 1)
      expect(balance - (await paywall.balance(clientId))!).toBe(10 * days)
    },
  )

  it.each(['set', 'object', 'array'])(
    'keeps a paid answer private when the handler marks it public (headers %s)',
    async (via) => {
      const res = await rawGet(`/api/public?via=${via}`, withClient(clientId).headers)
      expect(res.status).toBe(200)
      expect(JSON.parse(res.body)).toEqual({ public: true })
      expect(res.headers['cache-control']).toBe('private, no-store')
      expect(
        res.headers.vary
          ?.toLowerCase()
          .split(/\s*,\s*/)
          .sort(),
      ).toEqual(['accept-encoding', 'payment'])
    },
  )

  it('serves a paid HEAD: a 2xx with the receipt and no body, debited exactly the price', async () => {
    const before = (await paywall.balance(clientId))!
    const [settled, served] = [settles, hitsOf('/api/joke')]
    const res = await rawRequest('HEAD', '/api/joke', withClient(clientId).headers)
    expect(hitsOf('/api/joke')).toBe(served + 1)
    expect(res.status).toBeGreaterThanOrEqual(200)
    expect(res.status).toBeLessThan(300)
    expect(res.body).toBe('')
    expect(decodePaymentResponse(res.headers[HEADERS.PAYMENT_RESPONSE])).toMatchObject({
      success: true,
      creditsRemaining: before - 500,
    })
    expect(res.headers['access-control-expose-headers']?.toLowerCase()).toContain(
      'payment-response',
    )
    // Settled (after the answer, on some adapters) and kept: a HEAD the handler served is paid for.
    await expect.poll(() => settles).toBe(settled + 1)
    expect(await paywall.balance(clientId)).toBe(before - 500)
  })

  it('answers a malformed payment header with a 4xx code and no charge', async () => {
    const before = charges().length
    for (const bad of [
      '!!!',
      'e30',
      btoa('{"stripe402Version":1,"topUpAmount":-5,"paymentMethodId":"pm_x"}'),
      'x'.repeat(20000),
    ]) {
      const res = await get('/api/joke', { headers: { [HEADERS.PAYMENT]: bad } })
      expect(res.status).toBeGreaterThanOrEqual(400)
      expect(res.status).toBeLessThan(500)
    }
    expect(charges()).toHaveLength(before)
  })

  it('serves exactly 4 of 30 parallel calls when credits cover 4', async () => {
    const first = await pay('/api/quarter', '5555555555554444')
    expect(first.status).toBe(200)
    const card = responseOf(first)
    expect(card.creditsRemaining).toBe(40000)
    const results = await Promise.all(
      Array.from({ length: 30 }, () => get('/api/quarter', withClient(card.clientId))),
    )
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(4)
    expect(statuses.filter((s) => s === 402)).toHaveLength(26)
    expect(await paywall.balance(card.clientId)).toBe(0)
  })

  it('publishes the price list and receives webhooks without user routes', async () => {
    const list = await get('/.well-known/stripe402')
    expect(list.status).toBe(200)
    const doc = (await list.json()) as { routes: Array<{ path: string; amount: number | string }> }
    expect(doc.routes.find((r) => r.path === '/api/joke')).toMatchObject({ amount: 500 })
    const bad = await get('/stripe402/webhook', {
      method: 'POST',
      body: '{}',
      headers: { 'stripe-signature': 't=1,v1=00' },
    })
    expect(bad.status).toBe(400)
    const event = JSON.stringify({
      id: 'evt_test',
      object: 'event',
      type: 'customer.created',
      data: { object: {} },
    })
    const signature = Stripe.webhooks.generateTestHeaderString({
      payload: event,
      secret: 'whsec_adapter_suite',
    })
    const good = await get('/stripe402/webhook', {
      method: 'POST',
      body: event,
      headers: { 'stripe-signature': signature, 'content-type': 'application/json' },
    })
    expect(good.status).toBe(200)
  })

  it('refuses a PaymentMethod bound to another origin: 402, no charge, no credential', async () => {
    // A hostile origin named this server's publishable key; the agent's client bound the card to it.
    const relayed = await paymentMethod('4242424242424242', 'https://evil.example')
    const chargesBefore = charges().length
    const hitsBefore = hitsOf('/api/joke')
    const balanceBefore = (await paywall.balance(clientId))!
    const res = await get('/api/joke', {
      headers: { [HEADERS.PAYMENT]: payment({ paymentMethodId: relayed, topUpAmount: 200_000 }) },
    })
    expect(res.status).toBe(402)
    const challenge = decodePaymentRequired(res.headers.get(HEADERS.PAYMENT_REQUIRED))
    expect(challenge.error).toBe('payment_method_origin_mismatch')
    expect(challenge.extensions).toContain(ORIGIN_BINDING.EXTENSION)
    const receipt = res.headers.get(HEADERS.PAYMENT_RESPONSE)
    if (receipt !== null)
      expect(decodePaymentResponse(receipt)).toMatchObject({ success: false, clientId: '' })
    const body = await res.text()
    expect(body).not.toContain(clientId)
    expect(receipt ?? '').not.toContain(clientId)
    expect(hitsOf('/api/joke')).toBe(hitsBefore)
    expect(charges()).toHaveLength(chargesBefore)
    expect(await paywall.balance(clientId)).toBe(balanceBefore)

    // The same card bound to this server's origin still pays, from the account's credits.
    const own = await get('/api/joke', {
      headers: { [HEADERS.PAYMENT]: payment({ paymentMethodId: await paymentMethod() }) },
    })
    expect(own.status).toBe(200)
    expect(responseOf(own)).toMatchObject({ success: true, creditsRemaining: balanceBefore - 500 })
    expect(charges()).toHaveLength(chargesBefore)
  })
})
