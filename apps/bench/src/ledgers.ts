/** Opens each ledger for the server under test, in a namespace of its own, and removes that namespace afterwards. */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Ledger, MemoryLedger, PostgresLedger, SqliteLedger } from '@stripe402/server'
import { openLedger } from '../../../packages/server/bench/ledgers'
import type { LedgerName } from './ipc'

export interface OpenedLedger {
  ledger: Ledger
  /** How it is set up, for the report. */
  description: string
  close(): Promise<void>
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
