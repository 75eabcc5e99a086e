// The dashboard over plain HTTP: login and its cookie, pages, actions refused without the form token or from another site.
import { describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, useStack } from '../../test/support/stack'

const stack = useStack()

async function signIn(): Promise<string> {
  const res = await fetch(`${stack.url}/dashboard/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: stack.url },
    body: new URLSearchParams({ token: ADMIN_TOKEN }),
    redirect: 'manual',
  })
  expect(res.status).toBe(303)
  const cookie = res.headers.get('set-cookie') ?? ''
  return cookie.split(';')[0] ?? ''
}

async function get(path: string, cookie: string) {
  return fetch(`${stack.url}${path}`, { headers: { cookie }, redirect: 'manual' })
}

function formOf(html: string): string {
  return /name="form" value="([^"]+)"/.exec(html)?.[1] ?? ''
}

async function post(
  path: string,
  cookie: string,
  fields: Record<string, string>,
  origin = stack.url,
) {
  return fetch(`${stack.url}${path}`, {
    method: 'POST',
    headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  })
}

describe('dashboard', () => {
  it('signs in with the admin token into an HttpOnly SameSite=Strict session', async () => {
    expect((await get('/dashboard', '')).headers.get('location')).toBe('/dashboard/login')
    const wrong = await post('/dashboard/login', '', { token: 'not-it' })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('set-cookie')).toBeNull()
    const res = await fetch(`${stack.url}/dashboard/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: ADMIN_TOKEN }),
      redirect: 'manual',
    })
    const cookie = res.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(
      /^treasury_session=[^;]+; Path=\/dashboard; HttpOnly; SameSite=Strict; Max-Age=43200$/,
    )
    expect(cookie).not.toContain(ADMIN_TOKEN)
    const page = await get('/dashboard', cookie.split(';')[0] ?? '')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    const forged = `${cookie.split(';')[0]?.slice(0, -2)}xx`
    expect((await get('/dashboard', forged)).status).toBe(303)
  })

  it('shows agents with spend against caps and the accounts, never a handle', async () => {
    const agent = await stack.agent({ name: 'reader' })
    const paid = await stack.fetchAs(agent.handle, { url: `${stack.api.url}/api/joke` })
    expect(paid.status).toBe(200)
    const cookie = await signIn()
    const overview = await (await get('/dashboard', cookie)).text()
    expect(overview).toContain('reader')
    expect(overview).toContain('$0.05 / $1.00') // today against the daily cap
    expect(overview).toMatch(/data-testid="charged-usd">\$5\.00</)
    expect(overview).toMatch(/data-testid="credits-usd">\$4\.95</)
    expect(overview).toContain('adds up')
    const detail = await (await get(`/dashboard/agents/${agent.id}`, cookie)).text()
    expect(detail).toContain('GET /api/joke')
    expect(detail).toContain('<svg viewBox="0 0 600 160"')
    const charges = await (await get('/dashboard/charges', cookie)).text()
    expect(charges).toContain('reader')
    for (const html of [overview, detail, charges])
      expect(html).not.toContain(agent.handle.split('.')[1])
  })

  it('refuses actions from another site or without the form token, and changes nothing', async () => {
    const agent = await stack.agent({ name: 'target' })
    const cookie = await signIn()
    const form = formOf(await (await get(`/dashboard/agents/${agent.id}`, cookie)).text())
    expect(form).not.toBe('')
    const attempts = [
      await post(`/dashboard/agents/${agent.id}/revoke`, cookie, { form }, 'https://evil.example'),
      await post(`/dashboard/agents/${agent.id}/revoke`, cookie, {}),
      await post(`/dashboard/agents/${agent.id}/revoke`, cookie, { form: 'forged' }),
      await post(`/dashboard/agents/${agent.id}/revoke`, '', { form }),
    ]
    expect(attempts.map((r) => r.status)).toEqual([403, 403, 403, 403])
    expect((await stack.fetchAs(agent.handle, { url: `${stack.api.url}/free` })).status).toBe(200)

    const revoked = await post(`/dashboard/agents/${agent.id}/revoke`, cookie, { form })
    expect(revoked.status).toBe(303)
    expect((await stack.fetchAs(agent.handle, { url: `${stack.api.url}/free` })).status).toBe(403)
  })

  it('creates an agent from the form, shows its handle once, and refuses bad fields', async () => {
    const cookie = await signIn()
    const form = formOf(await (await get('/dashboard', cookie)).text())
    const bad = await post('/dashboard/agents', cookie, {
      form,
      name: 'from-page',
      origins: '*',
      currency: 'usd',
      daily: '100',
    })
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('role="alert"')
    const created = await post('/dashboard/agents', cookie, {
      form,
      name: 'from-page',
      origins: `${stack.api.url}\nhttps://api.example.com`,
      currency: 'usd',
      perCall: '500',
      daily: '1000',
      allowPrivateNetwork: 'yes',
    })
    expect(created.status).toBe(201)
    const handle = /id="handle">([^<]+)</.exec(await created.text())?.[1] ?? ''
    expect(handle).toMatch(/^s402a_/)
    expect((await stack.fetchAs(handle, { url: `${stack.api.url}/api/joke` })).status).toBe(200)
    expect(await (await get('/dashboard', cookie)).text()).not.toContain(handle)

    const agents = (
      (await (await stack.admin('agents')).json()) as {
        agents: Array<{ id: string; name: string }>
      }
    ).agents
    const id = agents.find((a) => a.name === 'from-page')?.id ?? ''
    const changed = await post(`/dashboard/agents/${id}/caps`, cookie, {
      form,
      'usd.perCall': '100',
      'usd.daily': '',
      expiresAt: '',
    })
    expect(changed.status).toBe(303)
    const after = (await (await stack.admin(`agents/${id}`)).json()) as { agent: { caps: unknown } }
    expect(after.agent.caps).toEqual({ usd: { perCall: 100 } })
    const refused = await post(`/dashboard/agents/${id}/caps`, cookie, {
      form,
      'usd.perCall': '-1',
    })
    expect(refused.status).toBe(400)
    expect(
      ((await (await stack.admin(`agents/${id}`)).json()) as { agent: { caps: unknown } }).agent
        .caps,
    ).toEqual({
      usd: { perCall: 100 },
    })
  })
})
