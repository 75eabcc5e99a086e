// The store contract on PostgreSQL, in a schema of its own (other engineers' tests share the database).
import pg from 'pg'
import { describe } from 'vitest'
import { requireService } from '../../../../test/services'
import { runStoreContract } from './contract'
import { PostgresStore } from './postgres'
import type { TreasuryStore } from './types'

const svc = await requireService('postgres')

describe.skipIf(!svc.available)('PostgresStore', () => {
  runStoreContract('PostgreSQL', async () => {
    const schema = `s402_treasury_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
    const opened: TreasuryStore[] = []
    const open = async () => {
      const store = await PostgresStore.connect(svc.url, { schema, max: 4 })
      opened.push(store)
      return store
    }
    return {
      store: await open(),
      second: open,
      teardown: async () => {
        for (const store of opened) await store.close()
        const pool = new pg.Pool({ connectionString: svc.url, max: 1 })
        await pool.query(`drop schema if exists "${schema}" cascade`)
        await pool.end()
      },
    }
  })
})
