/** Express 4 and 5 middleware: translates Express requests to the stripe402 engine and back. */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import {
  type Paywall,
  type PaywallResponse,
  startPaidNodeResponse,
  type WebhookOutcome,
} from '@stripe402/server'

/**
 * Puts the paywall in front of every route registered after it. Mount it before body
 * parsers so the webhook endpoint receives the raw body Stripe signed.
 */
export function paywallMiddleware(paywall: Paywall): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    handle(paywall, req, res, next).catch(next)
  }
}

async function handle(
  paywall: Paywall,
  req: Request,
  res: Response,
  next: NextFunction,
): Promise<void> {
  // originalUrl is the path the client sent, whatever app or router this is mounted on; the router
  // dispatches `baseUrl + url` (after a rewrite) and `method` (after an override, which keeps `originalMethod`).
  const outcome = await paywall.begin(
    {
      method: (req as { originalMethod?: string }).originalMethod ?? req.method,
      url: req.originalUrl,
      headers: { get: (name) => header(req, name) },
      routed: { method: req.method, url: req.baseUrl + req.url },
      parsedQuery: req.query,
    },
    { clientAddress: req.ip ?? req.socket.remoteAddress, key: req },
  )
  switch (outcome.type) {
    case 'free':
      return next()
    case 'deny':
    case 'respond':
      return send(res, outcome)
    case 'webhook':
      return send(res, await webhook(req, outcome))
    case 'paid':
      // False when the client hung up while the engine debited: then nothing is served.
      if (startPaidNodeResponse(outcome, res, req.socket)) next()
      return
  }
}

function send(
  res: Response,
  answer: { status: number; headers: Record<string, string>; body: string },
): void {
  res.status(answer.status).set(answer.headers).end(answer.body)
}

function header(req: Request, name: string): string | null {
  const value = req.headers[name.toLowerCase()]
  return Array.isArray(value) ? value.join(', ') : (value ?? null)
}

/** The bytes Stripe signed: what a raw or text parser left in `req.body`, else the unread stream. */
async function webhook(req: Request, outcome: WebhookOutcome): Promise<PaywallResponse> {
  const body: unknown = req.body
  if (Buffer.isBuffer(body) || typeof body === 'string') return outcome.handle(body)
  if (req.readableEnded || req.readableDidRead) {
    return outcome.bodyConsumed(
      `express.json() or another body parser ran first and left req.body as ${body === null ? 'null' : typeof body}`,
    )
  }
  return outcome.handleStream(req)
}
