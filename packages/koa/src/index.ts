/** Koa 2 and 3 middleware: translates Koa contexts to the stripe402 engine and back. */
import type { Context, Middleware, Next } from 'koa'
import { keepNodeResponsePrivate, type Paywall, type PaywallResponse, type WebhookOutcome } from '@stripe402/server'

/** Puts the paywall in front of every middleware after it; mount it before body parsers. */
export function paywallMiddleware(paywall: Paywall): Middleware {
  return async (ctx: Context, next: Next) => {
    // originalUrl survives koa-mount, which rewrites ctx.path.
    const outcome = await paywall.begin(
      { method: ctx.method, url: ctx.originalUrl, headers: { get: (name) => ctx.get(name) || null } },
      { clientAddress: ctx.ip, key: ctx.req },
    )
    switch (outcome.type) {
      case 'free':
        return next()
      case 'deny':
      case 'respond':
        return send(ctx, outcome)
      case 'webhook':
        return send(ctx, await webhook(ctx, outcome))
      case 'paid': {
        // The client may have hung up while the engine debited: then nothing is served.
        if (ctx.req.socket.destroyed) return void outcome.settle(500)
        ctx.set(outcome.headers)
        keepNodeResponsePrivate(ctx.res)
        // Settled with the status that went out, thrown errors included (Koa answers `ctx.throw(404)`
        // with a 404): once the head is out the request was served; closed before it, it never was.
        ctx.res.once('close', () => void outcome.settle(ctx.res.headersSent ? ctx.res.statusCode : 500))
        try {
          await next()
        } catch (error) {
          // Koa's error answer drops every header set so far and sets `error.headers`: keep the receipt on it.
          const own = error instanceof Error && !ctx.headerSent ? (error as { headers?: Record<string, string> }).headers : null
          if (own !== null) Reflect.set(error as Error, 'headers', { ...own, ...outcome.headers })
          throw error
        }
      }
    }
  }
}

function send(ctx: Context, answer: { status: number; headers: Record<string, string>; body: string }): void {
  ctx.status = answer.status
  ctx.set(answer.headers)
  ctx.body = answer.body
  ctx.type = answer.headers['content-type'] ?? 'application/json'
}

/** The bytes Stripe signed: `ctx.request.rawBody` when a body parser kept it (koa-bodyparser does), else the unread stream. */
async function webhook(ctx: Context, outcome: WebhookOutcome): Promise<PaywallResponse> {
  const raw: unknown = (ctx.request as { rawBody?: unknown }).rawBody
  if (typeof raw === 'string' || raw instanceof Uint8Array) return outcome.handle(raw)
  if (ctx.req.readableEnded || ctx.req.readableDidRead) {
    return outcome.bodyConsumed('a body parser ran first and kept no ctx.request.rawBody')
  }
  const chunks: Buffer[] = []
  let size = 0
  // Past the cap the rest is read and dropped: memory stays bounded and `handle` answers 413.
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    if (size <= outcome.maxBytes) chunks.push(chunk)
    size += chunk.length
  }
  return outcome.handle(Buffer.concat(chunks))
}
