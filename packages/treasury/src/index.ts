/** @stripe402/treasury: one card, many agents. A service that holds the card and gives each agent a capped, revocable handle. Node only. */
export type { Caps, CapsByCurrency, Remaining, SpendTotals } from './agents/caps'
export { remaining } from './agents/caps'
export { SqliteStore, type SqliteStoreOptions } from './store/sqlite'
export {
  type PgPool,
  type PgPoolClient,
  type PgQueryable,
  PostgresStore,
  type PostgresStoreOptions,
} from './store/postgres'
export {
  type AgentChanges,
  type AgentRecord,
  type AgentTotals,
  type CallOutcome,
  type CallRecord,
  type ChargeRecord,
  type LogFilter,
  type NewAgent,
  type ReserveInput,
  type ReserveResult,
  type Settlement,
  StoreConflictError,
  type StoredAgent,
  StoreUnavailableError,
  type TopUp,
  type TreasuryStore,
} from './store/types'
export {
  createTreasury,
  type Treasury,
  type TreasuryLogger,
  type TreasuryOptions,
} from './treasury'
export type { TopUpPolicy } from './relay/engine'
export type { Listening } from './http/node'
export { ERROR_STATUS, TreasuryError, type TreasuryErrorCode } from './errors'
export type { AgentStatus, AgentView } from './admin/agents'
export type { AccountsView } from './admin/report'
export {
  createTreasuryFetch,
  getTreasuryInfo,
  type TreasuryFetchOptions,
  type TreasuryInfo,
} from './client'
