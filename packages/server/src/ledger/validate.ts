/** Input checks shared by every ledger, so a bad call fails loudly instead of moving money the wrong way. */
import type {
  ClawbackInput,
  CreditAndSpendInput,
  CreditInput,
  HeldDebit,
  JournalKind,
  SpendInput,
} from './types'

const CURRENCY = /^[a-z]{3}$/
const CREDIT_KINDS: ReadonlySet<string> = new Set(['top_up', 'reversal', 'adjustment'])
const CLAWBACK_KINDS: ReadonlySet<string> = new Set(['refund', 'dispute'])
const JOURNAL_KINDS: ReadonlySet<string> = new Set<JournalKind>([
  'top_up',
  'debit',
  'reversal',
  'refund',
  'dispute',
  'adjustment',
  'shortfall',
])
const MAX_ID_LENGTH = 512
const MAX_PENDING_LENGTH = 8_192

function fail(message: string): never {
  throw new TypeError(`stripe402 ledger: ${message}`)
}

// A negative or fractional amount would turn a debit into a credit, so only whole positive units pass.
export function checkUnits(units: unknown, what = 'units'): number {
  if (typeof units !== 'number' || !Number.isSafeInteger(units) || units <= 0) {
    fail(`${what} must be a positive whole number of units, got ${String(units)}`)
  }
  return units
}

// 'usd' and 'USD' must not become two balances for the same money.
export function checkCurrency(currency: unknown): string {
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) {
    fail(
      `currency must be a lower-case ISO 4217 code such as "usd", got ${JSON.stringify(currency)}`,
    )
  }
  return currency
}

export function checkId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    fail(`${what} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`)
  }
  return value
}

export function checkPendingValue(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PENDING_LENGTH) {
    fail(`pending value must be a non-empty string of at most ${MAX_PENDING_LENGTH} characters`)
  }
  return value
}

export function checkMs(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    fail(`${what} must be a positive whole number of milliseconds, got ${String(value)}`)
  }
  return value
}

export function checkSpend(input: SpendInput): void {
  checkId(input.accountId, 'accountId')
  if (input.credentialHash !== undefined) checkId(input.credentialHash, 'credentialHash')
  checkCurrency(input.currency)
  checkUnits(input.units)
  if (typeof input.ref !== 'string' || input.ref.length > MAX_ID_LENGTH)
    fail('ref must be a string')
  if (input.holdUntil !== undefined) {
    checkMs(input.holdUntil, 'holdUntil')
    // A held debit is found and given back by its ref: an empty one could not be told apart.
    checkId(input.ref, 'ref of a held debit')
  }
}

/** How many items one call may take: a positive whole number. */
export function checkLimit(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    fail(`limit must be a positive whole number, got ${String(value)}`)
  }
  return value
}

/** Held debits to settle, extend or record: each names an account, a currency, units and its debit's ref. */
export function checkHeld(debits: ReadonlyArray<HeldDebit>): void {
  if (!Array.isArray(debits)) fail('held debits must be an array')
  for (const debit of debits) {
    checkId(debit.accountId, 'accountId')
    checkCurrency(debit.currency)
    checkUnits(debit.units)
    checkId(debit.ref, 'ref')
  }
}

export function checkCredit(input: CreditInput): void {
  checkId(input.accountId, 'accountId')
  checkCurrency(input.currency)
  checkUnits(input.units)
  if (!CREDIT_KINDS.has(input.kind))
    fail(`credit kind must be top_up, reversal or adjustment, got ${String(input.kind)}`)
  // An empty ref would make every top-up share one idempotency key and drop all but the first.
  checkId(input.ref, 'ref')
}

export function checkClawback(input: ClawbackInput): void {
  checkId(input.accountId, 'accountId')
  checkCurrency(input.currency)
  checkUnits(input.units)
  if (!CLAWBACK_KINDS.has(input.kind))
    fail(`clawback kind must be refund or dispute, got ${String(input.kind)}`)
  checkId(input.ref, 'ref')
}

export function checkCreditAndSpend(input: CreditAndSpendInput): void {
  checkCredit(input.credit)
  checkSpend({ ...input.spend, accountId: input.credit.accountId, currency: input.credit.currency })
}

/** A journal kind as a store returned it: the ledgers that read entries back check it before trusting it. */
export function isJournalKind(kind: unknown): kind is JournalKind {
  return typeof kind === 'string' && JOURNAL_KINDS.has(kind)
}
