/** Starts the example API on the ledger the environment asks for (embedded SQLite by default). */
import { mkdirSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  createPaywall,
  type Ledger,
  type PaywallLogger,
  PostgresLedger,
  RedisLedger,
  SqliteLedger,
} from '@stripe402/server'
import { Redis } from 'ioredis'
import pg from 'pg'
import { createApp, ROUTES } from './app'

export interface LedgerChoice {
  ledger: Ledger
  label: string
  close(): Promise<void>
}

/** The ledger the environment names cannot be reached: one line saying which and what to change. */
export class LedgerUnreachableError extends Error {
  override readonly name = 'LedgerUnreachableError'
}

/**
 * REDIS_URL → Redis, DATABASE_URL → PostgreSQL, otherwise a SQLite file under apps/example/data.
 * A Redis or PostgreSQL ledger is reached once before anything starts: when it cannot be, this
 * throws `LedgerUnreachableError` instead of starting on a ledger every call would fail on.
 */
export async function ledgerFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<LedgerChoice> {
  if (env.REDIS_URL) {
    const where = redact(env.REDIS_URL)
    const client = new Redis(env.REDIS_URL, {
      maxRetriesPerRequest: 1,
      lazyConnect: true,
      // Only the probe's first attempt: a Redis that is down fails startup, not after retries.
      retryStrategy: () => null,
    })
    // Without a listener ioredis prints each connection error with its stack trace.
    let probing = true
    let probeError: Error | undefined
    let lastError = ''
    client.on('error', (error: Error) => {
      if (probing) probeError ??= error
      else if (error.message !== lastError) console.error(`[redis] ${error.message}`)
      lastError = error.message
    })
    try {
      await client.connect()
      await client.ping()
    } catch (error) {
      client.disconnect()
      throw new LedgerUnreachableError(
        `cannot reach Redis at ${where}: ${reason(probeError ?? error)}; unset REDIS_URL to use the embedded SQLite ledger`,
      )
    }
    probing = false
    lastError = ''
    // Reconnect after the probe, as a server should when Redis comes and goes.
    client.options.retryStrategy = (times) => Math.min(times * 200, 2_000)
    return {
      ledger: new RedisLedger(client),
      label: `Redis (${where})`,
      close: async () => void client.disconnect(),
    }
  }
  if (env.DATABASE_URL) {
    const where = redact(env.DATABASE_URL)
    const pool = new pg.Pool({ connectionString: env.DATABASE_URL })
    // An idle client's error (the server restarting) must not crash the process with a stack trace.
    pool.on('error', (error) => console.error(`[postgres] ${error.message}`))
    const ledger = new PostgresLedger(pool)
    try {
      await ledger.migrate()
    } catch (error) {
      await pool.end().catch(() => {})
      throw new LedgerUnreachableError(
        `cannot reach PostgreSQL at ${where}: ${reason(error)}; unset DATABASE_URL to use the embedded SQLite ledger`,
      )
    }
    return { ledger, label: `PostgreSQL (${where})`, close: () => pool.end() }
  }
  const dataDir = env.STRIPE402_DATA_DIR ?? fileURLToPath(new URL('../data', import.meta.url))
  mkdirSync(dataDir, { recursive: true })
  const file = join(dataDir, 'ledger.sqlite')
  const ledger = await SqliteLedger.open(file)
  return { ledger, label: `embedded SQLite (${file})`, close: () => ledger.close() }
}

export interface StartOptions {
  port?: number
  stripe: { secretKey: string; publishableKey: string; apiBase?: string }
  secret?: string
  ledger: LedgerChoice
  /** Where the paywall's warnings go (default: the console, as an operator needs them). */
  logger?: PaywallLogger
}

export interface RunningApi {
  url: string
  server: Server
  close(): Promise<void>
}

/** Public, so only for trying the example: createPaywall itself refuses it when NODE_ENV=production. */
const EXAMPLE_SECRET = 'example-only-secret-change-me-in-production-0123456789'

/** STRIPE402_SECRET, or the example's public secret outside production. */
export function exampleSecret(env: NodeJS.ProcessEnv = process.env): string {
  if (env.STRIPE402_SECRET) return env.STRIPE402_SECRET
  if (env.NODE_ENV === 'production') {
    throw new Error(
      "STRIPE402_SECRET is required when NODE_ENV=production: the example's built-in secret is public (generate one with `openssl rand -base64 32`)",
    )
  }
  return EXAMPLE_SECRET
}

/**
 * A console logger without the two warnings about the example's own setup, for the demo, whose reader
 * did not choose it: the public built-in secret (when STRIPE402_SECRET is unset) and the missing
 * webhook (when STRIPE_WEBHOOK_SECRET is unset). Any other warning, and every error, is printed.
 */
export function demoLogger(env: NodeJS.ProcessEnv = process.env): PaywallLogger {
  const known = (message: string) =>
    (!env.STRIPE402_SECRET && message.startsWith('config secret is weak')) ||
    (!env.STRIPE_WEBHOOK_SECRET && message.startsWith('no webhook configured'))
  return {
    warn: (message, meta) => {
      if (!known(message)) console.warn(`[stripe402] ${message}`, meta ?? '')
    },
    error: (message, meta) => console.error(`[stripe402] ${message}`, meta ?? ''),
  }
}

/**
 * Listens, then builds the paywall for the origins it is reached by (port 0 picks a free port):
 * a PaymentMethod bound to another origin is refused (spec §7.4). STRIPE402_ORIGINS (comma
 * separated) names them when the API sits behind a proxy or another host name.
 */
export async function startApi(options: StartOptions): Promise<RunningApi> {
  const server = createServer()
  // Rejects (EADDRINUSE, EACCES) instead of leaving an 'error' event without a listener.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const origins = process.env.STRIPE402_ORIGINS?.split(',').map((o) => o.trim()) ?? [
    `http://127.0.0.1:${port}`,
    `http://localhost:${port}`,
  ]
  const paywall = createPaywall({
    stripe: options.stripe,
    secret: options.secret ?? exampleSecret(),
    ledger: options.ledger.ledger,
    origins,
    routes: ROUTES,
    ...(options.logger && { logger: options.logger }),
    ...(process.env.STRIPE_WEBHOOK_SECRET
      ? { webhook: { secret: process.env.STRIPE_WEBHOOK_SECRET } }
      : {}),
  })
  server.on('request', createApp(paywall))
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    // The paywall last: it writes the confirmations of the calls just served before the ledger closes.
    close: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
      await paywall.close()
    },
  }
}

/** The cause's own words, without a stack: `connect ECONNREFUSED 127.0.0.1:1`. */
function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return reason(error.errors[0])
  if (error instanceof Error && error.cause instanceof Error) return reason(error.cause)
  const message = error instanceof Error ? error.message : String(error)
  return message || (error as { code?: string })?.code || 'unknown error'
}

function redact(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'configured URL'
  }
}
