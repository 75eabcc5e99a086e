/** The demo is the README's first command: it must pay once, live on credits and stop at its budget. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import { afterAll, expect, it, vi } from 'vitest'
import { type DemoSummary, describeRoundTrips, runDemo, summaryLines } from './demo'

const dataDir = mkdtempSync(join(tmpdir(), 'stripe402-demo-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

/** Runs the demo quietly on the embedded SQLite ledger with `env` on top of a clean environment. */
async function demoWith(env: Record<string, string>) {
  const saved = { ...process.env }
  for (const name of [
    'REDIS_URL',
    'DATABASE_URL',
    'STRIPE_SECRET_KEY',
    'STRIPE_PUBLISHABLE_KEY',
    'STRIPE_API_BASE',
  ])
    delete process.env[name]
  Object.assign(process.env, { STRIPE402_DATA_DIR: dataDir, ...env })
  try {
    return await runDemo({ quiet: true })
  } finally {
    process.env = saved
  }
}

it('pays once, serves calls on credits, stops at the budget, one round trip per call after the first', async () => {
  const summary = await demoWith({})
  expect(summary.charges).toBe(1)
  expect(summary.chargedUnits).toBe(50_000)
  expect(summary.refusedBy).toMatch(/^budget_exceeded/)
  // Everything charged is either used on served calls or still on the balance.
  expect(summary.usedUnits + summary.creditsLeft).toBe(summary.chargedUnits)
  expect(summary.calls).toBeGreaterThan(20)
  // One 402 on the first call, then every call carries its credential up front.
  expect(summary.roundTrips).toBe(summary.calls + 1)
})

it('with STRIPE_SECRET_KEY set, uses that Stripe account (not an emulator of its own) and its summary matches the charges Stripe made', async () => {
  // Stripe itself is out of reach here: an emulator started outside the demo stands in for it, at STRIPE_API_BASE.
  const stripe = await startStripeEmulator({ port: 0 })
  try {
    const account = `realmode${Date.now().toString(36)}`
    const keys = stripe.keys(account)
    const summary = await demoWith({
      STRIPE_SECRET_KEY: keys.secretKey,
      STRIPE_PUBLISHABLE_KEY: keys.publishableKey,
      STRIPE_API_BASE: stripe.url,
    })
    const charges = stripe.charges({ account }).filter((c) => c.status === 'succeeded')
    expect(charges).toHaveLength(1)
    expect(summary.charges).toBe(1)
    // Stripe charges cents; a unit is a hundredth of a cent.
    expect(summary.chargedUnits).toBe(charges[0]!.amount * 100)
    expect(summary.usedUnits).toBeGreaterThan(0)
    expect(summary.usedUnits + summary.creditsLeft).toBe(summary.chargedUnits)
    expect(summary.refusedBy).toMatch(/^budget_exceeded/)
  } finally {
    await stripe.close()
  }
})

it('shows a top-up the server never confirmed (a 503 after Stripe charged) as unconfirmed, never as a charge (issue 17)', async () => {
  const stripe = await startStripeEmulator({ port: 0 })
  try {
    const account = `lost${Date.now().toString(36)}`
    const keys = stripe.keys(account)
    // Stripe charges, and the server never hears so: the agent's top-up gets a 503 and no receipt.
    stripe.inject({ path: '/v1/payment_intents', afterResponse: true, drop: true, times: 10 })
    const summary = await demoWith({
      STRIPE_SECRET_KEY: keys.secretKey,
      STRIPE_PUBLISHABLE_KEY: keys.publishableKey,
      STRIPE_API_BASE: stripe.url,
    })
    expect(summary.refused).toMatchObject({ call: 1, reason: 'HTTP 503' })
    expect(summary).toMatchObject({ charges: 0, chargedUnits: 0 })
    expect(summary).toMatchObject({ unconfirmedTopUps: 1, unconfirmedUnits: 50_000 })
    const text = summaryLines(summary).join('\n')
    expect(text).toMatch(/charged to the card\s+\$0\.00 in 0 top-ups/)
    expect(text).toMatch(
      /unconfirmed\s+\$5\.00 in 1 top-up: charged\? unknown, no answer named a charge/,
    )
    expect(text).not.toMatch(/\$5\.00 in 1 top-up\n.*credits used/)
  } finally {
    await stripe.close()
  }
})

it('says per route what was called and what it cost, the dynamically priced /api/report too, and which call was refused and why (issue 17)', async () => {
  const summary = await demoWith({})
  const report = summary.routes.find((r) => r.route === 'GET /api/report?days=30')
  expect(report?.calls).toBeGreaterThan(0)
  expect(report?.usedUnits).toBeGreaterThan(0)
  expect(summary.routes.map((r) => r.route)).toEqual([
    'GET /api/joke',
    'GET /api/forecast/lisbon',
    'POST /api/summarize',
    'GET /api/report?days=30',
    'GET /api/ticker',
  ])
  expect(summary.routes.reduce((n, r) => n + r.calls, 0)).toBe(summary.calls)
  expect(summary.routes.reduce((n, r) => n + r.usedUnits, 0)).toBe(summary.usedUnits)
  expect(summary.refused).toMatchObject({ call: summary.calls + 1, reason: 'budget_exceeded' })
  expect(summary.routes.map((r) => r.route)).toContain(summary.refused?.route)

  const text = summaryLines(summary).join('\n')
  expect(text).toMatch(/GET \/api\/report\?days=30\s+\d+\s+\$\d+\.\d\d/)
  expect(text).toContain(
    `refused call ${summary.calls + 1} (${summary.refused?.route}): budget_exceeded`,
  )
  expect(text).toContain(
    'A top-up of $5.00 would exceed the total budget of $5.00: $5.00 already charged.',
  )
  // One vocabulary: the card is charged, credits are used, what remains is credits left.
  expect(text).toMatch(/charged to the card\s+\$5\.00 in 1 top-up/)
  expect(text).toMatch(/credits used\s+\$\d+\.\d\d on \d+ calls/)
  expect(text).toContain('credits left')
  expect(text).not.toMatch(/spent|\(\d+ units\)/)
})

it('explains the round trips from what happened, not as fixed text', () => {
  expect(describeRoundTrips([])).toBe('no calls served')
  expect(describeRoundTrips([2])).toBe('2 for the one call')
  expect(describeRoundTrips([2, 1, 1])).toBe('2 for the first call, 1 for each after')
  expect(describeRoundTrips([1, 1, 1])).toBe('1 per call')
  expect(describeRoundTrips([2, 1, 2])).toBe('2 for the first call, then 1 to 2 each')
  const none: DemoSummary = {
    calls: 0,
    routes: [],
    refusedBy: 'HTTP 500',
    refused: { call: 1, route: 'GET /api/joke', reason: 'HTTP 500', message: '' },
    charges: 0,
    chargedUnits: 0,
    unconfirmedTopUps: 0,
    unconfirmedUnits: 0,
    usedUnits: 0,
    creditsLeft: 0,
    roundTrips: 0,
    roundTripsPerCall: 0,
    tripsPerCall: [],
  }
  const text = summaryLines(none).join('\n')
  expect(text).not.toContain('2 for the first')
  expect(text).toContain('HTTP round trips      0 for 0 calls (no calls served)')
  expect(text).toContain('refused call 1 (GET /api/joke): HTTP 500')
})

it("prints no warning about its own setup (the example's built-in secret, no webhook): a demo prints only what its reader needs (issue 17)", async () => {
  const warn = vi.spyOn(console, 'warn')
  const error = vi.spyOn(console, 'error')
  try {
    await demoWith({})
    const printed = [...warn.mock.calls, ...error.mock.calls].map((c) => c.join(' ')).join('\n')
    expect(printed).not.toMatch(/is weak|no webhook configured/)
  } finally {
    warn.mockRestore()
    error.mockRestore()
  }
})
