/** Koa 2 and 3 middleware: translates Koa contexts to the stripe402 engine and back. */
import type { Context, Middleware, Next } from 'koa'
import {
  type Paywall,
  type PaywallResponse,
  startPaidNodeResponse,
  type WebhookOutcome,
} from '@stripe402/server'

/** Puts the paywall in front of every middleware after it; mount it before body parsers. */
export function paywallMiddleware(paywall: Paywall): Middleware {
  return async (ctx: Context, next: Next) => {
    // originalUrl survives koa-mount, which rewrites ctx.path; `ctx.url` (under koa-mount's
    // mountPath, which stays set once a mount matched) is what the routers after this dispatch,
    // after a rewrite (koa-rewrite) before it.
    const mountPath = (ctx as { mountPath?: string }).mountPath ?? ''
    const outcome = await paywall.begin(
      {
        method: ctx.method,
        url: ctx.originalUrl,
        headers: { get: (name) => ctx.get(name) || null },
        ...(ctx.url !== ctx.originalUrl && { routed: { url: mountPath + ctx.url } }),
        parsedQuery: ctx.query,
      },
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
        // False when the client hung up while the engine debited: then nothing is served. Settled with
        // the status that went out, thrown errors included (Koa answers `ctx.throw(404)` with a 404).
        if (!startPaidNodeResponse(outcome, ctx.res, ctx.req.socket)) return
        try {
          await next()
        } catch (error) {
          // Koa's error answer drops every header set so far and sets `error.headers`: keep the receipt on it.
          const own =
            error instanceof Error && !ctx.headerSent
              ? (error as { headers?: Record<string, string> }).headers
              : null
          if (own !== null) Reflect.set(error as Error, 'headers', { ...own, ...outcome.headers })
          throw error
        }
      }
    }
  }
}

function send(
  ctx: Context,
  answer: { status: number; headers: Record<string, string>; body: string },
): void {
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
  return outcome.handleStream(ctx.req)
}
