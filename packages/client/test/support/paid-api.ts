/**
 * Test-only: a real stripe402 API (the engine behind the Express adapter) charging through
 * the Stripe emulator, with every request the API receives recorded, so tests count round trips.
 */
import type { AddressInfo } from 'node:net'
import { createServer } from 'node:http'
import express from 'express'
import { paywallMiddleware } from '@stripe402/express'
import { decodePaymentPayload, type PaymentPayload } from '@stripe402/protocol'
import { createPaywall, MemoryLedger, type Paywall, type RouteConfig } from '@stripe402/server'
import type { StripeEmulator } from '@stripe402/stripe-emulator'

export interface ApiRequest {
  method: string
  path: string
  payment?: PaymentPayload
  /** The raw body as received (hex), so tests can compare what each send carried. */
  body: string
  contentType?: string
}

export interface PaidApi {
  url: string
  paywall: Paywall
  /** Every request the API received, oldest first. */
  requests: ApiRequest[]
  /** Price of `GET /api/dynamic`, changeable while running. */
  price: { current: number }
  /** While set, `GET /api/slow` (paid, 500) holds its answer until the promise settles; `arrived` fires as it starts holding. */
  hold: { until?: Promise<void>; arrived?: () => void }
  /** Where `GET /moved` (free) and `GET /api/moved` (paid, 500) redirect with a 302; default `/free`. */
  redirect: { to?: string }
  close(): Promise<void>
}

/** Routes: `GET /api/joke` 500 units, `POST /api/echo` 500 (echoes the body), `GET /api/dynamic` (see `price`), `GET /api/whole` 50,000, `GET /api/slow` 500 (see `hold`), `GET /api/moved` 500 (see `redirect`); min top-up 50,000 ($5). */
export async function startPaidApi(
  emulator: StripeEmulator,
  options: {
    routes?: Record<string, RouteConfig>
    /** Other origins clients reach it by (a name a test's fetch rewrites to it, as a proxy would), listed in its `origins`. */
    aliases?: string[]
    /** Listen on this port: a restart with a fresh ledger at the same origin (a wiped ledger). */
    port?: number
  } = {},
): Promise<PaidApi> {
  const keys = emulator.keys()
  const price = { current: 500 }
  const hold: PaidApi['hold'] = {}
  const redirect: PaidApi['redirect'] = {}
  // Listen first: the paywall binds PaymentMethods to the origin clients reach it by (spec §7.4).
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const paywall = createPaywall({
    stripe: {
      secretKey: keys.secretKey,
      publishableKey: keys.publishableKey,
      apiBase: emulator.url,
      maxNetworkRetries: 0,
    },
    secret: 'client-test-secret',
    ledger: new MemoryLedger(),
    routes: options.routes ?? {
      'GET /api/joke': { amount: 500, minTopUp: 50_000 },
      'POST /api/echo': { amount: 500, minTopUp: 50_000 },
      'GET /api/dynamic': { amount: () => price.current, minTopUp: 50_000 },
      'GET /api/whole': { amount: 50_000, minTopUp: 50_000 },
      'GET /api/slow': { amount: 500, minTopUp: 50_000 },
      'GET /api/moved': { amount: 500, minTopUp: 50_000 },
    },
    origins: [url, ...(options.aliases ?? [])],
    logger: { warn: () => {}, error: () => {} },
  })
  const requests: ApiRequest[] = []
  const app = express()
  // Read before the paywall so every send's body is recorded, paid or not (the adapter accepts a Buffer body).
  app.use(express.raw({ type: () => true, limit: '1mb' }))
  app.use((req, _res, next) => {
    const header = req.headers.payment
    let payment: PaymentPayload | undefined
    try {
      payment = typeof header === 'string' ? decodePaymentPayload(header) : undefined
    } catch {
      payment = undefined
    }
    const body = Buffer.isBuffer(req.body) ? req.body.toString('hex') : ''
    const contentType = req.headers['content-type']
    requests.push({
      method: req.method,
      path: req.path,
      ...(payment ? { payment } : {}),
      body,
      ...(contentType ? { contentType } : {}),
    })
    next()
  })
  app.use(paywallMiddleware(paywall))
  app.get('/api/joke', (_req, res) => void res.json({ joke: 'A 402 walks into a bar.' }))
  app.get('/api/dynamic', (_req, res) => void res.json({ price: price.current }))
  app.get('/api/whole', (_req, res) => void res.json({ whole: true }))
  app.get('/api/slow', async (_req, res) => {
    hold.arrived?.()
    await hold.until
    res.json({ slow: true })
  })
  app.get('/free', (_req, res) => void res.json({ free: true }))
  app.get('/health', (_req, res) => void res.json({ ok: true }))
  app.get(['/moved', '/api/moved'], (_req, res) => res.redirect(302, redirect.to ?? '/free'))
  // Unpriced by default; price it (e.g. with a wildcard route) to get a paid handler failure.
  app.get('/api/broken', (_req, res) => void res.status(500).json({ error: 'broken' }))
  app.post('/api/echo', (req, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
    res.json({
      body: body.toString('utf8'),
      bytes: body.toString('hex'),
      contentType: req.headers['content-type'] ?? null,
    })
  })
  server.on('request', app)
  return {
    url,
    paywall,
    requests,
    price,
    hold,
    redirect,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
