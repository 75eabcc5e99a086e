/** Card number, expiry and CVC checks done at tokenization, failing with Stripe's card errors. */
import { cardError } from '../errors'
import type { CardBrand } from './table'

export function luhnValid(number: string): boolean {
  let sum = 0
  let double = false
  for (let i = number.length - 1; i >= 0; i--) {
    let digit = number.charCodeAt(i) - 48
    if (double) {
      digit *= 2
      if (digit > 9) digit -= 9
    }
    sum += digit
    double = !double
  }
  return sum % 10 === 0
}

/** The network a number belongs to, from its leading digits (IIN ranges). */
export function detectBrand(number: string): CardBrand {
  if (/^4/.test(number)) return 'visa'
  if (/^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/.test(number)) return 'mastercard'
  if (/^3[47]/.test(number)) return 'amex'
  if (/^(6011|64[4-9]|65)/.test(number)) return 'discover'
  if (/^62/.test(number)) return 'unionpay'
  if (/^35(2[89]|[3-8])/.test(number)) return 'jcb'
  if (/^3(0[0-5]|[689])/.test(number)) return 'diners'
  return 'unknown'
}

export interface CardDetails {
  number: string
  expMonth: number
  expYear: number
  cvc: string | null
}

/** How the token API's `card` object names brands ("Visa", "American Express"), unlike PaymentMethods ("visa", "amex"). */
export const TOKEN_BRAND_NAMES: Readonly<Record<CardBrand, string>> = {
  visa: 'Visa',
  mastercard: 'MasterCard',
  amex: 'American Express',
  discover: 'Discover',
  diners: 'Diners Club',
  jcb: 'JCB',
  unionpay: 'UnionPay',
  unknown: 'Unknown',
}

/**
 * Checks raw card data as Stripe does when tokenizing: a number failing Luhn is `incorrect_number`,
 * a month outside 1–12 or a past date is `invalid_expiry_month`/`invalid_expiry_year`, a CVC of the
 * wrong length (4 digits for Amex, 3 otherwise) is `invalid_cvc`. All are HTTP 402 card errors.
 */
export function validateCard(
  raw: { number: string; expMonth: string; expYear: string; cvc?: string | undefined },
  prefix: string,
  now = new Date(),
): CardDetails {
  const number = raw.number.replace(/[\s-]/g, '')
  const param = (name: string) => (prefix ? `${prefix}[${name}]` : name)
  if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) {
    throw cardError({
      code: 'incorrect_number',
      message: 'Your card number is incorrect.',
      param: param('number'),
    })
  }
  const month = /^\d{1,2}$/.test(raw.expMonth) ? Number(raw.expMonth) : Number.NaN
  if (!(month >= 1 && month <= 12)) {
    throw cardError({
      code: 'invalid_expiry_month',
      message: "Your card's expiration month is invalid.",
      param: param('exp_month'),
    })
  }
  let year = /^\d{2}$|^\d{4}$/.test(raw.expYear) ? Number(raw.expYear) : Number.NaN
  if (year < 100) year += 2000
  const thisYear = now.getUTCFullYear()
  if (!(year >= thisYear && year <= thisYear + 50)) {
    throw cardError({
      code: 'invalid_expiry_year',
      message: "Your card's expiration year is invalid.",
      param: param('exp_year'),
    })
  }
  if (year === thisYear && month < now.getUTCMonth() + 1) {
    throw cardError({
      code: 'invalid_expiry_month',
      message: "Your card's expiration month is invalid.",
      param: param('exp_month'),
    })
  }
  let cvc: string | null = null
  if (raw.cvc !== undefined && raw.cvc !== '') {
    const length = detectBrand(number) === 'amex' ? 4 : 3
    if (!new RegExp(`^\\d{${length}}$`).test(raw.cvc)) {
      throw cardError({
        code: 'invalid_cvc',
        message: "Your card's security code is invalid.",
        param: param('cvc'),
      })
    }
    cvc = raw.cvc
  }
  return { number, expMonth: month, expYear: year, cvc }
}
