/** Units and currency math: 1 unit = 1/10,000 of a currency's major unit; money stays integer. */
import { Stripe402Error } from './errors'

/** Units in one major currency unit (one dollar, one yen). */
export const UNITS_PER_MAJOR = 10_000

/**
 * Currencies Stripe's API counts without a minor unit: an `amount` of 500 is ¥500.
 * Source: https://docs.stripe.com/currencies#zero-decimal
 */
export const ZERO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
  'bif',
  'clp',
  'djf',
  'gnf',
  'jpy',
  'kmf',
  'krw',
  'mga',
  'pyg',
  'rwf',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
])

/** Currencies with three decimals; Stripe requires their minor amounts to end in 0. */
export const THREE_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
  'bhd',
  'jod',
  'kwd',
  'omr',
  'tnd',
])

/**
 * Currencies that became zero-decimal but that Stripe's API still writes with two decimals
 * always ending in `00` (5 ISK is `amount: 500`): minor amounts must be multiples of 100.
 * Source: https://docs.stripe.com/currencies#special-cases
 */
const WHOLE_UNIT_TWO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set(['isk', 'ugx'])

/**
 * Stripe's minimum charge per settlement currency, in the currency's minor unit.
 * Checked against https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts
 * (USD $0.50, AED 2.00, AUD $0.50, BGN 1.00, BRL R$0.50, CAD $0.50, CHF 0.50, CZK 15.00,
 * DKK 2.50, EUR €0.50, GBP £0.30, HKD $4.00, HUF 175.00, INR ₹0.50, JPY ¥50, MXN $10,
 * MYR RM 2, NOK 3.00, NZD $0.50, PLN 2.00, RON 2.00, SEK 3.00, SGD $0.50, THB ฿10).
 * Currencies not listed here are refused: a route priced in one fails at startup.
 */
export const STRIPE_MINIMUM_CHARGE_MINOR: Readonly<Record<string, number>> = {
  usd: 50,
  aed: 200,
  aud: 50,
  bgn: 100,
  brl: 50,
  cad: 50,
  chf: 50,
  czk: 1500,
  dkk: 250,
  eur: 50,
  gbp: 30,
  hkd: 400,
  huf: 17500,
  inr: 50,
  jpy: 50,
  mxn: 1000,
  myr: 200,
  nok: 300,
  nzd: 50,
  pln: 200,
  ron: 200,
  sek: 300,
  sgd: 50,
  thb: 1000,
}

/** True when stripe402 knows the currency's minimum charge and decimals. */
export function isSupportedCurrency(currency: string): boolean {
  return (
    typeof currency === 'string' &&
    Object.hasOwn(STRIPE_MINIMUM_CHARGE_MINOR, currency.toLowerCase())
  )
}

/** Decimal places of the currency's minor unit as Stripe's API counts them (0, 2 or 3). */
export function currencyDecimals(currency: string): 0 | 2 | 3 {
  const c = normalize(currency)
  if (ZERO_DECIMAL_CURRENCIES.has(c)) return 0
  if (THREE_DECIMAL_CURRENCIES.has(c)) return 3
  return 2
}

/**
 * Converts units to the Stripe minor-unit amount, rounding **up** so a charge never
 * falls short of what was priced. Three-decimal currencies round up to a multiple of 10,
 * ISK and UGX to a multiple of 100, as Stripe requires.
 */
export function unitsToMinor(units: number, currency: string): number {
  assertAmount(units, 'units')
  const c = normalize(currency)
  const decimals = currencyDecimals(c)
  const minor = ceilDiv(units, UNITS_PER_MAJOR / 10 ** decimals)
  const step = minorStep(c, decimals)
  return step === 1 ? minor : ceilDiv(minor, step) * step
}

/** Converts a Stripe minor-unit amount to units (always exact). */
export function minorToUnits(minor: number, currency: string): number {
  assertAmount(minor, 'minor')
  const units = minor * (UNITS_PER_MAJOR / 10 ** currencyDecimals(currency))
  assertAmount(units, 'units')
  return units
}

/** The fewest units at or above `units` that Stripe can charge in `currency` (whole, allowed minor units). */
export function chargeableUnits(units: number, currency: string): number {
  return minorToUnits(unitsToMinor(units, currency), currency)
}

/** Smallest top-up Stripe will accept for the currency, in units (USD → 5000, GBP → 3000, JPY → 500000). */
export function minimumTopUpUnits(currency: string): number {
  const c = normalize(currency)
  const minor = STRIPE_MINIMUM_CHARGE_MINOR[c]
  if (minor === undefined) {
    throw new Stripe402Error(
      'currency_mismatch',
      `Unsupported currency "${currency}": stripe402 does not know Stripe's minimum charge for it. Supported: ${Object.keys(STRIPE_MINIMUM_CHARGE_MINOR).join(', ')}.`,
    )
  }
  return minorToUnits(minor, c)
}

/** Formats units for people: `formatUnits(500, 'usd')` → `"$0.05"`. Shows up to 4 decimals, never rounds. */
export function formatUnits(units: number, currency: string, locale = 'en-US'): string {
  if (!Number.isSafeInteger(units)) {
    throw new Stripe402Error(
      'invalid_payment',
      `units must be a safe integer, got ${String(units)}.`,
    )
  }
  const c = normalize(currency)
  return new Intl.NumberFormat(locale, {
    style: 'currency',
    currency: c.toUpperCase(),
    minimumFractionDigits: currencyDecimals(c),
    maximumFractionDigits: 4,
  }).format(units / UNITS_PER_MAJOR)
}

function minorStep(currency: string, decimals: number): number {
  if (decimals === 3) return 10
  if (WHOLE_UNIT_TWO_DECIMAL_CURRENCIES.has(currency)) return 100
  return 1
}

function normalize(currency: string): string {
  if (typeof currency !== 'string' || !/^[a-zA-Z]{3}$/.test(currency)) {
    throw new Stripe402Error(
      'currency_mismatch',
      `"${String(currency)}" is not an ISO 4217 currency code.`,
    )
  }
  return currency.toLowerCase()
}

function assertAmount(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new Stripe402Error(
      'invalid_payment',
      `${what} must be a non-negative safe integer, got ${String(value)}.`,
    )
  }
}

/** Exact ceiling division for non-negative safe integers: no floating-point rounding. */
function ceilDiv(a: number, b: number): number {
  const remainder = a % b
  return (a - remainder) / b + (remainder === 0 ? 0 : 1)
}
