import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { paywallMiddleware } from '@stripe402/express'
import { createPaywall, MemoryLedger } from '@stripe402/server'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCli } from '../cli/args'
import type { FetchLike } from '../session/options'
import { serverAudits } from './index'

/** Runs the path audits against a fake server that answers 404 to everything but records what it was sent. */
async function pathsSent(route: string): Promise<string[]> {
  const sent: string[] = []
  const fetch: FetchLike = async (url, init) => {
    sent.push(`${init?.method} ${url.slice('http://api.test'.length)}`)
    return new Response('Not Found', { status: 404 })
  }
  const audits = serverAudits({
    url: 'http://api.test',
    route,
    fetch,
    payment: { stripeApi: 'http://stripe.test' },
  })
  for (const audit of audits.filter((a) => a.id.startsWith('S402-PATH-')))
    expect((await audit.run()).status).toBe('ok')
  return sent
}

describe('path audits', () => {
  it('send every normalization variant of the paid path, unpaid', async () => {
    expect(await pathsSent('GET /api/joke')).toEqual([
      'GET /api/joke/',
      'GET //api/joke',
      'GET /api//joke',
      'GET /API/JOKE',
      'GET /Api/joke',
      'GET /api/%6Aoke',
      'GET /api/%6aoke',
      'GET /api/./joke',
      'GET /api/conformance/../joke',
      'GET /api%2Fjoke',
      'GET /api/joke;conformance=1',
      'GET /api/joke?conformance=1',
      'HEAD /api/joke',
      'GET /api///joke',
      'GET //api//joke',
      // S402-PATH-18: one override header at a time, then ?_method=.
      'POST /api/joke',
      'POST /api/joke',
      'POST /api/joke',
      'POST /api/joke?_method=GET',
    ])
  })

  it('fail the audit when a variant is served, naming the variant', async () => {
    const fetch: FetchLike = async (url) =>
      new Response('{}', { status: url.endsWith('/%6aoke') ? 200 : 404 })
    const [audit] = serverAudits({
      url: 'http://api.test',
      route: 'GET /api/joke',
      fetch,
      payment: { stripeApi: 'http://s.test' },
    }).filter((a) => a.id === 'S402-PATH-06')
    expect(await audit!.run()).toMatchObject({
      status: 'error',
      reason:
        '/api/%6aoke was served without payment (200): the same resource as /api/joke for free.',
      evidence: { request: 'GET /api/%6aoke', status: 200 },
    })
  })
})

/** Runs the parameter-route audits against `fetch`, answering 402 to the plain parameter. */
async function paramAudits(route: string, fetch: FetchLike) {
  const audits = serverAudits({
    url: 'http://api.test',
    route: 'GET /api/joke',
    paramRoute: route,
    fetch,
    payment: { stripeApi: 'http://stripe.test' },
  })
  return Promise.all(
    audits
      .filter((a) =>
        ['S402-PATH-12', 'S402-PATH-13', 'S402-PATH-14', 'S402-PATH-15'].includes(a.id),
      )
      .map((a) => a.run()),
  )
}

describe('parameter-route audits', () => {
  it('send encoded slashes, dot segments and ; inside the first parameter (or the *)', async () => {
    const sent: string[] = []
    const fetch: FetchLike = async (url) => {
      sent.push(url.slice('http://api.test'.length))
      return new Response(null, { status: 402 })
    }
    expect((await paramAudits('GET /users/:id/posts/:post', fetch)).map((r) => r.status)).toEqual([
      'ok',
      'ok',
      'ok',
      'ok',
    ])
    expect(sent).toContain('/users/conformance/posts/conformance')
    expect(sent).toContain('/users/a%2Fb/posts/conformance')
    expect(sent).toContain('/users/%2E%2E/posts/conformance')
    expect(sent).toContain('/users/;b/posts/conformance')
    sent.length = 0
    await paramAudits('GET /files/*', fetch)
    expect(sent).toContain('/files/%2e%2e')
  })

  it('fail when the handler runs for a dot segment, naming the path', async () => {
    // A custom fetch resolves `..` the WHATWG way; only the raw transport sends it byte for byte.
    const fetch: FetchLike = async (url) =>
      new Response('{}', { status: url.endsWith('/users/a;b') ? 200 : 402 })
    const results = await paramAudits('GET /users/:id', fetch)
    expect(results.find((r) => r.id === 'S402-PATH-15')).toMatchObject({
      status: 'error',
      reason: '/users/a;b was served without payment (200): the /users/:id handler ran for free.',
    })
    expect(results.find((r) => r.id === 'S402-PATH-13')?.status).toBe('ok')
  })

  it('send a dot segment in an absolute-form request target, and fail naming it when the handler runs', async () => {
    const lines: string[] = []
    // Answers 402 to the plain parameter and serves whatever comes in absolute-form: a paywall that resolved `..`.
    const server = createServer((req, res) => {
      lines.push(req.url ?? '')
      res
        .writeHead(
          req.url === '/users/conformance' ? 402 : req.url?.startsWith('http://') ? 200 : 404,
        )
        .end('{}')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      const [audit] = serverAudits({
        url: base,
        route: 'GET /api/joke',
        paramRoute: 'GET /users/:id',
        payment: { stripeApi: 'http://s.test' },
      }).filter((a) => a.id === 'S402-PATH-16')
      expect(await audit!.run()).toMatchObject({
        status: 'error',
        reason: `GET ${base}/users/.. (absolute-form) was served without payment (200): the /users/:id handler ran for free.`,
        evidence: { request: `GET ${base}/users/..`, status: 200 },
      })
      // `/`, what `/users/..` resolves to, is asked too: a server answering it would be no bypass.
      expect(lines).toEqual(['/users/conformance', `${base}/users/..`, '/'])
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })

  it('skip the absolute-form audit with a custom fetch, which cannot send one', async () => {
    const fetch: FetchLike = async () => new Response(null, { status: 402 })
    const [audit] = serverAudits({
      url: 'http://api.test',
      route: 'GET /api/joke',
      paramRoute: 'GET /users/:id',
      fetch,
      payment: { stripeApi: 'http://s.test' },
    }).filter((a) => a.id === 'S402-PATH-16')
    expect(await audit!.run()).toMatchObject({
      status: 'ok',
      reason: expect.stringMatching(/^Not applicable with a custom fetch/),
    })
  })

  it('are not applicable when the parameter route does not answer 402', async () => {
    const results = await paramAudits(
      'GET /users/:id',
      async () => new Response('{}', { status: 200 }),
    )
    expect(results.map((r) => r.status)).toEqual(['error', 'ok', 'ok', 'ok'])
    expect(results[1]?.reason).toMatch(/Not applicable/)
  })

  it('come from --param-route on the command line, which must name a parameter', () => {
    const command = parseCli([
      'http://api.test',
      '--route',
      'GET /api/joke',
      '--param-route',
      'GET /users/:id',
    ])
    expect(command).toMatchObject({ kind: 'run', options: { paramRoute: 'GET /users/:id' } })
    expect(() =>
      parseCli(['http://api.test', '--route', 'GET /api/joke', '--param-route', 'GET /users/me']),
    ).toThrow(/--param-route must have a :name segment/)
  })
})

describe('parameter-route audits against the engine behind Express', () => {
  let server: Server
  let url = ''
  const hits: string[] = []
  beforeAll(async () => {
    const paywall = createPaywall({
      stripe: {
        secretKey: 'sk_test_paths',
        publishableKey: 'pk_test_paths',
        apiBase: 'http://127.0.0.1:9',
      },
      secret: 'conformance-paths-secret-0123456789abcdefghij',
      ledger: new MemoryLedger(),
      routes: {
        'GET /api/joke': { amount: 500 },
        'GET /users/:id': { amount: 500 },
        'GET /files/*': { amount: 500 },
      },
      logger: { warn: () => {}, error: () => {} },
    })
    const app = express()
    app.use(paywallMiddleware(paywall))
    app.get('/users/:id', (req, res) => {
      hits.push(req.params.id)
      res.json({ id: req.params.id })
    })
    app.get('/files/*rest', (req, res) => {
      hits.push(req.path)
      res.json({ file: true })
    })
    server = createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

  it.each(['GET /users/:id', 'GET /files/*'])(
    'hold for %s: no parameter spelling reaches the handler unpaid',
    async (route) => {
      const audits = serverAudits({
        url,
        route: 'GET /api/joke',
        paramRoute: route,
        payment: { stripeApi: 'http://127.0.0.1:9' },
      })
      const results = await Promise.all(
        audits.filter((a) => /^S402-PATH-1[2-6]$/.test(a.id)).map((a) => a.run()),
      )
      expect(results.filter((r) => r.status !== 'ok')).toEqual([])
      expect(hits).toEqual([])
    },
  )
})
