/** The card path's debit: the card itself authenticates, with the request's credential for its account while the ledger accepts it. */
import { parseClientId } from '../credentials'
import type { Engine } from '../engine'
import { viaDebit } from '../ledger-calls/via-debit'
import type { SpendResult } from '../ledger/types'
import type { DenyOutcome, PaywallOutcome } from '../outcome'
import { finishCardPayment } from './card-paid'
import { refuse, whereOf } from './deny'
import { unboundRefusal } from './origin-binding'
import type { PricedRequest } from './priced'

/** Who pays on the card path. */
export interface CardPayer {
  /** The card's account. */
  accountId: string
  /**
   * A credential token the request carried for this same account. The debit checks it in the
   * same ledger call, and a payment it passes hands it back instead of issuing a new one. Once
   * the ledger refuses it (revoked, unknown), the payer that `CardSpend` returns no longer has it.
   */
  credential?: { clientId: string; credentialHash: string }
  /**
   * The PaymentMethod is unbound and the account exists (spec §7.4): the card pays only beside
   * `credential`, so a credential the ledger refuses ends the payment instead of leaving the card alone.
   */
  credentialRequired?: true
}

/**
 * What a debit on the card path came to, decided in `afterCardSpend` alone: `paid` (answered: a
 * credential issued or handed back, or a 503 if none could be stored), `refused` (a frozen
 * account, or an unbound card whose credential the ledger refused), or `short` of the price.
 */
export type CardSpend =
  | { kind: 'paid'; outcome: PaywallOutcome }
  | { kind: 'refused'; outcome: DenyOutcome }
  | {
      kind: 'short'
      /** What the account holds in the route's currency (0 when the ledger did not say). */
      balance: number
      /** Who pays from here on: without a credential the ledger refused. */
      payer: CardPayer
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

/** Debits the price from the card's account, without charging anything. */
export async function spendByCard(
  engine: Engine,
  request: PricedRequest,
  payer: CardPayer,
): Promise<CardSpend> {
  return afterCardSpend(engine, request, payer, await debitCard(engine, request, payer))
}

/** What the ledger spends for this request on the card path (with the payer's credential, when it has one). */
export function cardSpend(
  request: PricedRequest,
  payer: CardPayer,
): { credentialHash?: string; units: number; ref: string; holdUntil?: number } {
  return {
    ...(payer.credential && { credentialHash: payer.credential.credentialHash }),
    units: request.price,
    ref: request.ref,
    ...(request.holdUntil !== undefined && { holdUntil: request.holdUntil }),
  }
}

/**
 * Judges the ledger's answer to a card-path debit (`spendByCard`'s, or the spend of a top-up's
 * credit-and-spend, then with the `chargeId` that paid it). A credential the ledger refuses is
 * dropped and the card pays alone, in one more debit, unless it may pay only beside it.
 */
export async function afterCardSpend(
  engine: Engine,
  request: PricedRequest,
  payer: CardPayer,
  result: SpendResult,
  chargeId?: string,
): Promise<CardSpend> {
  if (
    !result.ok &&
    (result.reason === 'unknown_credential' || result.reason === 'credential_revoked')
  ) {
    if (payer.credentialRequired)
      return { kind: 'refused', outcome: unboundRefusal(engine, request) }
    // The card still pays; the refused credential is neither used again nor handed back.
    const alone: CardPayer = { accountId: payer.accountId }
    return judge(engine, request, alone, await debitCard(engine, request, alone), chargeId)
  }
  return judge(engine, request, payer, result, chargeId)
}

/** A debit without a credential, or with one the ledger did not refuse: paid, frozen, or short. */
async function judge(
  engine: Engine,
  request: PricedRequest,
  payer: CardPayer,
  result: SpendResult,
  chargeId: string | undefined,
): Promise<CardSpend> {
  const { accountId, credential } = payer
  if (result.ok) {
    const outcome = await finishCardPayment(engine, request, {
      accountId,
      balance: result.balance,
      ...(chargeId !== undefined && { chargeId }),
      ...(credential && { clientId: credential.clientId }),
    })
    return { kind: 'paid', outcome }
  }
  if (result.reason === 'account_frozen') {
    const outcome = refuse(
      engine,
      whereOf(request),
      403,
      'account_frozen',
      "This card's account is frozen after a dispute; contact the API operator.",
    )
    return { kind: 'refused', outcome }
  }
  const balance = result.reason === 'insufficient_credits' ? result.balance : 0
  return { kind: 'short', balance, payer }
}

/** One ledger call; a failed one is held for repair (`viaDebit`). */
function debitCard(engine: Engine, request: PricedRequest, payer: CardPayer): Promise<SpendResult> {
  return viaDebit(engine, request, payer.accountId, () =>
    engine.ledger.spend({
      accountId: payer.accountId,
      ...cardSpend(request, payer),
      currency: request.route.currency,
    }),
  )
}
