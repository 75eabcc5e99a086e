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
  /** A PaymentMethod bound to another origin (PAY-12): must be new to the server, so any charge on it is the audit's. */
  foreignOrigin: '6011111111111117',
  /** A top-up whose Stripe answer the emulator drops (MON-06): must be new to the server, so its charges are the audit's. */
  lostAnswer: '6011000990139424',
  /** Declined at charge time (generic_decline). */
  declined: '4000000000000002',
  /** Declined at charge time (insufficient_funds). */
  insufficientFunds: '4000000000009995',
  /** Requires 3-D Secure on every payment. */
  threeDSecure: '4000002760003184',
} as const

export type CardRole = keyof typeof CARDS

/** Roles whose account must be new to the server; declines and 3-D Secure need Stripe's own numbers. */
const ACCOUNT_ROLES = [
  'primary',
  'funded',
  'concurrent',
  'parallel',
  'topUp',
  'foreignOrigin',
  'lostAnswer',
] as const

/**
 * A new number for each account role, with the role's brand prefix and a valid Luhn digit. The
 * emulator gives any such number its own fingerprint (so its own account on the server) and
 * charges it like 4242…; Stripe's test mode accepts only its documented numbers.
 */
export function freshAccounts(): Map<CardRole, string> {
  return new Map(ACCOUNT_ROLES.map((role) => [role, freshNumber(CARDS[role].slice(0, 6))]))
}

function freshNumber(prefix: string): string {
  const body = prefix + Array.from({ length: 9 }, () => Math.floor(Math.random() * 10)).join('')
  return body + luhnDigit(body)
}

function luhnDigit(body: string): number {
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i])
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2
    sum += d
  }
  return (10 - (sum % 10)) % 10
}

/** Tokenizing against anything but Stripe's own API: the stripe402 emulator (or another stand-in). */
export function isEmulator(stripeApi: string | undefined): boolean {
  if (stripeApi === undefined) return false
  try {
    return new URL(stripeApi).hostname !== 'api.stripe.com'
  } catch {
    return false
  }
}
