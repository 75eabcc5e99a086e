/** A top-up retried after Stripe's answer was lost: one charge, credited once, judged from the emulator's side. */
import { randomUUID } from 'node:crypto'
import { EXTENSIONS, minorToUnits } from '@stripe402/protocol'
import { type Exchange, isServed } from '../session/http'
import type { Session } from '../session/session'
import { errorCodesOf, paymentResponseOf } from '../session/wire'
import { defineAudit } from './define'
import { fail } from './failure'
import type { Audit } from './types'

export function lostAnswerAudit(session: Session): Audit {
  return defineAudit(
    'S402-MON-06',
    'MUST NOT charge again when a top-up is retried after Stripe charged and its answer was lost',
    { requiredAt: 'v1', section: '§8.1' },
    async () => {
      const view = await session.stripeView()
      if (!view)
        return 'Not applicable: only the stripe402 emulator (--stripe-api) can drop Stripe’s answer after charging and show what it charged.'
      const { amount, extensions } = await session.offer()
      const card = session.card('lostAnswer').number
      const paymentMethodId = await session.paymentMethod('lostAnswer')
      const fingerprint = await view.fingerprint(paymentMethodId)
      if (!(await view.dropNextPaymentIntentAnswer()))
        return 'Not applicable: the Stripe API given (--stripe-api) has no POST /_emulator/faults to drop an answer after charging.'
      const payload = {
        stripe402Version: 1,
        paymentMethodId,
        ...(extensions.includes(EXTENSIONS.IDEMPOTENCY_KEY) && { idempotencyKey: randomUUID() }),
      }
      let first: Exchange
      try {
        first = await session.withPayment(payload)
      } finally {
        // A server that never reached Stripe leaves the fault for a later audit's top-up.
        await view.clearFaults()
      }
      const retry = await session.withPayment(payload)
      const charges = await view.charges(fingerprint)
      const firstAnswer = `the first payment was answered ${first.status}${refusalOf(first)}`
      if (charges.length === 0)
        fail(
          `The emulator charged card ${card.slice(-4)} nothing (${firstAnswer}): the server did not reach Stripe, so a lost answer could not be tested.`,
          first,
        )
      if (charges.length > 1)
        fail(
          `Stripe's answer to the top-up was lost after it charged card ${card.slice(-4)}; ${firstAnswer}, the retry with the same PaymentMethod${'idempotencyKey' in payload ? ' and idempotencyKey' : ''} was answered ${retry.status}, and the emulator charged the card ${charges.length} times (${charges.map((c) => `${c.amount} ${c.currency} ${c.id}`).join(', ')}). A charge whose outcome is unknown must be learned (the same Stripe Idempotency-Key again, or a lookup) before charging again.`,
          retry,
        )
      const [charge] = charges as [(typeof charges)[number]]
      const chargedUnits = minorToUnits(charge.amount, charge.currency)
      const seen = `Stripe's answer was lost after it charged card ${card.slice(-4)} ${charge.amount} ${charge.currency} (${charge.id}, ${chargedUnits} units); ${firstAnswer}`
      if (!isServed(retry))
        fail(
          `${seen}, and the retry was answered ${retry.status}${refusalOf(retry)}: the charge was never credited. The server must learn the outcome of the lost charge (the same Stripe Idempotency-Key again, or a lookup) and credit it.`,
          retry,
        )
      const response = paymentResponseOf(retry)
      if (!response.ok)
        fail(
          `${seen}; the retry was served, but its payment-response is not valid: ${response.reason}.`,
          retry,
        )
      // A first answer that was served already spent one call from the charge.
      const calls = isServed(first) ? 2 : 1
      const expected = chargedUnits - calls * amount
      if (response.value.creditsRemaining !== expected)
        fail(
          `${seen}; after the retry creditsRemaining is ${response.value.creditsRemaining}, not the one charge of ${chargedUnits} units less ${calls === 1 ? 'one call' : `${calls} calls`} of ${amount} (${expected}).`,
          retry,
        )
    },
  )
}

/** The error code of a refusal, for a failure message. */
function refusalOf(ex: Exchange): string {
  if (isServed(ex)) return ''
  const codes = errorCodesOf(ex)
  return codes.length ? ` (${codes.join(', ')})` : ''
}
