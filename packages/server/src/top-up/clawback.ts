/** Refunds and disputes of a top-up's charge: taken back from its account once each, and given back once if the money comes back. */
import { minorToUnits } from '@stripe402/protocol'
import type Stripe from 'stripe'
import { idOf } from '../stripe/gateway'
import type { ChargeFacts } from './charge-facts'
import type { TopUpTarget } from './target'
import type { Engine } from '../engine'

/** Inquiries: the issuer asks questions, no money has moved, and none may (it becomes a chargeback, a new status, if it does). */
const INQUIRY_OPEN: ReadonlySet<string> = new Set([
  'warning_needs_response',
  'warning_under_review',
])
/** Closed with the money with the merchant: a chargeback won, or an inquiry that never became one. */
const MONEY_KEPT: ReadonlySet<string> = new Set(['won', 'warning_closed'])

/**
 * Applies every refund and dispute of the charge (given, or listed when the charge shows any):
 * one that took money is taken back, one whose money came back (a refund that failed or was
 * canceled, a dispute won) is given back if it had been taken. Each clawback is bounded by the
 * balance; the ledger records the rest as a shortfall that later credits pay off first.
 */
export async function clawBackCharge(
  engine: Engine,
  target: TopUpTarget,
  paymentIntentId: string,
  facts: ChargeFacts,
): Promise<void> {
  const { charge } = facts
  const refunds =
    facts.refunds ??
    (charge && charge.amount_refunded > 0 ? await engine.gateway.listRefunds(charge.id) : [])
  for (const refund of refunds) await applyRefund(engine, target, refund)
  const disputes =
    facts.disputes ?? (charge?.disputed ? await engine.gateway.listDisputes(paymentIntentId) : [])
  for (const dispute of disputes) await applyDispute(engine, target, dispute)
}

/** One clawback per refund id, of that refund's amount: partial refunds each take their share once. */
async function applyRefund(
  engine: Engine,
  target: TopUpTarget,
  refund: Stripe.Refund,
): Promise<void> {
  const units = minorToUnits(refund.amount, refund.currency)
  const chargeId = idOf(refund.charge) ?? ''
  if (refund.status === 'failed' || refund.status === 'canceled') {
    // The refund never reached the card: the money is the merchant's again, and so are the units.
    await giveBack(engine, target, 'refund', refund.id, units, chargeId)
    return
  }
  const result = await engine.ledger.clawback({ ...target, units, kind: 'refund', ref: refund.id })
  if (result.applied)
    engine.emit({ type: 'refund', ...target, units: result.taken, refundId: refund.id, chargeId })
}

/** Takes back the disputed amount (freezing the account, by default) or, once the merchant kept the money, gives it back. */
async function applyDispute(
  engine: Engine,
  target: TopUpTarget,
  dispute: Stripe.Dispute,
): Promise<void> {
  if (INQUIRY_OPEN.has(dispute.status)) return
  const chargeId = idOf(dispute.charge) ?? ''
  const units = minorToUnits(dispute.amount, dispute.currency)
  if (MONEY_KEPT.has(dispute.status)) {
    await giveBack(engine, target, 'dispute', dispute.id, units, chargeId)
    return
  }
  // A redelivery after success changes nothing, not even a freeze an operator has since lifted.
  // Freezing before the clawback means a failure between the two is finished by Stripe's retry.
  if (await engine.ledger.hasEntry(target.accountId, 'dispute', dispute.id)) return
  if (engine.config.freezeOnDispute) await engine.ledger.setFrozen(target.accountId, true)
  const result = await engine.ledger.clawback({
    ...target,
    units,
    kind: 'dispute',
    ref: dispute.id,
  })
  if (!result.applied) return
  engine.emit({
    type: 'dispute',
    ...target,
    units: result.taken,
    disputeId: dispute.id,
    chargeId,
    frozen: engine.config.freezeOnDispute,
  })
}

/**
 * Credits back, once (a `reversal` keyed `<kind>:<id>`), what a refund or dispute took, if it took
 * anything. The whole amount: the credit pays off first the shortfall that clawback left, so the
 * account ends as if it had never happened. A dispute that froze the account unfreezes it when no
 * other dispute of the account is still taken: but never in `account` credential mode, where a
 * freeze is also how a credential is revoked, which Stripe must not undo.
 */
async function giveBack(
  engine: Engine,
  target: TopUpTarget,
  kind: 'refund' | 'dispute',
  id: string,
  units: number,
  chargeId: string,
): Promise<void> {
  const { accountId } = target
  const ref = `${kind}:${id}`
  if (!(await engine.ledger.hasEntry(accountId, kind, id))) return
  if (await engine.ledger.hasEntry(accountId, 'reversal', ref)) return
  // Unfrozen before the credit: a failure in between is finished by Stripe's retry, and a redelivery afterwards unfreezes nothing.
  const unfreeze =
    kind === 'dispute' &&
    engine.config.freezeOnDispute &&
    engine.config.credentials === 'token' &&
    (await onlyDisputeTaken(engine, accountId, id))
  if (unfreeze) await engine.ledger.setFrozen(accountId, false)
  const { applied } = await engine.ledger.credit({ ...target, units, kind: 'reversal', ref })
  if (applied)
    engine.emit({
      type: 'clawback_reversed',
      ...target,
      units,
      source: kind,
      stripeId: id,
      chargeId,
      unfrozen: unfreeze,
    })
}

/** True when `disputeId` is the only dispute of the account taken back and not given back yet. */
async function onlyDisputeTaken(
  engine: Engine,
  accountId: string,
  disputeId: string,
): Promise<boolean> {
  const journal = await engine.ledger.journal(accountId)
  const reversed = new Set(
    journal
      .filter((e) => e.kind === 'reversal' && e.ref.startsWith('dispute:'))
      .map((e) => e.ref.slice('dispute:'.length)),
  )
  return journal.every((e) => e.kind !== 'dispute' || e.ref === disputeId || reversed.has(e.ref))
}
