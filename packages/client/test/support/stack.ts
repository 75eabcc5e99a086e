/** Test-only vitest fixture: one emulator per file, a fresh paid API (fresh ledger) and a clean emulator per test. */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest'
import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import type { Card } from '../../src/options'
import { type PaidApi, startPaidApi } from './paid-api'

/** Stripe's documented test cards, as the emulator implements them. */
export const CARDS = {
  visa: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' },
  /** Tokenizes fine, declined when charged (`card_declined` / `generic_decline`). */
  declined: { number: '4000000000000002', exp_month: 12, exp_year: 2034, cvc: '123' },
} satisfies Record<string, Card>

export interface Stack {
  emulator: StripeEmulator
  api: PaidApi
}

export function useStack(): Stack {
  const stack = {} as Stack
  beforeAll(async () => {
    stack.emulator = await startStripeEmulator({ port: 0 })
  })
  beforeEach(async () => {
    stack.emulator.reset()
    stack.api = await startPaidApi(stack.emulator)
  })
  afterEach(async () => {
    await stack.api.close()
  })
  afterAll(async () => {
    await stack.emulator.close()
  })
  return stack
}
