/** The Stripe test cards the suite pays with, and which audit uses which one. */

/** Raw card data, as sent to Stripe's `POST /v1/payment_methods`. */
export interface Card {
  number: string
  exp_month: number
  exp_year: number
  cvc: string
}

const expiry = () => ({ exp_month: 12, exp_year: new Date().getUTCFullYear() + 5 })

/** A test card with a valid future expiry; Amex numbers get a four-digit CVC. */
export function testCard(number: string): Card {
  return { number, ...expiry(), cvc: number.length === 15 ? '1234' : '123' }
}

/**
 * One card per account the suite needs. A server keys balances by card fingerprint, and Stripe
 * (and the emulator) gives each card number its own fingerprint, so each number is one account.
 * Audits that need an account nobody has paid with yet use a card no other audit touches.
 */
export const CARDS = {
  /** The primary account (or `--card`): first payment, credential spending, then drained by PAY-06 and kept drained as the bad-input probe. */
  primary: '4242424242424242',
  /** A funded account that audits spend from relatively (re-sent card, free route, maxAmount). */
  funded: '5555555555554444',
  /** Concurrent first payments: must be new to the server. */
  concurrent: '4000056655665556',
  /** K credits and 3K parallel calls. */
  parallel: '2223003122003222',
  /** A client-chosen top-up amount: must be new to the server. */
  topUp: '5200828282828210',
  /** Declined at charge time (generic_decline). */
  declined: '4000000000000002',
  /** Declined at charge time (insufficient_funds). */
  insufficientFunds: '4000000000009995',
  /** Requires 3-D Secure on every payment. */
  threeDSecure: '4000002760003184',
} as const

export type CardRole = keyof typeof CARDS
