/** Test-only: a stripe402 API (engine + Express adapter + MemoryLedger) charging through the Stripe emulator, recording what it receives. */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { paywallMiddleware } from '@stripe402/express'
import { createPaywall, MemoryLedger, type Paywall } from '@stripe402/server'
import type { StripeEmulator } from '@stripe402/stripe-emulator'
import express from 'express'

export interface Received {
  method: string
  path: string
  /** Every header as received, lower-case names. */
  headers: Record<string, string | string[] | undefined>
  body: string
  /** The same bytes in hex, for binary bodies. */
  hex: string
}

export interface PaidApi {
  url: string
  paywall: Paywall
  received: Received[]
  /** Where `GET /moved` and `GET /api/moved` send a 302. */
  redirect: { to: string }
  close(): Promise<void>
}

/** `GET /api/joke` 500 units, `POST /api/echo` 500, `GET /api/dear` 5,000, `GET /api/moved` 500 (302), `GET /free`, `GET /moved` (302); top-ups from 50,000. */
export async function startPaidApi(emulator: StripeEmulator): Promise<PaidApi> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const keys = emulator.keys()
  const paywall = createPaywall({
    stripe: {
      secretKey: keys.secretKey,
      publishableKey: keys.publishableKey,
      apiBase: emulator.url,
      maxNetworkRetries: 0,
    },
    secret: 'treasury-test-secret',
    ledger: new MemoryLedger(),
    routes: {
      'GET /api/joke': { amount: 500, minTopUp: 50_000 },
      'POST /api/echo': { amount: 500, minTopUp: 50_000 },
      'GET /api/dear': { amount: 5_000, minTopUp: 50_000 },
      'GET /api/moved': { amount: 500, minTopUp: 50_000 },
    },
    origins: [url],
    logger: { warn: () => {}, error: () => {} },
  })
  const received: Received[] = []
  const redirect = { to: '/free' }
  const app = express()
  app.use(express.raw({ type: () => true, limit: '1mb' }))
  app.use((req, _res, next) => {
    received.push({
      method: req.method,
      path: req.path,
      headers: { ...req.headers },
      body: Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '',
      hex: Buffer.isBuffer(req.body) ? req.body.toString('hex') : '',
    })
    next()
  })
  app.use(paywallMiddleware(paywall))
  app.get('/api/joke', (_req, res) => void res.json({ joke: 'A 402 walks into a bar.' }))
  app.get('/api/dear', (_req, res) => void res.json({ dear: true }))
  app.post('/api/echo', (req, res) => {
    res.json({
      body: Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '',
      contentType: req.headers['content-type'] ?? null,
      custom: req.headers['x-custom'] ?? null,
    })
  })
  app.get('/free', (_req, res) => {
    res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; Path=/'])
    res.json({ free: true })
  })
  app.get(['/moved', '/api/moved'], (_req, res) => res.redirect(302, redirect.to))
  server.on('request', app)
  return {
    url,
    paywall,
    received,
    redirect,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
