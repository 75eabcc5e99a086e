/**
 * Credit-path throughput of the engine: `begin` + `settle` per second for each ledger, for clients
 * that have already paid (so only the spend path runs), and the ledger round trips per paid request.
 *   npx tsx packages/server/bench/credit-path.ts [--seconds=3] [--concurrency=64] [--only=redis,postgres] [--json]
 * Top-ups go to an in-process Stripe emulator before the clock starts; none happen while measuring.
 */
import { decodePaymentResponse, encodePaymentPayload } from '@stripe402/protocol'
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import Stripe from 'stripe'
import { createPaywall } from '../src/index'
import type { Ledger, PaywallRequest } from '../src/index'
import { benchOptions, LEDGER_NAMES, openLedger, printTable, runFor } from './ledgers'
import type { LedgerName } from './ledgers'

const { seconds, concurrency, json, only, out } = benchOptions(process.argv.slice(2))

const PRICE = 100
const TOP_UP = 50_000_000
const SECRET = 'bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz'

interface Result {
  ledger: LedgerName
  scenario: 'own account' | 'one hot account'
  concurrency: number
  paidRequests: number
  paidPerSecond: number
  /** Ledger methods the engine called per paid request (begin + settle). */
  ledgerCallsPerRequest: number
  /** Statements/commands those calls sent to the store per paid request. */
  roundTripsPerRequest: number | null
  roundTripUnit: string
  balancesExact: boolean
}

/** Counts every Ledger method the engine calls, by name. */
function counting(ledger: Ledger): { ledger: Ledger; calls: Map<string, number> } {
  const calls = new Map<string, number>()
  const proxy = new Proxy(ledger, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver)
      if (typeof value !== 'function' || typeof property !== 'string') return value
      return (...callArgs: unknown[]) => {
        calls.set(property, (calls.get(property) ?? 0) + 1)
        return (value as (...a: unknown[]) => unknown).apply(target, callArgs)
      }
    },
  })
  return { ledger: proxy, calls }
}

// Distinct valid card numbers give distinct fingerprints, so distinct accounts.
function cardNumber(i: number): string {
  const body = `4242424242${String(100_000 + i).slice(-5)}`
  for (let check = 0; check < 10; check++) {
    const n = `${body}${check}`
    let sum = 0
    for (let j = 0; j < n.length; j++) {
      let d = n.charCodeAt(n.length - 1 - j) - 48
      if (j % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2
      sum += d
    }
    if (sum % 10 === 0) return n
  }
  throw new Error('unreachable')
}

const request = (payment: Record<string, unknown>): PaywallRequest => {
  const header = encodePaymentPayload({ stripe402Version: 1, ...payment })
  return {
    method: 'GET',
    url: '/api/joke',
    headers: { get: (name) => (name.toLowerCase() === 'payment' ? header : null) },
  }
}

const emu = await startStripeEmulator()
const stripe = new Stripe(emu.keys().publishableKey, { ...emu.sdkConfig(), maxNetworkRetries: 0 })
let cardSeq = 0

const results: Result[] = []
const skipped: { ledger: LedgerName; reason: string }[] = []
try {
  for (const name of LEDGER_NAMES.filter((n) => only.includes(n))) {
    const opened = await openLedger(name)
    if (typeof opened === 'string') {
      skipped.push({ ledger: name, reason: opened })
      process.stderr.write(`skipping ${name}: ${opened}\n`)
      continue
    }
    try {
      const { ledger, calls } = counting(opened.ledger)
      const paywall = createPaywall({
        stripe: { ...emu.keys(), apiBase: emu.url, maxNetworkRetries: 0, timeoutMs: 5_000 },
        secret: SECRET,
        ledger,
        routes: { 'GET /api/joke': { amount: PRICE, minTopUp: 5_000, maxTopUp: TOP_UP } },
      })

      // Each client pays once with its own card, as an agent does on its first call.
      const newClient = async (): Promise<string> => {
        const pm = await stripe.paymentMethods.create({
          type: 'card',
          card: { number: cardNumber(cardSeq++), exp_month: 12, exp_year: 2030, cvc: '123' },
        })
        const outcome = await paywall.begin(
          request({ paymentMethodId: pm.id, topUpAmount: TOP_UP }),
        )
        if (outcome.type !== 'paid')
          throw new Error(`top-up failed: ${outcome.type} ${'body' in outcome ? outcome.body : ''}`)
        await outcome.settle(200)
        return decodePaymentResponse(outcome.headers['payment-response']).clientId
      }

      const scenario = async (clientIds: string[], secs: number) => {
        const before = new Map(
          await Promise.all(
            clientIds.map(async (id) => [id, (await paywall.balance(id, 'usd')) ?? NaN] as const),
          ),
        )
        calls.clear()
        const sentBefore = opened.sent()
        let refused = 0
        const { ops, elapsedMs } = await runFor(secs, concurrency, async (worker) => {
          const outcome = await paywall.begin(
            request({ clientId: clientIds[worker % clientIds.length] }),
          )
          if (outcome.type !== 'paid') {
            refused++
            return
          }
          await outcome.settle(200)
        })
        const trips = opened.sent() - sentBefore
        const ledgerCalls = [...calls.values()].reduce((a, b) => a + b, 0)
        let spent = 0
        for (const [id, balance] of before)
          spent += balance - ((await paywall.balance(id, 'usd')) ?? NaN)
        return {
          ops,
          perSec: Math.round((ops / elapsedMs) * 1000),
          trips: trips / ops,
          ledgerCalls: ledgerCalls / ops,
          exact: refused === 0 && spent === ops * PRICE,
        }
      }

      const own = await Promise.all(Array.from({ length: concurrency }, () => newClient()))
      const hot = [await newClient()]
      await scenario(own, Math.min(0.5, seconds)) // warm-up: connections, scripts, JIT
      for (const [label, ids] of [
        ['own account', own],
        ['one hot account', hot],
      ] as const) {
        const r = await scenario(ids, seconds)
        results.push({
          ledger: name,
          scenario: label,
          concurrency,
          paidRequests: r.ops,
          paidPerSecond: r.perSec,
          ledgerCallsPerRequest: Number(r.ledgerCalls.toFixed(3)),
          roundTripsPerRequest: name === 'memory' ? null : Number(r.trips.toFixed(3)),
          roundTripUnit: opened.unit,
          balancesExact: r.exact,
        })
      }
    } finally {
      await opened.teardown()
    }
  }
} finally {
  await emu.close()
}

printTable(
  results.map((r) => ({
    ledger: r.ledger,
    scenario: r.scenario,
    'paid req/s': r.paidPerSecond,
    'ledger calls/req': r.ledgerCallsPerRequest,
    'round trips/req': r.roundTripsPerRequest ?? '-',
    counted: r.roundTripUnit,
    'balances exact': r.balancesExact ? 'yes' : 'NO',
  })),
  out,
)
out.write(
  `\nbegin + settle(200) with a credential sent up front; ${concurrency} concurrent clients, ${seconds}s per scenario, node ${process.version}\n`,
)
if (json)
  process.stdout.write(
    `${JSON.stringify({ bench: 'credit-path', seconds, concurrency, results, skipped }, null, 2)}\n`,
  )
if (results.some((r) => !r.balancesExact)) process.exitCode = 1
