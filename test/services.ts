/**
 * Shared test helper: finds Redis and PostgreSQL for tests that need them.
 * Tests read REDIS_URL / DATABASE_URL (defaults: the machine's local services). When a
 * service is down the test skips with a printed reason — unless STRIPE402_REQUIRE_SERVICES=1
 * (set by .ci/run), where a missing service fails the run instead of hiding it.
 */
import { connect } from 'node:net'
import pg from 'pg'

export type ServiceKind = 'redis' | 'postgres'

export interface Service {
  kind: ServiceKind
  url: string
  available: boolean
  /** Why it is unavailable (printed when tests skip). */
  reason?: string
}

const DEFAULT_URLS: Record<ServiceKind, string> = {
  redis: 'redis://127.0.0.1:6379',
  postgres: 'postgres://postgres@127.0.0.1:5432/test',
}

const ENV: Record<ServiceKind, string> = { redis: 'REDIS_URL', postgres: 'DATABASE_URL' }

const cache = new Map<ServiceKind, Promise<Service>>()

/**
 * Probes the service once per process: a TCP connect with a short timeout, then for PostgreSQL a
 * login and `select 1`, because a stock install listens on 5432 without the `test` database.
 */
export function findService(kind: ServiceKind): Promise<Service> {
  let pending = cache.get(kind)
  if (!pending) {
    pending = probe(kind)
    cache.set(kind, pending)
  }
  return pending
}

/**
 * For `describe.skipIf(!(await requireService('redis')).available)`: prints why it skips,
 * or throws when STRIPE402_REQUIRE_SERVICES=1 so CI cannot pass without the service.
 */
export async function requireService(kind: ServiceKind): Promise<Service> {
  const service = await findService(kind)
  if (!service.available) {
    const message = `${kind} tests skipped: ${service.reason} (set ${ENV[kind]} to point at a running ${kind})`
    if (process.env.STRIPE402_REQUIRE_SERVICES === '1') {
      throw new Error(
        `STRIPE402_REQUIRE_SERVICES=1 but ${message.replace(' tests skipped', ' is unavailable')}`,
      )
    }
    console.warn(`[stripe402] ${message}`)
  }
  return service
}

async function probe(kind: ServiceKind): Promise<Service> {
  const url = process.env[ENV[kind]] || DEFAULT_URLS[kind]
  let host: string
  let port: number
  try {
    const parsed = new URL(url)
    host = parsed.hostname || '127.0.0.1'
    port = Number(parsed.port || (kind === 'redis' ? 6379 : 5432))
  } catch {
    return { kind, url, available: false, reason: `${ENV[kind]}="${url}" is not a URL` }
  }
  const reason = await new Promise<string | undefined>((resolve) => {
    const socket = connect({ host, port })
    const done = (why?: string) => {
      socket.destroy()
      resolve(why)
    }
    socket.setTimeout(1000, () => done(`no answer from ${host}:${port} within 1s`))
    socket.once('connect', () => done(undefined))
    socket.once('error', (err) =>
      done(
        `cannot connect to ${host}:${port} (${(err as NodeJS.ErrnoException).code ?? err.message})`,
      ),
    )
  })
  if (reason) return { kind, url, available: false, reason }
  const refused = kind === 'postgres' ? await login(url) : undefined
  return refused ? { kind, url, available: false, reason: refused } : { kind, url, available: true }
}

/** Logs in to PostgreSQL at `url` and runs `select 1`; returns why that failed, if it did. */
async function login(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.query('select 1')
    return undefined
  } catch (err) {
    const { code, message } = err as { code?: string; message: string }
    const { hostname, port, username, pathname } = new URL(url)
    const createdb = `createdb -h ${hostname} -p ${port || 5432} -U ${username || 'postgres'} ${decodeURIComponent(pathname.slice(1))}`
    return code === '3D000'
      ? `${message} at ${hostname}:${port || 5432}; create it with \`${createdb}\``
      : `cannot log in to ${hostname}:${port || 5432} (${code ?? 'error'}: ${message})`
  } finally {
    await client.end().catch(() => {})
  }
}
