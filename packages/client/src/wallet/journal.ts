/** Changes to the wallet: top-ups reserved before money moves, paid calls, credentials and prices seen. */
import { newEntryId } from '../id'
import { takeRefusal } from './budget'
import type {
  Credential,
  JournalEntry,
  OriginRecord,
  OriginStats,
  WalletSnapshot,
} from './snapshot'

/** Call lines kept in the journal; totals outlive them, so budgets and the wallet view stay exact. */
export const KEEP_CALL_ENTRIES = 1000

export function originRecord(state: WalletSnapshot, origin: string): OriginRecord {
  let record = state.origins[origin]
  if (!record) {
    record = { prices: {}, stats: {} }
    state.origins[origin] = record
  }
  return record
}

function statsFor(state: WalletSnapshot, origin: string, currency: string): OriginStats {
  const record = originRecord(state, origin)
  let stats = record.stats[currency]
  if (!stats) {
    stats = { spent: 0, used: 0, topUps: 0, calls: 0 }
    record.stats[currency] = stats
  }
  return stats
}

interface LineInput {
  origin: string
  route: string
  currency: string
  units: number
  at: number
}

/**
 * Writes a pending top-up line before the card is charged, so a crash or a lost answer
 * still counts against budgets. Returns the line to settle or release.
 */
export function reserveTopUp(state: WalletSnapshot, input: LineInput): JournalEntry {
  const entry: JournalEntry = {
    id: newEntryId(++state.seq),
    kind: 'top_up',
    pending: true,
    ...input,
  }
  state.journal.push(entry)
  const stats = statsFor(state, input.origin, input.currency)
  stats.spent += input.units
  stats.topUps += 1
  return entry
}

/** The server answered: the top-up went through (or may have: a non-402 answer is counted). */
export function settleTopUp(
  _state: WalletSnapshot,
  entry: JournalEntry,
  result: { chargeId?: string; creditsRemaining?: number },
): void {
  delete entry.pending
  if (result.chargeId !== undefined) entry.chargeId = result.chargeId
  if (result.creditsRemaining !== undefined) entry.creditsRemaining = result.creditsRemaining
}

/** The server answered 402: no money moved, so the reservation goes. */
export function releaseTopUp(state: WalletSnapshot, entry: JournalEntry): void {
  const index = state.journal.indexOf(entry)
  if (index >= 0) state.journal.splice(index, 1)
  const stats = statsFor(state, entry.origin, entry.currency)
  stats.spent = Math.max(0, stats.spent - entry.units)
  stats.topUps = Math.max(0, stats.topUps - 1)
  if (stats.spent === 0 && stats.used === 0 && stats.topUps === 0 && stats.calls === 0) {
    delete originRecord(state, entry.origin).stats[entry.currency]
  }
}

/**
 * The server said a top-up was not charged: its line goes if that word is taken today
 * (`takeRefusal`), else it stays counted against budgets, unconfirmed (no charge id). True when released.
 */
export function releaseOnServersWord(
  state: WalletSnapshot,
  entry: JournalEntry,
  now: number,
  result: { creditsRemaining?: number } = {},
): boolean {
  if (takeRefusal(state, entry.currency, now)) {
    releaseTopUp(state, entry)
    return true
  }
  settleTopUp(state, entry, result)
  return false
}

export function recordCall(
  state: WalletSnapshot,
  input: LineInput & { creditsRemaining: number },
): JournalEntry {
  const entry: JournalEntry = { id: newEntryId(++state.seq), kind: 'call', ...input }
  state.journal.push(entry)
  const stats = statsFor(state, input.origin, input.currency)
  stats.used += input.units
  stats.calls += 1
  return entry
}

export function setCredential(state: WalletSnapshot, origin: string, credential: Credential): void {
  originRecord(state, origin).credential = credential
}

export function dropCredential(state: WalletSnapshot, origin: string): void {
  const record = state.origins[origin]
  if (record) delete record.credential
}

export function rememberPrice(
  state: WalletSnapshot,
  origin: string,
  route: string,
  price: { amount: number; currency: string; at: number },
): void {
  originRecord(state, origin).prices[route] = {
    amount: price.amount,
    currency: price.currency,
    seenAt: price.at,
  }
}

export function rememberExtensions(
  state: WalletSnapshot,
  origin: string,
  extensions: readonly string[] | undefined,
): void {
  originRecord(state, origin).extensions = [...(extensions ?? [])]
}

/**
 * Keeps the journal small enough to rewrite on every call: top-ups since the start of the
 * previous UTC month (monthly budgets need the current one) and the latest call lines.
 */
export function prune(state: WalletSnapshot, now: number): void {
  const d = new Date(now)
  const keepTopUpsFrom = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1)
  let calls = state.journal.reduce((n, e) => n + (e.kind === 'call' ? 1 : 0), 0)
  state.journal = state.journal.filter((e) => {
    if (e.kind === 'top_up') return e.pending === true || e.at >= keepTopUpsFrom
    if (calls > KEEP_CALL_ENTRIES) {
      calls -= 1
      return false
    }
    return true
  })
}
