/** The demo is the README's first command: it must pay once, live on credits and stop at its budget. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { runDemo } from './demo'

const dataDir = mkdtempSync(join(tmpdir(), 'stripe402-demo-'))
afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

it('pays once, serves calls on credits, stops at the budget, one round trip per call after the first', async () => {
  const env = { ...process.env }
  delete process.env.REDIS_URL
  delete process.env.DATABASE_URL
  delete process.env.STRIPE_SECRET_KEY
  process.env.STRIPE402_DATA_DIR = dataDir
  try {
    const summary = await runDemo({ quiet: true })
    expect(summary.charges).toBe(1)
    expect(summary.chargedUnits).toBe(50_000)
    expect(summary.refusedBy).toMatch(/^budget_exceeded/)
    // Everything charged is either spent on served calls or still on the balance.
    expect(summary.spentUnits + summary.creditsLeft).toBe(summary.chargedUnits)
    expect(summary.calls).toBeGreaterThan(20)
    // One 402 on the first call, then every call carries its credential up front.
    expect(summary.roundTrips).toBe(summary.calls + 1)
  } finally {
    process.env = env
  }
})
