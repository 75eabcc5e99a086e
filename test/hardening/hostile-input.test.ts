/**
 * Property-based hostile input through every adapter over real HTTP: generated methods, spellings
 * of paid paths and `payment` headers (junk, base64 of any JSON, near-valid payloads with mutated
 * fields, prototype keys, hostile numbers, unknown PaymentMethods, almost-valid clientIds, the real
 * clientId beside an invalid field). For each request: no 5xx, no charge, no change to a funded
 * account, no paid handler run; over the run, no ledger write but refused spends, and nothing in a
 * log line or an error answer that should not be there. STRIPE402_FUZZ_RUNS sets the runs per
 * adapter (`pnpm fuzz`: 10,000).
 */
import { decodePaymentRequired } from '@stripe402/protocol'
import { accountIdFor, createPaywall, MemoryLedger, type Paywall } from '@stripe402/server'
import {
  expectedFingerprint,
  startStripeEmulator,
  type StripeEmulator,
} from '@stripe402/stripe-emulator'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADAPTERS, type AppHooks, PAID_ROUTES, type RunningServer } from '../adapters/servers'
import { type HostileContext, type HostileRequest, hostileRequest } from './support/hostile'
import { LeakCollector } from './support/leak-scan'
import {
  CARDS,
  errorCodeOf,
  paying,
  paymentResponseOf,
  tokenize,
  PAID_ORIGIN,
} from './support/payments'
import { report } from './support/report'
import { rawRequest } from './support/wire'

const RUNS = Number(process.env.STRIPE402_FUZZ_RUNS ?? 50)
const SEED =
  process.env.STRIPE402_FUZZ_SEED === undefined
    ? undefined
    : Number(process.env.STRIPE402_FUZZ_SEED)
const SECRET = 'hardening-hostile-input-secret-0123456789abcdef'

// The adapter suite's price table; `/api/twice` stays unpriced here, as it always was in this suite.
const { 'GET /api/twice': _twice, ...ROUTES } = PAID_ROUTES
const PAID_PATHS = Object.keys(ROUTES).map((key) => key.split(' ').at(-1)!)
const PARAM_PREFIXES = ['/users/', '/files/']
/**
 * The least any paid request costs (a maxAmount below it is refused everywhere): read from the price
 * table, so a cheaper route added to it can never make a "sure to be refused" payload payable.
 */
const CHEAPEST_PRICE = Math.min(
  ...Object.values(ROUTES).map(({ amount }) =>
    typeof amount === 'number' ? amount : amount({ parsedQuery: {} }),
  ),
)
/** Ledger methods that add or take units, freeze, or record a charge or a credential: none may run for a hostile request. */
const LEDGER_WRITES = [
  'credit',
  'creditAndSpend',
  'clawback',
  'setFrozen',
  'issueCredential',
  'revokeCredential',
  'setPending',
] as const
const adapters = ADAPTERS

let emulator: StripeEmulator
beforeAll(async () => {
  emulator = await startStripeEmulator({ port: 0 })
})
afterAll(async () => {
  await emulator?.close()
})

describe.each(adapters.map((adapter, index) => ({ adapter, index, name: adapter.name })))(
  'hostile input through $name',
  ({ adapter, index, name }) => {
    const account = `fuzz_${index}`
    const memory = new MemoryLedger()
    // Counts the credential checks that reached the ledger (to show the generator gets that deep), and every write.
    const calls: Record<string, number> = {}
    const ledger = new Proxy(memory, {
      get(target, property) {
        const value = Reflect.get(target, property) as unknown
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => {
          calls[String(property)] = (calls[String(property)] ?? 0) + 1
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    })
    const ledgerWrites = () =>
      Object.fromEntries(LEDGER_WRITES.map((method) => [method, calls[method] ?? 0]))
    const leaks = new LeakCollector()
    const secrets: Array<{ what: string; value: string }> = [
      { what: 'server secret', value: SECRET },
      { what: 'Stripe secret key', value: `sk_test_${account}` },
      { what: 'card fingerprint', value: expectedFingerprint(account, CARDS.visa) },
    ]
    const hooks: AppHooks = { hits: new Map(), streamGate: () => Promise.resolve() }
    let paywall: Paywall
    let server: RunningServer
    let lastOutcome: string | undefined

    beforeAll(async () => {
      paywall = createPaywall({
        origins: [PAID_ORIGIN],
        stripe: {
          ...emulator.keys(account),
          apiBase: emulator.url,
          maxNetworkRetries: 0,
          timeoutMs: 5_000,
        },
        secret: SECRET,
        ledger,
        routes: ROUTES,
        webhook: { secret: 'whsec_hardening_hostile_input' },
        // Every request reaches the whole payment path; the limits have their own suite.
        rateLimits: false,
        logger: leaks.logger,
      })
      // Remembers what the engine decided for the request in flight (the fuzz sends one at a time).
      const begin = paywall.begin.bind(paywall)
      paywall.begin = async (...args) => {
        const outcome = await begin(...args)
        lastOutcome = outcome.type
        return outcome
      }
      server = await adapter.start(paywall, hooks)
    })
    afterAll(() => server?.close())

    const paidHits = () => PAID_PATHS.reduce((sum, path) => sum + (hooks.hits.get(path) ?? 0), 0)

    it(`${RUNS} generated requests: no 5xx, no charge, no balance change, no unpaid handler run`, {
      timeout: 60_000 + RUNS * 40,
    }, async () => {
      // A funded account whose credential the generator mutates (and uses beside invalid fields).
      const paymentMethodId = await tokenize(emulator, account, CARDS.visa)
      const funded = await fetch(`${server.url}/api/joke`, {
        headers: paying({ paymentMethodId, topUpAmount: 100_000 }),
      })
      expect(funded.status).toBe(200)
      const realToken = paymentResponseOf(funded.headers)!.clientId
      const realAccountId = accountIdFor(SECRET, expectedFingerprint(account, CARDS.visa))
      const balance = await ledger.balance(realAccountId, 'usd')
      const journal = (await ledger.journal(realAccountId)).length
      const charges = emulator.charges({ account }).length
      const hits = paidHits()
      const lookups = () =>
        emulator.requests({ account, method: 'GET', path: /^\/v1\/payment_methods\// }).length
      const lookupsBefore = lookups()
      const spendsBefore = calls.spend ?? 0
      const writesBefore = ledgerWrites()
      const intents = emulator.paymentIntents({ account }).length
      const stripeWrites = () =>
        emulator.requests({
          account,
          method: 'POST',
          path: /^\/v1\/(customers|payment_intents|payment_methods\/[^/]+\/attach)/,
        }).length
      const stripeWritesBefore = stripeWrites()
      secrets.push(
        { what: 'clientId credential', value: realToken },
        { what: 'PaymentMethod id', value: paymentMethodId },
      )
      expect(await paywall.balance(realToken)).toBe(balance)

      const ctx: HostileContext = {
        realToken,
        realAccountId,
        paidPaths: PAID_PATHS,
        cheapestPrice: CHEAPEST_PRICE,
        otherPaths: ['/health', '/.well-known/stripe402', '/stripe402/webhook', '/', '/users'],
        paramPrefixes: PARAM_PREFIXES,
        origin: server.url,
      }
      const statuses: Record<string, number> = {}
      let runs = 0
      let fiveHundreds = 0

      await fc.assert(
        fc.asyncProperty(hostileRequest(ctx), async (request: HostileRequest) => {
          runs++
          lastOutcome = undefined
          const res = await rawRequest(server.url, { ...request, timeoutMs: 15_000 })
          const key = `${res.status} ${outcomeOf(res)}`
          statuses[key] = (statuses[key] ?? 0) + 1
          leaks.addError(
            `${request.method} ${request.target.slice(0, 80)} (${lastOutcome ?? 'no outcome'})`,
            res,
          )
          if (res.status >= 500 || res.status < 100) {
            fiveHundreds++
            throw new Error(`answered ${res.status}: ${res.body.slice(0, 300)}`)
          }
          if (paidHits() !== hits)
            throw new Error(`a paid handler ran without a payment (answered ${res.status})`)
          if (emulator.charges({ account }).length !== charges) throw new Error('a charge was made')
          if ((await ledger.balance(realAccountId, 'usd')) !== balance)
            throw new Error('the funded balance changed')
          if ((await ledger.journal(realAccountId)).length !== journal)
            throw new Error('the funded journal changed')
        }),
        { numRuns: RUNS, ...(SEED !== undefined && { seed: SEED }), endOnFailure: RUNS > 1_000 },
      )

      report(`hostile input: ${name}`, {
        runs,
        statuses,
        paymentMethodLookupsAtStripe: lookups() - lookupsBefore,
        ledgerSpendCalls: (calls.spend ?? 0) - spendsBefore,
        ledgerWrites:
          Object.values(ledgerWrites()).reduce((a, b) => a + b, 0) -
          Object.values(writesBefore).reduce((a, b) => a + b, 0),
        fiveHundreds,
        charges: emulator.charges({ account }).length - charges,
        paymentIntents: emulator.paymentIntents({ account }).length - intents,
        balanceChange: (await paywall.balance(realToken))! - balance,
        paidHandlerRuns: paidHits() - hits,
      })
      expect(fiveHundreds).toBe(0)
      // No ledger write but refused spends (no credit, top-up, clawback, freeze, credential or pending
      // charge), and no Customer, attach or PaymentIntent at Stripe. The funding call shows the counts work.
      expect(writesBefore).toMatchObject({ creditAndSpend: 1, issueCredential: 1, setPending: 1 })
      expect(ledgerWrites()).toEqual(writesBefore)
      expect(emulator.charges({ account })).toHaveLength(charges)
      expect(emulator.paymentIntents({ account })).toHaveLength(intents)
      expect(stripeWrites()).toBe(stripeWritesBefore)
    })

    it('leaks nothing into its log lines or error answers', () => {
      const found = leaks.scan(secrets)
      report(`hostile input: leak scan through ${name}`, {
        ...leaks.stats,
        secretsLookedFor: secrets.length,
        leaks: found.length,
      })
      // The scan saw what the fuzz was told: nearly every answer is a refusal.
      expect(leaks.stats.errorAnswers).toBeGreaterThan(0)
      expect(found).toEqual([])
    })
  },
)

/** The error code a refusal carries (402s also in their header, since HEAD answers have no body). */
function outcomeOf(res: { status: number; headers: Record<string, string>; body: string }): string {
  if (res.status === 402) {
    try {
      return decodePaymentRequired(res.headers['payment-required']).error ?? 'challenge'
    } catch {
      return 'undecodable'
    }
  }
  return errorCodeOf(res.body) ?? '-'
}
