// The Admin API: agents created with a handle shown once, changed, revoked; the spend log as JSON and CSV; bad input changes nothing.
import { describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, useStack } from '../../test/support/stack'

const stack = useStack()
const joke = () => `${stack.api.url}/api/joke`

interface AgentBody {
  id: string
  name: string
  status: string
  caps: Record<string, unknown>
}

async function listed(): Promise<AgentBody[]> {
  return ((await (await stack.admin('agents')).json()) as { agents: AgentBody[] }).agents
}

describe('agents', () => {
  it('creates an agent and shows its handle once; nothing else ever shows it or its hash', async () => {
    const res = await stack.admin('agents', {
      body: {
        name: 'research bot',
        caps: { usd: { perCall: 1_000, daily: 20_000, monthly: 100_000, total: 500_000 } },
        allowedOrigins: [`${stack.api.url}/`, 'HTTPS://*.Example.com'],
        expiresAt: '2099-01-01T00:00:00Z',
      },
    })
    expect(res.status).toBe(201)
    const created = (await res.json()) as { agent: AgentBody; handle: string }
    expect(created.handle).toMatch(/^s402a_ag[0-9a-f]{20}\.[A-Za-z0-9_-]{43}$/)
    expect(created.agent).toMatchObject({
      name: 'research bot',
      status: 'active',
      allowedOrigins: [stack.api.url, 'https://*.example.com'],
      allowPrivateNetwork: false,
      expiresAt: Date.parse('2099-01-01T00:00:00Z'),
      revokedAt: null,
    })
    const secret = created.handle.split('.')[1] as string
    const views = [
      await stack.admin('agents'),
      await stack.admin(`agents/${created.agent.id}`),
      await stack.admin('agents/research%20bot'),
      await stack.admin('calls'),
      await stack.admin('calls?format=csv'),
    ]
    for (const view of views) {
      expect(view.status).toBe(200)
      const text = await view.text()
      expect(text).not.toContain(secret)
      expect(text).not.toContain('secretHash')
    }
  })

  it('refuses every bad agent with a 4xx and a code, and creates nothing', async () => {
    await stack.agent({ name: 'taken' })
    const good = {
      name: 'ok',
      caps: { usd: { perCall: 100 } },
      allowedOrigins: ['https://api.example.com'],
    }
    const cases: Array<[string, unknown, number, string, string?]> = [
      ['no caps', { ...good, caps: undefined }, 400, 'invalid_request'],
      ['empty caps', { ...good, caps: {} }, 400, 'invalid_request'],
      ['a currency without limits', { ...good, caps: { usd: {} } }, 400, 'invalid_request'],
      ['upper-case currency', { ...good, caps: { USD: { total: 1 } } }, 400, 'invalid_request'],
      ['negative cap', { ...good, caps: { usd: { total: -1 } } }, 400, 'invalid_request'],
      ['fractional cap', { ...good, caps: { usd: { total: 1.5 } } }, 400, 'invalid_request'],
      ['unknown cap', { ...good, caps: { usd: { hourly: 1 } } }, 400, 'invalid_request'],
      ['no origins', { ...good, allowedOrigins: [] }, 400, 'invalid_request'],
      ['allow all', { ...good, allowedOrigins: ['*'] }, 400, 'invalid_request'],
      ['a TLD wildcard', { ...good, allowedOrigins: ['https://*.com'] }, 400, 'invalid_request'],
      ['a path', { ...good, allowedOrigins: ['https://a.example/x'] }, 400, 'invalid_request'],
      ['the Stripe API', { ...good, allowedOrigins: [stack.emulator.url] }, 400, 'invalid_request'],
      ['past expiry', { ...good, expiresAt: '2001-01-01T00:00:00Z' }, 400, 'invalid_request'],
      ['bad expiry', { ...good, expiresAt: 'soon' }, 400, 'invalid_request'],
      ['long name', { ...good, name: 'x'.repeat(65) }, 400, 'invalid_request'],
      ['unknown field', { ...good, admin: true }, 400, 'invalid_request'],
      ['taken name', { ...good, name: 'taken' }, 409, 'name_taken'],
      ['wrong token', good, 401, 'unauthorized', 'not-the-admin-token-at-all!!'],
      ['an agent handle as token', good, 401, 'unauthorized', 's402a_ag00.x'],
    ]
    const before = await listed()
    for (const [name, body, status, code, token] of cases) {
      const res = await stack.admin('agents', { body, ...(token ? { token } : {}) })
      expect({ name, status: res.status }).toEqual({ name, status })
      expect({ name, body: await res.json() }).toEqual({
        name,
        body: { error: { code, message: expect.any(String) } },
      })
    }
    expect(await listed()).toEqual(before)
    const broken = await fetch(`${stack.url}/v1/admin/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: '{"name":',
    })
    expect(broken.status).toBe(400)
    expect(await listed()).toEqual(before)
  })

  it('changes caps for the next call, and refuses a bad change without changing anything', async () => {
    const agent = await stack.agent()
    const patch = (body: unknown) => stack.admin(`agents/${agent.id}`, { method: 'PATCH', body })
    for (const bad of [
      {},
      { caps: { usd: { perCall: -5 } } },
      { allowedOrigins: [] },
      { id: 'x' },
    ]) {
      const res = await patch(bad)
      expect(res.status).toBe(400)
    }
    expect((await stack.fetchAs(agent.handle, { url: joke() })).status).toBe(200)
    const changed = await patch({ caps: { usd: { perCall: 100 } } })
    expect(changed.status).toBe(200)
    expect(((await changed.json()) as { agent: AgentBody }).agent.caps).toEqual({
      usd: { perCall: 100 },
    })
    const refused = await stack.fetchAs(agent.handle, { url: joke() })
    expect(refused.status).toBe(402)
    expect(refused.headers.get('treasury-reason')).toBe('cap_reached')
  })

  it('answers an unknown agent with 404 on every endpoint', async () => {
    for (const [path, method] of [
      ['agents/ag00000000000000000000', 'GET'],
      ['agents/nobody', 'PATCH'],
      ['agents/nobody/revoke', 'POST'],
      ['agents/nobody/rotate', 'POST'],
      ['calls?agent=nobody', 'GET'],
    ] as const) {
      const res = await stack.admin(path, {
        method,
        ...(method === 'PATCH' ? { body: { caps: { usd: { total: 1 } } } } : {}),
      })
      expect({ path, status: res.status }).toEqual({ path, status: 404 })
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('agent_not_found')
    }
  })
})

describe('spend log and accounts', () => {
  it('lists calls by agent, origin and time as JSON and CSV, with top-ups on the agent that caused them', async () => {
    const first = await stack.agent({ name: 'first' })
    const second = await stack.agent({ name: 'second' })
    const start = Date.now()
    expect((await stack.fetchAs(first.handle, { url: joke() })).status).toBe(200)
    expect((await stack.fetchAs(second.handle, { url: joke() })).status).toBe(200)
    expect((await stack.fetchAs(second.handle, { url: `${stack.api.url}/free` })).status).toBe(200)

    const json = (await (await stack.admin('calls?agent=second')).json()) as {
      calls: Array<{
        agentId: string
        route: string
        cost: Record<string, number>
        outcome: string
      }>
    }
    expect(json.calls.map((c) => [c.route, c.outcome, c.cost])).toEqual([
      ['GET /free', 'none', {}],
      ['GET /api/joke', 'paid', { usd: 500 }],
    ])
    const byOrigin = await stack.admin(
      `calls?origin=${encodeURIComponent(stack.api.url)}&from=${start}&limit=10`,
    )
    expect(((await byOrigin.json()) as { calls: unknown[] }).calls).toHaveLength(3)
    const future = await stack.admin(`calls?from=${new Date(Date.now() + 60_000).toISOString()}`)
    expect(((await future.json()) as { calls: unknown[] }).calls).toEqual([])

    const csv = await stack.admin('calls?format=csv&agent=first')
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    const lines = (await csv.text()).trim().split('\r\n')
    expect(lines[0]).toBe(
      'call_id,agent_id,agent_name,started_at,settled_at,method,origin,route,status,outcome,reason,currency,cost',
    )
    expect(lines).toHaveLength(2)
    expect(lines[1]).toContain(`,${first.id},first,`)
    expect(lines[1]).toMatch(/,GET \/api\/joke,200,paid,,usd,500$/)

    const charges = (await (await stack.admin('charges')).json()) as {
      charges: Array<{ agentId: string; units: number }>
    }
    expect(charges.charges).toEqual([
      expect.objectContaining({ agentId: first.id, units: 50_000, currency: 'usd' }),
    ])
    expect(await (await stack.admin('accounts')).json()).toEqual({
      charged: { usd: 50_000 },
      unconfirmed: {},
      spent: { usd: 1_000 },
      creditsHeld: { usd: 49_000 },
      held: {},
      balanced: true,
    })
    for (const bad of [
      'calls?agent=first&agent=second',
      'calls?x=1',
      'calls?limit=0',
      'calls?from=soon',
      'calls?origin=nope',
      'calls?format=xml',
    ]) {
      const res = await stack.admin(bad)
      expect({ bad, status: res.status }).toEqual({ bad, status: 400 })
    }
  })
})
