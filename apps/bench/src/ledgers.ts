/** Opens each ledger for the server under test, in a namespace of its own, and removes that namespace afterwards. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type Ledger,
  MemoryLedger,
  PostgresLedger,
  RedisLedger,
  SqliteLedger,
} from '@stripe402/server'
import { Redis } from 'ioredis'
import pg from 'pg'
import { openLedger } from '../../../packages/server/bench/ledgers'
import type { LedgerName } from './ipc'

export interface OpenedLedger {
  ledger: Ledger
  /** How it is set up, for the report. */
  description: string
  close(): Promise<void>
}

/** How several server processes share one ledger (`scale.ts`): a namespace the caller creates and drops. */
export interface SharedLedger {
  /** Redis key prefix, PostgreSQL schema, or SQLite file. */
  namespace: string
  /** PostgreSQL pool size (default 16). */
  poolSize?: number
  /** PostgreSQL `synchronous_commit` for this pool's sessions (default: the server's, `on`). */
  synchronousCommit?: 'on' | 'off'
}

/**
 * One ledger in a namespace several processes share: nothing is created or dropped here but the
 * PostgreSQL schema's migration (idempotent), so the caller decides when the namespace goes.
 */
export async function openSharedLedger(
  name: LedgerName,
  shared: SharedLedger,
): Promise<OpenedLedger | string> {
  if (name === 'sqlite') {
    const ledger = await SqliteLedger.open(shared.namespace)
    return {
      ledger,
      description: `SqliteLedger.open(file), one file shared by every process`,
      close: () => ledger.close(),
    }
  }
  if (name === 'postgres') {
    const pool = new pg.Pool({
      connectionString: process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
      max: shared.poolSize ?? 16,
      connectionTimeoutMillis: 2_000,
      ...(shared.synchronousCommit && {
        options: `-c synchronous_commit=${shared.synchronousCommit}`,
      }),
    })
    pool.on('error', () => {})
    const ledger = new PostgresLedger(pool, { schema: shared.namespace })
    try {
      await ledger.migrate()
    } catch (error) {
      await pool.end()
      return `PostgreSQL: ${(error as Error).message}`
    }
    return {
      ledger,
      description: `PostgresLedger on a pg Pool (${shared.poolSize ?? 16} connections${shared.synchronousCommit ? `, synchronous_commit ${shared.synchronousCommit}` : ''}), one schema shared by every process`,
      close: () => pool.end(),
    }
  }
  if (name === 'redis') {
    const client = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379', {
      ...RedisLedger.clientOptions,
      lazyConnect: true,
      retryStrategy: () => null,
    })
    client.on('error', () => {})
    try {
      await client.connect()
    } catch (error) {
      client.disconnect()
      return `Redis: ${(error as Error).message}`
    }
    return {
      ledger: new RedisLedger(client, { prefix: shared.namespace }),
      description: 'RedisLedger on ioredis, one key prefix shared by every process',
      close: async () => client.disconnect(),
    }
  }
  return `${name} cannot be shared between processes`
}

/** A ledger ready to use, or the reason it cannot run here (a service is down). */
export async function openServerLedger(name: LedgerName): Promise<OpenedLedger | string> {
  if (name === 'memory')
    return {
      ledger: new MemoryLedger(),
      description: 'MemoryLedger (in process)',
      close: async () => {},
    }
  if (name === 'sqlite') {
    // The embedded default exactly as an app gets it: a SQLite file, WAL, default durability.
    const dir = await mkdtemp(join(tmpdir(), 'stripe402-bench-sqlite-'))
    const ledger = await SqliteLedger.open(join(dir, 'ledger.sqlite'))
    return {
      ledger,
      description: "SqliteLedger.open(file): node:sqlite in process, WAL, synchronous 'normal'",
      close: async () => {
        await ledger.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  }
  if (name === 'pglite') {
    // The previous embedded default: PGlite persisted under a data folder.
    const dir = await mkdtemp(join(tmpdir(), 'stripe402-bench-pglite-'))
    const ledger = await PostgresLedger.embedded(dir)
    return {
      ledger,
      description: 'PostgresLedger.embedded(dataDir): PGlite in process, persisted',
      close: async () => {
        await ledger.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  }
  // Postgres and Redis: a unique schema / key prefix per run, dropped at teardown (the server package's bench helper).
  const opened = await openLedger(name)
  if (typeof opened === 'string') return opened
  const description =
    name === 'postgres'
      ? 'PostgresLedger on a pg Pool (16 connections), own schema'
      : 'RedisLedger on ioredis, own key prefix'
  return { ledger: opened.ledger, description, close: () => opened.teardown() }
}
