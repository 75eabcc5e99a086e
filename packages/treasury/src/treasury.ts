/** `createTreasury`: the service as one fetch-style handler (Agent API, Admin API, dashboard), and `listen` to serve it. */
import type { Card, PaymentEvent } from '@stripe402/client'
import type { PaymentRequirements } from '@stripe402/protocol'
import { dashboard } from './dashboard/routes'
import { TreasuryError } from './errors'
import { adminApi } from './http/admin-api'
import { getMe, postFetch } from './http/agent-api'
import { type Listening, listen } from './http/node'
import { errorResponse, json, toTreasuryError } from './http/respond'
import type { CallDeps } from './relay/call'
import { createEngine, type TopUpPolicy } from './relay/engine'
import { relayFetch, type TransportOptions } from './relay/transport'
import type { TreasuryStore } from './store/types'

export interface TreasuryLogger {
  warn(message: string): void
  error(message: string): void
}

export interface TreasuryOptions {
  store: TreasuryStore
  /** Authenticates the Admin API and the dashboard login; at least 24 characters. */
  adminToken: string
  /** The card: tokenized by the treasury only, sent nowhere but the Stripe API's tokenization endpoint. */
  card?: Card
  /** Or PaymentMethods from your own code (`null` declines); wins over `card`. */
  paymentMethod?: (requirements: PaymentRequirements, origin: string) => Promise<string | null>
  /** Default `https://api.stripe.com` (the emulator's URL in tests). */
  stripeApiBase?: string
  /** How large the treasury's top-ups are and the budget of card charges. */
  topUps?: TopUpPolicy
  /** Idle time before an upstream request fails with `upstream_timeout`; default 30,000 ms. */
  upstreamTimeoutMs?: number
  /** Largest request body the treasury reads; default 1 MiB. */
  maxBodyBytes?: number
  /** Calls with no settlement after this long count at what they held; default 10 minutes. */
  staleCallMs?: number
  onEvent?: (event: PaymentEvent) => void
  /** Where failures that do not change an answer are reported; never given secrets. Default `console`. */
  logger?: TreasuryLogger
  now?: () => number
  /** For tests: how upstream requests are sent (default: `node:http` with address checks). */
  transport?: (url: string, init: RequestInit, options: TransportOptions) => Promise<Response>
  /** For tests: how requests reach the Stripe API (default: `globalThis.fetch`). */
  stripeFetch?: typeof fetch
}

export interface Treasury {
  handler(request: Request): Promise<Response>
  /** Serves the handler on `node:http`. */
  listen(port?: number, host?: string): Promise<Listening>
  /** Stops the periodic sweep of stale calls (the store is the caller's to close). */
  close(): void
}

export function createTreasury(options: TreasuryOptions): Treasury {
  if (typeof options.adminToken !== 'string' || options.adminToken.length < 24)
    throw new Error('treasury: adminToken must be at least 24 characters')
  if (!options.card && !options.paymentMethod)
    throw new Error('treasury: give it a card or a paymentMethod callback; it pays for every agent')
  const now = options.now ?? Date.now
  const logger = options.logger ?? console
  const engine = createEngine({
    store: options.store,
    ...(options.card ? { card: options.card } : {}),
    ...(options.paymentMethod ? { paymentMethod: options.paymentMethod } : {}),
    ...(options.stripeApiBase ? { stripeApiBase: options.stripeApiBase } : {}),
    ...(options.topUps ? { topUps: options.topUps } : {}),
    ...(options.stripeFetch ? { stripeFetch: options.stripeFetch } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    now,
  })
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576
  const onError = (message: string, error: unknown) =>
    logger.error(`stripe402 treasury: ${message}: ${toTreasuryError(error).code}`)
  const calls: CallDeps = {
    engine,
    store: options.store,
    now,
    transport: options.transport ?? relayFetch,
    timeoutMs: options.upstreamTimeoutMs ?? 30_000,
    creditCurrency: async (origin) => {
      const wallet = await engine.pay.wallet()
      return wallet.origins.find((o) => o.origin === origin && o.creditsRemaining > 0)?.currency
    },
    onError,
  }
  const agentDeps = { ...calls, maxBodyBytes }
  const adminDeps = {
    store: options.store,
    now,
    stripeOrigin: engine.stripeOrigin,
    adminToken: options.adminToken,
    maxBodyBytes,
  }

  const staleCallMs = options.staleCallMs ?? 600_000
  const sweep = setInterval(
    () => {
      const at = now()
      options.store
        .abandonStale(at - staleCallMs, at)
        .catch((error) => onError('could not sweep stale calls', error))
    },
    Math.min(staleCallMs, 60_000),
  )
  sweep.unref?.()

  async function route(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url)
    if (pathname === '/v1/fetch') {
      if (request.method !== 'POST') throw new TreasuryError('method_not_allowed', 'Use POST.')
      return postFetch(request, agentDeps)
    }
    if (pathname === '/v1/me') {
      if (request.method !== 'GET') throw new TreasuryError('method_not_allowed', 'Use GET.')
      return getMe(request, agentDeps)
    }
    if (pathname.startsWith('/v1/admin/'))
      return adminApi(request, pathname.slice('/v1/admin/'.length), adminDeps)
    if (pathname === '/dashboard' || pathname.startsWith('/dashboard/'))
      return dashboard(request, pathname.slice('/dashboard'.length), adminDeps)
    if (pathname === '/')
      return new Response(null, { status: 303, headers: { location: '/dashboard' } })
    if (pathname === '/healthz') return json(200, { ok: true })
    if (pathname === '/favicon.ico') return new Response(null, { status: 204 })
    throw new TreasuryError('not_found', 'No such endpoint.')
  }

  const handler = async (request: Request): Promise<Response> => {
    try {
      return await route(request)
    } catch (error) {
      const known = toTreasuryError(error)
      if (known.code === 'internal_error')
        onError(`${request.method} ${new URL(request.url).pathname} failed`, error)
      return errorResponse(known)
    }
  }

  return {
    handler,
    listen: (port, host) => listen(handler, port, host),
    close: () => clearInterval(sweep),
  }
}
