/** A top-up charge whose outcome is not known yet: recorded before it is sent, and settled from Stripe before any new charge. */
import type Stripe from 'stripe'
import { errorMessage } from '../events'
import { classifyStripeError } from '../stripe/errors'
import type { TopUpRequest } from '../stripe/gateway'
import type { ChargeFacts } from './charge-facts'
import type { Engine } from './context'
import { viaLedger } from './failures'

/**
 * Stripe keeps an idempotency key for at least 24 hours. Within half of that a replay can only
 * return the first request's outcome, never charge a second time.
 */
export const PENDING_TTL_MS = 12 * 60 * 60_000

/** A top-up in flight, as the ledger keeps it (one per account and currency). */
export interface PendingTopUp {
  request: TopUpRequest
  /**
   * The PaymentIntent, once Stripe named it. Its outcome is then read from the PaymentIntent
   * itself: a replay of the first request returns the first answer for 24 hours, and a
   * `processing` or a 500 in it would never change.
   */
  paymentIntentId?: string
  /** When the record was first written (epoch ms): where the search for its PaymentIntent starts. */
  recordedAt: number
  /** The stored value, so that only this record is ever deleted. */
  record: string
}

/** What sending (or re-sending) a recorded top-up taught. Every kind but `unknown` has dropped the record. */
export type Sent =
  /** Stripe charged: the caller credits it (keyed by its id, so at most once), net of `facts`, then forgets the record. */
  | { kind: 'charged'; paymentIntent: Stripe.PaymentIntent; facts: ChargeFacts }
  /** Settled without a charge: a decline, a refused request, or a PaymentIntent that did not succeed. */
  | { kind: 'failed'; error?: unknown; paymentIntent?: Stripe.PaymentIntent }
  /** Not known yet (Stripe unreachable, the PaymentIntent still processing): nothing new may be charged. */
  | { kind: 'unknown'; error?: unknown }
  /**
   * Stripe keeps a server error as this idempotency key's answer and no PaymentIntent came of it:
   * nothing was charged, and this key never can charge. A new charge needs another key, and the
   * Customer the key's run may have attached the PaymentMethod to (null when it is not attached).
   */
  | { kind: 'spent'; customerId: string | null }

/** Statuses after which a PaymentIntent charges nothing unless someone acts on it; an off-session top-up never does. */
const SETTLED_UNPAID: ReadonlySet<string> = new Set([
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'canceled',
])

/** One pending top-up per account and currency, the granularity of the top-up lock. */
function pendingKey(accountId: string, currency: string): string {
  return `topup:${accountId}:${currency}`
}

/**
 * Records a top-up about to be sent to Stripe. Written first, so that whatever happens next (a
 * timeout, a dropped connection, a 5xx after Stripe charged, a crash, a lock that expired while
 * Stripe was slow), the next top-up for the account learns this charge's outcome before it may
 * charge again.
 */
export async function rememberTopUp(engine: Engine, request: TopUpRequest): Promise<PendingTopUp> {
  const pending: PendingTopUp = { request, recordedAt: Date.now(), record: '' }
  pending.record = serialize(pending)
  await viaLedger(() =>
    engine.ledger.setPending(
      pendingKey(request.accountId, request.currency),
      pending.record,
      PENDING_TTL_MS,
    ),
  )
  return pending
}

/** Drops the record once its outcome is known. Never throws: a record left behind only costs one replay. */
export async function forgetTopUp(engine: Engine, pending: PendingTopUp): Promise<void> {
  await clear(engine, pending.request.accountId, pending.request.currency, pending.record)
}

async function clear(
  engine: Engine,
  accountId: string,
  currency: string,
  record: string,
): Promise<void> {
  try {
    await engine.ledger.clearPending(pendingKey(accountId, currency), record)
  } catch (error) {
    engine.logger.warn(
      'could not clear a settled top-up record; the next top-up replays it harmlessly',
      { error: errorMessage(error) },
    )
  }
}

/** The pending top-up of an account, if any; an unreadable record is dropped. */
export async function pendingTopUp(
  engine: Engine,
  accountId: string,
  currency: string,
): Promise<PendingTopUp | null> {
  const record = await viaLedger(() => engine.ledger.getPending(pendingKey(accountId, currency)))
  if (record === null) return null
  const pending = parse(record)
  if (!pending) {
    await clear(engine, accountId, currency, record)
    return null
  }
  return pending
}

/**
 * Sends a recorded top-up (the first time, or again with its key) and settles what Stripe says.
 * A fresh success is final. Anything replayed is the first answer, possibly hours old, so the
 * PaymentIntent it names is read as it is now. A server error Stripe keeps for the key is not
 * waited out: the PaymentIntent is looked up by its `stripe402_attempt` metadata, and if none
 * exists nothing was charged (`spent`).
 */
export async function sendTopUp(engine: Engine, pending: PendingTopUp): Promise<Sent> {
  if (pending.paymentIntentId !== undefined)
    return settleIntent(engine, pending, pending.paymentIntentId)
  let pi: Stripe.Response<Stripe.PaymentIntent>
  try {
    pi = await engine.gateway.chargeTopUp(pending.request)
  } catch (error) {
    if (classifyStripeError(error).kind !== 'unavailable') {
      // Declined, or refused as a request: settled, and nothing was charged.
      await forgetTopUp(engine, pending)
      return { kind: 'failed', error }
    }
    const named = intentIdOf(error)
    if (named !== undefined) return settleIntent(engine, pending, named)
    const { attempt } = pending.request
    if (!isKeptServerError(error) || attempt === undefined) return { kind: 'unknown', error }
    // Stripe ran this key and keeps a 500 as its answer: retrying the key can never tell more.
    let found: Awaited<ReturnType<Engine['gateway']['findTopUp']>>
    try {
      found = await engine.gateway.findTopUp({ ...pending.request, attempt }, pending.recordedAt)
    } catch (lookup) {
      return { kind: 'unknown', error: lookup }
    }
    if (found.paymentIntent === null) {
      await forgetTopUp(engine, pending)
      return { kind: 'spent', customerId: found.customerId }
    }
    return settleIntent(engine, pending, found.paymentIntent.id)
  }
  if (wasReplayed(pi.lastResponse?.headers)) return settleIntent(engine, pending, pi.id)
  if (pi.status === 'succeeded') return { kind: 'charged', paymentIntent: pi, facts: {} }
  if (SETTLED_UNPAID.has(pi.status)) {
    await forgetTopUp(engine, pending)
    return { kind: 'failed', paymentIntent: pi }
  }
  await noteIntent(engine, pending, pi.id)
  return { kind: 'unknown' }
}

/**
 * Reads the PaymentIntent as it is now. A succeeded one comes with its charge's refunds and
 * disputes, so that the credit is taken net of them (they may have happened while the record
 * waited, and no webhook may come). A still-running one stays recorded, by id from now on.
 */
async function settleIntent(
  engine: Engine,
  pending: PendingTopUp,
  paymentIntentId: string,
): Promise<Sent> {
  let pi: Stripe.PaymentIntent
  let facts: ChargeFacts = {}
  try {
    pi = await engine.gateway.retrieveTopUp(paymentIntentId)
    const charge =
      typeof pi.latest_charge === 'object' && pi.latest_charge !== null
        ? pi.latest_charge
        : undefined
    if (pi.status === 'succeeded' && charge) {
      facts = {
        charge,
        refunds: charge.amount_refunded > 0 ? await engine.gateway.listRefunds(charge.id) : [],
        disputes: charge.disputed ? await engine.gateway.listDisputes(pi.id) : [],
      }
    }
  } catch (error) {
    if (pending.paymentIntentId === undefined) await noteIntent(engine, pending, paymentIntentId)
    return { kind: 'unknown', error }
  }
  if (pi.status === 'succeeded') return { kind: 'charged', paymentIntent: pi, facts }
  if (SETTLED_UNPAID.has(pi.status)) {
    await forgetTopUp(engine, pending)
    return { kind: 'failed', paymentIntent: pi }
  }
  if (pending.paymentIntentId === undefined) await noteIntent(engine, pending, pi.id)
  return { kind: 'unknown' }
}

/** Rewrites the record with the PaymentIntent id, keeping its original time (so it still expires within Stripe's 24 hours). */
async function noteIntent(
  engine: Engine,
  pending: PendingTopUp,
  paymentIntentId: string,
): Promise<void> {
  const next: PendingTopUp = { ...pending, paymentIntentId }
  next.record = serialize(next)
  const ttl = pending.recordedAt + PENDING_TTL_MS - Date.now()
  if (ttl <= 0) return
  try {
    await engine.ledger.setPending(
      pendingKey(pending.request.accountId, pending.request.currency),
      next.record,
      ttl,
    )
    Object.assign(pending, next)
  } catch (error) {
    // The old record stays: the next attempt finds the PaymentIntent again, one lookup later.
    engine.logger.warn(
      "could not note a top-up's PaymentIntent; the next top-up looks it up again",
      { error: errorMessage(error) },
    )
  }
}

/** True when Stripe answered with the response it keeps for the key: a server error that no retry with that key can change. */
function isKeptServerError(error: unknown): boolean {
  const e = error as { statusCode?: unknown; headers?: Record<string, unknown> }
  return typeof e.statusCode === 'number' && e.statusCode >= 500 && wasReplayed(e.headers)
}

function wasReplayed(headers: Record<string, unknown> | undefined): boolean {
  return headers?.['idempotent-replayed'] === 'true'
}

/** The PaymentIntent an SDK error names (`payment_intent`, an object or an id), if any. */
function intentIdOf(error: unknown): string | undefined {
  const named = (error as { payment_intent?: unknown }).payment_intent
  if (typeof named === 'string' && named.startsWith('pi_')) return named
  if (
    typeof named === 'object' &&
    named !== null &&
    typeof (named as { id?: unknown }).id === 'string'
  )
    return (named as { id: string }).id
  return undefined
}

/** Flat JSON: a record written before `paymentIntentId` and `recordedAt` existed is a bare TopUpRequest, and still reads. */
function serialize(pending: PendingTopUp): string {
  return JSON.stringify({
    ...pending.request,
    recordedAt: pending.recordedAt,
    ...(pending.paymentIntentId !== undefined && { paymentIntentId: pending.paymentIntentId }),
  })
}

function parse(record: string): PendingTopUp | null {
  try {
    const value = JSON.parse(record) as
      | (Partial<TopUpRequest> & { recordedAt?: unknown; paymentIntentId?: unknown })
      | null
    const ok =
      typeof value === 'object' &&
      value !== null &&
      typeof value.paymentMethodId === 'string' &&
      (value.customerId === null || typeof value.customerId === 'string') &&
      typeof value.accountId === 'string' &&
      typeof value.currency === 'string' &&
      typeof value.description === 'string' &&
      typeof value.idempotencyKey === 'string' &&
      typeof value.paywallId === 'string' &&
      Number.isSafeInteger(value.units) &&
      Number.isSafeInteger(value.amountMinor) &&
      (value.attempt === undefined || typeof value.attempt === 'string') &&
      (value.metadataAccountId === undefined || typeof value.metadataAccountId === 'string') &&
      (value.paymentIntentId === undefined || typeof value.paymentIntentId === 'string') &&
      (value.recordedAt === undefined || Number.isSafeInteger(value.recordedAt))
    if (!ok) return null
    const { recordedAt, paymentIntentId, ...request } = value
    return {
      request: request as TopUpRequest,
      // An old record has no time: it is at most PENDING_TTL_MS old.
      recordedAt: typeof recordedAt === 'number' ? recordedAt : Date.now() - PENDING_TTL_MS,
      ...(typeof paymentIntentId === 'string' && { paymentIntentId }),
      record,
    }
  } catch {
    return null
  }
}
