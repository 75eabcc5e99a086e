// The Agent API end to end: an agent's handle, the treasury's card, a real stripe402 API charging through the Stripe emulator.
import { describe, expect, it } from 'vitest'
import { useStack, VISA } from '../../test/support/stack'

const stack = useStack()
const joke = () => `${stack.api.url}/api/joke`

async function me(handle: string) {
  const res = await fetch(`${stack.url}/v1/me`, { headers: { authorization: `Bearer ${handle}` } })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe('POST /v1/fetch', () => {
  it('pays with the treasury card and answers with the upstream answer, its cost and what is left', async () => {
    const agent = await stack.agent()
    const res = await stack.fetchAs(agent.handle, { url: joke() })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ joke: 'A 402 walks into a bar.' })
    expect(res.headers.get('treasury-outcome')).toBe('paid')
    expect(res.headers.get('treasury-cost')).toBe('500')
    expect(res.headers.get('treasury-currency')).toBe('usd')
    expect(res.headers.get('treasury-remaining')).toBe('9500')
    expect(res.headers.get('treasury-top-up')).toBe('50000')
    expect(res.headers.get('payment-response')).toBeNull()

    // The next call spends the credits the first one bought, up front: one upstream request.
    const before = stack.api.received.length
    const second = await stack.fetchAs(agent.handle, { url: joke() })
    expect(second.status).toBe(200)
    expect(second.headers.get('treasury-cost')).toBe('500')
    expect(second.headers.get('treasury-top-up')).toBeNull()
    expect(stack.api.received.length - before).toBe(1)

    expect(await me(agent.handle)).toMatchObject({
      status: 200,
      body: {
        id: agent.id,
        status: 'active',
        spent: { usd: { daily: 1_000, monthly: 1_000, total: 1_000, held: 0 } },
        remaining: { usd: { perCall: 1_000, daily: 9_000, next: 1_000 } },
      },
    })
    expect(stack.emulator.charges()).toHaveLength(1)
    expect(stack.emulator.charges()[0]).toMatchObject({ amount: 500, status: 'succeeded' })
  })

  it('passes method, headers and body, and never the card or the handle', async () => {
    const agent = await stack.agent()
    const res = await stack.fetchAs(agent.handle, {
      method: 'POST',
      url: `${stack.api.url}/api/echo`,
      headers: { 'content-type': 'text/plain', 'x-custom': 'yes', payment: 'forged' },
      body: 'hello',
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ body: 'hello', contentType: 'text/plain', custom: 'yes' })
    const upstream = stack.outbound.filter((o) => o.to === 'upstream')
    expect(upstream.length).toBeGreaterThan(0)
    // The agent's forged payment header never went out: the first send carried none.
    expect(upstream[0]?.headers.payment).toBeUndefined()
    for (const o of stack.outbound) {
      const wire = JSON.stringify(o)
      expect(wire).not.toContain(agent.handle.split('.')[1])
      if (o.to === 'stripe' && o.method === 'POST' && o.url.endsWith('/v1/payment_methods'))
        continue
      expect(wire).not.toContain(VISA.number)
    }
    expect(stack.outbound.some((o) => o.body.includes(VISA.number))).toBe(true)
  })
})

async function accounts() {
  return (await (await stack.admin('accounts')).json()) as {
    charged: Record<string, number>
    spent: Record<string, number>
    creditsHeld: Record<string, number>
    balanced: boolean
  }
}

describe('caps', () => {
  it('refuses a price above the per-call cap: the 402 comes back and nothing is charged', async () => {
    const agent = await stack.agent()
    const res = await stack.fetchAs(agent.handle, { url: `${stack.api.url}/api/dear` })
    expect(res.status).toBe(402)
    expect(res.headers.get('payment-required')).not.toBeNull()
    expect(res.headers.get('treasury-outcome')).toBe('refused')
    expect(res.headers.get('treasury-reason')).toBe('cap_reached')
    expect(res.headers.get('treasury-cost')).toBe('0')
    expect(stack.emulator.charges()).toHaveLength(0)
    expect((await me(agent.handle)).body.spent).toEqual({
      usd: { daily: 0, monthly: 0, total: 0, held: 0 },
    })
  })

  it('stops at the daily cap to the unit, even with credits held up front', async () => {
    const agent = await stack.agent({ caps: { usd: { daily: 1_000 } } })
    for (let i = 0; i < 2; i++) {
      const paid = await stack.fetchAs(agent.handle, { url: joke() })
      expect(paid.status).toBe(200)
    }
    const refused = await stack.fetchAs(agent.handle, { url: joke() })
    expect(refused.status).toBe(402)
    expect(refused.headers.get('treasury-reason')).toBe('cap_reached')
    expect(refused.headers.get('treasury-remaining')).toBe('0')
    // The credential was not offered up front to the third call: the server debited twice.
    expect(await accounts()).toEqual({
      charged: { usd: 50_000 },
      unconfirmed: {},
      spent: { usd: 1_000 },
      creditsHeld: { usd: 49_000 },
      held: {},
      balanced: true,
    })
    const other = await stack.agent()
    expect((await stack.fetchAs(other.handle, { url: joke() })).status).toBe(200)
    expect((await accounts()).creditsHeld).toEqual({ usd: 48_500 })
  })

  it('holds 50 concurrent calls on two instances to the cap, and the API debited what was recorded', async () => {
    const agent = await stack.agent({ caps: { usd: { perCall: 500, total: 10_000 } } })
    const second = await stack.instance()
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const res = await fetch(`${i % 2 ? second.url : stack.url}/v1/fetch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${agent.handle}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url: joke() }),
        })
        await res.arrayBuffer()
        return res.status
      }),
    )
    expect(statuses.filter((s) => s === 200)).toHaveLength(20)
    expect(statuses.filter((s) => s === 402)).toHaveLength(30)
    const totals = await stack.store.totals(agent.id, Date.now())
    expect(totals.usd).toEqual({ daily: 10_000, monthly: 10_000, total: 10_000, held: 0 })
    // From the API's side: every unit charged to the card is either spent by the agent or still credited.
    const wallet = (await stack.store.loadWallet()) as {
      origins: Record<string, { credential: { clientId: string } }>
    }
    const clientId = wallet.origins[stack.api.url]?.credential.clientId ?? ''
    const balance = await stack.api.paywall.balance(clientId)
    const charged = stack.emulator
      .charges()
      .filter((c) => c.status === 'succeeded')
      .reduce((sum, c) => sum + c.amount * 100, 0)
    expect(charged).toBe(10_000 + (balance ?? -1))
  })
})

describe('no open relay', () => {
  it('refuses an origin not on the allow-list before anything goes out', async () => {
    const agent = await stack.agent()
    const res = await stack.fetchAs(agent.handle, { url: 'https://example.com/' })
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      error: { code: 'origin_not_allowed', message: expect.any(String) },
    })
    expect(stack.outbound).toEqual([])
    expect(await stack.store.calls({ agentId: agent.id })).toEqual([])
  })

  it('refuses loopback addresses, by IP and after DNS, unless the admin allowed them', async () => {
    const port = new URL(stack.api.url).port
    const agent = await stack.agent({
      allowPrivateNetwork: false,
      allowedOrigins: [stack.api.url, `http://localhost:${port}`],
    })
    for (const url of [joke(), `http://localhost:${port}/api/joke`]) {
      const res = await stack.fetchAs(agent.handle, { url })
      expect(res.status).toBe(403)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'address_not_allowed',
      )
    }
    expect(stack.api.received).toEqual([])
    expect(stack.emulator.charges()).toHaveLength(0)
  })

  it('follows redirects within the allow-list, and refuses one that leaves it', async () => {
    const agent = await stack.agent()
    const free = await stack.fetchAs(agent.handle, { url: `${stack.api.url}/moved` })
    expect(free.status).toBe(200)
    expect(await free.json()).toEqual({ free: true })
    expect(free.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/'])

    // A paid redirect costs its price once, then leads to a free page.
    const paid = await stack.fetchAs(agent.handle, { url: `${stack.api.url}/api/moved` })
    expect(paid.status).toBe(200)
    expect(paid.headers.get('treasury-cost')).toBe('500')

    stack.api.redirect.to = 'http://127.0.0.2:9/elsewhere'
    const away = await stack.fetchAs(agent.handle, { url: `${stack.api.url}/moved` })
    expect(away.status).toBe(403)
    expect(((await away.json()) as { error: { code: string } }).error.code).toBe(
      'redirect_not_allowed',
    )
    expect(stack.outbound.some((o) => o.url.startsWith('http://127.0.0.2'))).toBe(false)
  })
})

describe('revocation and rotation', () => {
  it('refuses a revoked agent on its next request on every instance, and no other agent', async () => {
    const agent = await stack.agent()
    const other = await stack.agent()
    const second = await stack.instance()
    expect((await stack.fetchAs(agent.handle, { url: joke() })).status).toBe(200)
    const revoked = await stack.admin(`agents/${agent.id}/revoke`, { method: 'POST' })
    expect(revoked.status).toBe(200)
    for (const base of [stack.url, second.url]) {
      const res = await fetch(`${base}/v1/fetch`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agent.handle}`, 'content-type': 'application/json' },
        body: JSON.stringify({ url: joke() }),
      })
      expect(res.status).toBe(403)
      expect(await res.json()).toEqual({
        error: { code: 'agent_revoked', message: 'This agent is revoked.' },
      })
    }
    expect((await me(agent.handle)).status).toBe(403)
    expect((await stack.fetchAs(other.handle, { url: joke() })).status).toBe(200)
  })

  it('rotates a handle: the old one stops at once, the new one works', async () => {
    const agent = await stack.agent()
    const res = await stack.admin(`agents/${agent.name}/rotate`, { method: 'POST' })
    expect(res.status).toBe(200)
    const { handle } = (await res.json()) as { handle: string }
    expect(handle).not.toBe(agent.handle)
    expect((await stack.fetchAs(agent.handle, { url: joke() })).status).toBe(401)
    expect((await stack.fetchAs(handle, { url: joke() })).status).toBe(200)
  })
})

describe('fail closed', () => {
  it('answers 503 with Retry-After when its store is down, and nothing goes out', async () => {
    const agent = await stack.agent()
    await stack.store.close()
    const res = await stack.fetchAs(agent.handle, { url: joke() })
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('2')
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('store_unavailable')
    expect(stack.outbound).toEqual([])
    expect(stack.emulator.charges()).toHaveLength(0)
  })
})

describe('bad input', () => {
  it('answers every bad request with a 4xx and a code, and changes nothing', async () => {
    const agent = await stack.agent()
    const [id, secret] = agent.handle.split('.') as [string, string]
    const wrongSecret = `${id}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${stack.url}/v1/fetch`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${agent.handle}`,
          'content-type': 'application/json',
          ...headers,
        },
        body,
      })
    const ok = JSON.stringify({ url: joke() })
    const cases: Array<[string, () => Promise<Response>, number, string]> = [
      ['no handle', () => post(ok, { authorization: '' }), 401, 'unauthorized'],
      ['not a handle', () => post(ok, { authorization: 'Bearer nope' }), 401, 'unauthorized'],
      [
        'wrong secret',
        () => post(ok, { authorization: `Bearer ${wrongSecret}` }),
        401,
        'unauthorized',
      ],
      ['not JSON', () => post(ok, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type'],
      ['broken JSON', () => post('{"url":'), 400, 'invalid_request'],
      ['polluting JSON', () => post('{"url":"x","__proto__":{}}'), 400, 'invalid_request'],
      ['unknown field', () => post(JSON.stringify({ url: joke(), x: 1 })), 400, 'invalid_request'],
      ['no url', () => post('{}'), 400, 'invalid_request'],
      ['ftp url', () => post(JSON.stringify({ url: 'ftp://x/' })), 400, 'invalid_request'],
      [
        'url with credentials',
        () => post(JSON.stringify({ url: `http://u:p@${new URL(joke()).host}/api/joke` })),
        400,
        'invalid_request',
      ],
      [
        'GET with a body',
        () => post(JSON.stringify({ url: joke(), body: 'x' })),
        400,
        'invalid_request',
      ],
      [
        'CONNECT',
        () => post(JSON.stringify({ url: joke(), method: 'CONNECT' })),
        400,
        'invalid_request',
      ],
      [
        'bad header name',
        () => post(JSON.stringify({ url: joke(), headers: { 'a b': 'x' } })),
        400,
        'invalid_request',
      ],
      [
        'bad base64',
        () =>
          post(
            JSON.stringify({ url: joke(), method: 'POST', body: '%%%', bodyEncoding: 'base64' }),
          ),
        400,
        'invalid_request',
      ],
      [
        'too large',
        () => post(JSON.stringify({ url: joke(), method: 'POST', body: 'x'.repeat(1_100_000) })),
        413,
        'body_too_large',
      ],
      [
        'wrong method',
        () =>
          fetch(`${stack.url}/v1/fetch`, { headers: { authorization: `Bearer ${agent.handle}` } }),
        405,
        'method_not_allowed',
      ],
      ['unknown path', () => fetch(`${stack.url}/v1/nope`), 404, 'not_found'],
    ]
    for (const [name, send, status, code] of cases) {
      const res = await send().catch((error: unknown) => {
        throw new Error(`${name}: ${String(error)}`)
      })
      const text = await res.text()
      expect({ name, status: res.status }).toEqual({ name, status })
      expect({ name, body: JSON.parse(text) }).toEqual({
        name,
        body: { error: { code, message: expect.any(String) } },
      })
      expect(text).not.toContain(secret)
    }
    expect(await stack.store.calls({ agentId: agent.id })).toEqual([])
    expect(stack.outbound).toEqual([])
    expect(stack.api.received).toEqual([])
    expect(stack.logs.join('\n')).not.toContain(secret)
  })
})
