/** Reads the card from STRIPE402_CARD (`number|mm|yyyy|cvc`) without ever echoing it back. */
import type { Card } from '@stripe402/client'
import { UsageError } from './io'

export function parseCard(value: string): Card {
  const parts = value.split('|').map((p) => p.trim())
  // Messages name the field at fault and never quote a value: it may be a real card.
  const bad = (problem: string) =>
    new UsageError(`STRIPE402_CARD: ${problem}, e.g. 4242424242424242|12|2034|123.`)
  if (parts.length !== 4) throw bad('it needs 4 fields (number|mm|yyyy|cvc)')
  const [number = '', month = '', year = '', cvc = ''] = parts
  if (!/^\d{12,19}$/.test(number.replace(/[\s-]/g, '')))
    throw bad('the card number must be 12 to 19 digits')
  if (!/^\d{1,2}$/.test(month) || Number(month) < 1 || Number(month) > 12)
    throw bad('the expiry month must be 1 to 12')
  if (!/^(\d{2}|\d{4})$/.test(year)) throw bad('the expiry year must be 2 or 4 digits')
  if (!/^\d{3,4}$/.test(cvc)) throw bad('the CVC must be 3 or 4 digits')
  return { number, exp_month: Number(month), exp_year: Number(year), cvc }
}
