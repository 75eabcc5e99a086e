/**
 * The server under test, in a process of its own: `tsx src/server.ts --adapter=express --ledger=redis --stripe-api=URL`.
 * Prints one JSON line with its URL when ready; answers the bench's questions (stats, balances) over IPC.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { parseArgs } from 'node:util'
import { getHeapStatistics } from 'node:v8'
import { createPaywall } from '@stripe402/server'
import { appListener, counting } from './apps'
import {
  ADAPTER_NAMES,
  type AdapterName,
  BENCH_SECRET,
  type ChildMessage,
  LEDGER_NAMES,
  type LedgerName,
  PAID_AMOUNT,
  PAID_PATH,
  type ParentMessage,
  type ServerStats,
  TOP_UP_UNITS,
} from './ipc'
import { type OpenedLedger, openServerLedger, openSharedLedger } from './ledgers'

const { values } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'express' },
    ledger: { type: 'string', default: 'memory' },
    'stripe-api': { type: 'string' },
    'secret-key': { type: 'string', default: 'sk_test_emulator' },
    'publishable-key': { type: 'string', default: 'pk_test_emulator' },
    /** A namespace shared with other server processes (scale.ts): Redis prefix, PostgreSQL schema or SQLite file. */
    shared: { type: 'string' },
    pool: { type: 'string' },
    'synchronous-commit': { type: 'string' },
  },
})
const adapter = values.adapter as AdapterName
const ledgerName = values.ledger as LedgerName
if (!ADAPTER_NAMES.includes(adapter))
  throw new Error(`--adapter must be one of ${ADAPTER_NAMES.join(', ')}`)
if (!LEDGER_NAMES.includes(ledgerName))
  throw new Error(`--ledger must be one of ${LEDGER_NAMES.join(', ')}`)
if (!values['stripe-api']) throw new Error('--stripe-api=URL (the Stripe emulator) is required')

const send = (message: ChildMessage) => process.send?.(message)

/** Says why the ledger cannot run here and exits, once the message is out (process.send is asynchronous). */
function unavailable(reason: string): Promise<never> {
  if (process.send)
    process.send({ type: 'unavailable', reason } satisfies ChildMessage, () => process.exit(0))
  else {
    process.stderr.write(`${reason}\n`)
    process.exit(2)
  }
  return new Promise<never>(() => {})
}

const openedOrReason = values.shared
  ? await openSharedLedger(ledgerName, {
      namespace: values.shared,
      ...(values.pool && { poolSize: Number(values.pool) }),
      ...(values['synchronous-commit'] && {
        synchronousCommit: values['synchronous-commit'] as 'on' | 'off',
      }),
    })
  : await openServerLedger(ledgerName)
const opened: OpenedLedger =
  typeof openedOrReason === 'string' ? await unavailable(openedOrReason) : openedOrReason

const paywall = createPaywall({
  stripe: {
    secretKey: values['secret-key'],
    publishableKey: values['publishable-key'],
    apiBase: values['stripe-api'],
    maxNetworkRetries: 0,
  },
  secret: BENCH_SECRET,
  ledger: opened.ledger,
  routes: { [`GET ${PAID_PATH}`]: { amount: PAID_AMOUNT, maxTopUp: TOP_UP_UNITS } },
  // Card-testing defences count failed payments; the bench makes none, and they must not throttle it.
  rateLimits: false,
  logger: {
    // Startup advice (e.g. "no webhook configured") is about deployments, not this bench; errors still show.
    warn: () => {},
    error: (message, meta) =>
      process.stderr.write(
        `[server ${adapter}/${ledgerName}] ${message} ${JSON.stringify(meta ?? {})}\n`,
      ),
  },
})

const stats: ServerStats = {
  requests: {},
  served: { free: 0, paid: 0, wire: 0 },
  cpuMicros: 0,
  allocatedBytes: 0,
}
const server = createServer(counting(appListener(adapter, paywall, stats), stats))
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const { port } = server.address() as AddressInfo

/** V8 counts every byte allocated since start (Node 22.x and later report it). */
const allocatedBytes = () =>
  (getHeapStatistics() as { total_allocated_bytes?: number }).total_allocated_bytes ?? 0

let stopping: Promise<void> | undefined
function stop(): Promise<void> {
  stopping ??= (async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await opened.close()
  })()
  return stopping
}

process.on('message', (message: ParentMessage) => {
  void (async () => {
    try {
      switch (message.type) {
        case 'stats': {
          const cpu = process.cpuUsage()
          return send({
            id: message.id,
            type: 'stats',
            stats: {
              ...structuredClone(stats),
              cpuMicros: cpu.user + cpu.system,
              allocatedBytes: allocatedBytes(),
            },
          })
        }
        case 'balance':
          return send({
            id: message.id,
            type: 'balance',
            balance: await paywall.balance(message.clientId),
          })
        case 'stop':
          await stop()
          send({ id: message.id, type: 'stopped' })
          return process.disconnect?.()
      }
    } catch (error) {
      send({
        id: message.id,
        type: 'error',
        message: error instanceof Error ? error.message : String(error),
      })
    }
  })()
})
// The bench went away without saying stop: still drop the schema / keys this run created.
process.on('disconnect', () => void stop().finally(() => process.exit(0)))
process.on('SIGTERM', () => void stop().finally(() => process.exit(0)))

const url = `http://127.0.0.1:${port}`
process.stdout.write(`${JSON.stringify({ url })}\n`)
send({ type: 'ready', url, ledger: opened.description })
