/**
 * What an operator can tune on PostgresLedger, measured: `tsx src/postgres-knobs.ts [--pools=4,8,16,32]
 * [--concurrency=64] [--seconds=3]`. Debits per second straight on the ledger for each pool size,
 * with `synchronous_commit` on (PostgreSQL's default), off for the pool's sessions, and off for the
 * debits alone (`debitCommit: 'async'`, the option an operator sets), on one account per caller and
 * on one hot account; and the Node CPU each debit costs the calling process.
 */
import { parseArgs } from 'node:util'
import { PostgresLedger } from '@stripe402/server'
import pg from 'pg'
import { runFor } from '../../../packages/server/bench/ledgers'

export interface KnobResult {
  poolSize: number
  /** `debits`: the sessions keep the server's default, and the ledger's `debitCommit: 'async'` sets it per debit. */
  synchronousCommit: 'on' | 'off' | 'debits'
  accounts: 'own' | 'hot'
  debitsPerSecond: number
  /** CPU of the calling Node process per debit (the pg client's share), in µs. */
  clientCpuMicros: number
  exact: boolean
}

const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'
const FUNDS = 1_000_000_000_000

export async function measureKnob(options: {
  poolSize: number
  synchronousCommit: 'on' | 'off' | 'debits'
  accounts: 'own' | 'hot'
  concurrency: number
  seconds: number
}): Promise<KnobResult> {
  const pool = new pg.Pool({
    connectionString: DATABASE_URL,
    max: options.poolSize,
    ...(options.synchronousCommit !== 'debits' && {
      options: `-c synchronous_commit=${options.synchronousCommit}`,
    }),
  })
  pool.on('error', () => {})
  const schema = `s402_knobs_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const ledger = new PostgresLedger(pool, {
    schema,
    ...(options.synchronousCommit === 'debits' && { debitCommit: 'async' as const }),
  })
  try {
    await ledger.migrate()
    const count = options.accounts === 'hot' ? 1 : options.concurrency
    const accounts = Array.from({ length: count }, (_, i) => `knob_${i}`)
    for (const accountId of accounts)
      await ledger.credit({
        accountId,
        currency: 'usd',
        units: FUNDS,
        kind: 'top_up',
        ref: `pi_${accountId}`,
      })
    const spend = (worker: number) =>
      ledger.spend({
        accountId: accounts[worker % accounts.length] as string,
        currency: 'usd',
        units: 1,
        ref: `GET /api/paid#${worker}_${Math.random()}`,
      })
    // Warm the pool's connections and the plans.
    await runFor(0.5, options.concurrency, async (worker) => void (await spend(worker)))
    let failures = 0
    const cpu = process.cpuUsage()
    const { ops, elapsedMs } = await runFor(
      options.seconds,
      options.concurrency,
      async (worker) => {
        if (!(await spend(worker)).ok) failures++
      },
    )
    const used = process.cpuUsage(cpu)
    let spent = 0
    for (const accountId of accounts) spent += FUNDS - (await ledger.balance(accountId, 'usd'))
    return {
      poolSize: options.poolSize,
      synchronousCommit: options.synchronousCommit,
      accounts: options.accounts,
      debitsPerSecond: (ops / elapsedMs) * 1000,
      clientCpuMicros: (used.user + used.system) / ops,
      // Every debit of the warm-up and the measure is in the balances, and none failed.
      exact: failures === 0 && spent >= ops,
    }
  } finally {
    await pool.query(`drop schema if exists "${schema}" cascade`).catch(() => {})
    await pool.end()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pools: { type: 'string', default: '4,8,16,32' },
      concurrency: { type: 'string', default: '64' },
      seconds: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
      commits: { type: 'string', default: 'on,off,debits' },
    },
  })
  const results: KnobResult[] = []
  for (const accounts of ['own', 'hot'] as const)
    for (const synchronousCommit of values.commits.split(',') as Array<'on' | 'off' | 'debits'>)
      for (const poolSize of values.pools.split(',').map(Number)) {
        const result = await measureKnob({
          poolSize,
          synchronousCommit,
          accounts,
          concurrency: Number(values.concurrency),
          seconds: Number(values.seconds),
        })
        results.push(result)
        process.stderr.write(
          `pool ${poolSize}, synchronous_commit ${synchronousCommit}, ${accounts} account(s): ` +
            `${Math.round(result.debitsPerSecond)} debits/s, ${result.clientCpuMicros.toFixed(0)} µs Node CPU/debit${result.exact ? '' : ', NOT EXACT'}\n`,
        )
      }
  if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
