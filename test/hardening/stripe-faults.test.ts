/**
 * Stripe misbehaves on each call the engine makes (500, 429, 409, a hang past `timeoutMs`, a
 * dropped connection, and "done, then the answer was lost"), once or until further notice.
 * The payer must get a 200, a 402 or a 503 with Retry-After, never another 5xx; nothing may be
 * credited without a charge, and after `reconcile()` nothing may stay charged without a credit.
 * The same holds for the reads that replay a top-up left pending (its PaymentIntent's answer lost):
 * the PaymentIntent list and retrieve. Nothing any of it logs or answers may carry a secret.
 * Each case has its own emulator (faults are global to one), so the cases run concurrently.
 */
import { createPaywall, MemoryLedger, type Paywall, type PaywallConfig } from '@stripe402/server'
import {
  expectedFingerprint,
  type FaultSpec,
  startStripeEmulator,
  type StripeEmulator,
} from '@stripe402/stripe-emulator'
import { afterAll, describe, expect, it } from 'vitest'
import { ADAPTERS, type AppHooks, type RunningServer } from '../adapters/servers'
import { LeakCollector } from './support/leak-scan'
import { auditAccount, auditCharges } from './support/ledger-audit'
import { CARDS, errorCodeOf, paying, tokenize, PAID_ORIGIN } from './support/payments'
import { report } from './support/report'

const PRICE = 100
const TOP_UP = 5_000
const TIMEOUT_MS = 1_000
const ACCOUNT = 'faults'
const SECRET = 'hardening-stripe-faults-secret-0123456789abcdef'
const WEBHOOK_SECRET = 'whsec_hardening_stripe_faults'
/** Every case's log lines and error answers, scanned at the end. */
const leaks = new LeakCollector()

/** Every Stripe call on the payment path, in order (a new card's PaymentMethod is attached to a Customer first). */
const CALLS = {
  'retrieve PaymentMethod': { method: 'GET', path: /^\/v1\/payment_methods\/pm_[^/]+$/ },
  'create Customer': { method: 'POST', path: '/v1/customers' },
  'attach PaymentMethod': { method: 'POST', path: /^\/v1\/payment_methods\/pm_[^/]+\/attach$/ },
  'create PaymentIntent': { method: 'POST', path: '/v1/payment_intents' },
} as const
type Call = keyof typeof CALLS

const FAULTS: Record<string, Omit<FaultSpec, 'path' | 'method'>> = {
  'HTTP 500': { status: 500 },
  'HTTP 429': { status: 429 },
  'HTTP 409 lock_timeout': { status: 409 },
  [`hang past timeoutMs (${TIMEOUT_MS} ms)`]: { hang: true },
  'dropped connection': { drop: true },
}
/** The call ran (a Customer created, a PaymentMethod attached, a card charged) and its answer was lost. */
const LOST_ANSWERS: Record<string, Omit<FaultSpec, 'path' | 'method'>> = {
  'done, then HTTP 500': { afterResponse: true, status: 500 },
  'done, then dropped': { afterResponse: true, drop: true },
  'done, then hang': { afterResponse: true, hang: true },
}

/**
 * A charge whose answer is lost for good (every attempt of the request), so the top-up stays
 * pending and the payer's next attempt must learn its outcome from Stripe before charging again.
 */
const LOST_CHARGE = {
  // The replay (same Idempotency-Key) returns the PaymentIntent, which is then read as it is now.
  'answer dropped': { afterResponse: true, drop: true },
  // The replay returns the 500 Stripe keeps for the key: the PaymentIntent is looked for in a list.
  'HTTP 500 kept for the key': { afterResponse: true, status: 500 },
} satisfies Record<string, Omit<FaultSpec, 'path' | 'method'>>

/** The reads of that replay: `findTopUp` lists the Customer's PaymentIntents, `retrieveTopUp` reads the one found. */
const LOOKUPS = {
  'list PaymentIntents (findTopUp)': { method: 'GET', path: '/v1/payment_intents' },
  'retrieve PaymentIntent (retrieveTopUp)': {
    method: 'GET',
    path: /^\/v1\/payment_intents\/pi_[^/]+$/,
  },
} as const
type Lookup = keyof typeof LOOKUPS

interface ReplayCase {
  lost: keyof typeof LOST_CHARGE
  lookup: Lookup
  fault: string
  spec: Omit<FaultSpec, 'path' | 'method'>
  persistent: boolean
  /** What settles the charge once Stripe reads again: the payer's next attempt, or the operator's `reconcile()`. */
  settledBy: 'retry' | 'reconcile'
}

const replayCases: ReplayCase[] = []
for (const [lost, lookup] of [
  ['answer dropped', 'retrieve PaymentIntent (retrieveTopUp)'],
  ['HTTP 500 kept for the key', 'list PaymentIntents (findTopUp)'],
  ['HTTP 500 kept for the key', 'retrieve PaymentIntent (retrieveTopUp)'],
] as const) {
  for (const [fault, spec] of Object.entries(FAULTS)) {
    if ('status' in spec && spec.status === 409) continue
    for (const persistent of [false, true]) {
      for (const settledBy of persistent ? (['retry', 'reconcile'] as const) : (['retry'] as const))
        replayCases.push({ lost, lookup, fault, spec, persistent, settledBy })
    }
  }
}

interface Case {
  call: Call
  fault: string
  spec: Omit<FaultSpec, 'path' | 'method'>
  /** Once (the SDK's own retry may absorb it) or on every attempt until cleared. */
  persistent: boolean
}

const cases: Case[] = []
for (const call of Object.keys(CALLS) as Call[]) {
  for (const [fault, spec] of Object.entries(FAULTS))
    for (const persistent of [false, true]) cases.push({ call, fault, spec, persistent })
}
for (const call of ['create Customer', 'attach PaymentMethod', 'create PaymentIntent'] as const) {
  for (const [fault, spec] of Object.entries(LOST_ANSWERS))
    for (const persistent of [false, true]) cases.push({ call, fault, spec, persistent })
}

interface Stack {
  emulator: StripeEmulator
  paywall: Paywall
  ledger: MemoryLedger
  server: RunningServer
  hooks: AppHooks
  /** One paid request with a new PaymentMethod for the card. */
  attempt(): Promise<{ status: number; code: string | undefined; retryAfter: string | null }>
}

/** A private emulator, paywall and Express 5 server for one case; torn down afterwards. */
async function withStack<T>(
  config: Partial<PaywallConfig>,
  run: (stack: Stack) => Promise<T>,
  emulatorOptions: Parameters<typeof startStripeEmulator>[0] = {},
): Promise<T> {
  const emulator = await startStripeEmulator({ port: 0, ...emulatorOptions })
  const ledger = new MemoryLedger()
  const paywall = createPaywall({
    origins: [PAID_ORIGIN],
    stripe: {
      ...emulator.keys(ACCOUNT),
      apiBase: emulator.url,
      timeoutMs: TIMEOUT_MS,
      maxNetworkRetries: 1,
    },
    secret: SECRET,
    ledger,
    routes: { 'GET /api/joke': { amount: PRICE, minTopUp: TOP_UP } },
    rateLimits: false,
    logger: leaks.logger,
    ...config,
  })
  const hooks: AppHooks = { hits: new Map(), streamGate: () => Promise.resolve() }
  const server = await ADAPTERS[0]!.start(paywall, hooks)
  const attempt = async () => {
    const res = await fetch(`${server.url}/api/joke`, {
      headers: paying({ paymentMethodId: await tokenize(emulator, ACCOUNT, CARDS.visa) }),
    })
    const body = await res.text()
    leaks.addError('attempt', { status: res.status, headers: res.headers, body })
    return {
      status: res.status,
      code: errorCodeOf(body),
      retryAfter: res.headers.get('retry-after'),
    }
  }
  try {
    return await run({ emulator, paywall, ledger, server, hooks, attempt })
  } finally {
    emulator.clearFaults()
    await server.close()
    await emulator.close()
  }
}

const rows: Array<Record<string, unknown>> = []
const replayRows: Array<Record<string, unknown>> = []
afterAll(() => {
  const order = (r: Record<string, unknown>) =>
    cases.findIndex(
      (c) => c.call === r.call && c.fault === r.fault && c.persistent === r.persistent,
    )
  if (rows.length > 0)
    report('stripe faults (express 5, maxNetworkRetries 1)', {
      cases: rows.length,
      rows: rows.sort((a, b) => order(a) - order(b)),
    })
  const replayOrder = (r: Record<string, unknown>) =>
    replayCases.findIndex(
      (c) =>
        c.lost === r.lost &&
        c.lookup === r.lookup &&
        c.fault === r.fault &&
        c.persistent === r.persistent &&
        c.settledBy === r.settledBy,
    )
  if (replayRows.length > 0)
    report('stripe faults replaying a pending top-up (express 5, maxNetworkRetries 1)', {
      cases: replayRows.length,
      rows: replayRows.sort((a, b) => replayOrder(a) - replayOrder(b)),
    })
})

describe.concurrent('Stripe faults on every call of the payment path', () => {
  it.each(cases)(
    '$call: $fault (persistent: $persistent)',
    async ({ call, fault, spec, persistent }) => {
      await withStack({}, async ({ emulator, paywall, ledger, hooks, attempt }) => {
        emulator.inject({
          ...CALLS[call],
          ...spec,
          times: persistent ? Number.POSITIVE_INFINITY : 1,
        })
        const started = Date.now()
        const first = await attempt()
        const tookMs = Date.now() - started
        emulator.clearFaults()
        const beforeReconcile = await auditCharges(emulator, ACCOUNT, ledger)

        // The payer tries again once Stripe is back, then the operator reconciles.
        const second = await attempt()
        const reconciled = await paywall.reconcile()
        const after = await auditCharges(emulator, ACCOUNT, ledger)
        const served = [first, second].filter((a) => a.status === 200).length
        const balances = await Promise.all(after.accounts.map((id) => auditAccount(ledger, id)))
        const balance = balances.reduce((sum, a) => sum + a.balance, 0)

        rows.push({
          call,
          fault,
          persistent,
          firstAnswer: `${first.status}${first.code ? ` ${first.code}` : ''}`,
          retryAfter: first.retryAfter,
          tookMs,
          chargedBeforeReconcile: beforeReconcile.charged,
          uncreditedBeforeReconcile: beforeReconcile.uncredited.length,
          creditedByReconcile: reconciled.credited,
          retry: second.status,
          charged: after.chargedUnits,
          spent: served * PRICE,
          balance,
        })

        expect([200, 402, 503]).toContain(first.status)
        if (first.status === 503) {
          expect(first.code).toBe('payment_unavailable')
          expect(Number(first.retryAfter)).toBeGreaterThan(0)
        }
        // A fault that is gone by the SDK's retry is absorbed; one that persists is a clear 503.
        expect(first.status).toBe(persistent ? 503 : 200)
        expect(second.status).toBe(200)
        expect(hooks.hits.get('/api/joke') ?? 0).toBe(served)
        // No credit without a charge, ever; no charge without a credit once reconciled.
        expect(beforeReconcile.creditsWithoutCharge).toEqual([])
        expect(beforeReconcile.wrong).toEqual([])
        expect(after).toMatchObject({ uncredited: [], wrong: [], creditsWithoutCharge: [] })
        expect(after.creditedOnce).toBe(after.charged)
        expect(balance).toBe(after.chargedUnits - served * PRICE)
        // Only "charged, then the answer was lost" may leave a charge for reconcile to credit.
        if (!('afterResponse' in spec && call === 'create PaymentIntent'))
          expect(reconciled.credited).toBe(0)
      })
    },
  )
})

describe.concurrent('Stripe faults on the reads that replay a pending top-up', () => {
  it.each(replayCases)(
    'charge $lost, then $lookup: $fault (persistent: $persistent), settled by $settledBy',
    async ({ lost, lookup, fault, spec, persistent, settledBy }) => {
      await withStack({}, async ({ emulator, paywall, ledger, hooks, attempt }) => {
        // Charged, the answer lost on every attempt of the request: a 503, and the top-up stays pending.
        emulator.inject({
          method: 'POST',
          path: '/v1/payment_intents',
          ...LOST_CHARGE[lost],
          times: Number.POSITIVE_INFINITY,
        })
        const first = await attempt()
        emulator.clearFaults()
        const pending = await auditCharges(emulator, ACCOUNT, ledger)

        // The payer tries again while the reads of the replay fail.
        const reads = () => emulator.requests({ account: ACCOUNT, ...LOOKUPS[lookup] })
        const before = reads().length
        emulator.inject({
          ...LOOKUPS[lookup],
          ...spec,
          times: persistent ? Number.POSITIVE_INFINITY : 1,
        })
        const retry = await attempt()
        emulator.clearFaults()
        // Answered with the fault: its status, or 0 for a hang or a dropped connection.
        const faultedReads = reads()
          .slice(before)
          .filter((r) => r.status !== 200).length
        const duringFault = await auditCharges(emulator, ACCOUNT, ledger)

        // Stripe reads again: the payer's next attempt or the operator's reconcile settles the charge.
        const reconciled = settledBy === 'reconcile' ? await paywall.reconcile() : undefined
        const last = await attempt()
        const rerun = await paywall.reconcile()
        const after = await auditCharges(emulator, ACCOUNT, ledger)
        const served = [first, retry, last].filter((a) => a.status === 200).length
        const balances = await Promise.all(after.accounts.map((id) => auditAccount(ledger, id)))
        const balance = balances.reduce((sum, a) => sum + a.balance, 0)

        replayRows.push({
          lost,
          lookup,
          fault,
          persistent,
          settledBy,
          firstAnswer: `${first.status}${first.code ? ` ${first.code}` : ''}`,
          faultedReads,
          retryAnswer: `${retry.status}${retry.code ? ` ${retry.code}` : ''}`,
          retryAfter: retry.retryAfter,
          chargesDuringFault: duringFault.charged,
          creditedByReconcile: reconciled?.credited ?? null,
          lastAnswer: last.status,
          charged: after.charged,
          creditedOnce: after.creditedOnce,
          balance,
        })

        expect(first).toMatchObject({ status: 503, code: 'payment_unavailable' })
        expect(pending).toMatchObject({
          charged: 1,
          uncredited: [expect.stringMatching(/^pi_/)],
          creditsWithoutCharge: [],
        })
        // The failing read was reached: the retry replayed the pending top-up instead of charging anew.
        expect(faultedReads).toBeGreaterThan(0)
        if (persistent) {
          expect(retry).toMatchObject({ status: 503, code: 'payment_unavailable' })
          expect(Number(retry.retryAfter)).toBeGreaterThan(0)
          expect(duringFault).toMatchObject({
            charged: 1,
            creditedOnce: 0,
            creditsWithoutCharge: [],
          })
        } else {
          // Once: the SDK's own retry of the read absorbs it, and the replay credits the first charge.
          expect(retry.status).toBe(200)
        }
        expect(emulator.charges({ account: ACCOUNT })).toHaveLength(1)
        if (reconciled) expect(reconciled).toMatchObject({ credited: 1 })
        expect(last.status).toBe(200)
        expect(rerun).toMatchObject({ credited: 0 })
        // Exactly one charge and exactly one credit of it; the payer paid for what it was served.
        expect(after).toMatchObject({
          charged: 1,
          creditedOnce: 1,
          uncredited: [],
          wrong: [],
          creditsWithoutCharge: [],
        })
        expect(emulator.paymentIntents({ account: ACCOUNT })).toHaveLength(1)
        expect(hooks.hits.get('/api/joke') ?? 0).toBe(served)
        expect(balance).toBe(TOP_UP - served * PRICE)
      })
    },
  )
})

describe.concurrent('Stripe faults off the payment path', () => {
  it('reconcile() under a failing list call throws (an operator call), and a rerun credits exactly once', async () => {
    await withStack({}, async ({ emulator, paywall, ledger, attempt }) => {
      emulator.inject({
        method: 'POST',
        path: '/v1/payment_intents',
        afterResponse: true,
        drop: true,
        times: Number.POSITIVE_INFINITY,
      })
      const lost = await attempt()
      emulator.clearFaults()
      expect(lost.status).toBe(503)
      emulator.inject({
        method: 'GET',
        path: '/v1/payment_intents',
        status: 500,
        times: Number.POSITIVE_INFINITY,
      })
      await expect(paywall.reconcile()).rejects.toThrow()
      emulator.clearFaults()
      const first = await paywall.reconcile()
      const second = await paywall.reconcile()
      const audit = await auditCharges(emulator, ACCOUNT, ledger)
      report('stripe faults: reconcile under a failing list call', {
        lostAnswer: lost.status,
        firstRerun: first,
        secondRerun: second,
        charged: audit.charged,
        creditedOnce: audit.creditedOnce,
      })
      expect(first).toMatchObject({ credited: 1 })
      expect(second).toMatchObject({ credited: 0, alreadyCredited: 1 })
      expect(audit).toMatchObject({
        charged: 1,
        creditedOnce: 1,
        uncredited: [],
        creditsWithoutCharge: [],
      })
    })
  })

  it("a dispute webhook whose Stripe lookups fail answers 503, and Stripe's retry applies it exactly once", async () => {
    await withStack(
      { webhook: { secret: WEBHOOK_SECRET } },
      async ({ emulator, ledger, server, attempt }) => {
        emulator.addWebhook({
          url: `${server.url}/stripe402/webhook`,
          secret: WEBHOOK_SECRET,
          account: ACCOUNT,
          events: ['charge.dispute.created'],
        })
        expect((await attempt()).status).toBe(200)
        const [charge] = emulator.charges({ account: ACCOUNT })
        const before = emulator.requests({ account: ACCOUNT }).length
        // Every read fails twice (the SDK's attempt and its retry): the first delivery cannot find the account.
        emulator.inject({ method: 'GET', path: /^\/v1\//, status: 500, times: 2 })
        await emulator.dispute(charge!.id)
        await emulator.flushWebhooks()
        const delivery = emulator
          .webhookDeliveries()
          .find((d) => d.type === 'charge.dispute.created')!
        const failedReads = emulator
          .requests({ account: ACCOUNT })
          .slice(before)
          .filter((r) => r.status === 500).length
        const audit = await auditAccount(ledger, charge!.metadata.stripe402_account!)
        report('stripe faults: dispute webhook with failing lookups', {
          failedReads,
          attempts: delivery.attempts,
          delivered: delivery.delivered,
          lastStatus: delivery.lastStatus,
          disputeEntries: audit.count.dispute,
          balance: audit.balance,
        })
        expect(failedReads).toBeGreaterThan(0)
        expect(delivery).toMatchObject({ delivered: true })
        expect(delivery.attempts).toBeGreaterThan(1)
        expect(audit.count.dispute).toBe(1)
        expect(audit.balance).toBe(0)
      },
      { webhookRetry: { attempts: 6, baseDelayMs: 50 } },
    )
  })
})

describe('what the faults left in logs and answers', () => {
  it('no card number, key, secret, credential, PaymentMethod id or fingerprint in any log line or error answer', () => {
    const secrets = [
      { what: 'server secret', value: SECRET },
      { what: 'Stripe secret key', value: `sk_test_${ACCOUNT}` },
      { what: 'webhook secret', value: WEBHOOK_SECRET },
      { what: 'card fingerprint', value: expectedFingerprint(ACCOUNT, CARDS.visa) },
    ]
    const found = leaks.scan(secrets)
    report('stripe faults: leak scan', { ...leaks.stats, leaks: found.length })
    // Every persistent fault answered 503 and logged why: the scan saw both.
    expect(leaks.stats.logLines).toBeGreaterThan(0)
    expect(leaks.stats.errorAnswers).toBeGreaterThan(0)
    expect(found).toEqual([])
  })
})
