/** Test-only: a paid HTTP API (fetch adapter on @hono/node-server) and a paid MCP tool server (Streamable HTTP), both on listen(0). */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { withPaywall } from '@stripe402/fetch'
import type { Paywall } from '@stripe402/server'
import type { StripeEmulator } from '@stripe402/stripe-emulator'
import { z } from 'zod'
import { serveMcpHttp } from '../src/http/serve'
import { paidTool, toolRoutes } from '../src/operator/paid-tool'
import { paywallFor } from './stack'
// The repository's example API (apps/example): the acceptance runs against it, not a look-alike.
import { createApp, ROUTES } from '../../../apps/example/src/app'

export interface RunningApi {
  url: string
  paywall: Paywall
  close(): Promise<void>
}

/**
 * The example API (apps/example, Express) on listen(0) with its own ROUTES: `GET /api/joke` 500
 * units, `GET /api/report?days=N` 100 per day, top-ups from 50,000 ($5); `GET /health` free.
 */
export async function startExampleApi(emulator: StripeEmulator): Promise<RunningApi> {
  // The paywall binds PaymentMethods to the origin, known once the port is: the app comes after.
  let app: ReturnType<typeof createApp> | undefined
  const server = createServer((req, res) => {
    if (app) app(req, res)
    else res.writeHead(503).end('starting')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const paywall = paywallFor(emulator, ROUTES, [url])
  app = createApp(paywall)
  return {
    url,
    paywall,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** `GET /api/joke` 500 units, `GET /api/whole` 50,000, top-ups from 50,000 ($5); `GET /free` free. */
export async function startPaidApi(emulator: StripeEmulator): Promise<RunningApi> {
  let paywall: Paywall | undefined
  const app = async (req: Request): Promise<Response> => {
    if (!paywall) return new Response('starting', { status: 503 })
    return withPaywall(paywall, (r) => {
      const path = new URL(r.url).pathname
      if (path === '/api/joke') return Response.json({ joke: 'A 402 walks into a bar.' })
      if (path === '/api/whole') return Response.json({ whole: true })
      if (path === '/free') return Response.json({ free: true })
      return new Response('not found', { status: 404 })
    })(req)
  }
  const server = serve({ fetch: app, port: 0, hostname: '127.0.0.1' })
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  paywall = paywallFor(
    emulator,
    {
      'GET /api/joke': { amount: 500, minTopUp: 50_000, description: 'A joke' },
      'GET /api/whole': { amount: 50_000, minTopUp: 50_000 },
    },
    [url],
  )
  return {
    url,
    paywall,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

export interface RunningTools {
  /** The Streamable HTTP endpoint. */
  url: string
  paywall: Paywall
  /** Runs of each tool: a tool must never run unpaid. */
  runs: Record<string, number>
  close(): Promise<void>
}

/** An MCP server with `forecast` (500 units a call) and `broken` (500, always throws), top-ups from 50,000. */
export async function startPaidTools(emulator: StripeEmulator): Promise<RunningTools> {
  const runs: Record<string, number> = {}
  let paywall: Paywall | undefined
  const build = () => {
    const server = new McpServer({ name: 'weather', version: '1.0.0' })
    if (!paywall) return server
    paidTool(
      server,
      paywall,
      'forecast',
      { description: 'Weather forecast', inputSchema: { city: z.string() } },
      async ({ city }) => {
        runs.forecast = (runs.forecast ?? 0) + 1
        return { content: [{ type: 'text', text: `${city}: sunny` }] }
      },
    )
    paidTool(server, paywall, 'broken', {}, async () => {
      runs.broken = (runs.broken ?? 0) + 1
      throw new Error('the forecast service is down')
    })
    return server
  }
  const running = await serveMcpHttp(build)
  paywall = paywallFor(
    emulator,
    toolRoutes({
      forecast: { amount: 500, minTopUp: 50_000 },
      broken: { amount: 500, minTopUp: 50_000 },
    }),
    [new URL(running.url).origin],
  )
  return { url: running.url, paywall, runs, close: running.close }
}
