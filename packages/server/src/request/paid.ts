/** Builds the `paid` outcome: the payment-response header, the receipt and `settle`. */
import { publicAccountId } from '../identity'
import { MAX_UNITS } from '@stripe402/protocol'
import { paidHeaders } from '../http/responses'
import type { PaidOutcome } from '../outcome'
import type { Engine } from '../engine'
import { createSettle, type Debit } from './settle'

export interface PaidInput extends Debit {
  /** Balance after the debit. */
  balance: number
  /** The credential to hand back (a token, or the account id in account mode). */
  clientId: string
  chargeId?: string
}

export function paidOutcome(engine: Engine, input: PaidInput): PaidOutcome {
  const creditsRemaining = Math.min(input.balance, MAX_UNITS)
  return {
    type: 'paid',
    headers: paidHeaders({
      success: true,
      creditsRemaining,
      clientId: input.clientId,
      amountCharged: input.units,
      currency: input.currency,
      ...(input.chargeId !== undefined && { chargeId: input.chargeId }),
    }),
    payment: {
      accountId: publicAccountId(engine.config, input.accountId),
      amount: input.units,
      currency: input.currency,
      creditsRemaining,
      ...(input.chargeId !== undefined && { chargeId: input.chargeId }),
    },
    settle: createSettle(engine, input),
  }
}
