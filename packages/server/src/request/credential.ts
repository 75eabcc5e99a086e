/** The credit path: a `clientId` spends existing credits in exactly one ledger call. */
import { type ParsedClientId, parseClientId } from '../credentials'
import { SILENT } from '../events'
import type { PaywallOutcome } from '../outcome'
import type { Engine } from '../engine'
import { viaDebit } from '../ledger-calls/via-debit'
import { viaLedger } from '../ledger-calls/via-ledger'
import { challenge, refuse, whereOf } from './deny'
import type { SpendInput, SpendResult } from '../ledger/types'
import { type PaidInput, paidOutcome } from './paid'
import type { PricedRequest } from './priced'

/**
 * Spends credits for a request. Returns `'try_card'` when credits cannot pay and the
 * payload also carries a PaymentMethod, so the caller can top up instead of refusing.
 *
 * This is the hot path of every paid call in steady state: parsing and hashing the token
 * is local, and `ledger.spend` checks the credential, the frozen flag and the balance and
 * debits in one round trip. No other ledger call, no rate-limit counter, happens here. If that
 * call fails, the debit may have been applied: it is queued for repair and the 503 says so.
 */
export function spendWithCredential(
  engine: Engine,
  request: PricedRequest,
  clientId: string,
  hasCard: false,
): Promise<PaywallOutcome>
export function spendWithCredential(
  engine: Engine,
  request: PricedRequest,
  clientId: string,
  hasCard: boolean,
): Promise<PaywallOutcome | 'try_card'>
export function spendWithCredential(
  engine: Engine,
  request: PricedRequest,
  clientId: string,
  hasCard: boolean,
): Promise<PaywallOutcome | 'try_card'> {
  const parsed = parseClientId(clientId, engine.config.credentials)
  if (!parsed) {
    return Promise.resolve(
      hasCard
        ? 'try_card'
        : unknownCredential(
            engine,
            request,
            'This clientId is not a credential issued by this server; pay with a card to get one.',
          ),
    )
  }
  // Built field by field: a spread of a conditional object takes V8's slow path, on every paid call.
  const spend: SpendInput = {
    accountId: parsed.accountId,
    currency: request.route.currency,
    units: request.price,
    ref: request.ref,
  }
  if (parsed.kind === 'token') spend.credentialHash = parsed.credentialHash
  if (request.holdUntil !== undefined) spend.holdUntil = request.holdUntil
  // Not an async function: on the paid path its frame would cost more than the debit it waits for.
  return viaDebit(engine, request, parsed.accountId, () => engine.ledger.spend(spend)).then(
    (result) => spent(engine, request, clientId, hasCard, parsed.kind, result),
  )
}

/** The debit's answer: the paid outcome, or why not (and, with a card, `'try_card'`). */
function spent(
  engine: Engine,
  request: PricedRequest,
  clientId: string,
  hasCard: boolean,
  via: ParsedClientId['kind'],
  result: SpendResult,
): PaywallOutcome | 'try_card' | Promise<PaywallOutcome> {
  const currency = request.route.currency
  if (result.ok) {
    // Built only for a listener: the event is an object per paid call.
    if (engine.emit !== SILENT)
      engine.emit({
        type: 'debit',
        accountId: result.accountId,
        currency,
        units: request.price,
        balance: result.balance,
        route: request.route.key,
        via: via === 'token' ? 'credential' : 'account',
      })
    const paid: PaidInput = {
      accountId: result.accountId,
      currency,
      units: request.price,
      ref: request.ref,
      balance: result.balance,
      clientId,
    }
    if (request.holdUntil !== undefined) paid.holdUntil = request.holdUntil
    return paidOutcome(engine, paid)
  }
  if (result.reason === 'account_frozen') {
    return refuse(
      engine,
      whereOf(request),
      403,
      'account_frozen',
      'This account is frozen after a dispute; contact the API operator.',
    )
  }
  if (hasCard) return 'try_card'
  switch (result.reason) {
    case 'insufficient_credits': {
      const { balance, accountId } = result
      // A refund or dispute may have left the account owing units: the next top-up pays them first, so minTopUp covers them too.
      return viaLedger(() => engine.ledger.shortfall(accountId, currency)).then((owed) =>
        challenge(
          engine,
          request,
          'insufficient_credits',
          `This request costs ${request.price} units (${currency}) and ${balance} remain; top up with a card.`,
          { creditsRemaining: balance, clientId },
          owed,
        ),
      )
    }
    case 'credential_revoked':
      return challenge(
        engine,
        request,
        'credential_revoked',
        'This clientId was revoked; pay with a card to get a new one.',
        {},
      )
    default:
      return unknownCredential(
        engine,
        request,
        'Unknown clientId; pay with a card to get a new one.',
      )
  }
}

/**
 * `insufficient_credits`, as spec §2.4 step 4 and §13.2 say: a v1 client pays only on that
 * code (or none), so any other answer would strand one holding a stale clientId for good.
 */
function unknownCredential(
  engine: Engine,
  request: PricedRequest,
  message: string,
): PaywallOutcome {
  return challenge(engine, request, 'insufficient_credits', message, { creditsRemaining: 0 })
}
