/** Currencies Stripe accepts, their decimals, and Stripe's minimum and maximum charge amounts. */
import { invalidRequest } from './errors'

/** Currencies charged without a minor unit (amount 100 in jpy is ¥100). */
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
  'ugx',
  'vnd',
  'vuv',
  'xaf',
  'xof',
  'xpf',
])

/** Currencies with three decimals; Stripe requires their amounts to end in 0. */
export const THREE_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
  'bhd',
  'jod',
  'kwd',
  'omr',
  'tnd',
])

/**
 * Stripe's published minimum charge per currency, in the currency's smallest unit
 * (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
 */
export const MINIMUM_CHARGE_AMOUNTS: Readonly<Record<string, number>> = {
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

/** Stripe's largest amount: eight digits in the smallest unit. */
export const MAXIMUM_CHARGE_AMOUNT = 99_999_999

/** Presentment currencies Stripe supports for card payments (lowercase ISO codes). */
export const SUPPORTED_CURRENCIES: readonly string[] = [
  'usd',
  'aed',
  'afn',
  'all',
  'amd',
  'ang',
  'aoa',
  'ars',
  'aud',
  'awg',
  'azn',
  'bam',
  'bbd',
  'bdt',
  'bgn',
  'bhd',
  'bif',
  'bmd',
  'bnd',
  'bob',
  'brl',
  'bsd',
  'bwp',
  'byn',
  'bzd',
  'cad',
  'cdf',
  'chf',
  'clp',
  'cny',
  'cop',
  'crc',
  'cve',
  'czk',
  'djf',
  'dkk',
  'dop',
  'dzd',
  'egp',
  'etb',
  'eur',
  'fjd',
  'fkp',
  'gbp',
  'gel',
  'gip',
  'gmd',
  'gnf',
  'gtq',
  'gyd',
  'hkd',
  'hnl',
  'htg',
  'huf',
  'idr',
  'ils',
  'inr',
  'isk',
  'jmd',
  'jod',
  'jpy',
  'kes',
  'kgs',
  'khr',
  'kmf',
  'krw',
  'kwd',
  'kyd',
  'kzt',
  'lak',
  'lbp',
  'lkr',
  'lrd',
  'lsl',
  'mad',
  'mdl',
  'mga',
  'mkd',
  'mmk',
  'mnt',
  'mop',
  'mur',
  'mvr',
  'mwk',
  'mxn',
  'myr',
  'mzn',
  'nad',
  'ngn',
  'nio',
  'nok',
  'npr',
  'nzd',
  'omr',
  'pab',
  'pen',
  'pgk',
  'php',
  'pkr',
  'pln',
  'pyg',
  'qar',
  'ron',
  'rsd',
  'rub',
  'rwf',
  'sar',
  'sbd',
  'scr',
  'sek',
  'sgd',
  'shp',
  'sle',
  'sos',
  'srd',
  'szl',
  'thb',
  'tjs',
  'tnd',
  'top',
  'try',
  'ttd',
  'twd',
  'tzs',
  'uah',
  'ugx',
  'uyu',
  'uzs',
  'vnd',
  'vuv',
  'wst',
  'xaf',
  'xcd',
  'xof',
  'xpf',
  'yer',
  'zar',
  'zmw',
]
const SUPPORTED = new Set(SUPPORTED_CURRENCIES)

const SYMBOLS: Readonly<Record<string, string>> = {
  usd: '$',
  eur: '€',
  gbp: '£',
  jpy: '¥',
  aud: '$',
  cad: '$',
  nzd: '$',
  sgd: '$',
  hkd: '$',
  mxn: '$',
  brl: 'R$',
  inr: '₹',
  chf: 'CHF ',
}

function decimals(currency: string): number {
  if (ZERO_DECIMAL_CURRENCIES.has(currency)) return 0
  if (THREE_DECIMAL_CURRENCIES.has(currency)) return 3
  return 2
}

/** `$0.50`, `¥50`, `£0.30`: how Stripe writes an amount in its error messages. */
export function formatAmount(amount: number, currency: string): string {
  const digits = decimals(currency)
  const major = (amount / 10 ** digits).toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  })
  return `${SYMBOLS[currency] ?? ''}${major}`
}

/** The smallest amount the emulator accepts; currencies without a published minimum only need a positive amount. */
export function minimumChargeAmount(currency: string): number {
  return MINIMUM_CHARGE_AMOUNTS[currency] ?? 1
}

/** Validates a currency parameter and returns it lowercased, as Stripe stores it. */
export function checkCurrency(raw: string, param = 'currency'): string {
  const currency = raw.toLowerCase()
  if (!SUPPORTED.has(currency)) {
    throw invalidRequest(
      `Invalid currency: ${raw}. Stripe currently supports these currencies: ${SUPPORTED_CURRENCIES.join(', ')}`,
      param,
    )
  }
  return currency
}

/** Validates a charge amount against Stripe's minimum, maximum and three-decimal rules. */
export function checkChargeAmount(amount: number, currency: string, param = 'amount'): void {
  if (amount < 0)
    throw invalidRequest(
      'This value must be greater than or equal to 1.',
      param,
      'parameter_invalid_integer',
    )
  const minimum = minimumChargeAmount(currency)
  if (amount < minimum) {
    throw invalidRequest(
      `Amount must be at least ${formatAmount(minimum, currency)} ${currency}`,
      param,
      'amount_too_small',
    )
  }
  if (amount > MAXIMUM_CHARGE_AMOUNT) {
    throw invalidRequest(
      `Amount must be no more than ${formatAmount(MAXIMUM_CHARGE_AMOUNT, currency)}`,
      param,
      'amount_too_large',
    )
  }
  if (THREE_DECIMAL_CURRENCIES.has(currency) && amount % 10 !== 0) {
    throw invalidRequest(
      `Invalid amount: amounts in ${currency} must be divisible by 10, the smallest coin Stripe charges.`,
      param,
    )
  }
}
