/** Charges a top-up through Stripe under idempotency keys, so that a request and its retries charge at most once. */
import { createHash } from 'node:crypto'
import { unitsToMinor } from '@stripe402/protocol'
import type { ResolvedRoute } from '../config/resolve'
import type { Engine } from '../engine'
import type { TopUpRequest } from '../stripe/gateway'
import { sealAccountId } from '../stripe/sealed-account'
import { type PendingTopUp, rememberTopUp } from './pending'
import { type Charged, type NotCharged, sendTopUp } from './send'

/**
 * Idempotency keys tried in one request when Stripe keeps a server error, without a charge, as a
 * key's answer. Each next key is derived from the last, so a client's retry with the same
 * `idempotencyKey` walks the same keys and still charges at most once.
 */
export const MAX_KEYS_PER_REQUEST = 4

/** A top-up to charge: `units` to the account's card, for a request on `route`. */
export interface TopUpOrder {
  accountId: string
  route: ResolvedRoute
  /** Units to credit, already a whole number of the currency's minor units. */
  units: number
  paymentMethodId: string
  /** The Customer the PaymentMethod is attached to, if any. */
  customerId: string | null
  /** What makes the key: the client's `idempotencyKey`, else the lock this request holds. */
  scope: string
}

/** Charged, with the record to forget once the charge is credited; or what Stripe said instead. */
export type TopUpCharge = (Charged & { pending: PendingTopUp }) | NotCharged

/**
 * Records the top-up, then sends it. When Stripe keeps a server error as a key's answer and
 * charged nothing (`spent`), the next key is tried, through the Customer that key's run may have
 * attached the PaymentMethod to, up to MAX_KEYS_PER_REQUEST keys.
 */
export async function chargeTopUp(engine: Engine, order: TopUpOrder): Promise<TopUpCharge> {
  const { accountId, route, units } = order
  let key = idempotencyKey(accountId, route.currency, order.scope)
  let customer = order.customerId
  for (let tried = 1; ; tried++) {
    const topUp: TopUpRequest = {
      paymentMethodId: order.paymentMethodId,
      customerId: customer,
      accountId,
      ...(engine.config.credentials === 'account' && {
        metadataAccountId: sealAccountId(engine.config.secrets, accountId),
      }),
      units,
      amountMinor: unitsToMinor(units, route.currency),
      currency: route.currency,
      description: (route.description ?? `stripe402 top-up for ${route.key}`).slice(0, 1000),
      idempotencyKey: key,
      paywallId: engine.config.paywallId,
      attempt: attemptOf(key),
    }
    const pending = await rememberTopUp(engine, topUp)
    const sent = await sendTopUp(engine, pending)
    if (sent.kind === 'spent' && tried < MAX_KEYS_PER_REQUEST) {
      key = nextKey(key)
      // The spent key's run may have attached the PaymentMethod: the next key charges it through that Customer.
      customer = sent.customerId ?? customer
      continue
    }
    return sent.kind === 'charged' ? { ...sent, pending } : sent
  }
}

/**
 * Whether a recorded top-up is this payment's own earlier attempt, so that its charge is this
 * request's to name in the receipt (`chargeId`, spec: "present only when this request charged a
 * top-up"): sent under the payload's `idempotencyKey`, or, for a payload without one (a v1 client
 * retrying), with the same PaymentMethod. Another client's top-up, settled by this request, is
 * not: two receipts naming one charge make two wallets count it.
 */
export function isOwnAttempt(
  pending: PendingTopUp,
  accountId: string,
  currency: string,
  payload: { idempotencyKey?: string | undefined; paymentMethodId: string },
): boolean {
  const scope = clientScope(payload.idempotencyKey)
  if (scope === undefined) return pending.request.paymentMethodId === payload.paymentMethodId
  let key = idempotencyKey(accountId, currency, scope)
  for (let tried = 1; tried <= MAX_KEYS_PER_REQUEST; tried++, key = nextKey(key))
    if (key === pending.request.idempotencyKey) return true
  return false
}

/** The scope of a top-up's Stripe keys that a client's `idempotencyKey` gives, if it sent one. */
export function clientScope(clientKey: string | undefined): string | undefined {
  return clientKey ? `client:${clientKey}` : undefined
}

/** Stripe idempotency key: the same client key (or the same lock) for the same account charges once. */
function idempotencyKey(accountId: string, currency: string, scope: string): string {
  return `stripe402-${createHash('sha256').update(`${accountId}\n${currency}\n${scope}`).digest('hex')}`
}

/** The key after one Stripe keeps a server error for: derived, so the same client key always leads to the same keys. */
function nextKey(key: string): string {
  return `stripe402-${createHash('sha256').update(`${key}\nnext`).digest('hex')}`
}

/** `stripe402_attempt` metadata: finds the PaymentIntent of a key whose answer was an error, without revealing the key. */
function attemptOf(key: string): string {
  return createHash('sha256').update(`attempt\n${key}`).digest('hex').slice(0, 32)
}
