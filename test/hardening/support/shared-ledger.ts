/** A private slice of the machine's Redis or PostgreSQL, or a SQLite file, seen by server processes and by the test alike. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Ledger, PostgresLedger, RedisLedger, SqliteLedger } from '@stripe402/server'
import { Redis } from 'ioredis'
import pg from 'pg'
import { requireService } from '../../services'
import type { PaidServerOptions } from './paid-server'

export interface SharedLedger {
  kind: 'redis' | 'postgres' | 'sqlite'
  /** What a server process opens. */
  config: PaidServerOptions['ledger']
  /** The same ledger, opened in the test process for audits and reconcile. */
  ledger: Ledger
  /** Deletes everything this run wrote, then disconnects. */
  cleanup(): Promise<void>
}

/** A name no other run uses, for a key prefix or a schema. */
export const runId = (what: string) =>
  `s402_hard_${what}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`

/** A unique key prefix on the shared Redis; its keys are deleted afterwards. */
export async function sharedRedis(url: string, what: string): Promise<SharedLedger> {
  const prefix = runId(what)
  const client = new Redis(url, { maxRetriesPerRequest: 1 })
  return {
    kind: 'redis',
    config: { kind: 'redis', url, prefix },
    ledger: new RedisLedger(client, { prefix }),
    async cleanup() {
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
        if (keys.length > 0) await client.del(...keys)
        cursor = next
      } while (cursor !== '0')
      client.disconnect()
    },
  }
}

/** A unique, migrated schema on the shared PostgreSQL; dropped afterwards. */
export async function sharedPostgres(url: string, what: string): Promise<SharedLedger> {
  const schema = runId(what)
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  const ledger = new PostgresLedger(pool, { schema })
  await ledger.migrate()
  return {
    kind: 'postgres',
    config: { kind: 'postgres', url, schema },
    ledger,
    async cleanup() {
      await pool.query(`drop schema if exists "${schema}" cascade`)
      await pool.end()
    },
  }
}

/** A fresh SQLite file in a temporary folder, opened by every process (WAL); removed afterwards. */
export async function sharedSqlite(what: string): Promise<SharedLedger> {
  const dir = mkdtempSync(join(tmpdir(), `${runId(what)}-`))
  const path = join(dir, 'ledger.sqlite')
  const ledger = await SqliteLedger.open(path)
  return {
    kind: 'sqlite',
    config: { kind: 'sqlite', path },
    ledger,
    async cleanup() {
      await ledger.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** The shared ledgers, Redis, PostgreSQL then SQLite, for `describe.each`: each says whether its service is up and opens a slice named after `what`. */
export async function sharedLedgers(what: string) {
  const redis = await requireService('redis')
  const postgres = await requireService('postgres')
  return [
    { name: 'Redis', available: redis.available, open: () => sharedRedis(redis.url, what) },
    {
      name: 'PostgreSQL',
      available: postgres.available,
      open: () => sharedPostgres(postgres.url, what),
    },
    // A file on this machine: always available where node:sqlite is (Node 22.5+).
    { name: 'SQLite', available: true, open: () => sharedSqlite(what) },
  ]
}
