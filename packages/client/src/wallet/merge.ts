/** Brings changes another writer saved (a second process on the same wallet file) into this one's wallet, losing neither side's. */
import type { JournalEntry, OriginRecord, OriginStats, WalletSnapshot } from './snapshot'

/**
 * A three-way merge: `ours` is the wallet in memory, `base` what we last read or wrote, `theirs`
 * what the store holds now. What only they changed is taken, what we changed stays (the newer
 * one when both changed a credential or a price), and counters add both sides' changes. `ours`
 * is changed in place, since calls in flight hold references into it.
 */
export function mergeSnapshot(
  ours: WalletSnapshot,
  base: WalletSnapshot,
  theirs: WalletSnapshot,
): void {
  ours.seq = Math.max(ours.seq, theirs.seq)
  mergeJournal(ours, base, theirs)
  // The latest time either side took a refusal at its word: taking one is never undone.
  for (const [currency, at] of Object.entries(theirs.refusalsTaken ?? {})) {
    ours.refusalsTaken ??= {}
    ours.refusalsTaken[currency] = Math.max(ours.refusalsTaken[currency] ?? 0, at)
  }
  for (const [origin, record] of Object.entries(theirs.origins)) {
    const mine = ours.origins[origin] ?? { prices: {}, stats: {} }
    ours.origins[origin] = mine
    mergeOrigin(mine, base.origins[origin], record)
  }
}

function mergeJournal(ours: WalletSnapshot, base: WalletSnapshot, theirs: WalletSnapshot): void {
  const before = new Map(base.journal.map((e) => [e.id, e]))
  const now = new Map(theirs.journal.map((e) => [e.id, e]))
  // A line they removed (a released reservation, a pruned line) goes, unless we changed it since.
  ours.journal = ours.journal.filter(
    (e) => now.has(e.id) || !before.has(e.id) || !same(e, before.get(e.id)),
  )
  for (const entry of ours.journal) {
    const was = before.get(entry.id)
    const is = now.get(entry.id)
    if (was && is && same(entry, was) && !same(is, was)) replaceInPlace(entry, is)
  }
  const mine = new Set(ours.journal.map((e) => e.id))
  const added = theirs.journal.filter((e) => !before.has(e.id) && !mine.has(e.id))
  if (added.length === 0) return
  ours.journal.push(...structuredClone(added))
  ours.journal.sort((a, b) => a.at - b.at)
}

function mergeOrigin(
  ours: OriginRecord,
  base: OriginRecord | undefined,
  theirs: OriginRecord,
): void {
  set(
    ours,
    'credential',
    pick(ours.credential, base?.credential, theirs.credential, (o, t) => t.updatedAt > o.updatedAt),
  )
  set(ours, 'extensions', pick(ours.extensions, base?.extensions, theirs.extensions))
  set(
    ours,
    'priceList',
    pick(ours.priceList, base?.priceList, theirs.priceList, (o, t) => t.seenAt > o.seenAt),
  )
  set(
    ours,
    'publishableKey',
    pick(ours.publishableKey, base?.publishableKey, theirs.publishableKey),
  )
  for (const route of keys(ours.prices, base?.prices, theirs.prices)) {
    set(
      ours.prices,
      route,
      pick(
        ours.prices[route],
        base?.prices[route],
        theirs.prices[route],
        (o, t) => t.seenAt > o.seenAt,
      ),
    )
  }
  const pending = { ...ours.pendingTopUps }
  for (const currency of keys(ours.pendingTopUps, base?.pendingTopUps, theirs.pendingTopUps)) {
    set(
      pending,
      currency,
      pick(
        ours.pendingTopUps?.[currency],
        base?.pendingTopUps?.[currency],
        theirs.pendingTopUps?.[currency],
      ),
    )
  }
  set(ours, 'pendingTopUps', Object.keys(pending).length > 0 ? pending : undefined)
  for (const currency of keys(ours.stats, base?.stats, theirs.stats)) {
    const zero: OriginStats = { spent: 0, used: 0, topUps: 0, calls: 0 }
    const [o, b, t] = [
      ours.stats[currency] ?? zero,
      base?.stats[currency] ?? zero,
      theirs.stats[currency] ?? zero,
    ]
    const sum = (k: keyof OriginStats) => Math.max(0, o[k] + t[k] - b[k])
    const merged: OriginStats = {
      spent: sum('spent'),
      used: sum('used'),
      topUps: sum('topUps'),
      calls: sum('calls'),
    }
    set(ours.stats, currency, Object.values(merged).some((n) => n > 0) ? merged : undefined)
  }
}

/** Theirs when only they changed it, ours when only we did. On both: a value beats a removal, then ours unless `theirsWins`. */
function pick<T>(
  ours: T | undefined,
  base: T | undefined,
  theirs: T | undefined,
  theirsWins?: (ours: T, theirs: T) => boolean,
): T | undefined {
  if (same(theirs, base)) return ours
  if (same(ours, base) || ours === undefined) return structuredClone(theirs)
  if (theirs === undefined) return ours
  return theirsWins?.(ours, theirs) ? structuredClone(theirs) : ours
}

function set<T extends object, K extends keyof T>(
  target: T,
  key: K,
  value: T[K] | undefined,
): void {
  if (value === undefined) delete target[key]
  else if (target[key] !== value) target[key] = value
}

function keys(...records: Array<Record<string, unknown> | undefined>): Set<string> {
  return new Set(records.flatMap((r) => Object.keys(r ?? {})))
}

function replaceInPlace(entry: JournalEntry, next: JournalEntry): void {
  for (const key of Object.keys(entry) as Array<keyof JournalEntry>) delete entry[key]
  Object.assign(entry, structuredClone(next))
}

/** Equal as JSON. Every writer builds these values the same way, so key order matches; when it does not, the value just counts as changed. */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}
