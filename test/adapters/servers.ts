/** The same small paid API on every adapter, served over real HTTP on listen(0). */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type Http2Bindings, type HttpBindings, serve } from '@hono/node-server'
import { paywallMiddleware as expressPaywall } from '@stripe402/express'
import { withPaywall } from '@stripe402/fetch'
import { paywallMiddleware as koaPaywall } from '@stripe402/koa'
import type { Paywall } from '@stripe402/server'
import express5 from 'express'
import express4Untyped from 'express4'
import { Hono } from 'hono'
import Koa3 from 'koa'
import Koa2Untyped from 'koa2'
import mount from 'koa-mount'
import { toRequestListener } from './node-http-bridge'

const express4 = express4Untyped as unknown as typeof express5
const Koa2 = Koa2Untyped as unknown as typeof Koa3

/** What the handlers let a test observe or control. */
export interface AppHooks {
  /** Handler invocations per path: proves a handler never ran unpaid. */
  hits: Map<string, number>
  /** The streaming handler waits on this between its two chunks. */
  streamGate(): Promise<void>
}

export interface RunningServer {
  url: string
  close(): Promise<void>
}

export interface AdapterUnderTest {
  name: string
  start(paywall: Paywall, hooks: AppHooks): Promise<RunningServer>
}

const hit = (hooks: AppHooks, path: string) => hooks.hits.set(path, (hooks.hits.get(path) ?? 0) + 1)

/**
 * The `:param` and `*` routes as a router matches them: on the raw path, so `%2F`, `.`, `..`
 * and `;` stay inside a segment (Express, @koa/router and Hono all dispatch like this).
 */
const USER = /^\/users\/([^/]+)\/?$/i
const FILES = /^\/files\/(.+)$/i
const USERS = /^\/users\/?$/i
/** `/docs/:name` and `/docs/*`, priced 100 and 10,000: a router sends `/docs//x` to the second. */
const DOC = /^\/docs\/([^/]+)\/?$/i
const DOCS = /^\/docs\/(.+)$/i

/** Hit labels of the routes above, and of `/api/report`, a paid route that names no method (served for every method). */
export const PARAM_ROUTES = {
  user: '/users/:id',
  files: '/files/*',
  users: '/users',
  twice: '/api/twice',
  report: '/api/report',
  doc: '/docs/:name',
  docs: '/docs/*',
} as const

/** The prices the suites put on these apps' routes (`/health`, `/users` and the webhook stay free). */
export const PAID_ROUTES = {
  'GET /api/joke': { amount: 500, minTopUp: 50_000, description: 'A joke' },
  'GET /api/quarter': { amount: 10_000, minTopUp: 50_000 },
  'GET /api/pricey': { amount: 60_000, minTopUp: 100_000 },
  'GET /api/fail': { amount: 500 },
  'GET /api/throw': { amount: 500 },
  'GET /api/stream': { amount: 500 },
  'GET /api/stream-fail': { amount: 500 },
  'GET /api/public': { amount: 500 },
  'POST /api/echo': { amount: 500 },
  'GET /v1/api/mounted': { amount: 500 },
  // Hit labels equal these paths (see PARAM_ROUTES).
  'GET /users/:id': { amount: 500 },
  'GET /files/*': { amount: 500 },
  'GET /api/twice': { amount: 500 },
  // A cheap `:name` under a dear `*`: an empty segment (`/docs//x`) is served by the `*` handler.
  'GET /docs/:name': { amount: 100 },
  'GET /docs/*': { amount: 10_000, minTopUp: 50_000 },
  // Priced per day from the query as the framework parses it for the handler (`?days[]=90` is an array on Express 4).
  'GET /api/days': {
    amount: (req: { parsedQuery: Readonly<Record<string, unknown>> }) =>
      10 * daysOf(req.parsedQuery.days),
    minTopUp: 50_000,
  },
  // Names no method: every method is priced, OPTIONS included (the handler is mounted for every method).
  '/api/report': { amount: 500 },
}

/** What `/api/public` marks its paid answer with: a shared cache would keep it for everyone. */
const PUBLIC_HEADERS = { 'Cache-Control': 'public, max-age=3600', Vary: 'Accept-Encoding' }

/**
 * `/api/public?via=` sets them: `set` (setHeader, ctx.set, a Headers), `object` or `array`
 * (Node's flat list), given to writeHead or to a Response.
 */
const publicVia = (via: unknown) => (via === 'array' ? Object.entries(PUBLIC_HEADERS).flat() : null)

/** The days `/api/days` serves and prices: 1 to 100, 1 when not a number. */
const daysOf = (days: unknown): number => Math.min(100, Math.max(1, Number(days) || 1))

/** A version alias a rewrite before the paywall strips: `/latest/api/joke` is dispatched as `/api/joke`. */
const LATEST = '/latest/'

/**
 * The method a method override after the paywall makes of a POST (as `method-override` and
 * Rails-style `_method` do): from `X-HTTP-Method-Override` or `?_method=`.
 */
const overridden = (method: string, header: unknown, query: unknown): string => {
  const wanted = header ?? query
  return method === 'POST' && typeof wanted === 'string' ? wanted.toUpperCase() : method
}

/** The rewrite a fetch app puts in front of `withPaywall` (an edge or proxy rewrite); inside the handler no paywall could see it. */
const rewriteLatest = (req: Request): Request => {
  const url = new URL(req.url)
  if (!url.pathname.startsWith(LATEST)) return req
  url.pathname = url.pathname.slice(LATEST.length - 1)
  return new Request(url, req)
}

function listen(server: Server): Promise<RunningServer> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections()
            server.close(() => done())
          }),
      })
    })
  })
}

function expressApp(factory: typeof express5, paywall: Paywall, hooks: AppHooks) {
  const app = factory()
  const sub = factory()
  sub.use(expressPaywall(paywall))
  sub.get('/api/mounted', (_req, res) => {
    hit(hooks, '/v1/api/mounted')
    res.json({ mounted: true })
  })
  app.use('/v1', sub)
  // A URL rewrite before the paywall, and a method override after it: the router acts on both.
  app.use((req, _res, next) => {
    if (req.url.startsWith(LATEST)) req.url = req.url.slice(LATEST.length - 1)
    next()
  })
  app.use(expressPaywall(paywall))
  app.use((req, _res, next) => {
    req.method = overridden(req.method, req.headers['x-http-method-override'], req.query._method)
    next()
  })
  app.get('/health', (_req, res) => {
    hit(hooks, '/health')
    res.send('ok')
  })
  for (const path of ['/api/joke', '/api/quarter', '/api/pricey']) {
    app.get(path, (_req, res) => {
      hit(hooks, path)
      res.json({ path, joke: 'A 402 walks into a bar.' })
    })
  }
  // Mounted for every method, OPTIONS included: the paywall must price or answer each one.
  app.all('/api/report', (_req, res) => {
    hit(hooks, PARAM_ROUTES.report)
    res.json({ report: true })
  })
  app.get('/api/fail', (_req, res) => {
    hit(hooks, '/api/fail')
    res.status(500).json({ error: 'boom' })
  })
  app.get('/api/throw', () => {
    hit(hooks, '/api/throw')
    throw new Error('handler threw')
  })
  app.get('/api/stream', async (_req, res) => {
    hit(hooks, '/api/stream')
    res.write('chunk-1;')
    await hooks.streamGate()
    res.end('chunk-2')
  })
  // Fails after its first bytes, then the usual error handler: the client keeps the 200 and the body.
  app.get(
    '/api/stream-fail',
    async (_req: express5.Request, res: express5.Response, next: express5.NextFunction) => {
      hit(hooks, '/api/stream-fail')
      res.write('chunk-1;')
      await hooks.streamGate()
      next(new Error('the stream broke'))
    },
    (
      _err: unknown,
      _req: express5.Request,
      res: express5.Response,
      _next: express5.NextFunction,
    ) => {
      res.status(500).end()
    },
  )
  app.get('/api/public', (req, res) => {
    hit(hooks, '/api/public')
    const body = JSON.stringify({ public: true })
    if (req.query.via === 'set') res.set(PUBLIC_HEADERS).type('json').send(body)
    else res.writeHead(200, publicVia(req.query.via) ?? PUBLIC_HEADERS).end(body)
  })
  app.post('/api/echo', express5.text({ type: '*/*' }), (req, res) => {
    hit(hooks, '/api/echo')
    res.type('text/plain').send(String(req.body))
  })
  app.get('/api/days', (req, res) => {
    res.json({ days: daysOf(req.query.days) })
  })
  app.get('/users', (_req, res) => {
    hit(hooks, PARAM_ROUTES.users)
    res.json({ users: [] })
  })
  app.get('/users/:id', (req, res) => {
    hit(hooks, PARAM_ROUTES.user)
    res.json({ id: req.params.id })
  })
  app.get(factory === express5 ? '/files/*rest' : '/files/*', (_req, res) => {
    hit(hooks, PARAM_ROUTES.files)
    res.json({ file: true })
  })
  app.get('/docs/:name', (_req, res) => {
    hit(hooks, PARAM_ROUTES.doc)
    res.json({ doc: true })
  })
  app.get(factory === express5 ? '/docs/*rest' : '/docs/*', (_req, res) => {
    hit(hooks, PARAM_ROUTES.docs)
    res.json({ docs: true })
  })
  // The paywall again, in a router: one request must still be debited once.
  const router = factory.Router()
  router.use(expressPaywall(paywall))
  router.get('/api/twice', (_req, res) => {
    hit(hooks, PARAM_ROUTES.twice)
    res.json({ twice: true })
  })
  app.use(router)
  // Keep Express's HTML error page out of the way: the status is what matters.
  // A 4xx Express raised itself (a parameter it cannot decode, as in `DELETE /users/%E0`) stays a 4xx.
  app.use(
    (
      err: unknown,
      _req: express5.Request,
      res: express5.Response,
      _next: express5.NextFunction,
    ) => {
      const status = (err as { status?: unknown } | null)?.status
      res
        .status(typeof status === 'number' && status >= 400 && status < 500 ? status : 500)
        .json({ error: 'internal' })
    },
  )
  return app
}

function koaApp(Koa: typeof Koa3, paywall: Paywall, hooks: AppHooks) {
  const app = new Koa()
  app.silent = true
  const sub = new Koa()
  sub.use(koaPaywall(paywall))
  sub.use(async (ctx) => {
    if (ctx.path === '/api/mounted' && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      hit(hooks, '/v1/api/mounted')
      ctx.body = { mounted: true }
    }
  })
  app.use(mount('/v1', sub))
  // A URL rewrite before the paywall (as koa-rewrite), and a method override after it.
  app.use((ctx, next) => {
    if (ctx.path.startsWith(LATEST)) ctx.path = ctx.path.slice(LATEST.length - 1)
    return next()
  })
  app.use(koaPaywall(paywall))
  app.use((ctx, next) => {
    ctx.method = overridden(
      ctx.method,
      ctx.get('x-http-method-override') || undefined,
      ctx.query._method,
    )
    return next()
  })
  // The paywall again, as a router would mount it for one route: one request must still be debited once.
  const again = koaPaywall(paywall)
  app.use((ctx, next) => (ctx.path === '/api/twice' ? again(ctx, next) : next()))
  app.use(async (ctx) => {
    const get = ctx.method === 'GET' || ctx.method === 'HEAD'
    const path = ctx.path
    const user = USER.exec(path)
    if (path === PARAM_ROUTES.report) {
      // Every method, OPTIONS included.
      hit(hooks, PARAM_ROUTES.report)
      ctx.body = { report: true }
    } else if (get && USERS.test(path)) {
      hit(hooks, PARAM_ROUTES.users)
      ctx.body = { users: [] }
    } else if (get && user) {
      hit(hooks, PARAM_ROUTES.user)
      ctx.body = { id: decodeURIComponent(user[1]!) }
    } else if (get && FILES.test(path)) {
      hit(hooks, PARAM_ROUTES.files)
      ctx.body = { file: true }
    } else if (get && (DOC.test(path) || DOCS.test(path))) {
      hit(hooks, DOC.test(path) ? PARAM_ROUTES.doc : PARAM_ROUTES.docs)
      ctx.body = { doc: true }
    } else if (get && path === '/api/twice') {
      hit(hooks, PARAM_ROUTES.twice)
      ctx.body = { twice: true }
    } else if (get && path === '/api/days') {
      ctx.body = { days: daysOf(ctx.query.days) }
    } else if (get && path === '/health') {
      hit(hooks, path)
      ctx.body = 'ok'
    } else if (get && ['/api/joke', '/api/quarter', '/api/pricey'].includes(path)) {
      hit(hooks, path)
      ctx.body = { path, joke: 'A 402 walks into a bar.' }
    } else if (get && path === '/api/fail') {
      hit(hooks, path)
      ctx.status = 500
      ctx.body = { error: 'boom' }
    } else if (get && path === '/api/throw') {
      hit(hooks, path)
      throw new Error('handler threw')
    } else if (get && path === '/api/stream') {
      hit(hooks, path)
      ctx.status = 200
      ctx.respond = false
      ctx.res.write('chunk-1;')
      await hooks.streamGate()
      ctx.res.end('chunk-2')
    } else if (get && path === '/api/stream-fail') {
      hit(hooks, path)
      ctx.status = 200
      ctx.respond = false
      ctx.res.write('chunk-1;')
      await hooks.streamGate()
      // A failure after the first bytes, answered as a Koa app streaming through ctx.res does.
      ctx.res.statusCode = 500
      ctx.res.end()
    } else if (get && path === '/api/public') {
      hit(hooks, path)
      const via = ctx.query.via
      if (via === 'set') {
        ctx.set(PUBLIC_HEADERS)
        ctx.body = { public: true }
      } else {
        ctx.respond = false
        ctx.res
          .writeHead(200, publicVia(via) ?? PUBLIC_HEADERS)
          .end(JSON.stringify({ public: true }))
      }
    } else if (ctx.method === 'POST' && path === '/api/echo') {
      hit(hooks, path)
      const chunks: Buffer[] = []
      for await (const chunk of ctx.req) chunks.push(chunk as Buffer)
      ctx.type = 'text/plain'
      ctx.body = Buffer.concat(chunks).toString('utf8')
    }
  })
  return app
}

async function fetchRoutes(req: Request, hooks: AppHooks): Promise<Response> {
  const { pathname, searchParams } = new URL(req.url)
  const method = overridden(
    req.method,
    req.headers.get('x-http-method-override') ?? undefined,
    searchParams.get('_method') ?? undefined,
  )
  const get = method === 'GET' || method === 'HEAD'
  if (pathname === PARAM_ROUTES.report) {
    // Every method, OPTIONS included.
    hit(hooks, PARAM_ROUTES.report)
    return Response.json({ report: true })
  }
  if (get && pathname === '/health') {
    hit(hooks, pathname)
    // With a status and headers: Hono on @hono/node-server answers HEAD of a bare `new Response('ok')` with a 500.
    return new Response('ok', {
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    })
  }
  if (get && ['/api/joke', '/api/quarter', '/api/pricey', '/v1/api/mounted'].includes(pathname)) {
    hit(hooks, pathname)
    return Response.json({ path: pathname, joke: 'A 402 walks into a bar.' })
  }
  if (get && pathname === '/api/fail') {
    hit(hooks, pathname)
    return Response.json({ error: 'boom' }, { status: 500 })
  }
  if (get && pathname === '/api/throw') {
    hit(hooks, pathname)
    throw new Error('handler threw')
  }
  if (get && pathname === '/api/stream') {
    hit(hooks, pathname)
    const encoder = new TextEncoder()
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(encoder.encode('chunk-1;'))
        await hooks.streamGate()
        controller.enqueue(encoder.encode('chunk-2'))
        controller.close()
      },
    })
    return new Response(body, { headers: { 'content-type': 'text/plain' } })
  }
  if (get && pathname === '/api/stream-fail') {
    hit(hooks, pathname)
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode('chunk-1;'))
        await hooks.streamGate()
        controller.error(new Error('the stream broke'))
      },
    })
    return new Response(body, { headers: { 'content-type': 'text/plain' } })
  }
  if (get && pathname === '/api/public') {
    hit(hooks, pathname)
    const via = new URL(req.url).searchParams.get('via')
    const headers =
      via === 'set'
        ? new Headers(PUBLIC_HEADERS)
        : via === 'array'
          ? Object.entries(PUBLIC_HEADERS)
          : PUBLIC_HEADERS
    return Response.json({ public: true }, { headers })
  }
  if (req.method === 'POST' && pathname === '/api/echo') {
    hit(hooks, pathname)
    return new Response(await req.text(), { headers: { 'content-type': 'text/plain' } })
  }
  const user = USER.exec(pathname)
  if (get && USERS.test(pathname)) {
    hit(hooks, PARAM_ROUTES.users)
    return Response.json({ users: [] })
  }
  if (get && user) {
    hit(hooks, PARAM_ROUTES.user)
    return Response.json({ id: decodeURIComponent(user[1]!) })
  }
  if (get && FILES.test(pathname)) {
    hit(hooks, PARAM_ROUTES.files)
    return Response.json({ file: true })
  }
  if (get && (DOC.test(pathname) || DOCS.test(pathname))) {
    hit(hooks, DOC.test(pathname) ? PARAM_ROUTES.doc : PARAM_ROUTES.docs)
    return Response.json({ doc: true })
  }
  if (get && pathname === '/api/twice') {
    hit(hooks, PARAM_ROUTES.twice)
    return Response.json({ twice: true })
  }
  if (get && pathname === '/api/days') {
    const days = searchParams.getAll('days')
    return Response.json({ days: daysOf(days.length > 1 ? days : days[0]) })
  }
  return new Response('not found', { status: 404 })
}

/** The routes with no framework around them, and the paywall again around one route: one request must still be debited once. */
function plainFetchApp(paywall: Paywall, hooks: AppHooks): (req: Request) => Promise<Response> {
  const twice = withPaywall(paywall, (req) => fetchRoutes(req, hooks))
  return (req) =>
    new URL(req.url).pathname === '/api/twice' ? twice(req) : fetchRoutes(req, hooks)
}

/** On @hono/node-server, whose `env.incoming` is the socket's request: the caller's address comes from there. */
function serveFetch(
  handler: (req: Request, clientAddress: string | undefined) => Promise<Response>,
): Promise<RunningServer> {
  return new Promise((resolve) => {
    const fetch = (req: Request, env: HttpBindings | Http2Bindings) =>
      handler(req, env.incoming.socket.remoteAddress)
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            ;(server as Server).closeAllConnections?.()
            server.close(() => done())
          }),
      })
    })
  })
}

export const ADAPTERS: AdapterUnderTest[] = [
  {
    name: 'express 5',
    start: async (paywall, hooks) => listen(createServer(expressApp(express5, paywall, hooks))),
  },
  {
    name: 'express 4',
    start: async (paywall, hooks) => listen(createServer(expressApp(express4, paywall, hooks))),
  },
  {
    name: 'koa 3',
    start: async (paywall, hooks) => listen(createServer(koaApp(Koa3, paywall, hooks).callback())),
  },
  {
    name: 'koa 2',
    start: async (paywall, hooks) => listen(createServer(koaApp(Koa2, paywall, hooks).callback())),
  },
  {
    name: 'fetch (hono)',
    start: async (paywall, hooks) => {
      const app = new Hono()
      // Hono's own router for the :param and * routes, as an app would write them.
      app.get('/users', (c) => {
        hit(hooks, PARAM_ROUTES.users)
        return c.json({ users: [] })
      })
      app.get('/users/:id', (c) => {
        hit(hooks, PARAM_ROUTES.user)
        return c.json({ id: c.req.param('id') })
      })
      app.get('/files/*', (c) => {
        hit(hooks, PARAM_ROUTES.files)
        return c.json({ file: true })
      })
      app.get('/docs/:name', (c) => {
        hit(hooks, PARAM_ROUTES.doc)
        return c.json({ doc: true })
      })
      app.get('/docs/*', (c) => {
        hit(hooks, PARAM_ROUTES.docs)
        return c.json({ docs: true })
      })
      app.all(PARAM_ROUTES.report, (c) => {
        hit(hooks, PARAM_ROUTES.report)
        return c.json({ report: true })
      })
      // The paywall again around one route: one request must still be debited once.
      app.get('/api/twice', (c) =>
        withPaywall(paywall, (req) => fetchRoutes(req, hooks))(c.req.raw),
      )
      app.all('*', (c) => fetchRoutes(c.req.raw, hooks))
      return serveFetch((req, address) =>
        withPaywall(paywall, (r) => app.fetch(r), { clientAddress: () => address })(
          rewriteLatest(req),
        ),
      )
    },
  },
  {
    name: 'fetch (@hono/node-server)',
    start: async (paywall, hooks) =>
      serveFetch((req, address) =>
        withPaywall(paywall, plainFetchApp(paywall, hooks), { clientAddress: () => address })(
          rewriteLatest(req),
        ),
      ),
  },
  {
    name: 'fetch (node:http)',
    start: async (paywall, hooks) => {
      const app = plainFetchApp(paywall, hooks)
      return listen(
        createServer(
          toRequestListener((req, { remoteAddress }) =>
            withPaywall(paywall, app, { clientAddress: () => remoteAddress })(rewriteLatest(req)),
          ),
        ),
      )
    },
  },
]
