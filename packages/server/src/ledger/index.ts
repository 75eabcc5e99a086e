/** The ledgers: one contract (types.ts), four stores. The engine re-exports all of it. */
export type {
  ClawbackInput,
  CreditAndSpendInput,
  CreditInput,
  HeldDebit,
  HeldDebits,
  HeldSettlement,
  JournalEntry,
  JournalKind,
  Ledger,
  SpendInput,
  SpendResult,
} from './types'
export { LedgerUnavailableError } from './types'
export { MemoryLedger } from './memory'
export { PostgresLedger } from './postgres'
export type { PostgresLedgerOptions, SqlClient } from './postgres'
export { RedisLedger } from './redis'
export type { RedisClientLike, RedisLedgerOptions } from './redis'
export { SqliteLedger } from './sqlite'
export type { SqliteLedgerOptions } from './sqlite'
