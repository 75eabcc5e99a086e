/** In-process ledger: the reference semantics of the contract, for tests, demos and single-process apps. */
import type {
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
} from './validate'

const heldKey = (accountId: string, ref: string) => `${accountId}\u0000${ref}`

/** Balance and shortfall of one (account, currency). */
interface Book {
  balance: number
  shortfall: number
}

/**
 * One account's journal, oldest first, in columns: a debit keeps no object and no string of its
 * own alive (its ref is the request's), so a long-running process's heap grows by a few array
 * slots per paid call, and the collector has that much less to copy and mark.
 */
class AccountJournal {
  readonly ids: number[] = []
  readonly currencies: string[] = []
  readonly kinds: JournalKind[] = []
  readonly units: number[] = []
  readonly refs: string[] = []
  readonly balances: number[] = []
  readonly at: number[] = []

  get length(): number {
    return this.ids.length
  }

  push(
    id: number,
    currency: string,
    kind: JournalKind,
    units: number,
    ref: string,
    balance: number,
  ): void {
    this.ids.push(id)
    this.currencies.push(currency)
    this.kinds.push(kind)
    this.units.push(units)
    this.refs.push(ref)
    this.balances.push(balance)
    this.at.push(Date.now())
  }

  entry(accountId: string, i: number): JournalEntry {
    return {
      id: `je_${this.ids[i]}`,
      accountId,
      currency: this.currencies[i] as string,
      kind: this.kinds[i] as JournalKind,
      units: this.units[i] as number,
      ref: this.refs[i] as string,
      balanceAfter: this.balances[i] as number,
      at: this.at[i] as number,
    }
  }

  /** Newest first: the entry looked for is most often one just written (a debit being given back). */
  has(kind: JournalKind, ref: string): boolean {
    for (let i = this.ids.length - 1; i >= 0; i--)
      if (this.refs[i] === ref && this.kinds[i] === kind) return true
    return false
  }
}

interface Account {
  readonly books: Map<string, Book>
  readonly journal: AccountJournal
  /** `<kind>\u0000<ref>` of every credit and clawback: each is applied once. */
  readonly refs: Set<string>
}

/**
 * Every method runs synchronously between awaits, so each operation is atomic under
 * Node's single thread: no two spends can interleave and overdraw a balance.
 */
export class MemoryLedger implements Ledger {
  readonly kind = 'memory'
  /**
   * Its state dies with the process: a hold guards a debit against its process dying, which would
   * take this balance with it. So the engine takes debits here unheld (the contract's `holds` still
   * work when asked for).
   */
  readonly volatile = true
  private readonly accountsById = new Map<string, Account>()
  private readonly pending = new Map<string, { value: string; expires: number }>()
  private readonly credentials = new Map<string, { accountId: string; revoked: boolean }>()
  private readonly frozen = new Set<string>()
  private readonly locks = new Map<string, { token: string; expires: number }>()
  private readonly counters = new Map<string, { count: number; windowStart: number }>()
  private seq = 0
  /** Held debits by `<account>\0<ref>`, with their deadline. */
  private readonly held = new Map<string, HeldDebit & { until: number }>()

  readonly holds: HeldDebits = {
    settle: async (settlements) => {
      checkHeld(settlements)
      let reversed = 0
      for (const item of settlements) if (this.settleNow(item)) reversed++
      return reversed
    },
    extend: async (debits, holdUntil) => {
      checkHeld(debits)
      checkMs(holdUntil, 'holdUntil')
      for (const debit of debits) {
        const held = this.held.get(heldKey(debit.accountId, debit.ref))
        if (held) held.until = Math.max(held.until, holdUntil)
      }
    },
    sweep: async (now, limit) => {
      checkMs(now, 'now')
      checkLimit(limit)
      const due = [...this.held.values()].filter((held) => held.until <= now).slice(0, limit)
      return due.map(({ accountId, currency, units, ref }) => {
        this.settleNow({ accountId, currency, units, ref, reverse: true })
        return { accountId, currency, units, ref }
      })
    },
    count: async () => this.held.size,
  }

  async spend(input: SpendInput): Promise<SpendResult> {
    checkSpend(input)
    return this.spendNow(input)
  }

  async credit(input: CreditInput): Promise<{ applied: boolean; balance: number }> {
    checkCredit(input)
    return this.creditNow(input)
  }

  async creditAndSpend(
    input: CreditAndSpendInput,
  ): Promise<{ applied: boolean; spend: SpendResult }> {
    checkCreditAndSpend(input)
    // No await between the two: nothing else runs in between.
    const { applied } = this.creditNow(input.credit)
    return {
      applied,
      spend: this.spendNow({
        ...input.spend,
        accountId: input.credit.accountId,
        currency: input.credit.currency,
      }),
    }
  }

  private spendNow(input: SpendInput): SpendResult {
    const { accountId, credentialHash, currency, units } = input
    if (credentialHash !== undefined) {
      const credential = this.credentials.get(credentialHash)
      if (!credential || credential.accountId !== accountId)
        return { ok: false, reason: 'unknown_credential', accountId }
      if (credential.revoked) return { ok: false, reason: 'credential_revoked', accountId }
    }
    if (this.frozen.has(accountId)) return { ok: false, reason: 'account_frozen', accountId }
    const book = this.accountsById.get(accountId)?.books.get(currency)
    const balance = book?.balance ?? 0
    if (book === undefined || balance < units)
      return { ok: false, reason: 'insufficient_credits', accountId, balance }
    const id = this.append(accountId, currency, 'debit', -units, input.ref)
    if (input.holdUntil !== undefined)
      this.held.set(heldKey(accountId, input.ref), {
        accountId,
        currency,
        units,
        ref: input.ref,
        until: input.holdUntil,
      })
    return { ok: true, accountId, balance: book.balance, entryId: `je_${id}` }
  }

  /** Releases a hold, giving the debit back when asked to and it was applied; true when given back now. */
  private settleNow(item: HeldSettlement): boolean {
    const wasHeld = this.held.delete(heldKey(item.accountId, item.ref))
    if (!item.reverse) return false
    if (!wasHeld && !this.accountsById.get(item.accountId)?.journal.has('debit', item.ref))
      return false
    const { accountId, currency, units, ref } = item
    return this.creditNow({ accountId, currency, units, kind: 'reversal', ref }).applied
  }

  private creditNow(input: CreditInput): { applied: boolean; balance: number } {
    const { accountId, currency, kind, ref } = input
    const account = this.account(accountId)
    const book = this.book(account, currency)
    const refKey = `${kind}\u0000${ref}`
    if (account.refs.has(refKey)) return { applied: false, balance: book.balance }
    account.refs.add(refKey)
    this.append(accountId, currency, kind, input.units, ref)
    const paid = Math.min(book.shortfall, input.units)
    if (paid === 0) return { applied: true, balance: book.balance }
    book.shortfall -= paid
    this.append(accountId, currency, 'shortfall', -paid, `${kind}:${ref}`)
    return { applied: true, balance: book.balance }
  }

  async clawback(
    input: ClawbackInput,
  ): Promise<{ applied: boolean; taken: number; balance: number }> {
    checkClawback(input)
    const account = this.account(input.accountId)
    const book = this.book(account, input.currency)
    const refKey = `${input.kind}\u0000${input.ref}`
    if (account.refs.has(refKey)) return { applied: false, taken: 0, balance: book.balance }
    account.refs.add(refKey)
    const taken = Math.min(book.balance, input.units)
    book.shortfall += input.units - taken
    // `0 - taken` rather than `-taken`: a clawback of nothing must journal 0, not -0.
    this.append(input.accountId, input.currency, input.kind, 0 - taken, input.ref)
    return { applied: true, taken, balance: book.balance }
  }

  async balance(accountId: string, currency: string): Promise<number> {
    checkId(accountId, 'accountId')
    checkCurrency(currency)
    return this.accountsById.get(accountId)?.books.get(currency)?.balance ?? 0
  }

  async shortfall(accountId: string, currency: string): Promise<number> {
    checkId(accountId, 'accountId')
    checkCurrency(currency)
    return this.accountsById.get(accountId)?.books.get(currency)?.shortfall ?? 0
  }

  async hasHistory(accountId: string): Promise<boolean> {
    checkId(accountId, 'accountId')
    return (this.accountsById.get(accountId)?.journal.length ?? 0) > 0 || this.frozen.has(accountId)
  }

  async journal(accountId: string, currency?: string): Promise<JournalEntry[]> {
    // New objects each time, so a caller cannot rewrite history through the returned ones.
    const journal = this.accountsById.get(accountId)?.journal
    const entries: JournalEntry[] = []
    if (!journal) return entries
    for (let i = 0; i < journal.length; i++)
      if (currency === undefined || journal.currencies[i] === currency)
        entries.push(journal.entry(accountId, i))
    return entries
  }

  async hasEntry(accountId: string, kind: JournalKind, ref: string): Promise<boolean> {
    return this.accountsById.get(accountId)?.journal.has(kind, ref) ?? false
  }

  async issueCredential(credentialHash: string, accountId: string): Promise<void> {
    checkId(credentialHash, 'credentialHash')
    checkId(accountId, 'accountId')
    if (!this.credentials.has(credentialHash))
      this.credentials.set(credentialHash, { accountId, revoked: false })
  }

  async revokeCredential(credentialHash: string): Promise<boolean> {
    const credential = this.credentials.get(credentialHash)
    if (!credential || credential.revoked) return false
    credential.revoked = true
    return true
  }

  async setFrozen(accountId: string, frozen: boolean): Promise<void> {
    if (frozen) this.frozen.add(accountId)
    else this.frozen.delete(accountId)
  }

  async acquireLock(lockKey: string, ttlMs: number): Promise<string | null> {
    checkId(lockKey, 'lock key')
    checkMs(ttlMs, 'ttlMs')
    const now = Date.now()
    const held = this.locks.get(lockKey)
    if (held && held.expires > now) return null
    // Unguessable, so no other holder can release a lock it does not own.
    const token = globalThis.crypto.randomUUID()
    this.locks.set(lockKey, { token, expires: now + ttlMs })
    return token
  }

  async renewLock(lockKey: string, token: string, ttlMs: number): Promise<boolean> {
    checkId(lockKey, 'lock key')
    checkMs(ttlMs, 'ttlMs')
    const now = Date.now()
    const held = this.locks.get(lockKey)
    if (!held || held.token !== token || held.expires <= now) return false
    held.expires = now + ttlMs
    return true
  }

  async releaseLock(lockKey: string, token: string): Promise<void> {
    if (this.locks.get(lockKey)?.token === token) this.locks.delete(lockKey)
  }

  async setPending(pendingKey: string, value: string, ttlMs: number): Promise<void> {
    checkId(pendingKey, 'pending key')
    checkPendingValue(value)
    checkMs(ttlMs, 'ttlMs')
    this.pending.set(pendingKey, { value, expires: Date.now() + ttlMs })
  }

  async getPending(pendingKey: string): Promise<string | null> {
    checkId(pendingKey, 'pending key')
    const record = this.pending.get(pendingKey)
    if (!record) return null
    if (record.expires > Date.now()) return record.value
    this.pending.delete(pendingKey)
    return null
  }

  async clearPending(pendingKey: string, value: string): Promise<void> {
    checkId(pendingKey, 'pending key')
    if (this.pending.get(pendingKey)?.value === value) this.pending.delete(pendingKey)
  }

  async hit(counterKey: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    checkId(counterKey, 'counter key')
    checkMs(windowMs, 'windowMs')
    const now = Date.now()
    const windowStart = now - (now % windowMs)
    const counter = this.counters.get(counterKey)
    const next =
      counter && counter.windowStart === windowStart
        ? { count: counter.count + 1, windowStart }
        : { count: 1, windowStart }
    this.counters.set(counterKey, next)
    return { count: next.count, resetMs: windowStart + windowMs - now }
  }

  async close(): Promise<void> {}

  private account(accountId: string): Account {
    let account = this.accountsById.get(accountId)
    if (account === undefined) {
      account = { books: new Map(), journal: new AccountJournal(), refs: new Set() }
      this.accountsById.set(accountId, account)
    }
    return account
  }

  private book(account: Account, currency: string): Book {
    let book = account.books.get(currency)
    if (book === undefined) {
      book = { balance: 0, shortfall: 0 }
      account.books.set(currency, book)
    }
    return book
  }

  /** Moves the balance and journals it; returns the entry's number (its id is `je_<number>`). */
  private append(
    accountId: string,
    currency: string,
    kind: JournalKind,
    units: number,
    ref: string,
  ): number {
    const account = this.account(accountId)
    const book = this.book(account, currency)
    book.balance += units
    const id = ++this.seq
    account.journal.push(id, currency, kind, units, ref, book.balance)
    return id
  }
}
