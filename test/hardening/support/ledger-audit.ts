/** The money invariants every hardening suite ends with: balance = journal, charges ↔ credits. */
import { minorToUnits } from '@stripe402/protocol'
import type { JournalEntry, Ledger } from '@stripe402/server'
import type { StripeEmulator } from '@stripe402/stripe-emulator'

export interface AccountAudit {
  balance: number
  /** Sum of every journal entry's units. */
  journalSum: number
  entries: JournalEntry[]
  /** Entries per kind. */
  count: Record<string, number>
  /** Units per kind (signed). */
  units: Record<string, number>
}

/** Reads an account and throws unless its balance equals the sum of its journal and the last `balanceAfter`. */
export async function auditAccount(
  ledger: Ledger,
  accountId: string,
  currency = 'usd',
): Promise<AccountAudit> {
  const [balance, entries] = await Promise.all([
    ledger.balance(accountId, currency),
    ledger.journal(accountId, currency),
  ])
  const journalSum = entries.reduce((sum, entry) => sum + entry.units, 0)
  const count: Record<string, number> = {}
  const units: Record<string, number> = {}
  for (const entry of entries) {
    count[entry.kind] = (count[entry.kind] ?? 0) + 1
    units[entry.kind] = (units[entry.kind] ?? 0) + entry.units
  }
  if (balance !== journalSum)
    throw new Error(
      `account ${accountId.slice(0, 12)}…: balance ${balance} ≠ journal sum ${journalSum}`,
    )
  const last = entries.at(-1)
  if (last && last.balanceAfter !== balance)
    throw new Error(
      `account ${accountId.slice(0, 12)}…: balance ${balance} ≠ last balanceAfter ${last.balanceAfter}`,
    )
  if (balance < 0)
    throw new Error(`account ${accountId.slice(0, 12)}…: negative balance ${balance}`)
  return { balance, journalSum, entries, count, units }
}

export interface ChargeAudit {
  /** Succeeded stripe402 PaymentIntents in the emulator account. */
  charged: number
  /** Units those PaymentIntents are worth. */
  chargedUnits: number
  /** Of those, how many the ledger credited exactly once. */
  creditedOnce: number
  /** Charged but not credited (a loss for the payer until reconciled). */
  uncredited: string[]
  /** Credited more than once, or credited for a different amount. */
  wrong: string[]
  /** `top_up` entries whose PaymentIntent did not succeed in Stripe (credit without a charge). */
  creditsWithoutCharge: string[]
  /** Every account a stripe402 PaymentIntent named. */
  accounts: string[]
}

/**
 * Compares Stripe (the emulator account) with the ledger, in both directions: every succeeded
 * stripe402 PaymentIntent credited exactly once for its amount, and every `top_up` credit
 * backed by a succeeded PaymentIntent. Also audits each account's balance against its journal.
 */
export async function auditCharges(
  emulator: StripeEmulator,
  account: string,
  ledger: Ledger,
  extraAccounts: string[] = [],
): Promise<ChargeAudit> {
  const intents = emulator.paymentIntents({ account }).filter((pi) => pi.metadata.stripe402_account)
  const succeeded = new Map(
    intents.filter((pi) => pi.status === 'succeeded').map((pi) => [pi.id, pi]),
  )
  const accounts = [
    ...new Set([...intents.map((pi) => pi.metadata.stripe402_account!), ...extraAccounts]),
  ]
  const result: ChargeAudit = {
    charged: succeeded.size,
    chargedUnits: 0,
    creditedOnce: 0,
    uncredited: [],
    wrong: [],
    creditsWithoutCharge: [],
    accounts,
  }
  const topUps = new Map<string, JournalEntry[]>()
  for (const accountId of accounts) {
    const audit = await auditAccount(
      ledger,
      accountId,
      intents.find((pi) => pi.metadata.stripe402_account === accountId)?.currency ?? 'usd',
    )
    for (const entry of audit.entries.filter((e) => e.kind === 'top_up'))
      topUps.set(entry.ref, [...(topUps.get(entry.ref) ?? []), entry])
  }
  for (const pi of succeeded.values()) {
    const units = minorToUnits(pi.amount, pi.currency)
    result.chargedUnits += units
    const credits = topUps.get(pi.id) ?? []
    if (credits.length === 0) result.uncredited.push(pi.id)
    else if (
      credits.length === 1 &&
      credits[0]!.units === units &&
      credits[0]!.accountId === pi.metadata.stripe402_account
    )
      result.creditedOnce++
    else result.wrong.push(pi.id)
  }
  for (const ref of topUps.keys()) if (!succeeded.has(ref)) result.creditsWithoutCharge.push(ref)
  return result
}
