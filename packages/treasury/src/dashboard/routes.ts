/**
 * The dashboard under `/dashboard`: the admin's alone. A login with the admin token sets an
 * HttpOnly SameSite=Strict session cookie; every action is a POST that must come from the page
 * itself (same Origin, when the browser says) and carry the session's form token.
 */
import { sameSecret } from '../agents/handle'
import { AgentPatchSchema, describeIssues, NewAgentSchema } from '../agents/schema'
import {
  type AdminDeps,
  agentView,
  changeAgent,
  createAgent,
  findAgent,
  listAgents,
  revokeAgent,
  rotateHandle,
} from '../admin/agents'
import { accountsView } from '../admin/report'
import { TreasuryError } from '../errors'
import { readForm } from '../http/body'
import { toTreasuryError } from '../http/respond'
import { agentPage, chargesPage, handlePage, loginPage, overviewPage } from './pages'
import {
  formToken,
  newSession,
  readCookie,
  SESSION_COOKIE,
  sessionCookie,
  validFormToken,
  validSession,
} from './session'
import { STYLE } from './style'

export interface DashboardDeps extends AdminDeps {
  adminToken: string
  maxBodyBytes: number
}

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  // Not no-referrer: under it Chromium sends `Origin: null` on the page's own form posts.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
}

function html(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...HTML_HEADERS, ...headers } })
}

function redirect(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, {
    status: 303,
    headers: { location, 'cache-control': 'no-store', ...headers },
  })
}

/** A POST the browser says came from another site is refused before anything else. */
function sameOrigin(request: Request): boolean {
  const origin = request.headers.get('origin')
  if (origin !== null) return origin === new URL(request.url).origin
  const site = request.headers.get('sec-fetch-site')
  return site === null || site === 'same-origin' || site === 'none'
}

const AGENT_ID = /^ag[0-9a-f]{20}$/

/** `path` is what follows `/dashboard` (empty, or starting with `/`). */
export async function dashboard(
  request: Request,
  path: string,
  deps: DashboardDeps,
): Promise<Response> {
  const { method } = request
  const now = deps.now()
  const secure = new URL(request.url).protocol === 'https:'
  if (path === '/style.css' && method === 'GET')
    return new Response(STYLE, {
      headers: { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=300' },
    })

  const session = readCookie(request, SESSION_COOKIE)
  const signedIn = validSession(deps.adminToken, session, now)
  if (method === 'POST' && !sameOrigin(request))
    throw new TreasuryError('forbidden', 'Cross-site requests to the dashboard are refused.')

  if (path === '/login') {
    if (method === 'GET') return signedIn ? redirect('/dashboard') : html(200, loginPage())
    if (method !== 'POST') throw new TreasuryError('method_not_allowed', 'Use GET or POST.')
    const form = await readForm(request, 4_096)
    if (!sameSecret(form.get('token') ?? '', deps.adminToken))
      return html(401, loginPage('That is not the admin token.'))
    return redirect('/dashboard', {
      'set-cookie': sessionCookie(newSession(deps.adminToken, now), secure),
    })
  }
  if (!signedIn || session === undefined) {
    if (method === 'GET') return redirect('/dashboard/login')
    throw new TreasuryError('forbidden', 'Sign in first.')
  }
  const token = formToken(deps.adminToken, session)

  if (method === 'GET') {
    if (path === '' || path === '/') {
      const [agents, accounts] = await Promise.all([listAgents(deps), accountsView(deps.store)])
      return html(200, overviewPage(agents, accounts, token))
    }
    if (path === '/charges') {
      const [charges, agents] = await Promise.all([
        deps.store.charges({ limit: 500 }),
        deps.store.listAgents(),
      ])
      return html(200, chargesPage(charges, new Map(agents.map((a) => [a.id, a.name])), token))
    }
    const match = /^\/agents\/([^/]+)$/.exec(path)
    if (match?.[1] && AGENT_ID.test(match[1])) return agentHtml(deps, match[1], token, 200)
    throw new TreasuryError('not_found', 'No such page.')
  }
  if (method !== 'POST') throw new TreasuryError('method_not_allowed', 'Use GET or POST.')

  const form = await readForm(request, deps.maxBodyBytes)
  if (!validFormToken(deps.adminToken, session, form.get('form')))
    throw new TreasuryError(
      'forbidden',
      'The form is stale or not from this dashboard; reload the page.',
    )
  if (path === '/logout')
    return redirect('/dashboard/login', { 'set-cookie': sessionCookie('', secure, 0) })
  if (path === '/agents') return createFromForm(deps, form, token)
  const action = /^\/agents\/([^/]+)\/(revoke|rotate|caps)$/.exec(path)
  if (!action?.[1] || !AGENT_ID.test(action[1]))
    throw new TreasuryError('not_found', 'No such page.')
  const id = action[1]
  if (action[2] === 'revoke') {
    await revokeAgent(deps, id)
    return redirect(`/dashboard/agents/${id}`)
  }
  if (action[2] === 'rotate') {
    const rotated = await rotateHandle(deps, id)
    return html(200, handlePage(rotated.agent, rotated.handle, token))
  }
  const agent = await findAgent(deps, id)
  const caps: Record<string, Record<string, number>> = {}
  for (const currency of Object.keys(agent.caps)) caps[currency] = capsFrom(form, `${currency}.`)
  const expires = (form.get('expiresAt') ?? '').trim()
  const patch = AgentPatchSchema.safeParse({ caps, expiresAt: expires === '' ? null : expires })
  if (!patch.success) return agentHtml(deps, id, token, 400, describeIssues(patch.error))
  try {
    await changeAgent(deps, id, patch.data)
  } catch (error) {
    return agentHtml(deps, id, token, toTreasuryError(error).status, toTreasuryError(error).message)
  }
  return redirect(`/dashboard/agents/${id}`)
}

async function agentHtml(
  deps: DashboardDeps,
  id: string,
  token: string,
  status: number,
  error?: string,
): Promise<Response> {
  const agent = await agentView(deps, id)
  const now = deps.now()
  const calls = await deps.store.calls({
    agentId: agent.id,
    from: now - 30 * 86_400_000,
    limit: 10_000,
  })
  return html(status, agentPage(agent, calls, now, token, error))
}

/** Empty fields are no cap; anything else must be whole units (the schema says so if not). */
function capsFrom(form: URLSearchParams, prefix: string): Record<string, number> {
  const caps: Record<string, number> = {}
  for (const name of ['perCall', 'daily', 'monthly', 'total']) {
    const value = (form.get(`${prefix}${name}`) ?? '').trim()
    if (value !== '') caps[name] = /^\d+$/.test(value) ? Number(value) : Number.NaN
  }
  return caps
}

async function createFromForm(
  deps: DashboardDeps,
  form: URLSearchParams,
  token: string,
): Promise<Response> {
  const currency = (form.get('currency') ?? 'usd').trim().toLowerCase()
  const expires = (form.get('expiresAt') ?? '').trim()
  const input = NewAgentSchema.safeParse({
    name: (form.get('name') ?? '').trim(),
    caps: { [currency]: capsFrom(form, '') },
    allowedOrigins: (form.get('origins') ?? '')
      .split(/\s+/)
      .map((o) => o.trim())
      .filter(Boolean),
    allowPrivateNetwork: form.get('allowPrivateNetwork') === 'yes',
    ...(expires ? { expiresAt: expires } : {}),
  })
  const again = async (status: number, message: string) => {
    const [agents, accounts] = await Promise.all([listAgents(deps), accountsView(deps.store)])
    return html(status, overviewPage(agents, accounts, token, message))
  }
  if (!input.success) return again(400, describeIssues(input.error))
  try {
    const created = await createAgent(deps, input.data)
    return html(201, handlePage(created.agent, created.handle, token))
  } catch (error) {
    const known = toTreasuryError(error)
    if (known.status >= 500) throw error
    return again(known.status, known.message)
  }
}
