/** The example paid API: a small Express app priced per route with stripe402. */
import { paywallMiddleware } from '@stripe402/express'
import type { Paywall, PaywallConfig, PricingRequest } from '@stripe402/server'
import express, { type Express } from 'express'

/** The days a report covers: `?days=`, from 1 to 365, 1 when absent or not a number. The price and the report agree on it. */
const reportDays = (days: unknown): number => Math.min(365, Math.max(1, Number(days) || 1))

/** Prices in units: 1 unit = 1/10,000 of a dollar, so 500 = $0.05. */
export const ROUTES = {
  'GET /api/joke': {
    amount: 500,
    minTopUp: 50000,
    description: 'A programming joke',
    mimeType: 'application/json',
  },
  'GET /api/forecast/:city': {
    amount: 2500,
    minTopUp: 50000,
    description: 'A 7-day forecast for a city',
  },
  'POST /api/summarize': {
    amount: 1000,
    minTopUp: 50000,
    description: 'Summarize a JSON document',
  },
  // Dynamic pricing: the longer the report, the more it costs (100 units per day, at least one day).
  // `parsedQuery` is Express's own `req.query`, which the handler reads too: `?days[]=365` is one
  // value to both, however the Express version parses it.
  'GET /api/report': {
    amount: (req: PricingRequest) => 100 * reportDays(req.parsedQuery.days),
    minTopUp: 50000,
    description: 'A usage report priced per day covered',
  },
  'GET /api/ticker': {
    amount: 1500,
    minTopUp: 50000,
    description: 'A streamed price ticker',
    mimeType: 'text/event-stream',
  },
} satisfies PaywallConfig['routes']

const JOKES = [
  'There are 10 kinds of people: those who understand binary and those who do not.',
  'A 402 walks into a bar. The bartender says: that will be five cents.',
  'Why do programmers prefer dark mode? Because light attracts bugs.',
]

export function createApp(paywall: Paywall): Express {
  const app = express()
  app.get('/health', (_req, res) => {
    res.json({ ok: true })
  })
  // Everything after this line is priced by ROUTES; unlisted routes stay free.
  app.use(paywallMiddleware(paywall))
  let jokes = 0
  app.get('/api/joke', (_req, res) => {
    res.json({ joke: JOKES[jokes++ % JOKES.length] })
  })
  app.get('/api/forecast/:city', (req, res) => {
    const days = Array.from({ length: 7 }, (_, i) => ({
      day: i + 1,
      high: 18 + ((i * 7) % 5),
      low: 9 + ((i * 3) % 4),
    }))
    res.json({ city: req.params.city, days })
  })
  app.post('/api/summarize', express.json(), (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>
    res.json({ keys: Object.keys(body), size: JSON.stringify(body).length })
  })
  app.get('/api/report', (req, res) => {
    const days = reportDays(req.query.days)
    res.json({ days, requests: days * 42 })
  })
  app.get('/api/ticker', async (_req, res) => {
    res.setHeader('content-type', 'text/event-stream')
    for (let i = 0; i < 3; i++) {
      res.write(`data: ${JSON.stringify({ tick: i, price: 100 + i })}\n\n`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    res.end()
  })
  return app
}
