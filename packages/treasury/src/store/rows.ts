/** Rows as both SQL stores return them, turned into records; a value of the wrong shape is an error, never a default. */
import type { CapsByCurrency } from '../agents/caps'
import type { AgentTotals, CallOutcome, CallRecord, ChargeRecord, StoredAgent } from './types'

export type Row = Record<string, unknown>

// node-postgres returns int8 as a string, node:sqlite as a number: both must come back exact.
export function int(value: unknown): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' || typeof value === 'bigint'
        ? Number(value)
        : Number.NaN
  if (!Number.isSafeInteger(n))
    throw new Error(`treasury store: got ${String(value)} where a whole number was expected`)
  return n
}

export function intOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : int(value)
}

export function text(value: unknown): string {
  if (typeof value !== 'string')
    throw new Error(`treasury store: got ${String(value)} where text was expected`)
  return value
}

function json<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T
}

export function agentFromRow(row: Row): StoredAgent {
  return {
    id: text(row.id),
    name: text(row.name),
    secretHash: text(row.secret_hash),
    caps: json<CapsByCurrency>(row.caps),
    allowedOrigins: json<string[]>(row.allowed_origins),
    allowPrivateNetwork: row.allow_private === true || row.allow_private === 1,
    expiresAt: intOrNull(row.expires_at),
    revokedAt: intOrNull(row.revoked_at),
    createdAt: int(row.created_at),
    updatedAt: int(row.updated_at),
  }
}

/** The public record: everything but the secret's hash. */
export function publicAgent(agent: StoredAgent): Omit<StoredAgent, 'secretHash'> {
  const { secretHash: _hidden, ...record } = agent
  return record
}

/** One call's row plus its amount rows (`currency`, `held`, `spent`). */
export function callFromRows(row: Row, amounts: Row[]): CallRecord {
  const cost: Record<string, number> = {}
  const held: Record<string, number> = {}
  for (const amount of amounts) {
    const currency = text(amount.currency)
    const spent = int(amount.spent)
    const holding = int(amount.held)
    if (spent > 0) cost[currency] = spent
    if (holding > 0) held[currency] = holding
  }
  return {
    id: text(row.id),
    agentId: text(row.agent_id),
    at: int(row.at),
    method: text(row.method),
    origin: text(row.origin),
    route: text(row.route),
    settledAt: intOrNull(row.settled_at),
    status: intOrNull(row.status),
    outcome: row.outcome === null ? null : (text(row.outcome) as CallOutcome),
    reason: row.reason === null ? null : text(row.reason),
    cost,
    held,
  }
}

export function chargeFromRow(row: Row): ChargeRecord {
  return {
    id: String(int(row.id)),
    agentId: text(row.agent_id),
    callId: text(row.call_id),
    origin: text(row.origin),
    currency: text(row.currency),
    units: int(row.units),
    ...(row.charge_id !== null ? { chargeId: text(row.charge_id) } : {}),
    at: int(row.at),
  }
}

export function totalsFromRow(row: Row): AgentTotals {
  return {
    daily: int(row.daily),
    monthly: int(row.monthly),
    total: int(row.total),
    held: int(row.held),
  }
}
