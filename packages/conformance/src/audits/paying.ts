/** Paying audits: a PaymentMethod buys credits, a credential spends them, and running out is said plainly. */
import { EXTENSIONS, ORIGIN_BINDING } from '@stripe402/protocol'
import { isServed } from '../session/http'
import { served, type Session } from '../session/session'
import { errorCodesOf, paymentResponseOf } from '../session/wire'
import { defineAudit } from './define'
import { fail } from './failure'
import type { Audit } from './types'

export function payingAudits(session: Session): Audit[] {
  return [
    defineAudit(
      'S402-PAY-01',
      'MUST serve a request paid with a new PaymentMethod',
      { requiredAt: 'v1', section: '§2.4' },
      async () => {
        const ex = await session.firstPayment()
        if (!isServed(ex))
          fail(
            `Paying with a new PaymentMethod of card ${session.card('primary').number} was answered ${ex.status}.`,
            ex,
          )
      },
    ),
    defineAudit(
      'S402-PAY-02',
      'MUST send a valid payment-response with success, creditsRemaining and clientId when it serves a paid request',
      { requiredAt: 'v1', section: '§4.5' },
      async () => {
        const ex = await session.firstPayment()
        const response = paymentResponseOf(ex)
        if (!response.ok)
          fail(
            `The payment-response header is not a valid PaymentResponse: ${response.reason}.`,
            ex,
          )
        if (!response.value.success)
          fail('payment-response says success: false on a served request.', ex)
        if (response.value.clientId === '') fail('payment-response has an empty clientId.', ex)
      },
    ),
    defineAudit(
      'S402-PAY-03',
      'MUST credit the top-up less the price: creditsRemaining = minTopUp − amount after a first payment',
      { requiredAt: 'v1', section: '§2.4' },
      async () => {
        const { amount, minTopUp } = await session.offer()
        const ex = await session.firstPayment()
        const { creditsRemaining } = served(ex, 'The first payment')
        if (creditsRemaining !== minTopUp - amount) {
          fail(
            `creditsRemaining is ${creditsRemaining}, expected minTopUp ${minTopUp} − amount ${amount} = ${minTopUp - amount}` +
              ` (a server that already knew card ${session.card('primary').number} needs an empty ledger for this audit).`,
            ex,
          )
        }
      },
    ),
    defineAudit(
      'S402-PAY-04',
      'SHOULD return the chargeId of the top-up it charged',
      { requiredAt: 'v1', section: '§4.5' },
      async () => {
        const ex = await session.firstPayment()
        if (!served(ex, 'The first payment').chargeId)
          fail('The first payment charged a top-up but its payment-response has no chargeId.', ex)
      },
    ),
    defineAudit(
      'S402-PAY-05',
      'MUST spend exactly amount per call made with the returned clientId',
      { requiredAt: 'v1', section: '§2.4' },
      async () => {
        const { amount } = await session.offer()
        const account = await session.primaryAccount()
        let before = account.credits
        let calls = 0
        for (; calls < 3 && before >= amount; calls++) {
          const ex = await session.spend(account.clientId)
          const { creditsRemaining } = served(
            ex,
            `Spending with the returned clientId (call ${calls + 1})`,
          )
          if (creditsRemaining !== before - amount) {
            fail(
              `creditsRemaining went from ${before} to ${creditsRemaining}; a call costs ${amount}.`,
              ex,
            )
          }
          before = creditsRemaining
        }
        if (calls === 0)
          return 'Not applicable: the first top-up left less than one call of credit.'
      },
    ),
    defineAudit(
      'S402-PAY-06',
      'MUST refuse an unknown clientId with 402',
      { requiredAt: 'v1', section: '§2.4' },
      async () => {
        await session.offer()
        const ex = await session.spend(
          `conformance_unknown_${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`,
        )
        if (ex.status !== 402) fail(`An unknown clientId was answered ${ex.status}, not 402.`, ex)
        // Spec §2.4 step 4 and §13.2: a v1 client pays only on insufficient_credits (or no code), so any other leaves a stale clientId stuck.
        const codes = errorCodesOf(ex)
        if (!codes.includes('insufficient_credits'))
          fail(
            `An unknown clientId was refused with ${codes.length ? codes.join(', ') : 'no error code'}, not insufficient_credits (spec §2.4 step 4).`,
            ex,
          )
      },
    ),
    defineAudit(
      'S402-PAY-07',
      'MUST refuse with 402 insufficient_credits once the credits run out',
      { requiredAt: 'v1', section: '§5' },
      async () => {
        const { amount } = await session.offer()
        const { refusal, lastCredits } = await session.drained()
        if (refusal.status !== 402)
          fail(`Spending past the balance was answered ${refusal.status}, not 402.`, refusal)
        const codes = errorCodesOf(refusal)
        if (!codes.includes('insufficient_credits'))
          fail(
            `The refusal carries ${codes.length ? codes.join(', ') : 'no error code'}, not insufficient_credits.`,
            refusal,
          )
        if (lastCredits !== undefined && lastCredits >= amount) {
          fail(
            `The server refused although it last reported ${lastCredits} credits, enough for a call of ${amount}.`,
            refusal,
          )
        }
      },
    ),
    defineAudit(
      'S402-PAY-08',
      'MUST charge a client-chosen topUpAmount: creditsRemaining = topUpAmount − amount',
      { requiredAt: 'v1', section: '§2.4' },
      async () => {
        const { amount, minTopUp, maxTopUp } = await session.offer()
        const topUpAmount = maxTopUp === undefined ? minTopUp * 2 : Math.min(minTopUp * 2, maxTopUp)
        if (topUpAmount === minTopUp)
          return 'Not applicable: maxTopUp equals minTopUp, so no other top-up can be chosen.'
        const ex = await session.pay('topUp', { topUpAmount })
        const { creditsRemaining } = served(ex, `Paying with topUpAmount ${topUpAmount}`)
        if (creditsRemaining !== topUpAmount - amount) {
          fail(
            `creditsRemaining is ${creditsRemaining}, expected topUpAmount ${topUpAmount} − amount ${amount} = ${topUpAmount - amount}.`,
            ex,
          )
        }
      },
    ),
    defineAudit(
      'S402-PAY-09',
      'SHOULD refuse without debiting a call priced above the maxAmount it announces support for',
      { requiredAt: 'stripe402', section: '§9' },
      async () => {
        const { amount, extensions } = await session.offer()
        if (!extensions.includes(EXTENSIONS.MAX_AMOUNT))
          return 'Not applicable: the challenge does not announce maxAmount.'
        const { clientId, balance: before } = await session.fundedBalance()
        const ex = await session.spend(clientId, { maxAmount: amount - 1 })
        if (ex.status !== 402)
          fail(
            `A call priced ${amount} with maxAmount ${amount - 1} was answered ${ex.status}, not 402.`,
            ex,
          )
        const after = await session.spend(clientId)
        const { creditsRemaining } = served(after, 'Spending after the refused call')
        if (creditsRemaining !== before - amount)
          fail(
            `The refused call changed the balance: ${before} before, ${creditsRemaining + amount} after.`,
            after,
          )
      },
    ),
    defineAudit(
      'S402-PAY-10',
      'MUST mark a paid answer Cache-Control: no-store or private',
      { requiredAt: 'stripe402', section: '§14.2' },
      async () => {
        const ex = await session.firstPayment()
        served(ex, 'The first payment')
        const value = ex.headers['cache-control'] ?? ''
        const directives = value
          .toLowerCase()
          .split(',')
          .map((d) => d.trim().split('=')[0])
        if (!directives.includes('no-store') && !directives.includes('private'))
          fail(
            `Cache-Control of the paid answer is ${value ? `"${value}"` : 'absent'}: a shared cache may serve the paid body to unpaid clients.`,
            ex,
          )
      },
    ),
    defineAudit(
      'S402-PAY-11',
      'SHOULD send Vary: payment with a paid answer',
      { requiredAt: 'stripe402', section: '§14.2' },
      async () => {
        const ex = await session.firstPayment()
        served(ex, 'The first payment')
        const value = ex.headers.vary ?? ''
        const names = value
          .toLowerCase()
          .split(',')
          .map((n) => n.trim())
        if (!names.includes('payment') && !names.includes('*'))
          fail(
            `Vary of the paid answer is ${value ? `"${value}"` : 'absent'}, without payment.`,
            ex,
          )
      },
    ),
    defineAudit(
      'S402-PAY-12',
      'MUST refuse a PaymentMethod bound to another origin with payment_method_origin_mismatch, charging nothing',
      { requiredAt: 'stripe402', section: '§7.4' },
      async () => {
        const { extensions } = await session.offer()
        if (!extensions.includes(ORIGIN_BINDING.EXTENSION))
          return `Not applicable: the challenge does not announce ${ORIGIN_BINDING.EXTENSION}.`
        const paymentMethodId = await session.paymentMethodBoundTo('foreignOrigin', FOREIGN_ORIGIN)
        if (paymentMethodId === undefined)
          return 'Not applicable with a custom createPaymentMethod: the suite cannot bind its PaymentMethods to another origin.'
        const ex = await session.withPayment({ stripe402Version: 1, paymentMethodId })
        if (ex.status !== 402)
          fail(
            `A PaymentMethod bound to ${FOREIGN_ORIGIN} was answered ${ex.status}, not 402: a relaying origin can spend its card here.`,
            ex,
          )
        const codes = errorCodesOf(ex)
        if (!codes.includes('payment_method_origin_mismatch'))
          fail(
            `A PaymentMethod bound to ${FOREIGN_ORIGIN} was refused with ${codes.length ? codes.join(', ') : 'no error code'}, not payment_method_origin_mismatch.`,
            ex,
          )
        const response = paymentResponseOf(ex)
        if (response.ok && response.value.clientId)
          fail('The refusal of a PaymentMethod bound to another origin carried a credential.', ex)
        const view = await session.stripeView()
        if (!view) return
        const charges = await view.charges(await view.fingerprint(paymentMethodId))
        if (charges.length > 0)
          fail(
            `The emulator charged card ${session.card('foreignOrigin').number.slice(-4)} ${charges.map((c) => `${c.amount} ${c.currency}`).join(', ')} for a PaymentMethod bound to another origin.`,
            ex,
          )
      },
    ),
  ]
}

/** The origin the suite binds a PaymentMethod to when it relays it as another origin would; `.invalid` is never a real site. */
const FOREIGN_ORIGIN = 'https://conformance.invalid'
