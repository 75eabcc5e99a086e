/** The ledger contract: integer balances per (account, currency) with an append-only journal. */

/**
 * What moved a balance. Credits are positive journal amounts, debits negative. `shortfall` is the
 * part of a credit that paid off units an earlier clawback could not take (negative; its ref is
 * `<credit kind>:<credit ref>`).
 */
export type JournalKind =
  | 'top_up'
  | 'debit'
  | 'reversal'
  | 'refund'
  | 'dispute'
  | 'adjustment'
  | 'shortfall'

/** One append-only journal line, written in the same atomic step as the balance change. */
export interface JournalEntry {
  /** Unique id of the entry (ledger-generated). */
  id: string
  accountId: string
  currency: string
  kind: JournalKind
  /** Signed change in units: positive for credits, negative for debits and clawbacks. */
  units: number
  /**
   * Idempotency reference. Unique per (account, kind) for `top_up` (the PaymentIntent id),
   * `reversal` (the debit entry id), `refund` and `dispute` (Stripe object id):
   * a second write with the same (kind, ref) is a no-op.
   */
  ref: string
  /** Balance of (account, currency) right after this entry. */
  balanceAfter: number
  /** Epoch milliseconds. */
  at: number
}

/** Who is spending: an account directly (v1 mode) or a credential bound to an account. */
export interface SpendInput {
  accountId: string
  /** SHA-256 hex of the credential token. When set, it must be issued for `accountId` and not revoked. */
  credentialHash?: string
  currency: string
  /** Units to debit; > 0. */
  units: number
  /**
   * Free-form reference stored on the journal entry. The engine passes one unique per request
   * (`GET /path#<random>`), so that `hasEntry(accountId, 'debit', ref)` can tell, after a failed
   * call, whether the debit was applied. Not an idempotency key: a second spend with it debits again.
   * A reversal of this debit is keyed by it too (`reversal` entries with this ref), so a debit is
   * given back at most once, whoever gives it back.
   */
  ref: string
  /**
   * Holds the debit until this time (epoch ms): a ledger with held debits records it as held in the
   * same atomic step, and it stays held until `settleHeld` confirms or reverses it. One still held
   * after this time is given back by `sweepHeld`, on any instance: so a debit whose answer's fate
   * died with its process is never kept. Ignored by a ledger without held debits.
   */
  holdUntil?: number
}

/** A debit taken with `holdUntil`: enough to find it and give it back without reading the journal. */
export interface HeldDebit {
  accountId: string
  currency: string
  units: number
  /** The debit's ref (unique per request); its reversal is keyed by it. */
  ref: string
}

/** What to do with a held debit: keep it (the answer was served) or give it back. */
export interface HeldSettlement extends HeldDebit {
  reverse: boolean
}

export type SpendResult =
  | { ok: true; accountId: string; balance: number; entryId: string }
  | { ok: false; reason: 'insufficient_credits'; accountId: string; balance: number }
  | {
      ok: false
      reason: 'unknown_credential' | 'credential_revoked' | 'account_frozen'
      accountId: string
      balance?: number
    }

export interface CreditInput {
  accountId: string
  currency: string
  /** Units to add; > 0. */
  units: number
  kind: 'top_up' | 'reversal' | 'adjustment'
  /** Unique per (account, kind): a second credit with the same (kind, ref) changes nothing. */
  ref: string
}

/** A credit and a spend from the same account and currency, applied together. */
export interface CreditAndSpendInput {
  credit: CreditInput
  /** Spent right after the credit, with nothing in between; the credit stands whatever the spend's outcome. */
  spend: Omit<SpendInput, 'accountId' | 'currency'>
}

export interface ClawbackInput {
  accountId: string
  currency: string
  /** Units to take back; the ledger takes at most the current balance (never negative). */
  units: number
  kind: 'refund' | 'dispute'
  /** Unique per (account, kind) (refund or dispute id). */
  ref: string
}

/**
 * Every ledger (memory, PostgreSQL/PGlite, Redis) implements this, and one contract
 * test suite runs against all of them. Every method is atomic; `spend` is exactly one
 * network round trip on networked ledgers, because it is the hot path of every paid call.
 * Inputs are checked the same way by every ledger: currencies are lower-case ISO 4217 codes
 * (`usd`), units positive safe integers, ids and refs of credits non-empty; anything else
 * rejects with a TypeError and changes nothing.
 */
export interface Ledger {
  /** Human-readable name for logs and benchmarks: 'memory', 'postgres', 'redis'. */
  readonly kind: string
  /**
   * Atomically: check the credential (when given) and the account's frozen flag, then
   * debit `units` if the balance covers it, appending a `debit` entry. One round trip.
   */
  spend(input: SpendInput): Promise<SpendResult>
  /**
   * Credits units once per (kind, ref). `applied: false` when that ref was already credited.
   * A shortfall of the (account, currency) is paid off first, in the same atomic step: the credit
   * is journaled in full, then a `shortfall` entry takes what went to the shortfall.
   */
  credit(input: CreditInput): Promise<{ applied: boolean; balance: number }>
  /**
   * `credit`, then `spend` from the same account and currency, in one atomic step (one round
   * trip): a top-up and the debit it pays for, so that no other spend can take the new credits
   * in between. The credit is applied (or found applied) whatever the spend's outcome.
   */
  creditAndSpend(input: CreditAndSpendInput): Promise<{ applied: boolean; spend: SpendResult }>
  /**
   * Takes back up to `units` (bounded by the balance) once per (kind, ref); `taken` is what was
   * removed. What the balance could not cover is added to the account's shortfall.
   */
  clawback(input: ClawbackInput): Promise<{ applied: boolean; taken: number; balance: number }>
  /** Current balance in units (0 for an unknown account). */
  balance(accountId: string, currency: string): Promise<number>
  /** Units clawed back that the balance could not cover and no credit has paid off yet (0 when none). */
  shortfall(accountId: string, currency: string): Promise<number>
  /** True when the account has a journal entry or is frozen: tells a known account from a new one without reading its journal. */
  hasHistory(accountId: string): Promise<boolean>
  /** Journal entries of an account, oldest first, optionally for one currency. */
  journal(accountId: string, currency?: string): Promise<JournalEntry[]>
  /**
   * True when the account has an entry with this (kind, ref), e.g. a top-up for a PaymentIntent id.
   * Scoped to the account so Redis Cluster can keep everything of an account in one slot.
   */
  hasEntry(accountId: string, kind: JournalKind, ref: string): Promise<boolean>
  /** Records a credential (by hash) for an account. Idempotent. */
  issueCredential(credentialHash: string, accountId: string): Promise<void>
  /** Revokes a credential; true when it existed and was not already revoked. Takes effect at once everywhere. */
  revokeCredential(credentialHash: string): Promise<boolean>
  /** Freezes (disputes) or unfreezes an account: a frozen account cannot spend. */
  setFrozen(accountId: string, frozen: boolean): Promise<void>
  /** A lock across processes (per-account top-up guard). Returns a token, or null when held by someone else. */
  acquireLock(key: string, ttlMs: number): Promise<string | null>
  /**
   * Extends a lock `token` still owns to `ttlMs` from now; false when it expired or another owns
   * it. The holder renews while it works, so a slow Stripe call never outlives its lock.
   */
  renewLock(key: string, token: string, ttlMs: number): Promise<boolean>
  /** Releases a lock only if `token` still owns it. */
  releaseLock(key: string, token: string): Promise<void>
  /**
   * Keeps a small record (a Stripe charge whose outcome is not known yet) under `key` for
   * `ttlMs`, replacing any earlier one. The engine writes it before charging, so that a retry
   * after a timeout or a crash replays that charge instead of making a second one.
   */
  setPending(key: string, value: string, ttlMs: number): Promise<void>
  /** The record under `key`, or null when there is none or it expired. */
  getPending(key: string): Promise<string | null>
  /** Deletes the record under `key` only if it still holds `value` (a late caller never deletes its successor's). */
  clearPending(key: string, value: string): Promise<void>
  /** Fixed-window counter for rate limits: increments `key` and returns the count in the current window. */
  hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }>
  /** Releases resources the ledger owns (not a pool or client passed in by the caller). */
  close(): Promise<void>
  /**
   * Held debits (see `SpendInput.holdUntil`). Optional for a ledger of your own: without them the
   * engine settles in process only, and a debit whose process dies before settling it is kept.
   * Every built-in ledger has them; the contract suite holds them to the same semantics.
   */
  readonly holds?: HeldDebits
  /**
   * True when the ledger's state lives and dies with this process (`MemoryLedger`). A hold guards a
   * debit against its process dying, which would take such a ledger's balances with it: so the
   * engine takes its debits unheld, writes nothing for an answer that was served, and gives the
   * debit back at once (retried while the ledger refuses) for one that failed.
   */
  readonly volatile?: boolean
}

/**
 * The held-debit part of a ledger. Every method is idempotent and safe to run from several
 * processes at once: a debit is given back at most once (a `reversal` entry keyed by its ref).
 */
export interface HeldDebits {
  /**
   * Settles held debits in one batch: `reverse: false` releases the hold (the debit stands);
   * `reverse: true` gives the debit back, if it was applied and not given back yet, and releases
   * the hold. Returns how many were given back by this call.
   */
  settle(settlements: ReadonlyArray<HeldSettlement>): Promise<number>
  /** Moves the deadline of debits still held to `holdUntil` (epoch ms), for answers still being written. */
  extend(debits: ReadonlyArray<HeldDebit>, holdUntil: number): Promise<void>
  /**
   * Gives back up to `limit` debits still held past their deadline (at `now`, epoch ms), each
   * once, and returns them. Any instance may run it at any time.
   */
  sweep(now: number, limit: number): Promise<HeldDebit[]>
  /** Debits still held now (for tests, metrics and the repair report). */
  count(): Promise<number>
}

/** Thrown by a ledger when its backing store cannot be reached; the engine answers 503. */
export class LedgerUnavailableError extends Error {
  override readonly name = 'LedgerUnavailableError'
  /** The protocol code the engine answers with (503). */
  readonly code = 'ledger_unavailable' as const
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}
