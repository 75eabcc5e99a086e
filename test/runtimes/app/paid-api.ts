/** The small paid API that Bun, Deno and workerd serve with `withPaywall`; Web APIs only, no Node. */
import { withPaywall } from '@stripe402/fetch'
import { createPaywall, MemoryLedger } from '@stripe402/server'

/** Baked into each runtime's bundle by esbuild (`define`), so the paywall is built at module scope as the README shows. */
export interface PaidApiConfig {
  secretKey: string
  publishableKey: string
  /** The Stripe emulator, running in the Node test process. */
  apiBase: string
}

/** The prices of the adapter suite's routes (test/adapters/servers.ts); `/health` and `/__test/*` stay free. */
export const RUNTIME_ROUTES = {
  'GET /api/joke': { amount: 500, minTopUp: 50_000, description: 'A joke' },
  'GET /api/fail': { amount: 500 },
  'GET /api/throw': { amount: 500 },
  'GET /api/stream': { amount: 500 },
}

/**
 * Builds the paywall and the handler. `/__test/state` lets the Node side read the ledger and the
 * handler runs that live inside the runtime; `/__test/release` lets the streaming handler send
 * its second chunk, so a test can prove the first one arrived before the handler finished.
 */
export function createPaidApi(
  config: PaidApiConfig,
): (req: Request, clientAddress?: string) => Promise<Response> {
  const paywall = createPaywall({
    stripe: {
      secretKey: config.secretKey,
      publishableKey: config.publishableKey,
      apiBase: config.apiBase,
      maxNetworkRetries: 0,
    },
    secret: 'runtime-suite-secret-that-is-long-enough-0123456789',
    ledger: new MemoryLedger(),
    routes: RUNTIME_ROUTES,
    webhook: { secret: 'whsec_runtime_suite' },
    rateLimits: false,
  })
  /** Handler runs per path: proves a priced handler never ran unpaid. */
  const hits = new Map<string, number>()
  const held = new Set<{ released: boolean }>()
  /**
   * Polls instead of awaiting a promise that `/__test/release` resolves: workerd cancels a request
   * whose only pending work is a promise another request would settle (it looks hung).
   */
  const streamGate = async () => {
    const gate = { released: false }
    held.add(gate)
    for (let waited = 0; !gate.released && waited < 20_000; waited += 5)
      await new Promise((resolve) => setTimeout(resolve, 5))
    held.delete(gate)
  }
  const encoder = new TextEncoder()

  const api = async (req: Request): Promise<Response> => {
    const { pathname } = new URL(req.url)
    hits.set(pathname, (hits.get(pathname) ?? 0) + 1)
    switch (pathname) {
      case '/health':
        return new Response('ok', { headers: { 'content-type': 'text/plain; charset=utf-8' } })
      case '/api/joke':
        return Response.json({ path: pathname, joke: 'A 402 walks into a bar.' })
      case '/api/fail':
        return Response.json({ error: 'boom' }, { status: 500 })
      case '/api/throw':
        throw new Error('handler threw')
      case '/api/stream': {
        const body = new ReadableStream<Uint8Array>({
          async start(controller) {
            controller.enqueue(encoder.encode('chunk-1;'))
            await streamGate()
            controller.enqueue(encoder.encode('chunk-2'))
            controller.close()
          },
        })
        return new Response(body, { headers: { 'content-type': 'text/plain' } })
      }
      default:
        return new Response('not found', { status: 404 })
    }
  }
  const paid = (req: Request, clientAddress?: string) =>
    withPaywall(paywall, api, { clientAddress: () => clientAddress })(req)

  return async (req, clientAddress) => {
    const url = new URL(req.url)
    if (url.pathname === '/__test/state') {
      const clientId = url.searchParams.get('clientId')
      const balance = clientId ? await paywall.balance(clientId) : null
      return Response.json({ balance, hits: Object.fromEntries(hits) })
    }
    if (url.pathname === '/__test/release') {
      for (const gate of held) gate.released = true
      return Response.json({ released: held.size })
    }
    try {
      return await paid(req, clientAddress)
    } catch {
      // What a platform does with a handler that threw: a bare 500 (the debit is already reversed).
      return new Response('internal error', { status: 500 })
    }
  }
}
