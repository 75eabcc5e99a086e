/** Builds each ledger for a benchmark, with a counter of the commands it sends to its store, and tears it down. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { PGlite } from '@electric-sql/pglite'
import { Redis } from 'ioredis'
import pg from 'pg'
import { MemoryLedger, PostgresLedger, RedisLedger, SqliteLedger } from '../src/ledger'
import type { Ledger } from '../src/ledger'

export type LedgerName = 'memory' | 'sqlite' | 'pglite' | 'postgres' | 'redis'
export const LEDGER_NAMES: LedgerName[] = ['memory', 'sqlite', 'pglite', 'postgres', 'redis']

export interface BenchLedger {
  name: LedgerName
  ledger: Ledger
  /** Statements or commands sent to the store so far (0 for memory: there is none). */
  sent(): number
  /** What `sent` counts, for the report. */
  unit: string
  teardown(): Promise<void>
}

const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const runId = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`

/** A ledger ready to use, or the reason it cannot run here (a service is down). */
export async function openLedger(
  name: LedgerName,
  options: { poolSize?: number } = {},
): Promise<BenchLedger | string> {
  let count = 0
  if (name === 'memory') {
    return {
      name,
      ledger: new MemoryLedger(),
      sent: () => 0,
      unit: 'none (in process)',
      teardown: async () => {},
    }
  }
  if (name === 'sqlite') {
    // A file, as the embedded default is used; every statement run is counted.
    const dir = mkdtempSync(join(tmpdir(), 'stripe402-bench-sqlite-'))
    const db = new DatabaseSync(join(dir, 'ledger.sqlite'))
    const prepare = db.prepare.bind(db)
    db.prepare = (sql: string) => {
      const statement = prepare(sql)
      for (const method of ['run', 'get', 'all'] as const) {
        const call = statement[method].bind(statement) as (...args: unknown[]) => never
        statement[method] = ((...args: unknown[]) => {
          count++
          return call(...args)
        }) as never
      }
      return statement
    }
    return {
      name,
      ledger: new SqliteLedger(db),
      sent: () => count,
      unit: 'statements (in process)',
      teardown: async () => {
        db.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  if (name === 'pglite') {
    const db = await PGlite.create()
    const query = db.query.bind(db)
    // PGlite runs in process: these are statements, not network round trips.
    db.query = ((...args: Parameters<typeof query>) => {
      count++
      return query(...args)
    }) as typeof db.query
    const ledger = new PostgresLedger(db)
    await ledger.migrate()
    return {
      name,
      ledger,
      sent: () => count,
      unit: 'statements (in process)',
      teardown: () => db.close(),
    }
  }
  if (name === 'postgres') {
    const pool = new pg.Pool({
      connectionString: DATABASE_URL,
      max: options.poolSize ?? 16,
      connectionTimeoutMillis: 2_000,
    })
    pool.on('error', () => {})
    pool.on('connect', (client) => {
      const query = client.query.bind(client) as (...args: unknown[]) => unknown
      ;(client as { query: unknown }).query = (...args: unknown[]) => {
        count++
        return query(...args)
      }
    })
    const schema = `s402_bench_${runId}`
    const ledger = new PostgresLedger(pool, { schema })
    try {
      await ledger.migrate()
    } catch (err) {
      await pool.end()
      return `PostgreSQL at ${DATABASE_URL}: ${(err as Error).message}`
    }
    return {
      name,
      ledger,
      sent: () => count,
      unit: 'queries',
      teardown: async () => {
        await pool.query(`drop schema if exists "${schema}" cascade`)
        await pool.end()
      },
    }
  }
  const client = new Redis(REDIS_URL, {
    ...RedisLedger.clientOptions,
    lazyConnect: true,
    retryStrategy: () => null,
  })
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (err) {
    client.disconnect()
    return `Redis at ${REDIS_URL}: ${(err as Error).message}`
  }
  const sendCommand = client.sendCommand.bind(client)
  client.sendCommand = (command, stream) => {
    count++
    return sendCommand(command, stream)
  }
  const prefix = `s402bench:${runId}`
  return {
    name,
    ledger: new RedisLedger(client, { prefix }),
    sent: () => count,
    unit: 'commands',
    teardown: async () => {
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
        if (keys.length > 0) await client.del(...keys)
        cursor = next
      } while (cursor !== '0')
      client.disconnect()
    },
  }
}

/** What both benchmarks take: `--seconds=3 --concurrency=64 --only=redis,postgres --json`. */
export function benchOptions(argv: string[]) {
  const args = parseArgs(argv)
  const json = args.has('json')
  return {
    seconds: Number(args.get('seconds') ?? 3),
    concurrency: Number(args.get('concurrency') ?? 64),
    json,
    only: args.get('only')?.split(',') ?? LEDGER_NAMES,
    // With --json the table goes to stderr, so stdout carries the JSON alone.
    out: json ? process.stderr : process.stdout,
  }
}

/** `--name=value` and `--flag` arguments. */
function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>()
  for (const arg of argv) {
    const match = /^--([^=]+)(?:=(.*))?$/.exec(arg)
    if (match?.[1]) args.set(match[1], match[2] ?? 'true')
  }
  return args
}

/** Runs `task` from `concurrency` workers until `seconds` pass; returns how many calls completed. */
export async function runFor(
  seconds: number,
  concurrency: number,
  task: (worker: number) => Promise<void>,
): Promise<{ ops: number; elapsedMs: number }> {
  const started = performance.now()
  const deadline = started + seconds * 1000
  let ops = 0
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (performance.now() < deadline) {
        await task(worker)
        ops++
      }
    }),
  )
  return { ops, elapsedMs: performance.now() - started }
}

export function printTable(rows: Record<string, string | number>[], out: NodeJS.WriteStream): void {
  const first = rows[0]
  if (!first) return
  const headers = Object.keys(first)
  const cells = rows.map((row) => headers.map((h) => String(row[h] ?? '')))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)))
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0)))
      .join('  ')
  out.write(`${line(headers)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`)
  for (const c of cells) out.write(`${line(c)}\n`)
}
