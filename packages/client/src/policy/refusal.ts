/** A policy decision that stops a payment before money moves: a reason code and a sentence a person can act on. */
import { formatUnits } from '@stripe402/protocol'
import type { RefusalReason } from '../events'

export interface Refusal {
  reason: RefusalReason
  message: string
}

export function refusal(reason: RefusalReason, message: string): Refusal {
  return { reason, message }
}

/** Units for messages: `500 units ($0.05)`. */
export function money(units: number, currency: string): string {
  try {
    return `${formatUnits(units, currency)} (${units} units)`
  } catch {
    return `${units} units of ${currency}`
  }
}

/** Money for sentences that already carry several amounts: `$0.05`, without the units in parentheses. */
export function amount(units: number, currency: string): string {
  try {
    return formatUnits(units, currency)
  } catch {
    return `${units} units of ${currency}`
  }
}
