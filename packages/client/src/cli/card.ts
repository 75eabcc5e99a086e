/** Reads the card from STRIPE402_CARD (`number|mm|yyyy|cvc`) without ever echoing it back. */
import type { Card } from '../options'

export function parseCardEnv(value: string): Card {
  const parts = value.split('|').map((p) => p.trim())
  const [number, month, year, cvc] = parts
  if (
    parts.length !== 4 ||
    !number ||
    !month ||
    !year ||
    !cvc ||
    !/^\d{12,19}$/.test(number.replace(/[\s-]/g, '')) ||
    !/^\d{1,2}$/.test(month) ||
    !/^\d{2,4}$/.test(year) ||
    !/^\d{3,4}$/.test(cvc)
  ) {
    // The value is deliberately not quoted: it may be a real card.
    throw new UsageError(
      'STRIPE402_CARD must look like number|mm|yyyy|cvc, e.g. 4242424242424242|12|2034|123.',
    )
  }
  return { number, exp_month: Number(month), exp_year: Number(year), cvc }
}

/** A mistake in how the CLI was called: exit 1 with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
