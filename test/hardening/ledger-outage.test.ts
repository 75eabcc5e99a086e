/**
 * The ledger goes away under load: a private redis-server is SIGKILLed, or the TCP path to
 * PostgreSQL is cut. Every answer must be a 503 with Retry-After (never a free response), and
 * service must come back by itself once the ledger does, with every balance equal to its journal.
 * A debit the ledger applied while its answer was lost is given back by the paywall's repair loop
 * once the ledger answers: the funded account ends charged for exactly the calls it was served.
 * Everything the paywalls log and every refusal they answer is scanned for secrets and card data.
 */
import {
  createPaywall,
  type Ledger,
  MemoryLedger,
  type Paywall,
  type PaywallEvent,
  PostgresLedger,
  RedisLedger,
} from '@stripe402/server'
import {
  expectedFingerprint,
  startStripeEmulator,
  type StripeEmulator,
} from '@stripe402/stripe-emulator'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS, type AppHooks, type RunningServer } from '../adapters/servers'
import { requireService } from '../services'
import { LeakCollector } from './support/leak-scan'
import { auditAccount, auditCharges } from './support/ledger-audit'
import {
  CARDS,
  errorCodeOf,
  paying,
  paymentResponseOf,
  tokenize,
  PAID_ORIGIN,
} from './support/payments'
import { startPrivateRedis, startTcpProxy } from './support/processes'
import { report } from './support/report'
import { runId } from './support/shared-ledger'

const postgres = await requireService('postgres')
const redisServerBinary = await hasRedisServer()

const PRICE = 100
const WORKERS = 6
const PAUSE_MS = 5
const SECRET = 'hardening-ledger-outage-secret-0123456789abcdef'
/** Every paywall's log lines and every refusal, scanned at the end; `used` is what may not appear in them. */
const leaks = new LeakCollector()
const used: Array<{ what: string; value: string }> = [{ what: 'server secret', value: SECRET }]
if (postgres.available && new URL(postgres.url).password)
  used.push({
    what: 'database password',
    value: decodeURIComponent(new URL(postgres.url).password),
  })
const useAccount = (account: string) => {
  used.push({ what: 'Stripe secret key', value: emulator.keys(account).secretKey })
  for (const number of [CARDS.visa, CARDS.mastercard])
    used.push({ what: 'card fingerprint', value: expectedFingerprint(account, number) })
}

let emulator: StripeEmulator
beforeAll(async () => {
  emulator = await startStripeEmulator({ port: 0 })
})
afterAll(async () => {
  await emulator?.close()
})

interface Outage {
  name: string
  available: boolean
  /** Opens the ledger and returns how to take it away and bring it back. */
  setup(): Promise<{
    ledger: Ledger
    stop(): Promise<void>
    resume(): Promise<void>
    close(): Promise<void>
  }>
}

const outages: Outage[] = [
  {
    name: 'Redis (private redis-server, SIGKILL and restart)',
    available: redisServerBinary,
    async setup() {
      const server = await startPrivateRedis()
      const client = new Redis(server.url, { ...RedisLedger.clientOptions })
      client.on('error', () => {})
      await new Promise<void>((resolve) => client.once('ready', () => resolve()))
      return {
        ledger: new RedisLedger(client, { prefix: 'outage' }),
        stop: () => server.kill(),
        resume: () => server.restart(),
        async close() {
          client.disconnect()
          await server.close()
        },
      }
    },
  },
  {
    name: 'PostgreSQL (TCP proxy cut and restored)',
    available: postgres.available,
    async setup() {
      const url = new URL(postgres.url)
      const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) })
      const via = new URL(postgres.url)
      via.hostname = '127.0.0.1'
      via.port = String(proxy.port)
      const schema = runId('outage')
      const pool = new pg.Pool({
        connectionString: via.toString(),
        max: 8,
        connectionTimeoutMillis: 1_000,
        query_timeout: 2_000,
      })
      pool.on('error', () => {})
      const ledger = new PostgresLedger(pool, { schema })
      await ledger.migrate()
      return {
        ledger,
        stop: async () => proxy.cut(),
        resume: async () => proxy.restore(),
        async close() {
          proxy.restore()
          await pool.query(`drop schema if exists "${schema}" cascade`)
          await pool.end()
          await proxy.close()
        },
      }
    },
  },
]

interface Answer {
  start: number
  end: number
  status: number
  code?: string
  retryAfter: string | null
}

describe.each(outages)('ledger outage: $name', ({ name, available, setup }) => {
  let env: Awaited<ReturnType<Outage['setup']>>
  let server: RunningServer
  let paywall: Paywall
  const hooks: AppHooks = { hits: new Map(), streamGate: () => Promise.resolve() }
  const account = `outage_${name.split(' ')[0]!.toLowerCase()}`
  const repairs: (Extract<PaywallEvent, { type: 'debit_repair' }> & { at: number })[] = []

  beforeAll(async () => {
    if (!available) return
    env = await setup()
    useAccount(account)
    paywall = createPaywall({
      origins: [PAID_ORIGIN],
      stripe: { ...emulator.keys(account), apiBase: emulator.url, maxNetworkRetries: 0 },
      secret: SECRET,
      ledger: env.ledger,
      routes: { 'GET /api/joke': { amount: PRICE, minTopUp: 5_000 } },
      rateLimits: false,
      logger: leaks.logger,
      onEvent: (event) => {
        if (event.type === 'debit_repair') repairs.push({ ...event, at: Date.now() })
      },
    })
    server = await ADAPTERS[0]!.start(paywall, hooks)
  }, 30_000)
  afterAll(async () => {
    await server?.close()
    await paywall?.close()
    await env?.close()
  })

  it.skipIf(!available)(
    'answers 503 with Retry-After while it is down, never serves for free, and resumes by itself',
    async () => {
      const funded = await fetch(`${server.url}/api/joke`, {
        headers: paying({
          paymentMethodId: await tokenize(emulator, account, CARDS.visa),
          topUpAmount: 500_000,
        }),
      })
      expect(funded.status).toBe(200)
      const clientId = paymentResponseOf(funded.headers)!.clientId
      used.push({ what: 'clientId credential', value: clientId })
      const hitsBefore = hooks.hits.get('/api/joke') ?? 0

      const answers: Answer[] = []
      let running = true
      const call = async (headers: Record<string, string>): Promise<Answer> => {
        const start = Date.now()
        const res = await fetch(`${server.url}/api/joke`, { headers })
        const body = await res.text()
        leaks.addError(`outage ${name}`, { status: res.status, headers: res.headers, body })
        const code = errorCodeOf(body)
        return {
          start,
          end: Date.now(),
          status: res.status,
          ...(code && { code }),
          retryAfter: res.headers.get('retry-after'),
        }
      }
      const workers = Array.from({ length: WORKERS }, async () => {
        while (running) {
          answers.push(await call(paying({ clientId })))
          await new Promise((resolve) => setTimeout(resolve, PAUSE_MS))
        }
      })

      await sleep(800)
      const downAt = Date.now()
      await env.stop()
      const stoppedAt = Date.now()
      await sleep(500)
      // A first payment during the outage: refused before any charge.
      const chargesBefore = emulator.charges({ account }).length
      const cardDuringOutage = await call(
        paying({ paymentMethodId: await tokenize(emulator, account, CARDS.mastercard) }),
      )
      const chargesDuringOutage = emulator.charges({ account }).length - chargesBefore
      await sleep(1_500)
      const upAt = Date.now()
      await env.resume()
      // Nothing here reconnects anything: the client library and the engine must find their way back.
      const deadline = Date.now() + 15_000
      let recoveredAt: number | undefined
      while (Date.now() < deadline && recoveredAt === undefined) {
        await sleep(50)
        recoveredAt = answers.find((a) => a.start >= upAt && a.status === 200)?.end
      }
      await sleep(500)
      running = false
      await Promise.all(workers)
      const hits = (hooks.hits.get('/api/joke') ?? 0) - hitsBefore
      const cardAfter = await call(
        paying({ paymentMethodId: await tokenize(emulator, account, CARDS.mastercard) }),
      )
      const served = answers.filter((a) => a.status === 200).length

      // The funded account paid for its first call and for every 200 of the load, nothing else.
      // A debit applied with its answer lost is given back by the paywall's own repair loop (a timer
      // with back-off): nothing here calls repair() until the balance is right or 15 s have passed.
      const fundedAccount = emulator
        .paymentIntents({ account })
        .find((pi) => pi.metadata.stripe402_units === '500000')!.metadata.stripe402_account!
      const owed = 500_000 - PRICE * (served + 1)
      const repairDeadline = Date.now() + 15_000
      let repairedAt: number | undefined
      while (repairedAt === undefined && Date.now() < repairDeadline) {
        if ((await env.ledger.balance(fundedAccount, 'usd')) === owed) repairedAt = Date.now()
        else await sleep(50)
      }
      const repairAfter = await paywall.repair()
      const funded402 = await auditAccount(env.ledger, fundedAccount)

      const unavailable = answers.filter((a) => a.status === 503)
      const duringOutage = answers.filter((a) => a.start >= stoppedAt && a.end <= upAt)
      const charges = await auditCharges(emulator, account, env.ledger)
      const audits = await Promise.all(charges.accounts.map((id) => auditAccount(env.ledger, id)))
      const debits = audits.reduce(
        (sum, a) => sum + (a.count.debit ?? 0) - (a.count.reversal ?? 0),
        0,
      )

      // A command in flight when the ledger dies may have run without its reply arriving: the payer
      // is answered 503 but was debited. That can only be a request in flight at the cut.
      const inFlightAtCut = answers.filter(
        (a) => a.start < stoppedAt && a.end >= downAt && a.status === 503,
      ).length
      const debitedNotServed = debits - (served + 2)
      // Debits the ledger applied without its answer arriving: each was given back under its own ref
      // (no handler here fails, so every reversal is one of those).
      const debitRefs = new Set(
        funded402.entries.filter((e) => e.kind === 'debit').map((e) => e.ref),
      )
      const appliedWithoutAnswer = funded402.entries.filter(
        (e) => e.kind === 'reversal' && debitRefs.has(e.ref),
      ).length
      expect(funded402.entries.filter((e) => e.kind === 'reversal')).toHaveLength(
        appliedWithoutAnswer,
      )
      const reversed = repairs.filter((e) => e.outcome === 'reversed')
      report(`ledger outage: ${name}`, {
        requests: answers.length,
        served,
        answered503: unavailable.length,
        other: answers.length - served - unavailable.length,
        duringOutage: {
          requests: duringOutage.length,
          served: duringOutage.filter((a) => a.status === 200).length,
        },
        handlerRuns: hits,
        outageMs: upAt - downAt,
        recoveredMsAfterLedgerBack: recoveredAt === undefined ? null : recoveredAt - upAt,
        cardDuringOutage: `${cardDuringOutage.status} ${cardDuringOutage.code}`,
        chargesDuringOutage,
        cardAfter: cardAfter.status,
        debitsNetOfReversals: debits - 2,
        inFlightAtCut,
        appliedWithoutAnswer,
        reversedMsAfterLedgerBack:
          reversed.length === 0 ? null : Math.max(...reversed.map((e) => e.at)) - upAt,
        repairEvents: {
          reversed: reversed.length,
          notDebited: repairs.filter((e) => e.outcome === 'not_debited').length,
        },
        stillWatched: repairAfter.pending,
        fundedBalance: funded402.balance,
        fundedOwed: owed,
        debitedNotServed,
        balancesEqualJournals: true,
        uncreditedCharges: charges.uncredited.length,
      })
      expect(answers.every((a) => a.status === 200 || a.status === 503)).toBe(true)
      expect(
        unavailable.every((a) => a.code === 'ledger_unavailable' && Number(a.retryAfter) > 0),
      ).toBe(true)
      expect(duringOutage.length).toBeGreaterThan(10)
      expect(duringOutage.every((a) => a.status === 503)).toBe(true)
      expect(hits).toBe(served)
      expect(cardDuringOutage).toMatchObject({ status: 503, code: 'ledger_unavailable' })
      expect(chargesDuringOutage).toBe(0)
      expect(recoveredAt).toBeDefined()
      expect(cardAfter.status).toBe(200)
      // Zero stuck debits: every debit left is a request that was served (the funding call, the card
      // after, and the load); those applied with their answer lost were given back, each once.
      expect(repairedAt).toBeDefined()
      expect(funded402.balance).toBe(owed)
      expect(debitedNotServed).toBe(0)
      expect(repairAfter).toMatchObject({ reversed: 0 })
      expect(appliedWithoutAnswer).toBeLessThanOrEqual(inFlightAtCut)
      expect(reversed.filter((e) => e.accountId === fundedAccount)).toHaveLength(
        appliedWithoutAnswer,
      )
      expect(charges).toMatchObject({ uncredited: [], wrong: [], creditsWithoutCharge: [] })
    },
  )
})

describe('ledger outage between the charge and the credit', () => {
  it('answers 503, keeps the charge, and reconcile credits it once; the payer is then served without a second charge', async () => {
    const account = 'outage_mid_payment'
    let failures = 1
    const memory = new MemoryLedger()
    // The store goes away exactly when Stripe has charged and the top-up is about to be credited.
    const ledger = new Proxy(memory, {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown
        if (property === 'credit') {
          return (input: Parameters<Ledger['credit']>[0]) =>
            input.kind === 'top_up' && failures-- > 0
              ? Promise.reject(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))
              : target.credit(input)
        }
        // The request path credits a top-up and debits it in one call.
        if (property === 'creditAndSpend') {
          return (input: Parameters<Ledger['creditAndSpend']>[0]) =>
            input.credit.kind === 'top_up' && failures-- > 0
              ? Promise.reject(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))
              : target.creditAndSpend(input)
        }
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
    useAccount(account)
    const paywall = createPaywall({
      origins: [PAID_ORIGIN],
      stripe: { ...emulator.keys(account), apiBase: emulator.url, maxNetworkRetries: 0 },
      secret: SECRET,
      ledger,
      routes: { 'GET /api/joke': { amount: PRICE, minTopUp: 5_000 } },
      rateLimits: false,
      logger: leaks.logger,
    })
    const hooks: AppHooks = { hits: new Map(), streamGate: () => Promise.resolve() }
    const server = await ADAPTERS[0]!.start(paywall, hooks)
    try {
      const pay = async () =>
        fetch(`${server.url}/api/joke`, {
          headers: paying({ paymentMethodId: await tokenize(emulator, account, CARDS.visa) }),
        })
      const first = await pay()
      const body = await first.text()
      leaks.addError('ledger down between charge and credit', {
        status: first.status,
        headers: first.headers,
        body,
      })
      expect(first.status).toBe(503)
      expect(errorCodeOf(body)).toBe('ledger_unavailable')
      expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0)
      const before = await auditCharges(emulator, account, ledger)
      expect(before).toMatchObject({
        charged: 1,
        uncredited: [expect.stringMatching(/^pi_/)],
        creditsWithoutCharge: [],
      })
      const reconciled = await paywall.reconcile()
      const second = await pay()
      const after = await auditCharges(emulator, account, ledger)
      const audit = await auditAccount(ledger, after.accounts[0]!)
      report('ledger outage between charge and credit (in process)', {
        firstAnswer: 503,
        uncreditedBeforeReconcile: before.uncredited.length,
        reconcile: reconciled,
        retry: second.status,
        charges: after.charged,
        balance: audit.balance,
      })
      expect(reconciled).toMatchObject({ credited: 1 })
      expect(second.status).toBe(200)
      expect(after).toMatchObject({
        charged: 1,
        creditedOnce: 1,
        uncredited: [],
        creditsWithoutCharge: [],
      })
      expect(audit.balance).toBe(5_000 - PRICE)
      expect(hooks.hits.get('/api/joke')).toBe(1)
    } finally {
      await server.close()
    }
  })
})

describe('ledger outage: what the outages left in logs and answers', () => {
  it('no card number, key, secret, credential, PaymentMethod id or fingerprint in any log line or 503', () => {
    const found = leaks.scan(used)
    report('ledger outage: leak scan', {
      ...leaks.stats,
      secretsLookedFor: used.length,
      leaks: found.length,
    })
    // Every outage answered 503s and logged the ledger's failures: the scan saw both.
    expect(leaks.stats.errorAnswers).toBeGreaterThan(0)
    expect(leaks.stats.logLines).toBeGreaterThan(0)
    expect(found).toEqual([])
  })
})

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function hasRedisServer(): Promise<boolean> {
  const { spawnSync } = await import('node:child_process')
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
  if (!found) {
    const message =
      'Redis outage test skipped: no redis-server binary on PATH to run a private instance'
    if (process.env.STRIPE402_REQUIRE_SERVICES === '1') throw new Error(message)
    console.warn(`[stripe402] ${message}`)
  }
  return found
}
