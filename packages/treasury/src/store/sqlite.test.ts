// The store contract on one SQLite file, opened twice as two treasury instances would.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runStoreContract } from './contract'
import { SqliteStore } from './sqlite'
import type { TreasuryStore } from './types'

runStoreContract('SQLite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'treasury-sqlite-'))
  const file = join(dir, 'treasury.db')
  const opened: TreasuryStore[] = []
  const open = async () => {
    const store = await SqliteStore.open(file)
    opened.push(store)
    return store
  }
  return {
    store: await open(),
    second: open,
    teardown: async () => {
      for (const store of opened) await store.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
})
