/** The app under test on each adapter: a free route and a paid route with the same handler, behind one paywall. */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import { paywallMiddleware as expressPaywall } from '@stripe402/express'
import { withPaywall } from '@stripe402/fetch'
import { paywallMiddleware as koaPaywall } from '@stripe402/koa'
import type { Paywall } from '@stripe402/server'
import express from 'express'
import { Hono } from 'hono'
import Koa from 'koa'
import { HEADERS } from '@stripe402/protocol'
import { type AdapterName, FREE_PATH, PAID_PATH, type ServerStats, WIRE_PATH } from './ipc'

/** The body both routes answer, so the only difference between them is the paywall's work. */
const BODY = { joke: 'A 402 walks into a bar and asks for credit.' }

/** The headers the paywall adds to a paid answer (the receipt, and what keeps caches and CORS right). */
export const PAID_ANSWER_HEADERS = [
  HEADERS.PAYMENT_RESPONSE,
  'cache-control',
  'vary',
  'access-control-expose-headers',
] as const

/** Builds the app the way its framework's users would, and returns a node:http listener. */
export function appListener(
  adapter: AdapterName,
  paywall: Paywall,
  stats: ServerStats,
): RequestListener {
  const served = stats.served
  switch (adapter) {
    case 'express': {
      const app = express()
      app.use(expressPaywall(paywall))
      // The paywall's headers of the second paid answer, for WIRE_PATH to send again: the first is
      // the bench's top-up (a longer receipt), the second is the credit path, as under load.
      let paidHeaders: Array<[string, string]> | undefined
      app.get(FREE_PATH, (_req, res) => {
        served.free++
        res.json(BODY)
      })
      app.get(PAID_PATH, (_req, res) => {
        served.paid++
        // Once the answer is sent: the paywall sets Cache-Control and Vary as the head is written.
        if (served.paid === 2)
          res.once('finish', () => {
            paidHeaders = PAID_ANSWER_HEADERS.map((name) => [name, String(res.getHeader(name))])
          })
        res.json(BODY)
      })
      app.get(WIRE_PATH, (_req, res) => {
        served.wire++
        if (paidHeaders) for (const [name, value] of paidHeaders) res.setHeader(name, value)
        res.json(BODY)
      })
      return app as unknown as RequestListener
    }
    case 'koa': {
      const app = new Koa()
      app.silent = true
      app.use(koaPaywall(paywall))
      app.use(async (ctx) => {
        if (ctx.method !== 'GET') return
        if (ctx.path === FREE_PATH) {
          served.free++
          ctx.body = BODY
        } else if (ctx.path === PAID_PATH) {
          served.paid++
          ctx.body = BODY
        }
      })
      return app.callback()
    }
    case 'fetch': {
      const app = new Hono()
      app.get(FREE_PATH, (c) => {
        served.free++
        return c.json(BODY)
      })
      app.get(PAID_PATH, (c) => {
        served.paid++
        return c.json(BODY)
      })
      return getRequestListener(withPaywall(paywall, (req) => app.fetch(req))) as RequestListener
    }
  }
}

/** Counts every request per path before the app sees it (one map update: the same cost on both routes). */
export function counting(listener: RequestListener, stats: ServerStats): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const path = q === -1 ? url : url.slice(0, q)
    const key = path === FREE_PATH || path === PAID_PATH || path === WIRE_PATH ? path : 'other'
    stats.requests[key] = (stats.requests[key] ?? 0) + 1
    listener(req, res)
  }
}
