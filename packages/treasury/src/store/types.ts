/** The storage contract: agents, the holds and costs of their calls, card charges, the paying engine's wallet. */
import type { CapsByCurrency, SpendTotals } from '../agents/caps'

/** An agent as the admin sees it. Its handle's secret is never part of it. */
export interface AgentRecord {
  /** `ag` and 20 hex digits; also the first part of its handle. */
  id: string
  name: string
  caps: CapsByCurrency
  /** Origins (`https://api.example.com`, `https://*.example.com`) it may reach; never empty. */
  allowedOrigins: string[]
  /** May reach loopback, private and link-local addresses (tests, a service on the LAN). */
  allowPrivateNetwork: boolean
  /** Epoch ms after which its handle is refused, or `null`. */
  expiresAt: number | null
  /** Epoch ms it was revoked, or `null`. */
  revokedAt: number | null
  createdAt: number
  updatedAt: number
}

/** An agent with the SHA-256 (hex) of its handle's secret, for authentication only. */
export interface StoredAgent extends AgentRecord {
  secretHash: string
}

export type NewAgent = Omit<StoredAgent, 'revokedAt' | 'updatedAt'>

/** What the admin may change; `expiresAt: null` clears the expiry. */
export interface AgentChanges {
  name?: string
  caps?: CapsByCurrency
  allowedOrigins?: string[]
  allowPrivateNetwork?: boolean
  expiresAt?: number | null
}

export interface ReserveInput {
  agentId: string
  /** Unique per call; settling twice with it changes nothing. */
  callId: string
  /** Epoch ms; the call counts in the UTC day and month it started in. */
  at: number
  method: string
  origin: string
  /** `METHOD /path` of the call as asked. */
  route: string
}

export type ReserveResult =
  | {
      ok: true
      /** Held per currency: the most this call may cost in it (0 when a cap is used up). */
      held: Record<string, number>
    }
  | { ok: false; reason: 'unknown_agent' | 'agent_revoked' | 'agent_expired' }

/** How a call ended, and what it cost. */
export type CallOutcome = 'none' | 'paid' | 'refused' | 'failed' | 'error' | 'abandoned'

export interface Settlement {
  /** Epoch ms. */
  at: number
  /** The upstream status the agent got, or `null` when there was none. */
  status: number | null
  outcome: CallOutcome
  /** Why it was refused or failed (a code, never a secret). */
  reason?: string
  /** What the call cost per currency. A currency held but not listed cost nothing. */
  cost: Record<string, number>
  /** Card charges (top-ups) the call caused. */
  topUps: TopUp[]
}

export interface TopUp {
  origin: string
  currency: string
  units: number
  /** The PaymentIntent id, when the server said. */
  chargeId?: string
}

/** One line of the spend log. */
export interface CallRecord {
  id: string
  agentId: string
  at: number
  method: string
  origin: string
  route: string
  /** `null` while the call is under way. */
  settledAt: number | null
  status: number | null
  outcome: CallOutcome | null
  reason: string | null
  /** Spent per currency once settled; held per currency while under way. */
  cost: Record<string, number>
  held: Record<string, number>
}

export interface ChargeRecord extends TopUp {
  id: string
  agentId: string
  callId: string
  at: number
}

export interface LogFilter {
  agentId?: string
  origin?: string
  /** Epoch ms, inclusive. */
  from?: number
  /** Epoch ms, exclusive. */
  to?: number
  /** Most rows, newest first; default 1,000. */
  limit?: number
}

export interface Accounts {
  /** Top-ups whose charge the API named (a PaymentIntent id). */
  charged: Record<string, number>
  /**
   * Top-ups sent whose charge no answer named: a lost answer (it may have been charged), or an
   * API's word that it charged nothing, taken once a day and counted against budgets after that.
   */
  unconfirmed: Record<string, number>
  spent: Record<string, number>
  held: Record<string, number>
}

/** An agent's spend per currency: settled costs plus holds of calls under way. */
export interface AgentTotals extends SpendTotals {
  /** Units held by calls under way (included in the three totals). */
  held: number
}

/**
 * Every store passes one contract suite (`store/contract.ts`). Money is whole units. `reserve`
 * checks the agent (revoked, expired) and its caps and holds what the call may cost in one atomic
 * step, across every process sharing the store; `settle` replaces the hold with the real cost.
 */
export interface TreasuryStore {
  readonly kind: string
  createAgent(agent: NewAgent): Promise<AgentRecord>
  /** With its secret hash, for authentication; `null` when unknown. */
  getAgent(id: string): Promise<StoredAgent | null>
  findAgentByName(name: string): Promise<AgentRecord | null>
  listAgents(): Promise<AgentRecord[]>
  updateAgent(id: string, changes: AgentChanges, at: number): Promise<AgentRecord | null>
  /** Idempotent: a second revoke keeps the first time. */
  revokeAgent(id: string, at: number): Promise<AgentRecord | null>
  setSecretHash(id: string, secretHash: string, at: number): Promise<AgentRecord | null>

  reserve(input: ReserveInput): Promise<ReserveResult>
  /** `false` when the call was settled already (or never reserved). */
  settle(callId: string, settlement: Settlement): Promise<boolean>
  /** Settles calls reserved before `before` and never settled at what they held: they may have spent it. */
  abandonStale(before: number, at: number): Promise<number>

  totals(agentId: string, now: number): Promise<Record<string, AgentTotals>>
  /** Every agent's totals at once, by agent id (for the dashboard). */
  allTotals(now: number): Promise<Record<string, Record<string, AgentTotals>>>
  /** Per currency, over all agents and time: card charges, what calls cost, and what is held now. */
  accounts(): Promise<Accounts>
  calls(filter: LogFilter): Promise<CallRecord[]>
  charges(filter: LogFilter): Promise<ChargeRecord[]>

  /** The paying engine's wallet snapshot (credentials, credits held at each origin), or `undefined`. */
  loadWallet(): Promise<unknown>
  saveWallet(snapshot: unknown): Promise<void>
  /** Exclusive across processes; resolves to its release. */
  lockWallet(): Promise<() => Promise<void>>

  close(): Promise<void>
}

/** The store cannot be used right now: the treasury answers 503 and moves no money. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError'
}

/** A unique value (an agent's name) is taken. */
export class StoreConflictError extends Error {
  override readonly name = 'StoreConflictError'
}
