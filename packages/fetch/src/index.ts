/** Web-standard adapter: wraps a `(Request) => Response` handler (Hono, Bun, Deno, Next.js, Workers). */
import {
  keepHeadersPrivate,
  type Paywall,
  type PaywallResponse,
  type WebhookOutcome,
} from '@stripe402/server'

export type FetchHandler = (req: Request) => Response | Promise<Response>

export interface WithPaywallOptions {
  /** The caller's address, for the engine's abuse limits (e.g. from your platform's request context). */
  clientAddress?: (req: Request) => string | undefined
}

/** Returns a handler that answers unpaid requests with 402 and runs `handler` for paid and free ones. */
export function withPaywall(
  paywall: Paywall,
  handler: FetchHandler,
  options: WithPaywallOptions = {},
): (req: Request) => Promise<Response> {
  return async (req) => {
    // Read before anything awaits: some servers (@hono/node-server) only abort a signal that was
    // asked for before the client left.
    const signal = req.signal
    const outcome = await paywall.begin(req, {
      clientAddress: options.clientAddress?.(req),
      key: req,
    })
    switch (outcome.type) {
      case 'free':
        return handler(req)
      case 'deny':
      case 'respond':
        return toResponse(outcome)
      case 'webhook':
        return toResponse(await webhook(req, outcome))
      case 'paid': {
        // The client hung up while the engine debited: nothing is served, the debit is reversed.
        if (signal?.aborted) {
          await outcome.settle(500)
          return new Response(null, { status: 499 })
        }
        let res: Response
        try {
          res = await handler(req)
        } catch (error) {
          await outcome.settle(500)
          throw error
        }
        // The head goes out with this status, so the request counts as served even if the client
        // hangs up mid-body; a client already gone never got an answer.
        await outcome.settle(signal?.aborted ? 500 : res.status)
        return withHeaders(res, outcome.headers)
      }
    }
  }
}

/**
 * Adds the paywall's headers in place, which keeps runtimes' fast paths for plain bodies; a
 * Response with immutable headers (e.g. from fetch() or Response.redirect) is copied instead.
 */
function withHeaders(res: Response, extra: Record<string, string>): Response {
  try {
    const headers = res.headers
    for (const name in extra) headers.set(name, extra[name] as string)
    keepHeadersPrivate(headers)
    return res
  } catch {
    const headers = new Headers(res.headers)
    for (const name in extra) headers.set(name, extra[name] as string)
    keepHeadersPrivate(headers)
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers })
  }
}

function toResponse(answer: {
  status: number
  headers: Record<string, string>
  body: string
}): Response {
  // A 204 (the paywall's answer to a CORS preflight) must have a null body: `new Response('', { status: 204 })` throws.
  return new Response(answer.body === '' ? null : answer.body, {
    status: answer.status,
    headers: answer.headers,
  })
}

/** The bytes Stripe signed, unless something read the body before this handler. */
async function webhook(req: Request, outcome: WebhookOutcome): Promise<PaywallResponse> {
  if (req.bodyUsed)
    return outcome.bodyConsumed('the request body was read before withPaywall saw it')
  return outcome.handleStream(req.body)
}
