/** Ends a successful card payment: hands out a credential for the account and builds the paid outcome. */
import { issueToken } from '../credentials'
import type { PaywallOutcome } from '../outcome'
import type { Engine } from '../engine'
import { unavailable, whereOf } from './deny'
import { paidOutcome } from './paid'
import { debitOf, type PricedRequest } from './priced'
import { giveBack } from './settle'

export interface CardDebit {
  accountId: string
  balance: number
  chargeId?: string
  /** A credential the request carried that the debit verified: handed back as it is (spec 7.2). */
  clientId?: string
}

/**
 * A payment that came with a valid credential for the card's account answers with that same
 * credential: nothing is issued or written. Otherwise, in token mode, a fresh random token is
 * issued (the ledger keeps only its hash, so an old one cannot be handed out again). If storing
 * it fails, the request was debited but cannot be answered with a credential: the debit is
 * given back (now, or by retries and the sweep of its hold when the ledger is down) and the
 * answer is 503, saying which, so nothing is charged for a request that was not served.
 */
export async function finishCardPayment(
  engine: Engine,
  request: PricedRequest,
  debit: CardDebit,
): Promise<PaywallOutcome> {
  const currency = request.route.currency
  let clientId = debit.clientId ?? debit.accountId
  if (debit.clientId === undefined && engine.config.credentials === 'token') {
    const { token, credentialHash } = issueToken(debit.accountId)
    try {
      await engine.ledger.issueCredential(credentialHash, debit.accountId)
    } catch (error) {
      const back = await giveBack(engine, debitOf(request, debit.accountId), 503)
      // Say what is true: the debit is back, or it is held and comes back by itself.
      return unavailable(
        engine,
        whereOf(request),
        'ledger_unavailable',
        'ledger',
        error,
        back
          ? 'The credit ledger is unavailable; no credits were spent. Try again shortly.'
          : engine.settler.durable
            ? `The credit ledger is unavailable after this request was debited; the ${request.price} units are given back automatically within ${Math.ceil((2 * engine.config.holds.holdMs) / 1_000)} seconds. Try again shortly.`
            : 'The credit ledger is unavailable after this request was debited, and the debit could not be given back yet. Try again shortly.',
      )
    }
    engine.emit({ type: 'credential_issued', accountId: debit.accountId })
    clientId = token
  }
  engine.emit({
    type: 'debit',
    accountId: debit.accountId,
    currency,
    units: request.price,
    balance: debit.balance,
    route: request.route.key,
    via: 'card',
  })
  return paidOutcome(engine, {
    accountId: debit.accountId,
    currency,
    units: request.price,
    ref: request.ref,
    ...(request.holdUntil !== undefined && { holdUntil: request.holdUntil }),
    balance: debit.balance,
    clientId,
    ...(debit.chargeId !== undefined && { chargeId: debit.chargeId }),
  })
}
