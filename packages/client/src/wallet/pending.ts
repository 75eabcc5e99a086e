/** Top-ups whose answer was lost, kept per origin and currency so the next top-up replays them instead of charging again. */
import { originRecord, settleTopUp } from './journal'
import type { JournalEntry, PendingTopUp, WalletSnapshot } from './snapshot'

/** Stripe keeps idempotency keys for 24 hours; past that a replay would be a new charge, and the server has long repaired the old one. */
const REPLAYABLE_MS = 23 * 60 * 60 * 1000

/** The top-up to replay for (origin, currency) and its journal line, if it is still worth replaying. */
export function pendingTopUp(
  state: WalletSnapshot,
  origin: string,
  currency: string,
  now: number,
): { pending: PendingTopUp; entry: JournalEntry } | undefined {
  const pending = state.origins[origin]?.pendingTopUps?.[currency]
  if (!pending) return undefined
  const entry = state.journal.find((e) => e.id === pending.entryId)
  if (now - pending.at > REPLAYABLE_MS || !entry) {
    forgetPendingTopUp(state, origin, currency)
    return undefined
  }
  return { pending, entry }
}

export function rememberPendingTopUp(
  state: WalletSnapshot,
  origin: string,
  currency: string,
  pending: PendingTopUp,
): void {
  const record = originRecord(state, origin)
  record.pendingTopUps = { ...record.pendingTopUps, [currency]: pending }
}

/** The server answered a top-up for (origin, currency) for good: its key will not be needed again. */
export function forgetPendingTopUp(state: WalletSnapshot, origin: string, currency: string): void {
  const record = state.origins[origin]
  if (!record?.pendingTopUps?.[currency]) return
  const { [currency]: _gone, ...rest } = record.pendingTopUps
  if (Object.keys(rest).length === 0) delete record.pendingTopUps
  else record.pendingTopUps = rest
}

/**
 * The origin does not announce `idempotencyKey` (a v1 server): a replay would be charged again
 * as a new top-up. The key goes; its line stays counted against budgets (that top-up may have
 * been charged) but is no longer pending, since nothing will ever answer for it.
 */
export function abandonPendingTopUp(
  state: WalletSnapshot,
  origin: string,
  currency: string,
  entry: JournalEntry,
): void {
  forgetPendingTopUp(state, origin, currency)
  settleTopUp(state, entry, {})
}
