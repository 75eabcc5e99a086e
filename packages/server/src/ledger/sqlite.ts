/** Ledger on SQLite through `node:sqlite`: the embedded default, durable, in process, shareable between processes. */
import type { DatabaseSync, StatementSync } from 'node:sqlite'
import type {
  ClawbackInput,
  CreditAndSpendInput,
  CreditInput,
  HeldDebits,
  HeldSettlement,
  JournalEntry,
  JournalKind,
  Ledger,
  SpendInput,
  SpendResult,
} from './types'
import { LedgerUnavailableError } from './types'
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
  checkSpend,
  isJournalKind,
} from './validate'

export interface SqliteLedgerOptions {
  /**
   * How long a write waits for another process's transaction on the same file before the ledger
   * answers `LedgerUnavailableError` (a 503). The wait blocks this process's event loop, as every
   * `node:sqlite` call does. Default 5,000 ms.
   */
  busyTimeoutMs?: number
  /**
   * `'normal'` (default): money coming in or being taken back (credits, top-ups, clawbacks),
   * credentials, freezes and pending charges are fsynced when they commit; debits are not, and a
   * power cut or OS crash can undo the debits committed since the last fsync (calls then served
   * unpaid; never a half transaction, never a corrupt file). A process crash loses nothing.
   * `'full'`: every commit is fsynced, so a power cut loses nothing committed, at the cost of one
   * fsync per paid call.
   */
  synchronous?: 'normal' | 'full'
}

/** The tables. STRICT, so a value of the wrong type is refused rather than stored. */
const SCHEMA = /* sql */ `
create table if not exists balances (
  account_id text not null,
  currency text not null,
  balance integer not null check (balance >= 0 and balance <= 9007199254740991),
  shortfall integer not null default 0 check (shortfall >= 0),
  primary key (account_id, currency)
) strict, without rowid;

create table if not exists journal (
  id integer primary key,
  account_id text not null,
  currency text not null,
  kind text not null check (kind in ('top_up', 'debit', 'reversal', 'refund', 'dispute', 'adjustment', 'shortfall')),
  units integer not null,
  ref text not null,
  balance_after integer not null check (balance_after >= 0),
  at integer not null
) strict;

-- Debits reuse refs (the route); every other kind is applied once per (account, kind, ref).
create unique index if not exists journal_once on journal (account_id, kind, ref) where kind <> 'debit';
create index if not exists journal_account on journal (account_id, id);

create trigger if not exists journal_no_update before update on journal
  begin select raise(abort, 'stripe402 journal is append-only'); end;
create trigger if not exists journal_no_delete before delete on journal
  begin select raise(abort, 'stripe402 journal is append-only'); end;

create table if not exists credentials (
  hash text primary key,
  account_id text not null,
  revoked integer not null default 0,
  created_at integer not null,
  revoked_at integer
) strict;

create table if not exists frozen_accounts (
  account_id text primary key,
  frozen_at integer not null
) strict;

create table if not exists locks (key text primary key, token text not null, expires_at integer not null) strict;
create table if not exists pending (key text primary key, value text not null, expires_at integer not null) strict;
create table if not exists rate_counters (key text primary key, window_start integer not null, count integer not null) strict;

-- Debits held until the engine settles them; one past hold_until is given back by a sweep.
-- No index on hold_until: the table only holds debits in flight (a settle batch's worth), so a
-- sweep, every few seconds, scans it; an index would cost every paid call an insert and a delete.
create table if not exists held_debits (
  account_id text not null,
  ref text not null,
  currency text not null,
  units integer not null check (units > 0),
  hold_until integer not null,
  primary key (account_id, ref)
) strict, without rowid;
-- A file written by an earlier version has that index: it goes.
drop index if exists held_debits_due;

pragma user_version = 1;
`

const SQL = {
  begin: 'begin immediate',
  commit: 'commit',
  savepoint: 'savepoint op',
  rollbackTo: 'rollback to op',
  releaseSavepoint: 'release op',
  credential: 'select account_id, revoked from credentials where hash = ?',
  // The hot path: debits when the credential (?4; null for none) is the account's and not revoked,
  // the account is not frozen and the balance covers it, in one step.
  debit: `update balances set balance = balance - ?3
      where account_id = ?1 and currency = ?2 and balance >= ?3
        and not exists (select 1 from frozen_accounts where account_id = ?1)
        and (?4 is null or exists (select 1 from credentials where hash = ?4 and account_id = ?1 and revoked = 0))
      returning balance`,
  facts: `select
      exists (select 1 from frozen_accounts where account_id = ?1) as frozen,
      b.balance, b.shortfall
    from (select 1) left join balances b on b.account_id = ?1 and b.currency = ?2`,
  setBalance: `insert into balances (account_id, currency, balance, shortfall) values (?1, ?2, ?3, ?4)
      on conflict (account_id, currency) do update set balance = excluded.balance, shortfall = excluded.shortfall`,
  append: `insert into journal (account_id, currency, kind, units, ref, balance_after, at)
      values (?, ?, ?, ?, ?, ?, ?)`,
  hold: `insert into held_debits (account_id, ref, currency, units, hold_until) values (?, ?, ?, ?, ?)
      on conflict (account_id, ref) do nothing`,
  release: 'delete from held_debits where account_id = ? and ref = ?',
  extend:
    'update held_debits set hold_until = max(hold_until, ?3) where account_id = ?1 and ref = ?2',
  due: `select account_id, ref, currency, units from held_debits where hold_until <= ?
      order by hold_until limit ?`,
  countHeld: 'select count(*) as n from held_debits',
  hasEntry:
    'select exists (select 1 from journal where account_id = ? and kind = ? and ref = ?) as found',
  hasHistory: `select (exists (select 1 from journal where account_id = ?1)
      or exists (select 1 from frozen_accounts where account_id = ?1)) as found`,
  journal: `select id, account_id, currency, kind, units, ref, balance_after, at from journal
      where account_id = ?1 and (?2 is null or currency = ?2) order by id`,
  issueCredential: `insert into credentials (hash, account_id, created_at) values (?, ?, ?)
      on conflict (hash) do nothing`,
  revokeCredential:
    'update credentials set revoked = 1, revoked_at = ?2 where hash = ?1 and revoked = 0',
  freeze:
    'insert into frozen_accounts (account_id, frozen_at) values (?, ?) on conflict (account_id) do nothing',
  unfreeze: 'delete from frozen_accounts where account_id = ?',
  acquireLock: `insert into locks (key, token, expires_at) values (?1, ?2, ?3 + ?4)
      on conflict (key) do update set token = excluded.token, expires_at = excluded.expires_at
      where locks.expires_at <= ?3`,
  renewLock:
    'update locks set expires_at = ?3 + ?4 where key = ?1 and token = ?2 and expires_at > ?3',
  releaseLock: 'delete from locks where key = ? and token = ?',
  setPending: `insert into pending (key, value, expires_at) values (?1, ?2, ?3 + ?4)
      on conflict (key) do update set value = excluded.value, expires_at = excluded.expires_at`,
  getPending: 'select value from pending where key = ? and expires_at > ?',
  clearPending: 'delete from pending where key = ? and value = ?',
  // A late writer holding an older window start counts into the newer window rather than resetting it.
  hit: `insert into rate_counters (key, window_start, count) values (?1, ?2, 1)
      on conflict (key) do update set
        count = case when excluded.window_start <= rate_counters.window_start then rate_counters.count + 1 else 1 end,
        window_start = max(rate_counters.window_start, excluded.window_start)
      returning count, window_start`,
} as const

interface QueuedWrite {
  durable: boolean
  work: () => unknown
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/** Most calls one transaction holds the write lock for, so other processes wait little. */
const MAX_BATCH = 256

interface WriteResult {
  ok: boolean
  value: unknown
}

type Statements = { [K in keyof typeof SQL]: StatementSync }
type Row = Record<string, unknown>

// SQLite primary result codes (the low byte of an extended code) that mean the file cannot be
// used right now: busy past the timeout, locked, I/O error, disk full, cannot open, read-only, corrupt.
const UNAVAILABLE_CODES = new Set([5, 6, 8, 10, 11, 13, 14, 15, 26])

function toLedgerError(err: unknown): unknown {
  if (err instanceof LedgerUnavailableError || !(err instanceof Error)) return err
  const { code, errcode } = err as Error & { code?: unknown; errcode?: unknown }
  // node:sqlite says ERR_INVALID_STATE once the database (or a statement) was closed.
  const closed = code === 'ERR_INVALID_STATE'
  const down = typeof errcode === 'number' && UNAVAILABLE_CODES.has(errcode & 0xff)
  if (!closed && !down) return err
  return new LedgerUnavailableError(`stripe402 ledger: SQLite is unavailable: ${err.message}`, {
    cause: err,
  })
}

// isTransaction and isOpen came in Node 22.15/22.16: try, and let the first error be the one reported.
function rollback(db: DatabaseSync): void {
  try {
    db.exec('rollback')
  } catch {}
}

function restore(db: DatabaseSync): void {
  try {
    db.exec('pragma synchronous = normal')
  } catch {}
}

function int(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value
  throw new Error(
    `stripe402 ledger: SQLite returned ${String(value)} where a whole number was expected`,
  )
}

function text(value: unknown): string {
  if (typeof value !== 'string')
    throw new Error(`stripe402 ledger: SQLite returned ${String(value)} where text was expected`)
  return value
}

/**
 * Every write is one `BEGIN IMMEDIATE` transaction: it takes the file's write lock before reading,
 * so the balance it reads is the balance it writes, in this process (each call runs synchronously)
 * and across processes sharing the file (WAL lets readers go on while one writer works; a second
 * writer waits up to `busyTimeoutMs`). The balance row and its journal entry commit together.
 */
export class SqliteLedger implements Ledger {
  readonly kind = 'sqlite'
  private readonly sql: Statements
  private readonly syncEveryCommit: boolean
  private closeOwned: (() => void) | undefined
  private readonly queue: QueuedWrite[] = []

  readonly holds: HeldDebits = {
    settle: async (settlements) => {
      checkHeld(settlements)
      // Durable: a reversal is money coming back to the payer.
      return this.write(
        settlements.some((item) => item.reverse),
        () => {
          let reversed = 0
          for (const item of settlements) if (this.settleNow(item)) reversed++
          return reversed
        },
      )
    },
    extend: async (debits, holdUntil) => {
      checkHeld(debits)
      checkMs(holdUntil, 'holdUntil')
      await this.write(false, () => {
        for (const debit of debits) this.sql.extend.run(debit.accountId, debit.ref, holdUntil)
      })
    },
    sweep: async (now, limit) => {
      checkMs(now, 'now')
      checkLimit(limit)
      // In one write transaction: another process sweeping the same file waits, then finds them gone.
      return this.write(true, () =>
        (this.sql.due.all(now, limit) as Row[]).map((row) => {
          const debit = {
            accountId: text(row.account_id),
            currency: text(row.currency),
            units: int(row.units),
            ref: text(row.ref),
          }
          this.settleNow({ ...debit, reverse: true })
          return debit
        }),
      )
    },
    count: async () => this.read(() => int(this.sql.countHeld.get()?.n)),
  }

  /**
   * A ledger on a `DatabaseSync` you opened (`new DatabaseSync(path)` from `node:sqlite`):
   * switches it to WAL, creates the tables if needed, and leaves it open on `close()`.
   */
  constructor(
    private readonly db: DatabaseSync,
    options: SqliteLedgerOptions = {},
  ) {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5_000
    if (busyTimeoutMs !== 0) checkMs(busyTimeoutMs, 'busyTimeoutMs')
    this.syncEveryCommit = options.synchronous === 'full'
    try {
      db.exec(`pragma busy_timeout = ${busyTimeoutMs}`)
      // Persistent in the file: every process opening it afterwards is in WAL mode too.
      db.exec('pragma journal_mode = wal')
      db.exec(`pragma synchronous = ${this.syncEveryCommit ? 'full' : 'normal'}`)
      db.exec('pragma foreign_keys = off')
      // Several processes may create the tables at once: the write lock serialises them.
      db.exec('begin immediate')
      try {
        db.exec(SCHEMA)
        db.exec('commit')
      } catch (err) {
        rollback(db)
        throw err
      }
      this.sql = Object.fromEntries(
        Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]),
      ) as Statements
    } catch (err) {
      throw toLedgerError(err)
    }
  }

  /**
   * Opens (creating it if needed) the SQLite file at `filename`, or a private in-memory database
   * when omitted; `close()` closes it. `node:sqlite` is loaded here, not at import, so that the
   * engine still bundles for runtimes without it (workerd, browsers).
   */
  static async open(
    filename = ':memory:',
    options: SqliteLedgerOptions = {},
  ): Promise<SqliteLedger> {
    const { DatabaseSync } = await import('node:sqlite').catch((err: unknown) => {
      throw new Error('stripe402 ledger: SqliteLedger needs node:sqlite (Node.js 22.5 or later)', {
        cause: err,
      })
    })
    let db: DatabaseSync
    try {
      db = new DatabaseSync(filename)
    } catch (err) {
      throw toLedgerError(err)
    }
    try {
      const ledger = new SqliteLedger(db, options)
      ledger.closeOwned = () => db.close()
      return ledger
    } catch (err) {
      db.close()
      throw err
    }
  }

  async spend(input: SpendInput): Promise<SpendResult> {
    checkSpend(input)
    return this.write(false, () => this.spendNow(input))
  }

  async credit(input: CreditInput): Promise<{ applied: boolean; balance: number }> {
    checkCredit(input)
    return this.write(true, () => this.creditNow(input))
  }

  async creditAndSpend(
    input: CreditAndSpendInput,
  ): Promise<{ applied: boolean; spend: SpendResult }> {
    checkCreditAndSpend(input)
    const { credit, spend } = input
    return this.write(true, () => ({
      applied: this.creditNow(credit).applied,
      spend: this.spendNow({ ...spend, accountId: credit.accountId, currency: credit.currency }),
    }))
  }

  async clawback(
    input: ClawbackInput,
  ): Promise<{ applied: boolean; taken: number; balance: number }> {
    checkClawback(input)
    const { accountId, currency, units, kind, ref } = input
    return this.write(true, () => {
      const facts = this.facts(accountId, currency)
      if (this.has(accountId, kind, ref))
        return { applied: false, taken: 0, balance: facts.balance }
      const taken = Math.min(facts.balance, units)
      const balance = facts.balance - taken
      // `0 - taken` rather than `-taken`: a clawback of nothing must journal 0, not -0.
      this.append(accountId, currency, kind, 0 - taken, ref, balance)
      this.sql.setBalance.run(accountId, currency, balance, facts.shortfall + units - taken)
      return { applied: true, taken, balance }
    })
  }

  async balance(accountId: string, currency: string): Promise<number> {
    checkId(accountId, 'accountId')
    checkCurrency(currency)
    return this.read(() => this.facts(accountId, currency).balance)
  }

  async shortfall(accountId: string, currency: string): Promise<number> {
    checkId(accountId, 'accountId')
    checkCurrency(currency)
    return this.read(() => this.facts(accountId, currency).shortfall)
  }

  async hasHistory(accountId: string): Promise<boolean> {
    checkId(accountId, 'accountId')
    return this.read(() => this.sql.hasHistory.get(accountId)?.found === 1)
  }

  async journal(accountId: string, currency?: string): Promise<JournalEntry[]> {
    checkId(accountId, 'accountId')
    if (currency !== undefined) checkCurrency(currency)
    const rows = this.read(() => this.sql.journal.all(accountId, currency ?? null) as Row[])
    return rows.map((row) => {
      const kind = text(row.kind)
      if (!isJournalKind(kind)) throw new Error(`stripe402 ledger: unknown journal kind ${kind}`)
      return {
        id: String(int(row.id)),
        accountId: text(row.account_id),
        currency: text(row.currency),
        kind,
        units: int(row.units),
        ref: text(row.ref),
        balanceAfter: int(row.balance_after),
        at: int(row.at),
      }
    })
  }

  async hasEntry(accountId: string, kind: JournalKind, ref: string): Promise<boolean> {
    checkId(accountId, 'accountId')
    return this.read(() => this.has(accountId, kind, ref))
  }

  async issueCredential(credentialHash: string, accountId: string): Promise<void> {
    checkId(credentialHash, 'credentialHash')
    checkId(accountId, 'accountId')
    await this.write(true, () =>
      this.sql.issueCredential.run(credentialHash, accountId, Date.now()),
    )
  }

  async revokeCredential(credentialHash: string): Promise<boolean> {
    checkId(credentialHash, 'credentialHash')
    return this.write(
      true,
      () => this.sql.revokeCredential.run(credentialHash, Date.now()).changes > 0,
    )
  }

  async setFrozen(accountId: string, frozen: boolean): Promise<void> {
    checkId(accountId, 'accountId')
    await this.write(true, () =>
      frozen ? this.sql.freeze.run(accountId, Date.now()) : this.sql.unfreeze.run(accountId),
    )
  }

  // Lock expiry is read from this machine's clock, which every process sharing the file shares.
  async acquireLock(key: string, ttlMs: number): Promise<string | null> {
    checkId(key, 'lock key')
    checkMs(ttlMs, 'ttlMs')
    // Unguessable, so no other holder can release a lock it does not own.
    const token = globalThis.crypto.randomUUID()
    const taken = await this.write(
      false,
      () => this.sql.acquireLock.run(key, token, Date.now(), ttlMs).changes > 0,
    )
    return taken ? token : null
  }

  async renewLock(key: string, token: string, ttlMs: number): Promise<boolean> {
    checkId(key, 'lock key')
    checkMs(ttlMs, 'ttlMs')
    return this.write(
      false,
      () => this.sql.renewLock.run(key, token, Date.now(), ttlMs).changes > 0,
    )
  }

  async releaseLock(key: string, token: string): Promise<void> {
    checkId(key, 'lock key')
    await this.write(false, () => this.sql.releaseLock.run(key, token))
  }

  async setPending(key: string, value: string, ttlMs: number): Promise<void> {
    checkId(key, 'pending key')
    checkPendingValue(value)
    checkMs(ttlMs, 'ttlMs')
    // Durable: after a power cut, the retry must find the charge to replay, not make a second one.
    await this.write(true, () => this.sql.setPending.run(key, value, Date.now(), ttlMs))
  }

  async getPending(key: string): Promise<string | null> {
    checkId(key, 'pending key')
    const row = this.read(() => this.sql.getPending.get(key, Date.now()))
    return row ? text(row.value) : null
  }

  async clearPending(key: string, value: string): Promise<void> {
    checkId(key, 'pending key')
    await this.write(false, () => this.sql.clearPending.run(key, value))
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    checkId(key, 'counter key')
    checkMs(windowMs, 'windowMs')
    const now = Date.now()
    const row = await this.write(false, () => this.sql.hit.get(key, now - (now % windowMs)))
    const start = int(row?.window_start)
    return { count: int(row?.count), resetMs: Math.max(start + windowMs - now, 1) }
  }

  /** Closes the database `open()` created; one passed to the constructor stays open (its owner closes it). */
  async close(): Promise<void> {
    const close = this.closeOwned
    this.closeOwned = undefined
    close?.()
  }

  /**
   * Queues `work` for the next transaction: the writes asked for in one turn of the event loop
   * commit together (group commit), each inside a savepoint of its own, so one commit's fixed
   * cost (locks, WAL write) is shared by every concurrent call while each call stays atomic.
   */
  private write<T>(durable: boolean, work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ durable, work, resolve: resolve as (value: unknown) => void, reject })
      if (this.queue.length === 1) setImmediate(() => this.flush())
    })
  }

  /** Runs up to MAX_BATCH queued writes in one `BEGIN IMMEDIATE` transaction; `durable` ones fsync it. */
  private flush(): void {
    const batch = this.queue.splice(0, MAX_BATCH)
    if (this.queue.length > 0) setImmediate(() => this.flush())
    const syncThis = !this.syncEveryCommit && batch.some((op) => op.durable)
    let results: WriteResult[]
    try {
      // Outside the transaction: SQLite reads the setting when it commits. Not a prepared
      // statement: a PRAGMA takes effect when it is prepared, not when it is run again.
      if (syncThis) this.db.exec('pragma synchronous = full')
      try {
        results = this.transaction(batch, false) ?? (this.transaction(batch, true) as WriteResult[])
      } finally {
        if (syncThis) restore(this.db)
      }
    } catch (err) {
      const error = toLedgerError(err)
      for (const op of batch) op.reject(error)
      return
    }
    batch.forEach((op, i) => {
      const result = results[i] as WriteResult
      if (result.ok) op.resolve(result.value)
      else op.reject(result.value)
    })
  }

  /**
   * The batch in one transaction. First without savepoints (two statements less per call): if a
   * call throws, the whole transaction is rolled back and null returned, and the batch runs again
   * with a savepoint per call, which undoes that call's statements only while the others stand.
   * Every call is statements on this file alone, so running it again after a rollback is safe.
   */
  private transaction(batch: QueuedWrite[], isolated: boolean): WriteResult[] | null {
    const results: WriteResult[] = []
    this.sql.begin.run()
    try {
      for (const op of batch) {
        if (!isolated) {
          try {
            results.push({ ok: true, value: op.work() })
          } catch {
            rollback(this.db)
            return null
          }
          continue
        }
        this.sql.savepoint.run()
        try {
          results.push({ ok: true, value: op.work() })
        } catch (err) {
          this.sql.rollbackTo.run()
          results.push({ ok: false, value: toLedgerError(err) })
        }
        this.sql.releaseSavepoint.run()
      }
      this.sql.commit.run()
      return results
    } catch (err) {
      rollback(this.db)
      throw err
    }
  }

  private read<T>(work: () => T): T {
    try {
      return work()
    } catch (err) {
      throw toLedgerError(err)
    }
  }

  private facts(accountId: string, currency: string) {
    const row = this.sql.facts.get(accountId, currency) as Row
    return {
      frozen: row.frozen === 1,
      balance: row.balance === null ? 0 : int(row.balance),
      shortfall: row.shortfall === null ? 0 : int(row.shortfall),
    }
  }

  private has(accountId: string, kind: string, ref: string): boolean {
    return this.sql.hasEntry.get(accountId, kind, ref)?.found === 1
  }

  private spendNow(input: SpendInput): SpendResult {
    const { accountId, credentialHash, currency, units } = input
    const debited = this.sql.debit.get(accountId, currency, units, credentialHash ?? null)
    if (debited === undefined) {
      // Refused: say why, from what the debit saw (nothing moved).
      if (credentialHash !== undefined) {
        const credential = this.sql.credential.get(credentialHash)
        if (credential?.account_id !== accountId)
          return { ok: false, reason: 'unknown_credential', accountId }
        if (credential.revoked === 1) return { ok: false, reason: 'credential_revoked', accountId }
      }
      const facts = this.facts(accountId, currency)
      if (facts.frozen) return { ok: false, reason: 'account_frozen', accountId }
      return { ok: false, reason: 'insufficient_credits', accountId, balance: facts.balance }
    }
    const balance = int(debited.balance)
    const entryId = this.append(accountId, currency, 'debit', -units, input.ref, balance)
    if (input.holdUntil !== undefined)
      this.sql.hold.run(accountId, input.ref, currency, units, input.holdUntil)
    return { ok: true, accountId, balance, entryId }
  }

  /** Releases a hold, giving the debit back when asked to and it was applied; true when given back now. */
  private settleNow(item: HeldSettlement): boolean {
    const wasHeld = this.sql.release.run(item.accountId, item.ref).changes > 0
    if (!item.reverse) return false
    if (!wasHeld && !this.has(item.accountId, 'debit', item.ref)) return false
    const { accountId, currency, units, ref } = item
    return this.creditNow({ accountId, currency, units, kind: 'reversal', ref }).applied
  }

  private creditNow(input: CreditInput): { applied: boolean; balance: number } {
    const { accountId, currency, units, kind, ref } = input
    const facts = this.facts(accountId, currency)
    // The unique index would refuse the duplicate too; asking first keeps the transaction clean.
    if (this.has(accountId, kind, ref)) return { applied: false, balance: facts.balance }
    const paid = Math.min(facts.shortfall, units)
    this.append(accountId, currency, kind, units, ref, facts.balance + units)
    const balance = facts.balance + units - paid
    if (paid > 0) this.append(accountId, currency, 'shortfall', -paid, `${kind}:${ref}`, balance)
    this.sql.setBalance.run(accountId, currency, balance, facts.shortfall - paid)
    return { applied: true, balance }
  }

  private append(
    accountId: string,
    currency: string,
    kind: JournalKind,
    units: number,
    ref: string,
    balanceAfter: number,
  ): string {
    const { lastInsertRowid } = this.sql.append.run(
      accountId,
      currency,
      kind,
      units,
      ref,
      balanceAfter,
      Date.now(),
    )
    return String(lastInsertRowid)
  }
}
