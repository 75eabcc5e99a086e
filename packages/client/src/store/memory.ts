/** The default store: keeps the wallet in memory, for the life of the process or the page. */
import type { WalletSnapshot } from '../wallet/snapshot'
import type { ClientStore } from './types'

/** A store in memory; hand the same one to two paying fetches and they share a wallet and its budgets. */
export function createMemoryStore(): ClientStore {
  let saved: WalletSnapshot | undefined
  let held: Promise<void> = Promise.resolve()
  return {
    async load() {
      return saved === undefined ? undefined : structuredClone(saved)
    },
    async save(snapshot) {
      saved = structuredClone(snapshot)
    },
    async lock() {
      const previous = held
      let release!: () => void
      held = new Promise<void>((resolve) => (release = resolve))
      await previous
      return async () => release()
    },
  }
}
