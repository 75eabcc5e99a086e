/**
 * A paid API in a process of its own, for the cross-process suites. Run with tsx and one JSON
 * environment variable (`PaidServerOptions`); prints `READY {"url","control"}` once it listens.
 * Its paywall logs and events go to stderr and stdout, so the parent can scan them.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createPaywall,
  type Ledger,
  LedgerUnavailableError,
  type Paywall,
  PostgresLedger,
  type RateLimitsConfig,
  RedisLedger,
  SqliteLedger,
} from '@stripe402/server'
import { PAID_ORIGIN } from './payments'

export interface PaidServerOptions {
  adapter: 'express' | 'koa' | 'fetch'
  /** Fixed port (a restarted server takes over its predecessor's); 0 or absent picks one. */
  port?: number
  stripe: {
    secretKey: string
    publishableKey: string
    apiBase: string
    timeoutMs?: number
    maxNetworkRetries?: number
  }
  secret: string
  ledger:
    | { kind: 'redis'; url: string; prefix: string }
    | { kind: 'postgres'; url: string; schema: string }
    | { kind: 'sqlite'; path: string }
  /** Paid routes, all served by one handler that counts its invocations. */
  routes: Record<string, { amount: number; minTopUp?: number }>
  webhookSecret?: string
  rateLimits?: RateLimitsConfig
  lockWaitMs?: number
  /** Kill this process with SIGKILL the moment the engine is about to credit a top-up (after Stripe charged). */
  crashBeforeTopUpCredit?: boolean
  /** The ledger goes down (every call throws, as in an outage) when the first credential is about to be stored. */
  cutLedgerAtIssueCredential?: boolean
  /** Public origins (default the hardening suites' PAID_ORIGIN). */
  origins?: string[]
  holdMs?: number
  settleBatchMs?: number
}

const OPTIONS_ENV = 'STRIPE402_PAID_SERVER'

const options = JSON.parse(process.env[OPTIONS_ENV] ?? 'null') as PaidServerOptions | null
if (!options) throw new Error(`${OPTIONS_ENV} is not set`)

let hits = 0
const paidPaths = new Set(Object.keys(options.routes).map((key) => key.replace(/^[A-Z]+ /, '')))

/**
 * A switch between the paywall and its store: while `down`, every ledger call (held debits too)
 * throws as a store in an outage does. The store itself stays up for the test and other processes.
 */
const outage = { down: false }
const ledger = withOutageSwitch(
  withCrashHook(await openLedger(options.ledger), options.crashBeforeTopUpCredit === true),
  options.cutLedgerAtIssueCredential === true,
)
const paywall = createPaywall({
  stripe: options.stripe,
  secret: options.secret,
  ledger,
  origins: options.origins ?? [PAID_ORIGIN],
  ...(options.holdMs !== undefined && { holdMs: options.holdMs }),
  ...(options.settleBatchMs !== undefined && { settleBatchMs: options.settleBatchMs }),
  routes: options.routes,
  ...(options.webhookSecret !== undefined && { webhook: { secret: options.webhookSecret } }),
  ...(options.rateLimits !== undefined && { rateLimits: options.rateLimits }),
  ...(options.lockWaitMs !== undefined && { lockWaitMs: options.lockWaitMs }),
  logger: {
    warn: (message, meta) =>
      process.stderr.write(`LOG warn ${message} ${JSON.stringify(meta ?? {})}\n`),
    error: (message, meta) =>
      process.stderr.write(`LOG error ${message} ${JSON.stringify(meta ?? {})}\n`),
  },
  onEvent: (event) => process.stdout.write(`EVENT ${JSON.stringify(event)}\n`),
})

const app = await startApp(options.adapter, paywall, options.port ?? 0)
const control = await listen(
  createServer(async (req, res) => {
    const answer = (status: number, value: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
    try {
      if (req.url === '/hits') return answer(200, { hits })
      if (req.url === '/ledger/down' && req.method === 'POST') {
        outage.down = true
        return answer(200, { down: true })
      }
      if (req.url === '/ledger/up' && req.method === 'POST') {
        outage.down = false
        return answer(200, { down: false })
      }
      if (req.url === '/reconcile' && req.method === 'POST')
        return answer(200, await paywall.reconcile())
      answer(404, { error: 'not_found' })
    } catch (error) {
      answer(500, { error: error instanceof Error ? error.message : String(error) })
    }
  }),
  0,
)
process.stdout.write(`READY ${JSON.stringify({ url: app, control })}\n`)
process.on('SIGTERM', () => process.exit(0))

async function openLedger(config: PaidServerOptions['ledger']): Promise<Ledger> {
  if (config.kind === 'redis') {
    const { Redis } = await import('ioredis')
    const client = new Redis(config.url, { ...RedisLedger.clientOptions, lazyConnect: true })
    client.on('error', () => {})
    await client.connect()
    return new RedisLedger(client, { prefix: config.prefix })
  }
  if (config.kind === 'sqlite') return SqliteLedger.open(config.path)
  const { default: pg } = await import('pg')
  const pool = new pg.Pool({
    connectionString: config.url,
    max: 10,
    connectionTimeoutMillis: 2_000,
  })
  pool.on('error', () => {})
  return new PostgresLedger(pool, { schema: config.schema })
}

/**
 * The deterministic crash: Stripe has charged, the ledger has not credited yet. Any ledger call
 * that would write a top-up (`credit`, `creditAndSpend`, …) kills the process before it runs.
 */
function withCrashHook(inner: Ledger, enabled: boolean): Ledger {
  if (!enabled) return inner
  const writesTopUp = (input: unknown) => {
    const value = input as { kind?: unknown; credit?: { kind?: unknown } } | null
    return (
      typeof value === 'object' &&
      value !== null &&
      (value.kind === 'top_up' || value.credit?.kind === 'top_up')
    )
  }
  return new Proxy(inner, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown
      if (typeof value !== 'function') return value
      return (...args: unknown[]) => {
        if (writesTopUp(args[0])) {
          process.stdout.write(`CRASH before crediting a top-up (${String(property)})\n`)
          process.kill(process.pid, 'SIGKILL')
        }
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
}

/**
 * A batch of confirmations (the settler writes its whole queue in one `holds.settle`, and only a
 * failed answer's reversal is written alone): once it lands, every debit in it is kept.
 * `CONFIRMED <ms> <kept in all>` says when the batch was sent and how many debits this process's
 * landed batches confirmed in all; `KEPT <ref>\t<ref>…` names them, so a test can tell, debit by
 * debit, that a kill gives back only what no landed batch confirmed.
 */
function confirmedRefs(items: unknown): string[] {
  if (!Array.isArray(items)) return []
  const refs: string[] = []
  for (const item of items as Array<{ reverse?: unknown; ref?: unknown }>)
    if (item.reverse === false && typeof item.ref === 'string') refs.push(item.ref)
  return refs
}

let confirmedInAll = 0

function reportConfirmed(landed: Promise<unknown>, refs: string[]): void {
  const sentAt = Date.now()
  landed.then(
    () => {
      // Batches are written one after another: the count grows in the order they land.
      confirmedInAll += refs.length
      process.stdout.write(`KEPT ${refs.join('\t')}\nCONFIRMED ${sentAt} ${confirmedInAll}\n`)
    },
    () => {},
  )
}

/**
 * Every call fails while `outage.down`; with `cutAtIssue`, storing a credential turns the outage on
 * (a store cut the moment a first payment's charge, credit and debit have committed).
 */
function withOutageSwitch(inner: Ledger, cutAtIssue: boolean): Ledger {
  const guard = <T extends object>(target: T, name: string): T =>
    new Proxy(target, {
      get(object, property, receiver) {
        const value = Reflect.get(object, property, receiver) as unknown
        if (property === 'holds' && value) return guard(value as object, 'holds')
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          if (cutAtIssue && property === 'issueCredential') {
            // Once: the payer's retry after the store is back must be able to store its credential.
            cutAtIssue = false
            outage.down = true
          }
          if (outage.down)
            return Promise.reject(
              new LedgerUnavailableError(`stripe402 ledger: outage (${name}.${String(property)})`),
            )
          const result = (value as (...a: unknown[]) => unknown).apply(object, args)
          const kept = name === 'holds' && property === 'settle' ? confirmedRefs(args[0]) : []
          if (kept.length > 0) reportConfirmed(result as Promise<unknown>, kept)
          return result
        }
      },
    })
  return guard(inner, 'ledger')
}

/**
 * What a paid path's handler does besides counting: `/api/outage-fail` takes the ledger down (the
 * store it reads is gone) and answers 500; `/api/fail` answers 500; `/api/hang` never answers (a
 * test kills the process).
 */
async function serve(path: string): Promise<{ status: number } | 'hang'> {
  if (path.endsWith('/outage-fail')) {
    outage.down = true
    return { status: 500 }
  }
  if (path.endsWith('/fail')) return { status: 500 }
  if (path.endsWith('/hang')) {
    process.stdout.write(`HANDLER hang ${path}\n`)
    return new Promise(() => {})
  }
  return { status: 200 }
}

function countHit(path: string): boolean {
  if (!paidPaths.has(path)) return false
  hits++
  return true
}

async function startApp(
  adapter: PaidServerOptions['adapter'],
  paywall: Paywall,
  port: number,
): Promise<string> {
  if (adapter === 'express') {
    const { default: express } = await import('express')
    const { paywallMiddleware } = await import('@stripe402/express')
    const app = express()
    app.use(paywallMiddleware(paywall))
    app.get('/health', (_req, res) => res.send('ok'))
    app.get(/.*/, async (req, res) => {
      if (!countHit(req.path)) return res.status(404).end()
      const done = await serve(req.path)
      if (done !== 'hang') res.status(done.status).json({ served: req.path })
    })
    return listen(createServer(app), port)
  }
  if (adapter === 'koa') {
    const { default: Koa } = await import('koa')
    const { paywallMiddleware } = await import('@stripe402/koa')
    const app = new Koa()
    app.silent = true
    app.use(paywallMiddleware(paywall))
    app.use(async (ctx) => {
      if (ctx.path === '/health') ctx.body = 'ok'
      else if (ctx.method === 'GET' && countHit(ctx.path)) {
        const done = await serve(ctx.path)
        if (done !== 'hang') {
          ctx.status = done.status
          ctx.body = { served: ctx.path }
        }
      }
    })
    return listen(createServer(app.callback()), port)
  }
  const { withPaywall } = await import('@stripe402/fetch')
  const { getRequestListener } = await import('@hono/node-server')
  const addresses = new WeakMap<Request, string>()
  const handler = withPaywall(
    paywall,
    async (req) => {
      const path = new URL(req.url).pathname
      if (path === '/health') return new Response('ok')
      if (req.method !== 'GET' || !countHit(path)) return new Response(null, { status: 404 })
      const done = await serve(path)
      return done === 'hang'
        ? new Response(null, { status: 500 })
        : Response.json({ served: path }, { status: done.status })
    },
    { clientAddress: (req) => addresses.get(req) },
  )
  const listener = getRequestListener(
    (req: Request, env: { incoming: { socket: { remoteAddress?: string | undefined } } }) => {
      addresses.set(req, env.incoming.socket.remoteAddress ?? '')
      return handler(req)
    },
  )
  return listen(createServer(listener), port)
}

function listen(server: Server, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    )
  })
}
