/** What the admin does to agents, once for the API, the dashboard and the CLI: create, change, revoke, rotate, view. */
import { type Remaining, remaining } from '../agents/caps'
import { newAgentId, newHandle } from '../agents/handle'
import { originMatcher } from '../agents/origins'
import type { AgentPatchInput, NewAgentInput } from '../agents/schema'
import { TreasuryError } from '../errors'
import type { AgentRecord, AgentTotals, TreasuryStore } from '../store/types'

export interface AdminDeps {
  store: TreasuryStore
  now: () => number
  /** Agents never reach the Stripe API through the treasury: only the card goes there. */
  stripeOrigin: string
}

export type AgentStatus = 'active' | 'revoked' | 'expired'

/** An agent with what it spent and has left, per currency. */
export interface AgentView extends AgentRecord {
  status: AgentStatus
  spent: Record<string, AgentTotals>
  remaining: Record<string, Remaining>
}

const AGENT_ID = /^ag[0-9a-f]{20}$/

export function statusOf(agent: AgentRecord, now: number): AgentStatus {
  if (agent.revokedAt !== null) return 'revoked'
  if (agent.expiresAt !== null && agent.expiresAt <= now) return 'expired'
  return 'active'
}

export function viewOf(
  agent: AgentRecord,
  spent: Record<string, AgentTotals>,
  now: number,
): AgentView {
  const left: Record<string, Remaining> = {}
  for (const [currency, caps] of Object.entries(agent.caps))
    left[currency] = remaining(caps, spent[currency] ?? { daily: 0, monthly: 0, total: 0 })
  // Never the secret's hash, whatever record was passed in.
  const { secretHash: _never, ...record } = agent as AgentRecord & { secretHash?: string }
  return { ...record, status: statusOf(agent, now), spent, remaining: left }
}

/** Creates the agent and returns its handle: the only time the handle is ever shown. */
export async function createAgent(
  deps: AdminDeps,
  input: NewAgentInput,
): Promise<{ agent: AgentView; handle: string }> {
  checkOrigins(deps, input.allowedOrigins)
  const now = deps.now()
  if (input.expiresAt != null && input.expiresAt <= now)
    throw new TreasuryError('invalid_request', 'expiresAt: must be in the future.')
  if (await deps.store.findAgentByName(input.name))
    throw new TreasuryError('name_taken', `Another agent is named "${input.name}".`)
  const id = newAgentId()
  const { handle, secretHash } = newHandle(id)
  const agent = await deps.store.createAgent({
    id,
    name: input.name,
    secretHash,
    caps: input.caps,
    allowedOrigins: input.allowedOrigins,
    allowPrivateNetwork: input.allowPrivateNetwork ?? false,
    expiresAt: input.expiresAt ?? null,
    createdAt: now,
  })
  return { agent: viewOf(agent, {}, now), handle }
}

/** By id (`ag…`) or by name; `agent_not_found` otherwise. */
export async function findAgent(deps: AdminDeps, ref: string): Promise<AgentRecord> {
  const agent = AGENT_ID.test(ref)
    ? await deps.store.getAgent(ref)
    : await deps.store.findAgentByName(ref)
  if (!agent) throw new TreasuryError('agent_not_found', 'No agent has that id or name.')
  const { secretHash: _never, ...record } = agent as AgentRecord & { secretHash?: string }
  return record
}

export async function agentView(deps: AdminDeps, ref: string): Promise<AgentView> {
  const agent = await findAgent(deps, ref)
  const now = deps.now()
  return viewOf(agent, await deps.store.totals(agent.id, now), now)
}

export async function listAgents(deps: AdminDeps): Promise<AgentView[]> {
  const now = deps.now()
  const [agents, totals] = await Promise.all([deps.store.listAgents(), deps.store.allTotals(now)])
  return agents.map((agent) => viewOf(agent, totals[agent.id] ?? {}, now))
}

export async function changeAgent(
  deps: AdminDeps,
  ref: string,
  patch: AgentPatchInput,
): Promise<AgentView> {
  if (patch.allowedOrigins) checkOrigins(deps, patch.allowedOrigins)
  const agent = await findAgent(deps, ref)
  if (
    patch.name !== undefined &&
    patch.name !== agent.name &&
    (await deps.store.findAgentByName(patch.name))
  )
    throw new TreasuryError('name_taken', `Another agent is named "${patch.name}".`)
  const now = deps.now()
  const changed = await deps.store.updateAgent(
    agent.id,
    {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.caps !== undefined ? { caps: patch.caps } : {}),
      ...(patch.allowedOrigins !== undefined ? { allowedOrigins: patch.allowedOrigins } : {}),
      ...(patch.allowPrivateNetwork !== undefined
        ? { allowPrivateNetwork: patch.allowPrivateNetwork }
        : {}),
      ...(patch.expiresAt !== undefined ? { expiresAt: patch.expiresAt } : {}),
    },
    now,
  )
  if (!changed) throw new TreasuryError('agent_not_found', 'No agent has that id or name.')
  return viewOf(changed, await deps.store.totals(agent.id, now), now)
}

/** Its next request is refused, on every instance; no other agent is touched. */
export async function revokeAgent(deps: AdminDeps, ref: string): Promise<AgentView> {
  const agent = await findAgent(deps, ref)
  const now = deps.now()
  const revoked = await deps.store.revokeAgent(agent.id, now)
  if (!revoked) throw new TreasuryError('agent_not_found', 'No agent has that id or name.')
  return viewOf(revoked, await deps.store.totals(agent.id, now), now)
}

/** A new secret: the old handle stops working at once. */
export async function rotateHandle(
  deps: AdminDeps,
  ref: string,
): Promise<{ agent: AgentView; handle: string }> {
  const agent = await findAgent(deps, ref)
  if (agent.revokedAt !== null)
    throw new TreasuryError('agent_revoked', 'A revoked agent gets no new handle.')
  const { handle, secretHash } = newHandle(agent.id)
  const now = deps.now()
  const rotated = await deps.store.setSecretHash(agent.id, secretHash, now)
  if (!rotated) throw new TreasuryError('agent_not_found', 'No agent has that id or name.')
  return { agent: viewOf(rotated, await deps.store.totals(agent.id, now), now), handle }
}

function checkOrigins(deps: AdminDeps, origins: readonly string[]): void {
  if (originMatcher(origins)(deps.stripeOrigin))
    throw new TreasuryError(
      'invalid_request',
      `allowedOrigins: ${deps.stripeOrigin} is the Stripe API; agents never reach it through the treasury.`,
    )
}
