/** Origin binding (spec §7.4): a PaymentMethod pays only the origin its client made it for. */
import { parseClientId } from '../credentials'
import type { DenyOutcome, PaywallOutcome } from '../outcome'
import type { CardPaymentMethod } from '../stripe/gateway'
import { countFailure } from './abuse'
import type { Engine } from '../engine'
import { viaLedger } from '../ledger-calls/via-ledger'
import { challenge } from './deny'
import type { PricedRequest } from './priced'

/**
 * How far a PaymentMethod may go here: `pays` like any card; `with-credential` only beside a
 * credential the ledger accepts for the card's account (the card alone must not take the account
 * over); or the refusal to answer with.
 */
export type Binding = 'pays' | 'with-credential' | { refused: PaywallOutcome }

/**
 * Judged before anything is debited, charged or issued. A PaymentMethod bound to another origin
 * was handed to someone else by its client: whoever relays it here gets nothing. One without a
 * binding (a v1 client's) may open a new account, or top up an account whose credential comes
 * with it, but by default may not spend an existing account's credits nor obtain its credential.
 */
export async function judgeBinding(
  engine: Engine,
  request: PricedRequest,
  card: CardPaymentMethod,
  accountId: string,
  clientId: string | undefined,
): Promise<Binding> {
  const { origins, unbound } = engine.config.originBinding
  if (card.origin !== undefined && origins !== null) {
    if (origins.has(card.origin)) return 'pays'
    // Not the card's failure (its owner did nothing wrong), so only the sender's address counts it.
    await countFailure(engine, request.clientAddress, undefined)
    return {
      refused: challenge(
        engine,
        request,
        'payment_method_origin_mismatch',
        'This PaymentMethod is bound to another origin; nothing was charged. Create a PaymentMethod for this origin (spec §7.4).',
        {},
      ),
    }
  }
  if (card.origin !== undefined) warnNoOrigins(engine)
  if (unbound === 'any') return 'pays'
  if (unbound === 'new-accounts') {
    const parsed =
      clientId === undefined ? null : parseClientId(clientId, engine.config.credentials)
    if (parsed?.accountId === accountId) return parsed.kind === 'token' ? 'with-credential' : 'pays'
    if (!(await viaLedger(() => engine.ledger.hasHistory(accountId)))) return 'pays'
  }
  return { refused: unboundRefusal(engine, request) }
}

/** 402 `payment_method_unbound`: the card alone may not pay here. */
export function unboundRefusal(engine: Engine, request: PricedRequest): DenyOutcome {
  return challenge(
    engine,
    request,
    'payment_method_unbound',
    engine.config.originBinding.unbound === 'refuse'
      ? 'This server accepts only PaymentMethods bound to its origin; nothing was charged (spec §7.4).'
      : "This PaymentMethod carries no origin binding and this card already has an account here; send the account's credential with it, or a PaymentMethod bound to this origin. Nothing was charged (spec §7.4).",
    {},
  )
}

/** Once per paywall: bound PaymentMethods arrive, and without `origins` none can be checked. */
function warnNoOrigins(engine: Engine): void {
  if (engine.warned.has('origins')) return
  engine.warned.add('origins')
  engine.logger.warn(
    'a PaymentMethod bound to an origin came, but createPaywall has no `origins`: bindings cannot be checked, so every PaymentMethod is treated as unbound; list the origins clients reach this server by (see the @stripe402/server README, "Origin binding")',
  )
}
