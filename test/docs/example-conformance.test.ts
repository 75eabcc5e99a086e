/** The README's promise to an implementer: the conformance suite passes the example API, run after run. */
import { auditServer, type Report } from '@stripe402/conformance'
import { startApi, type RunningApi } from '@stripe402/example/server'
import { MemoryLedger } from '@stripe402/server'
import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'

let emulator: StripeEmulator

beforeAll(async () => {
  emulator = await startStripeEmulator({ port: 0 })
})
afterAll(async () => {
  await emulator?.close()
})

/** The example API on a ledger it keeps between runs, as a deployed server does. */
async function exampleApi(): Promise<RunningApi> {
  const ledger = { ledger: new MemoryLedger(), label: 'memory', close: async () => {} }
  return startApi({ port: 0, stripe: { ...emulator.keys(), apiBase: emulator.url }, ledger })
}

const failures = (report: Report) =>
  report.results.filter((r) => r.status !== 'ok').map((r) => `${r.id}: ${r.reason ?? r.status}`)

async function run(api: RunningApi, level: 'v1' | 'stripe402') {
  return auditServer({
    url: api.url,
    route: 'GET /api/joke',
    freeRoute: 'GET /health',
    level,
    payment: {
      stripeApi: emulator.url,
      card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' },
    },
  })
}

describe('the conformance suite against the example API, which keeps its ledger', () => {
  // Its per-address limit on failed payments (each run's decline audits add to it) is what ends
  // a longer series; the suite then names the 429 and how to reset it.
  it.each(['v1', 'stripe402'] as const)('passes at level %s twice in a row', async (level) => {
    const api = await exampleApi()
    onTestFinished(() => api.close())
    const first = await run(api, level)
    expect(failures(first)).toEqual([])
    expect(first.ok).toBe(true)
    const second = await run(api, level)
    expect(failures(second)).toEqual([])
    expect(second.ok).toBe(true)
    expect(second.results.length).toBe(first.results.length)
    // Each run paid with card numbers new to the server, so the second judged money as the first did.
    expect(second.cards).not.toEqual(first.cards)
  })
})
