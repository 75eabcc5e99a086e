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

const key = (accountId: string, currency: string) => `${accountId}\u0000${currency}`
const heldKey = (accountId: string, ref: string) => `${accountId}\u0000${ref}`
const isDebit = (entry: JournalEntry, accountId: string, ref: string) =>
  entry.accountId === accountId && entry.kind === 'debit' && entry.ref === ref

/**
 * Every method runs synchronously between awaits, so each operation is atomic under
 * Node's single thread: no two spends can interleave and overdraw a balance.
 */
export class MemoryLedger implements Ledger {
  readonly kind = 'memory'
  private readonly balances = new Map<string, number>()
  private readonly shortfalls = new Map<string, number>()
  private readonly accounts = new Set<string>()
  private readonly pending = new Map<string, { value: string; expires: number }>()
  private readonly entries: JournalEntry[] = []
  private readonly refs = new Set<string>()
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
    const balance = this.balances.get(key(accountId, currency)) ?? 0
    if (balance < units) return { ok: false, reason: 'insufficient_credits', accountId, balance }
    const entry = this.append(accountId, currency, 'debit', -units, input.ref)
    if (input.holdUntil !== undefined)
      this.held.set(heldKey(accountId, input.ref), {
        accountId,
        currency,
        units,
        ref: input.ref,
        until: input.holdUntil,
      })
    return { ok: true, accountId, balance: entry.balanceAfter, entryId: entry.id }
  }

  /** Releases a hold, giving the debit back when asked to and it was applied; true when given back now. */
  private settleNow(item: HeldSettlement): boolean {
    const wasHeld = this.held.delete(heldKey(item.accountId, item.ref))
    if (!item.reverse) return false
    if (!wasHeld && !this.entries.some((e) => isDebit(e, item.accountId, item.ref))) return false
    const { accountId, currency, units, ref } = item
    return this.creditNow({ accountId, currency, units, kind: 'reversal', ref }).applied
  }

  private creditNow(input: CreditInput): { applied: boolean; balance: number } {
    const refKey = `${input.accountId}\u0000${input.kind}\u0000${input.ref}`
    if (this.refs.has(refKey))
      return {
        applied: false,
        balance: this.balances.get(key(input.accountId, input.currency)) ?? 0,
      }
    this.refs.add(refKey)
    const entry = this.append(input.accountId, input.currency, input.kind, input.units, input.ref)
    const k = key(input.accountId, input.currency)
    const owed = this.shortfalls.get(k) ?? 0
    const paid = Math.min(owed, input.units)
    if (paid === 0) return { applied: true, balance: entry.balanceAfter }
    this.shortfalls.set(k, owed - paid)
    const payoff = this.append(
      input.accountId,
      input.currency,
      'shortfall',
      -paid,
      `${input.kind}:${input.ref}`,
    )
    return { applied: true, balance: payoff.balanceAfter }
  }

  async clawback(
    input: ClawbackInput,
  ): Promise<{ applied: boolean; taken: number; balance: number }> {
    checkClawback(input)
    const refKey = `${input.accountId}\u0000${input.kind}\u0000${input.ref}`
    const balance = this.balances.get(key(input.accountId, input.currency)) ?? 0
    if (this.refs.has(refKey)) return { applied: false, taken: 0, balance }
    this.refs.add(refKey)
    const taken = Math.min(balance, input.units)
    const k = key(input.accountId, input.currency)
    if (taken < input.units)
      this.shortfalls.set(k, (this.shortfalls.get(k) ?? 0) + input.units - taken)
    // `0 - taken` rather than `-taken`: a clawback of nothing must journal 0, not -0.
    const entry = this.append(input.accountId, input.currency, input.kind, 0 - taken, input.ref)
    return { applied: true, taken, balance: entry.balanceAfter }
  }

  async balance(accountId: string, currency: string): Promise<number> {
    checkId(accountId, 'accountId')
    checkCurrency(currency)
    return this.balances.get(key(accountId, currency)) ?? 0
  }

  async shortfall(accountId: string, currency: string): Promise<number> {
    checkId(accountId, 'accountId')
    checkCurrency(currency)
    return this.shortfalls.get(key(accountId, currency)) ?? 0
  }

  async hasHistory(accountId: string): Promise<boolean> {
    checkId(accountId, 'accountId')
    return this.accounts.has(accountId) || this.frozen.has(accountId)
  }

  async journal(accountId: string, currency?: string): Promise<JournalEntry[]> {
    // Copies, so a caller cannot rewrite history through the returned objects.
    return this.entries
      .filter(
        (e) => e.accountId === accountId && (currency === undefined || e.currency === currency),
      )
      .map((e) => ({ ...e }))
  }

  async hasEntry(accountId: string, kind: JournalKind, ref: string): Promise<boolean> {
    return this.entries.some((e) => e.accountId === accountId && e.kind === kind && e.ref === ref)
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

  private append(
    accountId: string,
    currency: string,
    kind: JournalKind,
    units: number,
    ref: string,
  ): JournalEntry {
    const k = key(accountId, currency)
    const balanceAfter = (this.balances.get(k) ?? 0) + units
    this.balances.set(k, balanceAfter)
    const entry: JournalEntry = {
      id: `je_${++this.seq}`,
      accountId,
      currency,
      kind,
      units,
      ref,
      balanceAfter,
      at: Date.now(),
    }
    this.entries.push(entry)
    this.accounts.add(accountId)
    return entry
  }
}
