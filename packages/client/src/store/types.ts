/** The storage contract: where a paying fetch keeps credentials, prices seen and the spend journal. */
import type { WalletSnapshot } from '../wallet/snapshot'

/**
 * A store keeps one JSON-serialisable snapshot. `save` runs after every change, one at a time,
 * and must not resolve before the snapshot is durable (the file store renames a fully written
 * temp file). Anything JSON-capable works: a file, `localStorage`, a KV namespace.
 *
 * Every save is a read, a merge of what other writers saved since, and a write, so two paying
 * fetches (or processes) sharing a snapshot keep each other's spending. With `lock`, that
 * read-merge-write is exclusive, and so are budget checks: two writers cannot both spend the
 * last of a budget. The snapshot holds credentials that spend prepaid credits: keep it private.
 */
export interface ClientStore {
  /** The saved snapshot, or `undefined` when nothing was saved yet. */
  load(): Promise<unknown>
  save(snapshot: WalletSnapshot): Promise<void>
  /** Takes an exclusive lock over the snapshot (waiting for it) and resolves to its release. */
  lock?(): Promise<() => Promise<void>>
}
