/** Four server processes (Express, Koa, fetch, Express), each its own paywall, sharing one Redis, PostgreSQL or SQLite ledger. */
import { accountIdFor } from '@stripe402/server'
import {
  expectedFingerprint,
  startStripeEmulator,
  type StripeEmulator,
} from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { findLeaks } from './support/leak-scan'
import { auditAccount, auditCharges } from './support/ledger-audit'
import { CARDS, errorCodeOf, paying, paymentResponseOf, tokenize } from './support/payments'
import { type ServerProcess, startServerProcess } from './support/processes'
import { report } from './support/report'
import { type SharedLedger, sharedLedgers } from './support/shared-ledger'

const variants = await sharedLedgers('procs')

const SECRET = 'hardening-cross-process-secret-0123456789abcdef'
const PRICE = 100
const ADAPTERS = ['express', 'koa', 'fetch', 'express'] as const
const FAILURE_LIMIT = 5

let emulator: StripeEmulator
beforeAll(async () => {
  emulator = await startStripeEmulator({ port: 0 })
})
afterAll(async () => {
  await emulator?.close()
})

describe.each(variants)('4 processes sharing $name', ({ name, available, open }) => {
  const account = `procs_${name.toLowerCase()}`
  let shared: SharedLedger
  let servers: ServerProcess[] = []

  beforeAll(async () => {
    if (!available) return
    shared = await open()
    servers = await Promise.all(
      ADAPTERS.map((adapter) =>
        startServerProcess({
          adapter,
          stripe: { ...emulator.keys(account), apiBase: emulator.url, maxNetworkRetries: 0 },
          secret: SECRET,
          ledger: shared.config,
          routes: { 'GET /api/unit': { amount: PRICE, minTopUp: 5_000 } },
          rateLimits: { failedPaymentsPerAddress: { limit: FAILURE_LIMIT, windowMs: 60_000 } },
        }),
      ),
    )
  }, 60_000)

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
    // Nothing a server process wrote (events, logs) may carry a secret or card data.
    const leaks = servers.flatMap((server, i) =>
      findLeaks(`process ${i} output`, server.output(), {
        exact: [{ what: 'server secret', value: SECRET }],
      }),
    )
    expect(leaks).toEqual([])
    await shared?.cleanup()
  })

  const totalHits = async () =>
    (await Promise.all(servers.map((server) => server.hits()))).reduce((a, b) => a + b, 0)
  const get = (i: number, headers: Record<string, string> = {}) =>
    fetch(`${servers[i % servers.length]!.url}/api/unit`, { headers })

  it.skipIf(!available)(
    '400 concurrent paid calls with credits for 150: exactly 150 served, balance 0, journal = balance',
    async () => {
      // Fund: one top-up of 151 calls, the first of which is this request.
      const first = await get(
        0,
        paying({
          paymentMethodId: await tokenize(emulator, account, CARDS.visa),
          topUpAmount: 151 * PRICE,
        }),
      )
      expect(first.status).toBe(200)
      const clientId = paymentResponseOf(first.headers)!.clientId
      const accountId = accountIdFor(SECRET, expectedFingerprint(account, CARDS.visa))
      expect(await shared.ledger.balance(accountId, 'usd')).toBe(150 * PRICE)
      const hitsBefore = await totalHits()

      const answers = await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          get(i, paying({ clientId })).then(async (res) => ({
            status: res.status,
            code: errorCodeOf(await res.text()),
          })),
        ),
      )
      const served = answers.filter((a) => a.status === 200).length
      const refused = answers.filter(
        (a) => a.status === 402 && a.code === 'insufficient_credits',
      ).length
      const hits = (await totalHits()) - hitsBefore
      const audit = await auditAccount(shared.ledger, accountId)

      report(`cross-process ${name}: 400 concurrent calls, credits for 150`, {
        served,
        refused402: refused,
        other: 400 - served - refused,
        handlerRuns: hits,
        balance: audit.balance,
        journalSum: audit.journalSum,
        debits: audit.count.debit,
      })
      expect(served).toBe(150)
      expect(refused).toBe(250)
      expect(hits).toBe(150)
      expect(audit.balance).toBe(0)
      expect(audit.count).toEqual({ top_up: 1, debit: 151 })
      expect(emulator.charges({ account }).filter((c) => c.status === 'succeeded')).toHaveLength(1)
    },
  )

  it.skipIf(!available)(
    '50 concurrent first calls with one card (50 PaymentMethods) across the processes: exactly one charge',
    async () => {
      const pms = await Promise.all(
        Array.from({ length: 50 }, () => tokenize(emulator, account, CARDS.mastercard)),
      )
      const accountId = accountIdFor(SECRET, expectedFingerprint(account, CARDS.mastercard))
      const hitsBefore = await totalHits()
      const answers = await Promise.all(
        pms.map((paymentMethodId, i) =>
          get(i, paying({ paymentMethodId })).then(async (res) => ({
            status: res.status,
            code: errorCodeOf(await res.text()),
          })),
        ),
      )
      const served = answers.filter((a) => a.status === 200).length
      const charges = emulator
        .charges({ account })
        .filter((c) => c.metadata.stripe402_account === accountId)
      const audit = await auditAccount(shared.ledger, accountId)
      const charged = await auditCharges(emulator, account, shared.ledger)

      report(`cross-process ${name}: 50 concurrent first calls, one card`, {
        served,
        statuses: countBy(answers.map((a) => `${a.status}${a.code ? ` ${a.code}` : ''}`)),
        charges: charges.length,
        handlerRuns: (await totalHits()) - hitsBefore,
        balance: audit.balance,
        journalSum: audit.journalSum,
      })
      expect(charges).toHaveLength(1)
      expect(charges[0]!.amount).toBe(50) // 5,000 units = $0.50: the minimum top-up covers exactly the 50 calls
      expect(served).toBe(50)
      expect((await totalHits()) - hitsBefore).toBe(50)
      expect(audit.balance).toBe(0)
      expect(audit.count).toEqual({ top_up: 1, debit: 50 })
      expect(charged.uncredited).toEqual([])
      expect(charged.wrong).toEqual([])
      expect(charged.creditsWithoutCharge).toEqual([])
    },
  )

  it.skipIf(!available)(
    `failed-payment limit per address holds across processes (at most limit + processes − 1 = ${FAILURE_LIMIT + ADAPTERS.length - 1} failures)`,
    async () => {
      const statuses: number[] = []
      for (let i = 0; i < 40; i++) {
        const res = await get(i, paying({ paymentMethodId: `pm_doesnotexist${i}x${Date.now()}` }))
        await res.text()
        statuses.push(res.status)
        if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
      }
      const reachedStripe = statuses.filter((s) => s === 402).length
      report(
        `cross-process ${name}: failed-payment limit ${FAILURE_LIMIT}/address over 4 processes`,
        {
          attempts: 40,
          answered402: reachedStripe,
          answered429: statuses.filter((s) => s === 429).length,
        },
      )
      expect(statuses.every((s) => s === 402 || s === 429)).toBe(true)
      expect(reachedStripe).toBeGreaterThanOrEqual(FAILURE_LIMIT)
      expect(reachedStripe).toBeLessThanOrEqual(FAILURE_LIMIT + ADAPTERS.length - 1)
      expect(statuses.slice(-20).every((s) => s === 429)).toBe(true)
    },
  )
})

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const v of values) out[v] = (out[v] ?? 0) + 1
  return out
}
