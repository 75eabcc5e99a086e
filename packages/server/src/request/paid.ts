/** Builds the `paid` outcome: the payment-response header, the receipt and `settle`. */
import { publicAccountId } from '../identity'
import { MAX_UNITS, type PaymentResponse } from '@stripe402/protocol'
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
  // Field by field, not spread: a spread of a conditional object takes V8's slow path, on every paid call.
  const response: PaymentResponse = {
    success: true,
    creditsRemaining,
    clientId: input.clientId,
    amountCharged: input.units,
    currency: input.currency,
  }
  const payment: PaidOutcome['payment'] = {
    accountId: publicAccountId(engine.config, input.accountId),
    amount: input.units,
    currency: input.currency,
    creditsRemaining,
  }
  if (input.chargeId !== undefined) {
    response.chargeId = input.chargeId
    payment.chargeId = input.chargeId
  }
  return {
    type: 'paid',
    headers: paidHeaders(response),
    payment,
    settle: createSettle(engine, input),
  }
}
