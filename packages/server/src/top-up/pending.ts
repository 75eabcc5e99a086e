/** A top-up charge whose outcome is not known yet: recorded before it is sent, so that no new charge is made before its outcome is. */
import type { Engine } from '../engine'
import { errorMessage } from '../events'
import { viaLedger } from '../ledger-calls/via-ledger'
import type { TopUpRequest } from '../stripe/gateway'
import { topUpKey } from './key'

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
      topUpKey(request.accountId, request.currency),
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
    await engine.ledger.clearPending(topUpKey(accountId, currency), record)
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
  const record = await viaLedger(() => engine.ledger.getPending(topUpKey(accountId, currency)))
  if (record === null) return null
  const pending = parse(record)
  if (!pending) {
    await clear(engine, accountId, currency, record)
    return null
  }
  return pending
}

/** Rewrites the record with the PaymentIntent id, keeping its original time (so it still expires within Stripe's 24 hours). */
export async function noteIntent(
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
      topUpKey(pending.request.accountId, pending.request.currency),
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
