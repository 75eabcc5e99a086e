/** Money audits: no second charge, one charge under concurrency, no overdraft; inferred from reported balances only. */
import { type Exchange, isServed } from '../session/http'
import { served, type Session } from '../session/session'
import { paymentResponseOf } from '../session/wire'
import { defineAudit } from './define'
import { fail } from './failure'
import type { Audit } from './types'

/** Parallel first payments with one card. */
const CONCURRENT_PAYMENTS = 6
/** Largest K for the parallel-spend audit (3K requests in flight); more credits are spent first, one call at a time. */
const MAX_K = 100

export function moneyAudits(session: Session): Audit[] {
  return [
    defineAudit(
      'S402-MON-01',
      'MUST NOT charge again when a card that still has credits pays again',
      { requiredAt: 'v1', section: '§2.4' },
      async () => {
        const { amount } = await session.offer()
        const { balance: before } = await session.fundedBalance()
        const ex = await session.pay('funded')
        const response = served(ex, 'Paying again with the same card')
        if (response.chargeId)
          fail(
            `The card was charged again (chargeId ${response.chargeId}) although its ${before} credits covered the call.`,
            ex,
          )
        if (response.creditsRemaining !== before - amount) {
          fail(
            `creditsRemaining went from ${before} to ${response.creditsRemaining}; without a new charge it must be ${before - amount}.`,
            ex,
          )
        }
      },
    ),
    defineAudit(
      'S402-MON-02',
      'MUST charge only once for concurrent first payments with one card',
      { requiredAt: 'v1', section: '§8.1' },
      async () => {
        const { amount } = await session.offer()
        const topUp = await session.topUpCovering(CONCURRENT_PAYMENTS)
        const n = Math.min(CONCURRENT_PAYMENTS, Math.floor(topUp / amount))
        if (n < 2) return 'Not applicable: the largest top-up pays for fewer than two calls.'
        const methods = await Promise.all(
          Array.from({ length: n }, () => session.paymentMethod('concurrent')),
        )
        const answers = await Promise.all(
          methods.map((paymentMethodId) =>
            session.withPayment({ stripe402Version: 1, paymentMethodId, topUpAmount: topUp }),
          ),
        )
        const crashed = answers.find((ex) => ex.status >= 500 && ex.status !== 503)
        if (crashed) fail(`A concurrent first payment was answered ${crashed.status}.`, crashed)
        const charges = new Map<string, Exchange>()
        const servedAnswers: Array<[Exchange, number]> = []
        for (const ex of answers) {
          const response = paymentResponseOf(ex)
          if (!response.ok) continue
          if (response.value.chargeId) charges.set(response.value.chargeId, ex)
          if (isServed(ex)) servedAnswers.push([ex, response.value.creditsRemaining])
        }
        if (charges.size > 1)
          fail(
            `${n} concurrent payments with one card were charged ${charges.size} times (chargeIds ${[...charges.keys()].join(', ')}).`,
            [...charges.values()][1],
          )
        if (servedAnswers.length === 0)
          fail(`None of ${n} concurrent first payments was served.`, answers[0])
        const ceiling = topUp - amount
        const over = servedAnswers.find(([, credits]) => credits > ceiling)
        if (over) {
          fail(
            `A concurrent payment reported ${over[1]} credits, more than one top-up of ${topUp} less one call (${ceiling}): the card was topped up more than once` +
              ` (or card ${session.card('concurrent').number} already had credits on this server).`,
            over[0],
          )
        }
      },
    ),
    defineAudit(
      'S402-MON-03',
      'MUST serve exactly K of 3K parallel calls when the credits cover K',
      { requiredAt: 'v1', section: '§8.2' },
      async () => {
        const { amount } = await session.offer()
        const ex = await session.pay('parallel', { topUpAmount: await session.topUpCovering(5) })
        const { clientId, creditsRemaining } = served(ex, 'Paying with the parallel-spend card')
        let credits = creditsRemaining
        while (Math.floor(credits / amount) > MAX_K) {
          credits = served(
            await session.spend(clientId),
            'Spending down to the parallel test',
          ).creditsRemaining
        }
        const k = Math.floor(credits / amount)
        if (k < 1) return 'Not applicable: the largest top-up leaves less than one call of credit.'
        const answers = await Promise.all(
          Array.from({ length: 3 * k }, () => session.spend(clientId)),
        )
        const crashed = answers.find((a) => a.status >= 500)
        const servedAnswers = answers.filter(isServed)
        if (servedAnswers.length > k) {
          fail(
            `${servedAnswers.length} of ${3 * k} parallel calls were served, but ${credits} credits pay for ${k} calls of ${amount}.`,
            servedAnswers.at(-1),
          )
        }
        if (crashed) fail(`A parallel call was answered ${crashed.status}.`, crashed)
        if (servedAnswers.length < k) {
          const refused = answers.find((a) => !isServed(a))
          fail(
            `Only ${servedAnswers.length} of ${3 * k} parallel calls were served although ${credits} credits pay for ${k}.`,
            refused,
          )
        }
        const reported = servedAnswers.map((a) => served(a, 'A parallel call').creditsRemaining)
        if (new Set(reported).size !== reported.length)
          fail(
            `Parallel calls reported the same balance twice: ${reported.sort((a, b) => b - a).join(', ')}.`,
            servedAnswers[0],
          )
        const lowest = Math.min(...reported)
        if (lowest !== credits - k * amount)
          fail(
            `After ${k} calls the lowest balance reported is ${lowest}, expected ${credits - k * amount}.`,
            servedAnswers[0],
          )
        const after = await session.spend(clientId)
        if (isServed(after))
          fail(
            'One more call after the parallel burst was still served: credits were overdrawn.',
            after,
          )
      },
    ),
    defineAudit(
      'S402-MON-04',
      'SHOULD reverse the debit of a paid request whose handler fails',
      { requiredAt: 'v1', section: '§10' },
      async () => {
        const route = session.failingRoute
        if (!route)
          return 'Not applicable: no failing route was given (--failing-route "GET /api/fail", or failingRoute).'
        const what = `${route.method} ${route.path}`
        const { amount } = await session.offer()
        const { clientId, balance: before } = await session.fundedBalance()
        const ex = await session.spendOn(route, clientId)
        if (ex.status === 402)
          fail(
            `${what}, paid with a credential holding ${before} credits, was answered 402: it is not a paid route the credential can pay (check --failing-route).`,
            ex,
          )
        if (ex.status < 500)
          fail(
            `${what} was answered ${ex.status}, not a failure (5xx): give a paid route whose handler fails as --failing-route.`,
            ex,
          )
        const after = served(
          await session.spend(clientId),
          'Spending from the funded account after the failing request',
        ).creditsRemaining
        if (after < before - amount)
          fail(
            `${what} failed with ${ex.status} and kept its debit: the balance went from ${before} to ${after} over it and one served call of ${amount}, not to ${before - amount}.`,
            ex,
          )
      },
    ),
    defineAudit(
      'S402-MON-05',
      'SHOULD keep the debit of a paid request whose 200 went out before its handler failed',
      { requiredAt: 'v1', section: '§10' },
      async () => {
        // §10 reverses the debit of a request that responds with a 5xx: a 200 that went out with
        // its first bytes is served, whatever status the response holds when it closes.
        const route = session.streamingFailingRoute
        if (!route)
          return 'Not applicable: no streaming failing route was given (--streaming-failing-route "GET /api/stream-fail", or streamingFailingRoute).'
        const what = `${route.method} ${route.path}`
        const { amount } = await session.offer()
        const { clientId, balance: before } = await session.fundedBalance()
        const ex = await session.spendOn(route, clientId, true)
        if (ex.status === 402)
          fail(
            `${what}, paid with a credential holding ${before} credits, was answered 402: it is not a paid route the credential can pay (check --streaming-failing-route).`,
            ex,
          )
        if (ex.status !== 200 || ex.text === '')
          fail(
            `${what} was answered ${ex.status} with ${ex.text.length} characters of body, not a 200 with its first bytes: give a paid route whose handler sends a 200 and some bytes, then fails, as --streaming-failing-route.`,
            ex,
          )
        const after = served(
          await session.spend(clientId),
          'Spending from the funded account after the streaming request',
        ).creditsRemaining
        if (after > before - 2 * amount)
          fail(
            `${what} sent a 200 and its first bytes, then failed, and its debit was reversed: the balance went from ${before} to ${after} over it and one served call of ${amount}, not to ${before - 2 * amount}. Settle on the status that went out, not the status at close.`,
            ex,
          )
      },
    ),
  ]
}
