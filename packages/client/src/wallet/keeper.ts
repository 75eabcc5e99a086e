/** Holds the wallet in memory for one paying fetch and writes it back to the store, one save at a time. */
import { isClientError, messageOf, Stripe402ClientError } from '../errors'
import { newRevision } from '../id'
import type { ClientStore } from '../store/types'
import { prune } from './journal'
import { mergeSnapshot } from './merge'
import { parseSnapshot, type WalletSnapshot } from './snapshot'

/**
 * Changes are made to the in-memory snapshot synchronously (so a budget check and the
 * reservation that follows it cannot interleave with another call), then `commit` saves.
 * Each save reads the store first and merges in what other writers saved since (another
 * process on the same wallet file), under the store's lock when it has one.
 */
export class WalletKeeper {
  private state: WalletSnapshot | undefined
  /** The snapshot as last read from or written to the store: what the merge compares both sides with. */
  private base: WalletSnapshot | undefined
  private loading: Promise<WalletSnapshot> | undefined
  private saving: Promise<unknown> = Promise.resolve()
  private queued: Promise<void> | undefined

  constructor(
    private readonly store: ClientStore,
    private readonly now: () => number,
  ) {}

  /** The wallet, loaded from the store on first use. */
  load(): Promise<WalletSnapshot> {
    if (this.state) return Promise.resolve(this.state)
    this.loading ??= this.read().then(
      (value) => {
        this.base = structuredClone(value)
        this.state = value
        return value
      },
      (cause: unknown) => {
        this.loading = undefined
        throw cause
      },
    )
    return this.loading
  }

  /** The loaded wallet; only valid after `load` resolved. */
  get current(): WalletSnapshot {
    if (!this.state) throw new Error('wallet used before it was loaded')
    return this.state
  }

  /**
   * Resolves once every change made before the call is durable. Saves run one at a time;
   * a save that has not started yet takes later changes too, so bursts coalesce.
   */
  commit(): Promise<void> {
    if (this.queued) return this.queued
    const run = this.saving
      .catch(() => {})
      .then(() => {
        this.queued = undefined
        return this.sync(() => undefined)
      })
    this.queued = run
    this.saving = run
    return run
  }

  /**
   * Runs `change` on the wallet with what every writer saved merged in, and saves, all under the
   * store's lock: a budget check and its reservation in `change` hold across processes.
   */
  transact<T>(change: (state: WalletSnapshot) => T): Promise<T> {
    const run = this.saving.catch(() => {}).then(() => this.sync(change))
    this.saving = run
    return run
  }

  private async sync<T>(change: (state: WalletSnapshot) => T): Promise<T> {
    const release = await this.store.lock?.()
    try {
      const theirs = await this.read()
      // From here to the save's start nothing awaits: no call in this process changes the wallet halfway.
      const state = this.current
      if (theirs.rev !== this.base?.rev) mergeSnapshot(state, this.base ?? theirs, theirs)
      const result = change(state)
      prune(state, this.now())
      state.rev = newRevision()
      const saved = structuredClone(state)
      await this.store.save(structuredClone(saved))
      this.base = saved
      return result
    } finally {
      await release?.()
    }
  }

  private async read(): Promise<WalletSnapshot> {
    let value: unknown
    try {
      value = await this.store.load()
    } catch (cause) {
      if (isClientError(cause)) throw cause
      throw new Stripe402ClientError(
        'store_unavailable',
        `Could not load the wallet: ${messageOf(cause)}`,
        { cause },
      )
    }
    return parseSnapshot(value)
  }
}
