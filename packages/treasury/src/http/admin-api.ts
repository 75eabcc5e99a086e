/** The Admin API under `/v1/admin/`, authenticated by the admin token (`Authorization: Bearer <token>`, never a cookie). */
import { sameSecret } from '../agents/handle'
import { AgentPatchSchema, NewAgentSchema } from '../agents/schema'
import {
  type AdminDeps,
  agentView,
  changeAgent,
  createAgent,
  listAgents,
  revokeAgent,
  rotateHandle,
} from '../admin/agents'
import { accountsView, callsCsv, logFilter } from '../admin/report'
import { TreasuryError } from '../errors'
import { readJson } from './body'
import { json, text } from './respond'

export interface AdminApiDeps extends AdminDeps {
  adminToken: string
  maxBodyBytes: number
}

export function requireAdmin(request: Request, adminToken: string): void {
  const match = /^Bearer +(\S+)$/i.exec(request.headers.get('authorization') ?? '')
  if (!match?.[1] || !sameSecret(match[1], adminToken))
    throw new TreasuryError(
      'unauthorized',
      'Send the admin token as Authorization: Bearer <token>.',
    )
}

/** `path` is what follows `/v1/admin/`. */
export async function adminApi(
  request: Request,
  path: string,
  deps: AdminApiDeps,
): Promise<Response> {
  requireAdmin(request, deps.adminToken)
  const url = new URL(request.url)
  const parts = path.split('/').map(segment)
  const method = request.method
  const [head, ref, action, ...rest] = parts
  if (rest.length > 0) throw new TreasuryError('not_found', 'No such endpoint.')

  if (head === 'agents' && ref === undefined) {
    if (method === 'GET') {
      noQuery(url)
      return json(200, { agents: await listAgents(deps) })
    }
    if (method === 'POST') {
      const input = await readJson(request, NewAgentSchema, deps.maxBodyBytes)
      const created = await createAgent(deps, input)
      return json(201, created)
    }
    throw notAllowed('GET, POST')
  }
  if (head === 'agents' && ref !== undefined && ref !== '') {
    if (action === undefined) {
      if (method === 'GET') return json(200, { agent: await agentView(deps, ref) })
      if (method === 'PATCH') {
        const patch = await readJson(request, AgentPatchSchema, deps.maxBodyBytes)
        return json(200, { agent: await changeAgent(deps, ref, patch) })
      }
      throw notAllowed('GET, PATCH')
    }
    if (method !== 'POST') throw notAllowed('POST')
    if (action === 'revoke') return json(200, { agent: await revokeAgent(deps, ref) })
    if (action === 'rotate') return json(200, await rotateHandle(deps, ref))
  }
  if ((head === 'calls' || head === 'charges') && ref === undefined) {
    if (method !== 'GET') throw notAllowed('GET')
    const format = url.searchParams.get('format') ?? 'json'
    if (format !== 'json' && format !== 'csv')
      throw new TreasuryError('invalid_request', 'format: json or csv.')
    const filter = await logFilter(deps, url.searchParams)
    if (head === 'charges') {
      if (format === 'csv')
        throw new TreasuryError('invalid_request', 'format: charges are JSON only.')
      return json(200, { charges: await deps.store.charges(filter) })
    }
    const calls = await deps.store.calls(filter)
    if (format === 'json') return json(200, { calls })
    const names = new Map((await deps.store.listAgents()).map((a) => [a.id, a.name]))
    return text(200, callsCsv(calls, names), 'text/csv; charset=utf-8', {
      'content-disposition': 'attachment; filename="treasury-calls.csv"',
    })
  }
  if (head === 'accounts' && ref === undefined) {
    if (method !== 'GET') throw notAllowed('GET')
    return json(200, await accountsView(deps.store))
  }
  throw new TreasuryError('not_found', 'No such endpoint.')
}

function segment(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    throw new TreasuryError('not_found', 'No such endpoint.')
  }
}

function notAllowed(allow: string): TreasuryError {
  return new TreasuryError('method_not_allowed', `Use ${allow}.`)
}

function noQuery(url: URL): void {
  if ([...url.searchParams.keys()].length > 0)
    throw new TreasuryError('invalid_request', 'This endpoint takes no parameters.')
}
