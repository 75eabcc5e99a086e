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
    ...(info.topUp && { charged: info.topUp.units }),
    ...(info.creditsRemaining !== undefined && { creditsRemaining: info.creditsRemaining }),
    ...(info.reason !== undefined && { reason: info.reason }),
  }
}

/** `Paid $0.05 (500 units) from prepaid credits; …` or `Nothing was paid (free).` */
export function costSentence(info: PaymentInfo | undefined): string {
  if (info?.outcome !== 'paid') {
    if (info?.topUp && info.currency)
      return `The card was charged ${money(info.topUp.units, info.currency)} for a top-up, kept as credits at ${info.origin}; the call itself was not charged.`
    return 'Nothing was paid (free).'
  }
  const { currency } = info
  const parts = [`Paid ${money(info.amount ?? 0, currency)} from prepaid credits`]
  if (info.topUp)
    parts.push(`after charging the card ${money(info.topUp.units, currency)} for a top-up`)
  const left =
    info.creditsRemaining !== undefined
      ? `; ${money(info.creditsRemaining, currency)} of credits left at ${info.origin}.`
      : '.'
  return parts.join(', ') + left
}
