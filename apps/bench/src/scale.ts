/**
 * Several server processes on one shared ledger: `tsx src/scale.ts [--ledgers=redis,postgres,sqlite]
 * [--processes=1,2,4] [--accounts=own,hot] [--seconds=3] [--connections=32] [--pool=16]
 * [--synchronous-commit=on|off] [--adapter=express] [--json]`. Each process is the bench's server
 * with `--shared`, so all of them debit the same Redis prefix, PostgreSQL schema or SQLite file;
 * the load is split across them at once. `own`: each process's payer has an account of its own
 * (many agents); `hot`: every process spends one credential (one agent fanning out). Checks that
 * the units debited equal the paid answers, across every process.
 */
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { encodePaymentPayload, HEADERS } from '@stripe402/protocol'
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import { Redis } from 'ioredis'
import pg from 'pg'
import { type AdapterName, type LedgerName, PAID_AMOUNT, PAID_PATH } from './ipc'
import { runLoad } from './load'
import { cardNumber, createPaymentMethod, payOnce } from './payer'
import { type ServerProcess, startServerProcess } from './server-process'
import { redisCpuProbe } from './store-cpu'

export interface ScaleResult {
  ledger: LedgerName
  processes: number
  accounts: 'own' | 'hot'
  /** Paid answers per second, all processes together. */
  paidPerSecond: number
  responses: number
  /** Server CPU per paid request, summed over the processes, in µs. */
  serverCpuMicros: number
  /** redis-server CPU per paid request (Redis only), in µs. */
  storeCpuMicros?: number
  p50Ms: number
  p99Ms: number
  /** Units debited equal paid answers, and nothing else was answered. */
  exact: boolean
  setup: string
}

const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'

/** Creates nothing: says which namespace the processes share, and how to drop it afterwards. */
function namespaceFor(ledger: LedgerName): { namespace: string; drop(): Promise<void> } {
  const tag = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  if (ledger === 'sqlite') {
    const file = join(tmpdir(), `stripe402-scale-${tag}.sqlite`)
    return {
      namespace: file,
      drop: async () => {
        for (const suffix of ['', '-wal', '-shm']) await rm(`${file}${suffix}`, { force: true })
      },
    }
  }
  if (ledger === 'postgres') {
    const schema = `s402_scale_${tag}`
    return {
      namespace: schema,
      drop: async () => {
        const client = new pg.Client({ connectionString: DATABASE_URL })
        await client.connect()
        await client.query(`drop schema if exists "${schema}" cascade`)
        await client.end()
      },
    }
  }
  const prefix = `s402scale:${tag}`
  return {
    namespace: prefix,
    drop: async () => {
      const client = new Redis(REDIS_URL)
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

export async function measureScale(options: {
  ledger: LedgerName
  processes: number
  accounts: 'own' | 'hot'
  seconds: number
  connections: number
  adapter: AdapterName
  stripe: { url: string; publishableKey: string }
  serverArgs?: string[]
}): Promise<ScaleResult | string> {
  const { namespace, drop } = namespaceFor(options.ledger)
  const servers: ServerProcess[] = []
  const store = options.ledger === 'redis' ? await redisCpuProbe() : null
  try {
    // One after another: the first migrates the PostgreSQL schema, the others find it there.
    for (let i = 0; i < options.processes; i++) {
      const server = await startServerProcess({
        adapter: options.adapter,
        ledger: options.ledger,
        stripeApiBase: options.stripe.url,
        serverArgs: [`--shared=${namespace}`, ...(options.serverArgs ?? [])],
      })
      if (typeof server === 'string') return server
      servers.push(server)
    }
    const credentials: string[] = []
    for (const [i, server] of servers.entries()) {
      if (options.accounts === 'hot' && i > 0) break
      // A card per payer: the same card would be the same account (and refused unbound a second time).
      const pm = await createPaymentMethod(
        options.stripe.url,
        options.stripe.publishableKey,
        cardNumber(1_000 + i),
      )
      credentials.push((await payOnce(server.url, pm)).clientId)
    }
    const header = (i: number) =>
      encodePaymentPayload({
        stripe402Version: 1,
        clientId: credentials[options.accounts === 'hot' ? 0 : i] as string,
        maxAmount: 100,
      })
    const perServer = Math.max(1, Math.round(options.connections / servers.length))
    const burst = (amount: (i: number) => number) =>
      Promise.all(
        servers.map((server, i) =>
          runLoad({
            url: `${server.url}${PAID_PATH}`,
            headers: { [HEADERS.PAYMENT]: header(i) },
            connections: perServer,
            amount: amount(i),
          }),
        ),
      )
    // Warm-up, which also gives each process's rate to size the measured burst.
    const warm = await burst(() => perServer * 200)
    const rates = warm.map((w) => (w.responses / w.elapsedMs) * 1000)
    const balance = async () => {
      let sum = 0
      for (const clientId of credentials) sum += (await servers[0]?.balance(clientId)) ?? Number.NaN
      return sum
    }
    const before = await balance()
    const cpuBefore = await Promise.all(servers.map((s) => s.stats()))
    const storeBefore = await store?.read()
    const started = performance.now()
    const loads = await burst((i) => Math.round((rates[i] ?? 1000) * options.seconds))
    const elapsedMs = performance.now() - started
    const storeAfter = await store?.read()
    const cpuAfter = await Promise.all(servers.map((s) => s.stats()))
    const after = await balance()
    const responses = loads.reduce((n, l) => n + l.responses, 0)
    const ok = loads.reduce((n, l) => n + l.responses - l.non2xx, 0)
    const latencies = Float64Array.from(loads.flatMap((l) => [...l.latencies])).sort()
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN
    const cpu = cpuAfter.reduce((n, s, i) => n + s.cpuMicros - (cpuBefore[i]?.cpuMicros ?? 0), 0)
    return {
      ledger: options.ledger,
      processes: options.processes,
      accounts: options.accounts,
      paidPerSecond: (ok / elapsedMs) * 1000,
      responses,
      serverCpuMicros: cpu / responses,
      ...(storeBefore !== undefined &&
        storeAfter !== undefined && { storeCpuMicros: (storeAfter - storeBefore) / responses }),
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      exact: ok === responses && (before - after) / PAID_AMOUNT === ok,
      setup: options.serverArgs?.join(' ') ?? '',
    }
  } finally {
    store?.close()
    for (const server of servers) await server.stop()
    await drop()
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      ledgers: { type: 'string', default: 'redis,postgres,sqlite' },
      processes: { type: 'string', default: '1,2,4' },
      accounts: { type: 'string', default: 'own,hot' },
      seconds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '32' },
      adapter: { type: 'string', default: 'express' },
      pool: { type: 'string' },
      'synchronous-commit': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  })
  const serverArgs = [
    ...(values.pool ? [`--pool=${values.pool}`] : []),
    ...(values['synchronous-commit']
      ? [`--synchronous-commit=${values['synchronous-commit']}`]
      : []),
  ]
  const emulator = await startStripeEmulator({ port: 0 })
  const stripe = { url: emulator.url, publishableKey: emulator.keys().publishableKey }
  const results: ScaleResult[] = []
  try {
    for (const ledger of values.ledgers.split(',') as LedgerName[])
      for (const accounts of values.accounts.split(',') as Array<'own' | 'hot'>)
        for (const processes of values.processes.split(',').map(Number)) {
          const result = await measureScale({
            ledger,
            processes,
            accounts,
            seconds: Number(values.seconds),
            connections: Number(values.connections),
            adapter: values.adapter as AdapterName,
            stripe,
            serverArgs: ledger === 'postgres' ? serverArgs : [],
          })
          if (typeof result === 'string') {
            process.stderr.write(`${ledger}: skipped, ${result}\n`)
            break
          }
          results.push(result)
          process.stderr.write(
            `${ledger} × ${processes} process(es), ${accounts} account(s)${result.setup ? ` [${result.setup}]` : ''}: ` +
              `${Math.round(result.paidPerSecond)} paid/s, server CPU ${result.serverCpuMicros.toFixed(0)} µs/req` +
              `${result.storeCpuMicros === undefined ? '' : `, redis-server ${result.storeCpuMicros.toFixed(0)} µs/req`}, ` +
              `p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, ${result.exact ? 'exact' : 'NOT EXACT'}\n`,
          )
        }
  } finally {
    await emulator.close()
  }
  if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
}

if (import.meta.url === `file://${process.argv[1]}`) await main()
