/** The demo is the README's first command: it must pay once, live on credits and stop at its budget. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startStripeEmulator } from '@stripe402/stripe-emulator'
import { afterAll, expect, it } from 'vitest'
import { runDemo } from './demo'

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
  // Everything charged is either spent on served calls or still on the balance.
  expect(summary.spentUnits + summary.creditsLeft).toBe(summary.chargedUnits)
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
    expect(summary.spentUnits).toBeGreaterThan(0)
    expect(summary.spentUnits + summary.creditsLeft).toBe(summary.chargedUnits)
    expect(summary.refusedBy).toMatch(/^budget_exceeded/)
  } finally {
    await stripe.close()
  }
})
