/**
 * The one-line payment summary on stderr, and the exit code that goes with it. One vocabulary with
 * the wallet: credits are **used** by calls, the card is **charged** for top-ups, **credits left**.
 */
import { formatUnits } from '@stripe402/protocol'
import type { PaymentInfo } from '../payment-info'
import { EXIT } from './exit-codes'

export function exitCodeFor(response: Response, info: PaymentInfo | undefined): number {
  if (info?.outcome === 'refused') return EXIT.REFUSED
  if (info?.outcome === 'failed') return EXIT.PAYMENT_FAILED
  return response.ok ? EXIT.OK : EXIT.HTTP_ERROR
}

/** Units for people (`$0.05`), or `500 units` when the currency is unknown or not one `formatUnits` takes. */
export function money(units: number, currency: string | undefined): string {
  try {
    return currency ? formatUnits(units, currency) : `${units} units`
  } catch {
    return `${units} units`
  }
}

export function summaryLine(response: Response, info: PaymentInfo | undefined): string {
  const parts = [`${response.status}${response.statusText ? ` ${response.statusText}` : ''}`]
  const currency = info?.currency ?? info?.requirements?.currency
  switch (info?.outcome) {
    case 'paid':
      parts.push(`used ${money(info.amount ?? 0, currency)} of credits`)
      if (info.topUp) parts.push(topUpPart(info.topUp, currency))
      if (info.creditsRemaining !== undefined)
        parts.push(`${money(info.creditsRemaining, currency)} of credits left at ${info.origin}`)
      break
    case 'refused':
      // The CLI's only way to pay without a card is --payment-method: say so, not the library's option names.
      parts.push(
        info.reason === 'no_payment_method'
          ? `not paid (no_payment_method): no card configured: set STRIPE402_CARD=number|mm|yyyy|cvc or pass --payment-method pm_…`
          : `refused by policy (${info.reason}): ${info.message}`,
      )
      break
    case 'failed':
      parts.push(
        `payment failed (${info.reason}${info.declineCode ? `/${info.declineCode}` : ''}): ${info.message}`,
      )
      break
    default:
      // A 402 the client could not read as stripe402's says why (x402, a malformed header…).
      parts.push(info?.reason ? `no payment (${info.reason}): ${info.message}` : 'no payment')
      // A top-up sent, then a 5xx or a lost answer: the card may have been charged.
      if (info?.topUp) parts.push(topUpPart(info.topUp, currency))
  }
  if (info?.creditsVanished)
    parts.push(
      `${money(info.creditsVanished, currency)} of credits held at ${info.origin} vanished: its server no longer knows this wallet's credential`,
    )
  if (info) parts.push(`${info.requests} request${info.requests === 1 ? '' : 's'}`)
  return `stripe402: ${parts.join(' · ')}`
}

/** A confirmed top-up names its charge; an unconfirmed one says the card may have been charged. */
function topUpPart(topUp: NonNullable<PaymentInfo['topUp']>, currency: string | undefined): string {
  const units = money(topUp.units, currency)
  if (topUp.unconfirmed)
    return `top-up of ${units} unconfirmed (no answer named a charge, so the card may or may not have been charged; budgets count it)`
  return `charged ${units} to the card${topUp.chargeId ? ` (${topUp.chargeId})` : ''}`
}
