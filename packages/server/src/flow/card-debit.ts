/** Debits a card's account directly: on the payment path the card itself is the authentication. */
import { parseClientId } from '../credentials'
import type { SpendResult } from '../ledger/types'
import type { PaywallOutcome } from '../outcome'
import type { Engine, PricedRequest } from './context'
import { refuse, whereOf } from './deny'
import { debitOf, viaDebit } from './via-debit'
import { finishCardPayment } from './issue'
import { unboundRefusal } from './origin-binding'

/** Who pays on the card path. */
export interface CardPayer {
  /** The card's account. */
  accountId: string
  /**
   * A credential token the request carried for this same account. The debit checks it in the
   * same ledger call, and a payment it passes hands it back instead of issuing a new one. It
   * is dropped for the rest of the request once the ledger refuses it (revoked, unknown).
   */
  credential?: { clientId: string; credentialHash: string }
  /**
   * The PaymentMethod is unbound and the account exists (spec §7.4): the card pays only beside
   * `credential`, so a credential the ledger refuses ends the payment instead of leaving the card alone.
   */
  credentialRequired?: true
}

/** The payer for a card's account, with the request's clientId when it is a token for that account. */
export function cardPayer(
  engine: Engine,
  accountId: string,
  clientId: string | undefined,
): CardPayer {
  if (clientId === undefined) return { accountId }
  const parsed = parseClientId(clientId, engine.config.credentials)
  if (parsed?.kind !== 'token' || parsed.accountId !== accountId) return { accountId }
  return { accountId, credential: { clientId, credentialHash: parsed.credentialHash } }
}

/** The paid outcome, a 403 for a frozen account, or the balance that fell short. */
export async function spendByCard(
  engine: Engine,
  request: PricedRequest,
  payer: CardPayer,
  chargeId?: string,
): Promise<PaywallOutcome | { insufficient: true; balance: number }> {
  const result = await viaDebit(engine, debitOf(request, payer.accountId), () =>
    engine.ledger.spend({
      accountId: payer.accountId,
      ...cardSpend(request, payer),
      currency: request.route.currency,
    }),
  )
  return afterCardSpend(engine, request, payer, result, chargeId)
}

/** What the ledger spends for this request on the card path (with the payer's credential, when it has one). */
export function cardSpend(
  request: PricedRequest,
  payer: CardPayer,
): { credentialHash?: string; units: number; ref: string } {
  return {
    ...(payer.credential && { credentialHash: payer.credential.credentialHash }),
    units: request.price,
    ref: request.ref,
  }
}

/** Turns the ledger's answer to a card-path spend into the paid outcome, a 403, or the shortfall. */
export async function afterCardSpend(
  engine: Engine,
  request: PricedRequest,
  payer: CardPayer,
  result: SpendResult,
  chargeId?: string,
): Promise<PaywallOutcome | { insufficient: true; balance: number }> {
  const { accountId, credential } = payer
  if (
    !result.ok &&
    (result.reason === 'unknown_credential' || result.reason === 'credential_revoked')
  ) {
    if (payer.credentialRequired) return unboundRefusal(engine, request)
    // The card still pays; the refused credential is neither used again nor handed back.
    delete payer.credential
    return spendByCard(engine, request, payer, chargeId)
  }
  if (result.ok) {
    return finishCardPayment(engine, request, {
      accountId,
      entryId: result.entryId,
      balance: result.balance,
      ...(chargeId !== undefined && { chargeId }),
      ...(credential && { clientId: credential.clientId }),
    })
  }
  if (result.reason === 'account_frozen') {
    return refuse(
      engine,
      whereOf(request),
      403,
      'account_frozen',
      "This card's account is frozen after a dispute; contact the API operator.",
    )
  }
  return {
    insufficient: true,
    balance: result.reason === 'insufficient_credits' ? result.balance : 0,
  }
}
