/** Ledger on PostgreSQL: a node-postgres Pool or Client, or PGlite as the embedded default, with the same SQL. */
import { migrationSql, statements } from './postgres-sql'
import { isStatementError, toLedgerError } from './postgres-errors'
import { type QueuedSpend, SpendBatcher } from './spend-batcher'
import type {
  ClawbackInput,
  CreditAndSpendInput,
  CreditInput,
  HeldDebit,
  HeldDebits,
  JournalEntry,
  JournalKind,
  Ledger,
  SpendInput,
  SpendResult,
} from './types'
import {
  checkClawback,
  checkCredit,
  checkCreditAndSpend,
  checkCurrency,
  checkHeld,
  checkId,
  checkLimit,
  checkMs,
  checkPendingValue,
  isJournalKind,
} from './validate'

/**
 * The part of node-postgres (`Pool`, `Client`) and PGlite the ledger uses. Typed structurally so
 * that neither package is needed to compile against this one.
 */
export interface SqlClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>
  /** PGlite only: runs several statements at once (node-postgres does that through `query`). */
  exec?(text: string): Promise<unknown>
}

export interface PostgresLedgerOptions {
  /** Schema holding the ledger's tables and functions. Default `stripe402`. */
  schema?: string
  /**
   * How a credential's debit (`spend`) commits. `sync` (default): PostgreSQL's own setting, on
   * by default, so the commit waits for its WAL flush. `async`: `synchronous_commit = off` for
   * that one transaction (`set_config(…, true)`), so the balance row's lock is released at commit,
   * not after the flush: far more debits a second on a hot account. The exact risk: if the
   * PostgreSQL server crashes, the debits committed in its last ~600 ms (three `wal_writer_delay`)
   * are lost whole, balance and journal together; those calls were served, so the operator loses
   * their price. Nothing else changes: top-up credits, reversals, confirmations and every other
   * write stay synchronous, so a payer never loses money. See docs/scaling.md.
   */
  debitCommit?: 'sync' | 'async'
}

// node-postgres returns int8 as a string and PGlite as a number; both must come back exact.
function units(value: unknown): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' || typeof value === 'bigint'
        ? Number(value)
        : NaN
  if (!Number.isSafeInteger(n))
    throw new Error(
      `stripe402 ledger: PostgreSQL returned ${String(value)} where a whole number was expected`,
    )
  return n
}

function text(value: unknown): string {
  if (typeof value !== 'string')
    throw new Error(
      `stripe402 ledger: PostgreSQL returned ${String(value)} where text was expected`,
    )
  return value
}

function spendResult(row: Record<string, unknown>, accountId: string): SpendResult {
  if (row.ok === true)
    return { ok: true, accountId, balance: units(row.balance), entryId: text(row.entry_id) }
  const reason = text(row.reason)
  if (reason === 'insufficient_credits')
    return { ok: false, reason, accountId, balance: units(row.balance) }
  if (
    reason === 'unknown_credential' ||
    reason === 'credential_revoked' ||
    reason === 'account_frozen'
  ) {
    return { ok: false, reason, accountId }
  }
  throw new Error(`stripe402 ledger: unexpected spend outcome ${reason}`)
}

/**
 * Most debits one spend_batch runs: one transaction holds the row locks of its accounts until it
 * commits, so other processes' debits on them wait at most one batch.
 */
const MAX_SPEND_BATCH = 128

const byAccount = (a: HeldDebit, b: HeldDebit) =>
  a.accountId < b.accountId
    ? -1
    : a.accountId > b.accountId
      ? 1
      : a.ref < b.ref
        ? -1
        : a.ref > b.ref
          ? 1
          : 0

function first(rows: Record<string, unknown>[]): Record<string, unknown> {
  const row = rows[0]
  if (!row) throw new Error('stripe402 ledger: PostgreSQL returned no row')
  return row
}

/**
 * Each method is one SQL statement (most call a plpgsql function created by `migrate()`), so it
 * is atomic and costs one round trip. Correct under concurrency from any number of processes:
 * balance changes take the (account, currency) row lock, and idempotent kinds are guarded by a
 * unique index on (account_id, kind, ref).
 *
 * Configure the pool so an outage is a fast 503, not a hang: `connectionTimeoutMillis` (pg-pool
 * waits forever by default) and `statement_timeout` / `query_timeout`. A timeout after the
 * statement reached the server is ambiguous (it may still commit), as with any database.
 * The functions assume the default READ COMMITTED isolation.
 */
export class PostgresLedger implements Ledger {
  readonly kind = 'postgres'
  readonly schema: string
  private readonly sql: ReturnType<typeof statements>
  private closeOwned: (() => Promise<void>) | undefined

  readonly holds: HeldDebits = {
    settle: async (settlements) => {
      checkHeld(settlements)
      if (settlements.length === 0) return 0
      // One order for every batch, so that two batches never wait on each other's balance rows.
      const sorted = [...settlements].sort(byAccount)
      const row = first(
        await this.run(this.sql.settleHeld, [
          sorted.map((item) => item.accountId),
          sorted.map((item) => item.currency),
          sorted.map((item) => item.units),
          sorted.map((item) => item.ref),
          sorted.map((item) => item.reverse),
        ]),
      )
      return units(row.reversed)
    },
    extend: async (debits, holdUntil) => {
      checkHeld(debits)
      checkMs(holdUntil, 'holdUntil')
      if (debits.length === 0) return
      await this.run(this.sql.extendHeld, [
        debits.map((debit) => debit.accountId),
        debits.map((debit) => debit.ref),
        holdUntil,
      ])
    },
    sweep: async (now, limit) => {
      checkMs(now, 'now')
      checkLimit(limit)
      const rows = await this.run(this.sql.sweepHeld, [now, limit])
      return rows.map((row) => ({
        accountId: text(row.h_account),
        currency: text(row.h_currency),
        units: units(row.h_units),
        ref: text(row.h_ref),
      }))
    },
    count: async () => units(first(await this.run(this.sql.countHeld, [])).n),
  }

  constructor(
    private readonly db: SqlClient,
    options: PostgresLedgerOptions = {},
  ) {
    this.schema = options.schema ?? 'stripe402'
    if (
      options.debitCommit !== undefined &&
      options.debitCommit !== 'sync' &&
      options.debitCommit !== 'async'
    )
      throw new TypeError(
        `stripe402 ledger: debitCommit must be 'sync' or 'async', not ${String(options.debitCommit)}`,
      )
    this.sql = statements(this.schema, { asyncDebits: options.debitCommit === 'async' })
  }

  /**
   * A ledger on a new PGlite (in memory, or persisted in `dataDir`), migrated and ready: the
   * embedded default for demos and single-process apps. `close()` closes that PGlite.
   */
  static async embedded(
    dataDir?: string,
    options: PostgresLedgerOptions = {},
  ): Promise<PostgresLedger> {
    const { PGlite } = await import('@electric-sql/pglite').catch((err: unknown) => {
      throw new Error(
        'stripe402 ledger: PostgresLedger.embedded() needs the optional peer dependency @electric-sql/pglite (npm install @electric-sql/pglite)',
        {
          cause: err,
        },
      )
    })
    const db = await PGlite.create(dataDir)
    const ledger = new PostgresLedger(db, options)
    ledger.closeOwned = () => db.close()
    try {
      await ledger.migrate()
    } catch (err) {
      await db.close()
      throw err
    }
    return ledger
  }

  /**
   * Creates the schema, tables and functions, or brings them up to date. Idempotent, and safe
   * to run from several processes at once (an advisory lock serialises them).
   */
  async migrate(): Promise<void> {
    const sql = migrationSql(this.schema)
    try {
      if (typeof this.db.exec === 'function') await this.db.exec(sql)
      else await this.db.query(sql)
    } catch (err) {
      throw toLedgerError(err, this.schema)
    }
  }

  /**
   * The spends asked for in one turn of the event loop go to PostgreSQL as one statement
   * (`spend_batch`): one transaction, so one commit and one WAL flush for all of them, and a hot
   * account's debits no longer queue one flush each on its row lock. Each debit keeps its own
   * answer. If PostgreSQL refuses the batch's statement (so it rolled back, whole), each debit runs
   * again alone, so one debit's error fails that debit only; a batch whose fate is unknown (the
   * connection lost, a timeout, a FATAL) fails each of its debits as a debit in doubt, as a single
   * call would, and is never run again.
   */
  spend(input: SpendInput): Promise<SpendResult> {
    return this.spends.add(input)
  }

  /** The spends of this turn, waiting for their spend_batch. */
  private readonly spends = new SpendBatcher(
    (batch) => void this.sendSpends(batch),
    MAX_SPEND_BATCH,
  )

  private async sendSpends(batch: QueuedSpend[]): Promise<void> {
    if (batch.length === 1) {
      const op = batch[0] as QueuedSpend
      return this.spendAlone(op.input).then(op.resolve, op.reject)
    }
    // One order of accounts for every batch, so that two batches never wait on each other's
    // balance rows; a stable sort keeps one account's debits in the order they were asked.
    batch.sort((a, b) =>
      a.input.accountId < b.input.accountId ? -1 : a.input.accountId > b.input.accountId ? 1 : 0,
    )
    const inputs = batch.map((op) => op.input)
    let rows: Record<string, unknown>[]
    try {
      rows = (
        await this.db.query(this.sql.spendBatch, [
          inputs.map((input) => input.accountId),
          inputs.map((input) => input.credentialHash ?? null),
          inputs.map((input) => input.currency),
          inputs.map((input) => input.units),
          inputs.map((input) => input.ref),
          inputs.map((input) => input.holdUntil ?? null),
        ])
      ).rows
    } catch (err) {
      // A statement PostgreSQL refused rolled back: no debit of the batch stands, and each can run
      // alone. Anything else (the connection lost, a timeout, a shutdown) leaves the batch's fate
      // unknown: every debit of it is in doubt, for the engine to repair, never run again here.
      if (!isStatementError(err)) {
        const error = toLedgerError(err, this.schema)
        for (const op of batch) op.reject(error)
        return
      }
      // One after the other, in the batch's order: the same row locks in the same order.
      for (const op of batch) await this.spendAlone(op.input).then(op.resolve, op.reject)
      return
    }
    const answered = new Array<Record<string, unknown> | undefined>(batch.length)
    for (const row of rows) answered[units(row.k) - 1] = row
    batch.forEach((op, i) => {
      try {
        op.resolve(spendResult(first(answered[i] ? [answered[i]] : []), op.input.accountId))
      } catch (err) {
        op.reject(err)
      }
    })
  }

  /** One debit, one statement (`spend` or `spend_held`). */
  private async spendAlone(input: SpendInput): Promise<SpendResult> {
    const { accountId } = input
    const row = first(
      await this.run(input.holdUntil === undefined ? this.sql.spend : this.sql.spendHeld, [
        accountId,
        input.credentialHash ?? null,
        input.currency,
        input.units,
        input.ref,
        ...(input.holdUntil === undefined ? [] : [input.holdUntil]),
      ]),
    )
    return spendResult(row, accountId)
  }

  async creditAndSpend(
    input: CreditAndSpendInput,
  ): Promise<{ applied: boolean; spend: SpendResult }> {
    checkCreditAndSpend(input)
    const { credit, spend } = input
    const row = first(
      await this.run(
        spend.holdUntil === undefined ? this.sql.creditAndSpend : this.sql.creditAndSpendHeld,
        [
          credit.accountId,
          credit.currency,
          credit.units,
          credit.kind,
          credit.ref,
          spend.credentialHash ?? null,
          spend.units,
          spend.ref,
          ...(spend.holdUntil === undefined ? [] : [spend.holdUntil]),
        ],
      ),
    )
    return { applied: row.applied === true, spend: spendResult(row, credit.accountId) }
  }

  async credit(input: CreditInput): Promise<{ applied: boolean; balance: number }> {
    checkCredit(input)
    const row = first(
      await this.run(this.sql.credit, [
        input.accountId,
        input.currency,
        input.units,
        input.kind,
        input.ref,
      ]),
    )
    return { applied: row.applied === true, balance: units(row.balance) }
  }

  async clawback(
    input: ClawbackInput,
  ): Promise<{ applied: boolean; taken: number; balance: number }> {
    checkClawback(input)
    const row = first(
      await this.run(this.sql.clawback, [
        input.accountId,
        input.currency,
        input.units,
        input.kind,
        input.ref,
      ]),
    )
    return { applied: row.applied === true, taken: units(row.taken), balance: units(row.balance) }
  }

  async balance(accountId: string, currency: string): Promise<number> {
    checkId(accountId, 'accountId')
    checkCurrency(currency)
    return units(first(await this.run(this.sql.balance, [accountId, currency])).balance)
  }

  async shortfall(accountId: string, currency: string): Promise<number> {
    checkId(accountId, 'accountId')
    checkCurrency(currency)
    return units(first(await this.run(this.sql.shortfall, [accountId, currency])).shortfall)
  }

  async hasHistory(accountId: string): Promise<boolean> {
    checkId(accountId, 'accountId')
    return first(await this.run(this.sql.hasHistory, [accountId])).found === true
  }

  async journal(accountId: string, currency?: string): Promise<JournalEntry[]> {
    checkId(accountId, 'accountId')
    if (currency !== undefined) checkCurrency(currency)
    const rows = await this.run(this.sql.journal, [accountId, currency ?? null])
    return rows.map((row) => {
      const kind = text(row.kind)
      if (!isJournalKind(kind)) throw new Error(`stripe402 ledger: unknown journal kind ${kind}`)
      return {
        id: text(row.id),
        accountId: text(row.account_id),
        currency: text(row.currency),
        kind,
        units: units(row.units),
        ref: text(row.ref),
        balanceAfter: units(row.balance_after),
        at: units(row.at),
      }
    })
  }

  async hasEntry(accountId: string, kind: JournalKind, ref: string): Promise<boolean> {
    checkId(accountId, 'accountId')
    return first(await this.run(this.sql.hasEntry, [accountId, kind, ref])).found === true
  }

  async issueCredential(credentialHash: string, accountId: string): Promise<void> {
    checkId(credentialHash, 'credentialHash')
    checkId(accountId, 'accountId')
    await this.run(this.sql.issueCredential, [credentialHash, accountId])
  }

  async revokeCredential(credentialHash: string): Promise<boolean> {
    checkId(credentialHash, 'credentialHash')
    return units(first(await this.run(this.sql.revokeCredential, [credentialHash])).revoked) > 0
  }

  async setFrozen(accountId: string, frozen: boolean): Promise<void> {
    checkId(accountId, 'accountId')
    await this.run(frozen ? this.sql.freeze : this.sql.unfreeze, [accountId])
  }

  async acquireLock(key: string, ttlMs: number): Promise<string | null> {
    checkId(key, 'lock key')
    checkMs(ttlMs, 'ttlMs')
    // Unguessable, so no other holder can release a lock it does not own.
    const token = globalThis.crypto.randomUUID()
    const row = first(await this.run(this.sql.acquireLock, [key, token, ttlMs]))
    return row.acquired === true ? token : null
  }

  async renewLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    checkId(key, 'lock key')
    checkMs(ttlMs, 'ttlMs')
    return first(await this.run(this.sql.renewLock, [key, token, ttlMs])).renewed === 1
  }

  async releaseLock(key: string, token: string): Promise<void> {
    checkId(key, 'lock key')
    await this.run(this.sql.releaseLock, [key, token])
  }

  async setPending(key: string, value: string, ttlMs: number): Promise<void> {
    checkId(key, 'pending key')
    checkPendingValue(value)
    checkMs(ttlMs, 'ttlMs')
    await this.run(this.sql.setPending, [key, value, ttlMs])
  }

  async getPending(key: string): Promise<string | null> {
    checkId(key, 'pending key')
    const row = (await this.run(this.sql.getPending, [key]))[0]
    return row ? text(row.value) : null
  }

  async clearPending(key: string, value: string): Promise<void> {
    checkId(key, 'pending key')
    await this.run(this.sql.clearPending, [key, value])
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    checkId(key, 'counter key')
    checkMs(windowMs, 'windowMs')
    const row = first(await this.run(this.sql.hit, [key, windowMs]))
    return { count: units(row.count), resetMs: units(row.reset_ms) }
  }

  /** Closes the PGlite that `embedded()` created; a pool or client passed in stays open (its owner closes it). */
  async close(): Promise<void> {
    const close = this.closeOwned
    this.closeOwned = undefined
    if (close) await close()
  }

  private async run(sql: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    try {
      return (await this.db.query(sql, values)).rows
    } catch (err) {
      throw toLedgerError(err, this.schema)
    }
  }
}
