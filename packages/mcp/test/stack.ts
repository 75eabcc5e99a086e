/** Test-only: one Stripe emulator per file and a paywall pricing MCP tools, with a fresh ledger per test. */
import type { RouteConfig } from '@stripe402/server'
import { createPaywall, MemoryLedger, type Paywall } from '@stripe402/server'
import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, beforeEach } from 'vitest'

/** Stripe's documented test cards, as the emulator implements them. */
export const CARDS = {
  visa: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' },
  /** Tokenizes fine, declined when charged. */
  declined: { number: '4000000000000002', exp_month: 12, exp_year: 2034, cvc: '123' },
}

export interface EmulatorHandle {
  emulator: StripeEmulator
}

export function useEmulator(): EmulatorHandle {
  const handle = {} as EmulatorHandle
  beforeAll(async () => {
    handle.emulator = await startStripeEmulator({ port: 0 })
  })
  beforeEach(() => handle.emulator.reset())
  afterAll(async () => {
    await handle.emulator.close()
  })
  return handle
}

/** A paywall charging through the emulator; `origins` are the ones its clients reach it by (spec §7.4). */
export function paywallFor(
  emulator: StripeEmulator,
  routes: Record<string, RouteConfig>,
  origins: string[],
): Paywall {
  const keys = emulator.keys()
  return createPaywall({
    stripe: {
      secretKey: keys.secretKey,
      publishableKey: keys.publishableKey,
      apiBase: emulator.url,
      maxNetworkRetries: 0,
    },
    secret: 'mcp-test-secret',
    ledger: new MemoryLedger(),
    routes,
    origins,
    logger: { warn: () => {}, error: () => {} },
  })
}

/** Charges that went through, as Stripe sees them. */
export const succeeded = (emulator: StripeEmulator) =>
  emulator.charges().filter((c) => c.status === 'succeeded')
