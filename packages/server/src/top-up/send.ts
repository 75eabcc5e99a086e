/** Sending a recorded top-up to Stripe, and reading what it charged: a fresh answer, a replay, or a server error it keeps. */
import type Stripe from 'stripe'
import type { Engine } from '../engine'
import { classifyStripeError } from '../stripe/errors'
import type { ChargeFacts } from './charge-facts'
import { forgetTopUp, noteIntent, type PendingTopUp } from './pending'

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

/** A top-up Stripe charged. */
export type Charged = Extract<Sent, { kind: 'charged' }>
/** A top-up Stripe did not charge, or has not yet. */
export type NotCharged = Exclude<Sent, { kind: 'charged' }>

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
