/** On every adapter: a paid debit's fate when the exchange ends badly (hang-ups, throws, 404s), and the webhook behind body parsers. */
import { createServer, get as httpGet, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PassThrough } from 'node:stream'
import { serve } from '@hono/node-server'
import { paywallMiddleware as expressPaywall } from '@stripe402/express'
import { withPaywall } from '@stripe402/fetch'
import { paywallMiddleware as koaPaywall } from '@stripe402/koa'
import { decodePaymentResponse, encodePaymentPayload, HEADERS } from '@stripe402/protocol'
import { createPaywall, MemoryLedger, type Paywall } from '@stripe402/server'
import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import express5 from 'express'
import express4Untyped from 'express4'
import { Hono } from 'hono'
import Koa3, { type Context, type Middleware } from 'koa'
import Koa2Untyped from 'koa2'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toRequestListener } from './node-http-bridge'

const express4 = express4Untyped as unknown as typeof express5
const Koa2 = Koa2Untyped as unknown as typeof Koa3
const WEBHOOK_SECRET = 'whsec_lifecycle_suite'
const PRICE = 500
const MIB = 1024 * 1024

/** Which body parser, if any, runs before the paywall (the webhook endpoint must still see Stripe's raw bytes). */
type Parser = 'none' | 'json' | 'raw' | 'text' | 'koa-bodyparser' | 'koa-body' | 'consumed'

interface Running {
  url: string
  close(): Promise<void>
}

interface Adapter {
  name: string
  parsers: Partial<Record<Parser, 'ok' | 'consumed'>>
  start(paywall: Paywall, parser: Parser): Promise<Running>
}

function listen(server: Server): Promise<Running> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

function expressApp(factory: typeof express5, paywall: Paywall, parser: Parser) {
  const app = factory()
  if (parser === 'json') app.use(factory.json())
  if (parser === 'raw') app.use(factory.raw({ type: () => true }))
  if (parser === 'text') app.use(factory.text({ type: () => true }))
  app.use(expressPaywall(paywall))
  // A stream that lasts until the client goes (server-sent events, a long download).
  app.get('/api/stream', (_req, res) => {
    res.type('text/plain').write('chunk-1;')
  })
  // Works until the client has gone, then answers: the answer reaches nobody.
  app.get('/api/slow', (_req, res) => {
    res.once('close', () => res.json({ late: true }))
  })
  app.get('/api/throw', () => {
    throw new Error('handler threw')
  })
  app.get('/api/missing', (_req, res) => {
    res.status(404).json({ error: 'no such thing' })
  })
  app.get('/api/ok', (_req, res) => {
    res.json({ ok: true })
  })
  app.get('/api/public', (_req, res) => {
    res
      .set({ 'cache-control': 'public, max-age=300', vary: 'accept-encoding' })
      .json({ cacheable: 'not when paid' })
  })
  app.use(
    (
      _err: unknown,
      _req: express5.Request,
      res: express5.Response,
      _next: express5.NextFunction,
    ) => {
      res.status(500).json({ error: 'internal' })
    },
  )
  return app
}

/** What koa-bodyparser does: parses the body and keeps the text in `ctx.request.rawBody`. */
function koaParser(keepRaw: boolean): Middleware {
  return async (ctx, next) => {
    if (ctx.method === 'POST') {
      const chunks: Buffer[] = []
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
      const text = Buffer.concat(chunks).toString('utf8')
      const request = ctx.request as typeof ctx.request & { body?: unknown; rawBody?: string }
      request.body = JSON.parse(text) as unknown
      if (keepRaw) request.rawBody = text
    }
    await next()
  }
}

function koaApp(Koa: typeof Koa3, paywall: Paywall, parser: Parser) {
  const app = new Koa()
  app.silent = true
  if (parser === 'koa-bodyparser') app.use(koaParser(true))
  if (parser === 'koa-body') app.use(koaParser(false))
  app.use(koaPaywall(paywall))
  app.use(async (ctx: Context) => {
    if (ctx.path === '/api/stream') {
      const body = new PassThrough()
      body.write('chunk-1;')
      ctx.type = 'text/plain'
      ctx.body = body
    } else if (ctx.path === '/api/slow') {
      await new Promise((resolve) => ctx.res.once('close', resolve))
      ctx.body = { late: true }
    } else if (ctx.path === '/api/throw') {
      throw new Error('handler threw')
    } else if (ctx.path === '/api/missing') {
      ctx.throw(404, 'no such thing')
    } else if (ctx.path === '/api/ok') {
      ctx.body = { ok: true }
    } else if (ctx.path === '/api/public') {
      ctx.set({ 'cache-control': 'public, max-age=300', vary: 'accept-encoding' })
      ctx.body = { cacheable: 'not when paid' }
    }
  })
  return app
}

function fetchRoutes(req: Request): Response | Promise<Response> {
  const { pathname } = new URL(req.url)
  if (pathname === '/api/stream') {
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(new TextEncoder().encode('chunk-1;')),
    })
    return new Response(body, { headers: { 'content-type': 'text/plain' } })
  }
  if (pathname === '/api/slow') {
    return new Promise((resolve) =>
      req.signal.addEventListener('abort', () => resolve(Response.json({ late: true }))),
    )
  }
  if (pathname === '/api/throw') throw new Error('handler threw')
  if (pathname === '/api/missing') return Response.json({ error: 'no such thing' }, { status: 404 })
  if (pathname === '/api/ok') return Response.json({ ok: true })
  if (pathname === '/api/public') {
    return Response.json(
      { cacheable: 'not when paid' },
      { headers: { 'cache-control': 'public, max-age=300', vary: 'accept-encoding' } },
    )
  }
  return new Response('not found', { status: 404 })
}

function serveFetch(handler: (req: Request) => Promise<Response>): Promise<Running> {
  return new Promise((resolve) => {
    const server = serve({ fetch: handler, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            ;(server as Server).closeAllConnections?.()
            server.close(() => done())
          }),
      })
    })
  })
}

/** A framework that read the body before the paywall saw the request. */
const consumeFirst = (handler: (req: Request) => Promise<Response>) => async (req: Request) => {
  if (req.method === 'POST') await req.text()
  return handler(req)
}

const expressParsers = { none: 'ok', raw: 'ok', text: 'ok', json: 'consumed' } as const
const koaParsers = { none: 'ok', 'koa-bodyparser': 'ok', 'koa-body': 'consumed' } as const
const ADAPTERS: Adapter[] = [
  {
    name: 'express 5',
    parsers: expressParsers,
    start: (paywall, parser) => listen(createServer(expressApp(express5, paywall, parser))),
  },
  {
    name: 'express 4',
    parsers: expressParsers,
    start: (paywall, parser) => listen(createServer(expressApp(express4, paywall, parser))),
  },
  {
    name: 'koa 3',
    parsers: koaParsers,
    start: (paywall, parser) => listen(createServer(koaApp(Koa3, paywall, parser).callback())),
  },
  {
    name: 'koa 2',
    parsers: koaParsers,
    start: (paywall, parser) => listen(createServer(koaApp(Koa2, paywall, parser).callback())),
  },
  {
    name: 'fetch (hono)',
    parsers: { none: 'ok', consumed: 'consumed' },
    start: async (paywall, parser) => {
      const app = new Hono()
      app.all('*', (c) => fetchRoutes(c.req.raw))
      const handler = withPaywall(paywall, (req) => app.fetch(req))
      return serveFetch(parser === 'consumed' ? consumeFirst(handler) : handler)
    },
  },
  {
    name: 'fetch (@hono/node-server)',
    parsers: { none: 'ok', consumed: 'consumed' },
    start: async (paywall, parser) => {
      const handler = withPaywall(paywall, fetchRoutes)
      return serveFetch(parser === 'consumed' ? consumeFirst(handler) : handler)
    },
  },
  {
    name: 'fetch (node:http)',
    parsers: { none: 'ok', consumed: 'consumed' },
    start: async (paywall, parser) => {
      const handler = withPaywall(paywall, fetchRoutes)
      return listen(
        createServer(toRequestListener(parser === 'consumed' ? consumeFirst(handler) : handler)),
      )
    },
  },
]

let emulator: StripeEmulator
beforeAll(async () => {
  emulator = await startStripeEmulator({ port: 0 })
})
afterAll(async () => {
  await emulator?.close()
})

describe.each(ADAPTERS)('lifecycle: $name', (adapter) => {
  const account = `lifecycle${adapter.name.replace(/[^a-z0-9]/gi, '')}`
  const errors: string[] = []
  /** Each paid request's settle, in order: a test waits for it before reading the balance. */
  const settled: Array<Promise<void>> = []
  let paywall: Paywall
  let server: Running
  let clientId = ''
  /** When set, a paid begin waits here after the debit: a slow ledger, seen from the adapter. */
  let hold: { reached(key: object | undefined): void; release: Promise<void> } | undefined

  beforeAll(async () => {
    const keys = emulator.keys(account)
    const engine = createPaywall({
      stripe: {
        secretKey: keys.secretKey,
        publishableKey: keys.publishableKey,
        apiBase: emulator.url,
      },
      secret: 'lifecycle-suite-secret-that-is-long-enough-0123456789',
      ledger: new MemoryLedger(),
      routes: { 'GET /api/*': { amount: PRICE, minTopUp: 50_000 } },
      webhook: { secret: WEBHOOK_SECRET },
      rateLimits: false,
      logger: {
        warn: () => {},
        error: (message, fields) => void errors.push(`${message} ${JSON.stringify(fields ?? {})}`),
      },
    })
    // The same engine, with every paid outcome's settle recorded: the debit's fate is known once it resolves.
    paywall = {
      ...engine,
      begin: async (request, options) => {
        const outcome = await engine.begin(request, options)
        if (outcome.type !== 'paid') return outcome
        if (hold) {
          hold.reached(options?.key)
          await hold.release
        }
        let done!: () => void
        settled.push(new Promise<void>((resolve) => (done = resolve)))
        return { ...outcome, settle: (status) => outcome.settle(status).finally(done) }
      },
    }
    server = await adapter.start(paywall, 'none')
    const publishable = new Stripe(keys.publishableKey, {
      ...emulator.sdkConfig(),
      maxNetworkRetries: 0,
    })
    const pm = await publishable.paymentMethods.create({
      type: 'card',
      card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' },
    })
    const res = await fetch(`${server.url}/api/ok`, {
      headers: {
        [HEADERS.PAYMENT]: encodePaymentPayload({ stripe402Version: 1, paymentMethodId: pm.id }),
      },
    })
    clientId = decodePaymentResponse(res.headers.get(HEADERS.PAYMENT_RESPONSE)).clientId
    await res.arrayBuffer()
    await settled.at(-1)
  })
  afterAll(async () => {
    await server?.close()
  })

  const credential = () => ({
    [HEADERS.PAYMENT]: encodePaymentPayload({ stripe402Version: 1, clientId }),
  })
  /** The balance before `run` (one paid request) and once that request has settled. */
  async function balanceAround(
    run: () => Promise<void>,
  ): Promise<{ before: number; after: number }> {
    const before = (await paywall.balance(clientId)) ?? -1
    const count = settled.length
    await run()
    await expect.poll(() => settled.length).toBe(count + 1)
    await settled[count]
    return { before, after: (await paywall.balance(clientId)) ?? -1 }
  }

  it('keeps a paid answer out of shared caches, whatever the handler said', async () => {
    const res = await fetch(`${server.url}/api/public`, { headers: credential() })
    expect(res.status).toBe(200)
    // The receipt holds the payer's credential: a CDN must never replay it (or the body) to others.
    expect(res.headers.get('cache-control')).toBe('private, no-store')
    expect(res.headers.get('vary')?.toLowerCase()).toContain('payment')
    expect(res.headers.get('vary')?.toLowerCase()).toContain('accept-encoding')
    await res.arrayBuffer()
    await settled.at(-1)
  })

  it('keeps the debit of a paid 404: the request was served, with a 404', async () => {
    const { before, after } = await balanceAround(async () => {
      const res = await fetch(`${server.url}/api/missing`, { headers: credential() })
      expect(res.status).toBe(404)
      expect(decodePaymentResponse(res.headers.get(HEADERS.PAYMENT_RESPONSE))).toMatchObject({
        success: true,
      })
      await res.arrayBuffer()
    })
    expect(after).toBe(before - PRICE)
  })

  it('keeps the debit when the client reads a paid stream and then hangs up', async () => {
    const { before, after } = await balanceAround(
      () =>
        new Promise<void>((resolve, reject) => {
          const req = httpGet(`${server.url}/api/stream`, { headers: credential() }, (res) => {
            expect(res.statusCode).toBe(200)
            res.once('data', (chunk: Buffer) => {
              expect(chunk.toString()).toBe('chunk-1;')
              // The client got what it paid for, then walks away: no refund for that.
              res.destroy()
              resolve()
            })
          })
          req.on('error', reject)
        }),
    )
    expect(after).toBe(before - PRICE)
  })

  it('gives the debit back when the client hangs up before the handler answered', async () => {
    const { before, after } = await balanceAround(async () => {
      const count = settled.length
      const controller = new AbortController()
      const pending = fetch(`${server.url}/api/slow`, {
        headers: credential(),
        signal: controller.signal,
      })
      // Debited and handed to the handler, which has not answered yet.
      await expect.poll(() => settled.length).toBe(count + 1)
      controller.abort()
      await pending.catch(() => {})
    })
    expect(after).toBe(before)
  })

  it('gives the debit back when the client hung up while the engine debited, and never runs the handler', async () => {
    const { before, after } = await balanceAround(async () => {
      let release!: () => void
      let reached!: (key: object | undefined) => void
      const atDebit = new Promise<object | undefined>((resolve) => (reached = resolve))
      hold = { reached, release: new Promise<void>((resolve) => (release = resolve)) }
      const req = httpGet(`${server.url}/api/slow`, { headers: credential() })
      req.on('error', () => {})
      const key = await atDebit
      req.destroy()
      // Until the server has seen the hang-up (its socket, or the Request's signal).
      await expect
        .poll(() =>
          key instanceof Request
            ? key.signal.aborted
            : Boolean((key as { socket?: { destroyed: boolean } })?.socket?.destroyed),
        )
        .toBe(true)
      hold = undefined
      release()
    })
    // /api/slow answers once the client is gone; had it run, the debit would have been kept as served.
    expect(after).toBe(before)
  })

  it('gives the debit back when the handler throws before answering', async () => {
    const { before, after } = await balanceAround(async () => {
      const res = await fetch(`${server.url}/api/throw`, { headers: credential() })
      expect(res.status).toBe(500)
      await res.arrayBuffer()
    })
    expect(after).toBe(before)
  })

  describe('webhook endpoint', () => {
    const event = JSON.stringify({
      id: 'evt_lifecycle',
      object: 'event',
      type: 'customer.created',
      data: { object: {} },
    })
    const signed = () => ({
      'content-type': 'application/json',
      'stripe-signature': Stripe.webhooks.generateTestHeaderString({
        payload: event,
        secret: WEBHOOK_SECRET,
      }),
    })

    it.each(Object.entries(adapter.parsers))(
      'with body parser %s mounted first: %s',
      async (parser, expected) => {
        const app = await adapter.start(paywall, parser as Parser)
        try {
          errors.length = 0
          const res = await fetch(`${app.url}/stripe402/webhook`, {
            method: 'POST',
            body: event,
            headers: signed(),
          })
          const body = (await res.json()) as { error?: string; message?: string }
          if (expected === 'ok') {
            expect({ status: res.status, body }).toMatchObject({
              status: 200,
              body: { received: true },
            })
          } else {
            // The operator's mistake, said plainly: not a silent `invalid_signature` that makes Stripe give up on the endpoint.
            expect({ status: res.status, body }).toMatchObject({
              status: 500,
              body: { error: 'webhook_body_consumed' },
            })
            expect(errors.join('\n')).toMatch(/body parser/i)
          }
        } finally {
          await app.close()
        }
      },
    )

    it('refuses a body over 1 MiB with 413, whether its length is announced or not', async () => {
      const huge = `{"pad":"${'x'.repeat(MIB)}"}`
      for (const chunked of [false, true]) {
        const status = await new Promise<number>((resolve, reject) => {
          const req = httpRequest(`${server.url}/stripe402/webhook`, {
            method: 'POST',
            headers: {
              ...signed(),
              ...(chunked ? {} : { 'content-length': String(Buffer.byteLength(huge)) }),
            },
          })
          req.on('response', (res) => {
            res.resume()
            resolve(res.statusCode ?? 0)
          })
          req.on('error', reject)
          req.end(huge)
        })
        expect(status).toBe(413)
      }
    })
  })
})
