/** What a call cost, as a sentence and as data. */
import type { PaymentInfo } from '@stripe402/client'
import { money } from './answer'

export interface PaymentSummary {
  outcome: PaymentInfo['outcome'] | 'none'
  currency?: string
  /** Units debited from credits for this call. */
  amount?: number
  /** Units charged to the card for a top-up during this call. */
  charged?: number
  /** A top-up whose charge the server never confirmed (a 503 or a lost answer): it may have been charged. */
  unconfirmed?: number
  /** Credits left at the origin afterwards, in units. */
  creditsRemaining?: number
  reason?: string
}

export function summarize(info: PaymentInfo | undefined): PaymentSummary {
  if (!info) return { outcome: 'none' }
  return {
    outcome: info.outcome,
    ...(info.currency !== undefined && { currency: info.currency }),
    ...(info.amount !== undefined && { amount: info.amount }),
    ...(info.topUp &&
      (info.topUp.unconfirmed ? { unconfirmed: info.topUp.units } : { charged: info.topUp.units })),
    ...(info.creditsRemaining !== undefined && { creditsRemaining: info.creditsRemaining }),
    ...(info.reason !== undefined && { reason: info.reason }),
  }
}

/** `Paid $0.05 (500 units) from prepaid credits; …` or `Nothing was paid (free).` */
export function costSentence(info: PaymentInfo | undefined): string {
  if (info?.outcome !== 'paid') {
    if (info?.topUp?.unconfirmed) {
      const currency = info.currency ?? info.requirements?.currency
      const amount = currency ? ` of ${money(info.topUp.units, currency)}` : ''
      return `A top-up${amount} was sent, and ${info.origin} never said whether the card was charged (a retry replays it, never charging twice); the call itself was not charged.`
    }
    if (info?.topUp && info.currency)
      return `The card was charged ${money(info.topUp.units, info.currency)} for a top-up, kept as credits at ${info.origin}; the call itself was not charged.`
    return 'Nothing was paid (free).'
  }
  const { currency } = info
  const parts = [`Paid ${money(info.amount ?? 0, currency)} from prepaid credits`]
  if (info.topUp?.unconfirmed)
    parts.push(
      `after a top-up of ${money(info.topUp.units, currency)} that no answer named a charge for (budgets count it)`,
    )
  else if (info.topUp)
    parts.push(`after charging the card ${money(info.topUp.units, currency)} for a top-up`)
  const left =
    info.creditsRemaining !== undefined
      ? `; ${money(info.creditsRemaining, currency)} of credits left at ${info.origin}.`
      : '.'
  return parts.join(', ') + left
}
