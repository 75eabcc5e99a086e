/** Pieces both SQL stores use: grouping the spend log's rows, the wallet lock's wait and lease. */
import { callFromRows, int, type Row, text, totalsFromRow } from './rows'
import { DEFAULT_LOG_LIMIT } from './sql'
import type { Accounts, AgentTotals, CallRecord, LogFilter } from './types'

/** A wallet save takes milliseconds; a holder that died frees the lock after this long. */
export const WALLET_LOCK_TTL_MS = 30_000

/** Backoff while another process holds the wallet lock: 2 ms doubling to 50 ms. */
export function walletLockWait(attempt: number): Promise<void> {
  const ms = Math.min(50, 2 ** Math.min(attempt + 1, 6))
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The spend log's joined rows (one per call and currency) as one record per call, in order. */
export function groupCalls(rows: Row[]): CallRecord[] {
  const byId = new Map<string, { row: Row; amounts: Row[] }>()
  for (const row of rows) {
    const id = text(row.id)
    let entry = byId.get(id)
    if (!entry) {
      entry = { row, amounts: [] }
      byId.set(id, entry)
    }
    if (row.currency !== null && row.currency !== undefined) entry.amounts.push(row)
  }
  return [...byId.values()].map((entry) => callFromRows(entry.row, entry.amounts))
}

/** The spend log's five parameters: agent, origin, from, to, limit. */
export function logParams(filter: LogFilter): Array<string | number | null> {
  return [
    filter.agentId ?? null,
    filter.origin ?? null,
    filter.from ?? null,
    filter.to ?? null,
    filter.limit ?? DEFAULT_LOG_LIMIT,
  ]
}

/** A lock within one process: callers wait their turn, first come first served. */
export class Mutex {
  private tail: Promise<void> = Promise.resolve()

  async lock(): Promise<() => void> {
    const previous = this.tail
    let release!: () => void
    this.tail = new Promise<void>((resolve) => (release = resolve))
    await previous
    return release
  }
}

/** Rows of `allTotalsQuery` by agent and currency. */
export function groupTotals(rows: Row[]): Record<string, Record<string, AgentTotals>> {
  const out: Record<string, Record<string, AgentTotals>> = {}
  for (const row of rows) {
    const agent = text(row.agent_id)
    out[agent] ??= {}
    out[agent][text(row.currency)] = totalsFromRow(row)
  }
  return out
}

/** Rows of `spentQuery` and `chargedQuery` as the accounts. */
export function accountsFrom(spentRows: Row[], chargedRows: Row[]): Accounts {
  const accounts: Accounts = { charged: {}, unconfirmed: {}, spent: {}, held: {} }
  for (const row of spentRows) {
    accounts.spent[text(row.currency)] = int(row.spent)
    accounts.held[text(row.currency)] = int(row.held)
  }
  for (const row of chargedRows) {
    if (int(row.charged) > 0) accounts.charged[text(row.currency)] = int(row.charged)
    if (int(row.unconfirmed) > 0) accounts.unconfirmed[text(row.currency)] = int(row.unconfirmed)
  }
  return accounts
}
