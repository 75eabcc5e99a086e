/** The Agent API, authenticated by the agent's handle: `POST /v1/fetch` and `GET /v1/me`. */
import { remaining } from '../agents/caps'
import { parseHandle, secretMatches } from '../agents/handle'
import { FetchRequestSchema } from '../agents/schema'
import { viewOf } from '../admin/agents'
import { TreasuryError } from '../errors'
import { type CallDeps, relayCall } from '../relay/call'
import type { StoredAgent } from '../store/types'
import { readJson } from './body'
import { json } from './respond'

export interface AgentApiDeps extends CallDeps {
  /** Largest `POST /v1/fetch` body, in bytes. */
  maxBodyBytes: number
}

// Compared against when the agent id is unknown, so that case takes as long as a wrong secret.
const NO_SUCH_HASH = '0'.repeat(64)

/** `Authorization: Bearer <handle>`: the agent, or 401 (without saying which part was wrong), 403 when revoked or expired. */
export async function authenticateAgent(
  request: Request,
  deps: Pick<CallDeps, 'store' | 'now'>,
): Promise<StoredAgent> {
  const match = /^Bearer +(\S+)$/i.exec(request.headers.get('authorization') ?? '')
  const parsed = match?.[1] ? parseHandle(match[1]) : undefined
  if (!parsed)
    throw new TreasuryError(
      'unauthorized',
      'Send the agent handle as Authorization: Bearer <handle>.',
    )
  const agent = await deps.store.getAgent(parsed.agentId)
  const matches = secretMatches(parsed.secret, agent?.secretHash ?? NO_SUCH_HASH)
  if (!agent || !matches) throw new TreasuryError('unauthorized', 'The handle is not valid.')
  if (agent.revokedAt !== null) throw new TreasuryError('agent_revoked', 'This agent is revoked.')
  if (agent.expiresAt !== null && agent.expiresAt <= deps.now())
    throw new TreasuryError('agent_expired', 'This agent is expired.')
  return agent
}

/** Headers never passed to the upstream: the treasury's own, hop-by-hop ones, and `payment` (only the engine pays). */
const REQUEST_DROPPED = new Set([
  'host',
  'connection',
  'keep-alive',
  'content-length',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'proxy-authorization',
  'proxy-connection',
  'payment',
])

/** Headers never passed back to the agent: credentials (`payment-response` names one), hop-by-hop, and ours. */
const RESPONSE_DROPPED = new Set([
  'payment',
  'payment-response',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-connection',
])

export async function postFetch(request: Request, deps: AgentApiDeps): Promise<Response> {
  const agent = await authenticateAgent(request, deps)
  const input = await readJson(request, FetchRequestSchema, deps.maxBodyBytes)
  const headers = new Headers()
  try {
    for (const [name, value] of Object.entries(input.headers ?? {}))
      if (!REQUEST_DROPPED.has(name.toLowerCase()) && !name.toLowerCase().startsWith('treasury-'))
        headers.append(name, value)
  } catch {
    throw new TreasuryError('invalid_request', 'headers: a name or value is not valid in HTTP.')
  }
  const body =
    input.body === undefined ? undefined : decodeBody(input.body, input.bodyEncoding ?? 'utf8')
  const result = await relayCall(deps, agent, {
    method: input.method,
    url: input.url,
    headers,
    body,
    ...(input.maxPrice !== undefined && { maxPrice: input.maxPrice }),
  })

  const out = new Headers()
  result.response.headers.forEach((value, name) => {
    if (name === 'set-cookie' || RESPONSE_DROPPED.has(name) || name.startsWith('treasury-')) return
    out.append(name, value)
  })
  for (const cookie of result.response.headers.getSetCookie()) out.append('set-cookie', cookie)
  out.set('treasury-call', result.callId)
  out.set('treasury-outcome', result.outcome)
  if (result.reason) out.set('treasury-reason', result.reason)
  const [costCurrency, cost] = Object.entries(result.cost)[0] ?? [
    Object.keys(agent.caps)[0] ?? 'usd',
    0,
  ]
  out.set('treasury-cost', String(cost))
  out.set('treasury-currency', costCurrency)
  const topUp = result.topUps.reduce((sum, t) => sum + t.units, 0)
  if (topUp > 0) out.set('treasury-top-up', String(topUp))
  try {
    const totals = await deps.store.totals(agent.id, deps.now())
    const caps = agent.caps[costCurrency]
    if (caps) {
      const left = remaining(caps, totals[costCurrency] ?? { daily: 0, monthly: 0, total: 0 })
      const periods = [left.daily, left.monthly, left.total].filter((v) => v !== undefined)
      if (periods.length > 0) out.set('treasury-remaining', String(Math.min(...periods)))
    }
  } catch {
    // The answer is the agent's either way; GET /v1/me tells what is left.
  }
  out.set('cache-control', result.response.headers.get('cache-control') ?? 'private, no-store')
  return new Response(result.response.body, {
    status: result.response.status,
    statusText: result.response.statusText,
    headers: out,
  })
}

export async function getMe(request: Request, deps: AgentApiDeps): Promise<Response> {
  const agent = await authenticateAgent(request, deps)
  const now = deps.now()
  const view = viewOf(agent, await deps.store.totals(agent.id, now), now)
  return json(200, {
    id: view.id,
    name: view.name,
    status: view.status,
    caps: view.caps,
    allowedOrigins: view.allowedOrigins,
    expiresAt: view.expiresAt,
    spent: view.spent,
    remaining: view.remaining,
  })
}

function decodeBody(body: string, encoding: 'utf8' | 'base64'): Uint8Array<ArrayBuffer> {
  if (encoding === 'utf8') return new TextEncoder().encode(body)
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(body))
    throw new TreasuryError('invalid_request', 'body: is not base64.')
  return Uint8Array.from(Buffer.from(body, 'base64'))
}
