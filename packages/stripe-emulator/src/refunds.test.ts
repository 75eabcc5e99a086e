import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { rejectionOf, useEmulator, messageOf } from '../test/support/harness'

const h = useEmulator()

async function paid(stripe: Stripe, amount = 1000): Promise<Stripe.PaymentIntent> {
  return stripe.paymentIntents.create({
    amount,
    currency: 'usd',
    payment_method: 'pm_card_visa',
    confirm: true,
    allowed_payment_method_types: ['card'],
  })
}

describe('refunds', () => {
  it('refunds a whole payment by PaymentIntent, once', async () => {
    const stripe = h.stripe()
    const pi = await paid(stripe)
    const refund = await stripe.refunds.create({
      payment_intent: pi.id,
      reason: 'requested_by_customer',
      metadata: { why: 'test' },
    })
    expect(refund).toMatchObject({
      object: 'refund',
      amount: 1000,
      currency: 'usd',
      status: 'succeeded',
      charge: pi.latest_charge,
      payment_intent: pi.id,
      reason: 'requested_by_customer',
      metadata: { why: 'test' },
    })
    expect(refund.id).toMatch(/^re_/)
    const charge = await stripe.charges.retrieve(pi.latest_charge as string)
    expect(charge).toMatchObject({ refunded: true, amount_refunded: 1000 })
    const again = await rejectionOf(stripe.refunds.create({ payment_intent: pi.id }))
    expect(again).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError)
    expect(again.code).toBe('charge_already_refunded')
    // The intent itself stays succeeded, as on Stripe.
    expect((await stripe.paymentIntents.retrieve(pi.id)).status).toBe('succeeded')
    expect(h.emu.charges()).toMatchObject([{ refunded: true, amount_refunded: 1000 }])
  })

  it('refunds part of a charge, then the rest, never more', async () => {
    const stripe = h.stripe()
    const pi = await paid(stripe, 5000)
    const chargeId = pi.latest_charge as string
    await stripe.refunds.create({ charge: chargeId, amount: 1500 })
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({
      refunded: false,
      amount_refunded: 1500,
    })
    const tooMuch = await rejectionOf(stripe.refunds.create({ charge: chargeId, amount: 4000 }))
    expect(tooMuch).toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'amount',
      code: 'amount_too_large',
    })
    expect(messageOf(tooMuch)).toBe(
      'Refund amount ($40.00) is greater than unrefunded amount on charge ($35.00)',
    )
    const rest = await stripe.refunds.create({ charge: chargeId })
    expect(rest.amount).toBe(3500)
    expect(await stripe.charges.retrieve(chargeId)).toMatchObject({
      refunded: true,
      amount_refunded: 5000,
    })
    const listed = await stripe.refunds.list({ charge: chargeId })
    expect(listed.data.map((r) => r.amount)).toEqual([3500, 1500])
    expect((await stripe.refunds.retrieve(rest.id)).id).toBe(rest.id)
  })

  it('fails a refund after the fact: the amount returns to the merchant, with charge.refund.updated', async () => {
    const stripe = h.stripe()
    const pi = await paid(stripe, 5000)
    const refund = await stripe.refunds.create({ payment_intent: pi.id, amount: 2000 })
    await h.emu.failRefund(refund.id)
    expect(await stripe.refunds.retrieve(refund.id)).toMatchObject({
      status: 'failed',
      failure_reason: 'lost_or_stolen_card',
    })
    expect(await stripe.charges.retrieve(pi.latest_charge as string)).toMatchObject({
      refunded: false,
      amount_refunded: 0,
    })
    await expect(h.emu.failRefund(refund.id)).rejects.toThrow(/already failed/)
    const canceled = await stripe.refunds.create({ payment_intent: pi.id, amount: 1000 })
    await h.emu.failRefund(canceled.id, 'canceled')
    expect(await stripe.refunds.retrieve(canceled.id)).toMatchObject({ status: 'canceled' })
    const updates = (await stripe.events.list({ type: 'charge.refund.updated' })).data.map((e) => [
      (e.data.object as Stripe.Refund).id,
      (e.data.object as Stripe.Refund).status,
    ])
    expect(updates.reverse()).toEqual([
      [refund.id, 'failed'],
      [canceled.id, 'canceled'],
    ])
    expect((await stripe.events.list({ type: 'refund.failed' })).data).toHaveLength(1)
    await expect(h.emu.failRefund('re_missing')).rejects.toThrow(/No refund/)
  })

  it('refuses payments without a successful charge and unknown charges', async () => {
    const stripe = h.stripe()
    const open = await stripe.paymentIntents.create({ amount: 500, currency: 'usd' })
    const none = await rejectionOf(stripe.refunds.create({ payment_intent: open.id }))
    expect(none).toMatchObject({ type: 'StripeInvalidRequestError', param: 'payment_intent' })
    const declined = await rejectionOf(
      paid(stripe).then(() =>
        stripe.paymentIntents.create({
          amount: 500,
          currency: 'usd',
          payment_method: 'pm_card_chargeDeclined',
          confirm: true,
          allowed_payment_method_types: ['card'],
        }),
      ),
    )
    const failedCharge = await rejectionOf(
      stripe.refunds.create({ charge: declined.charge as string }),
    )
    expect(failedCharge.param).toBe('charge')
    const unknown = await rejectionOf(stripe.refunds.create({ charge: 'ch_unknown' }))
    expect(unknown).toMatchObject({ statusCode: 400, code: 'resource_missing', param: 'charge' })
    const neither = await rejectionOf(stripe.refunds.create({}))
    expect(neither.type).toBe('StripeInvalidRequestError')
    const zero = await rejectionOf(
      stripe.refunds.create({ charge: (await paid(stripe)).latest_charge as string, amount: 0 }),
    )
    expect(zero.param).toBe('amount')
  })
})

describe('disputes', () => {
  it('opens a dispute shortly after the dispute card (…0259) is charged', async () => {
    const stripe = h.stripe()
    const pm = await h.tokenize('dispute')
    const pi = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      payment_method: pm.id,
      confirm: true,
      allowed_payment_method_types: ['card'],
      expand: ['latest_charge'],
    })
    expect(pi.status).toBe('succeeded')
    const charge = pi.latest_charge as Stripe.Charge
    // The charge succeeds first; the dispute comes after the answer.
    expect(charge).toMatchObject({ status: 'succeeded', disputed: false })
    await h.emu.flushWebhooks()
    expect(await stripe.charges.retrieve(charge.id)).toMatchObject({ disputed: true })
    const disputes = await stripe.disputes.list({ charge: charge.id })
    expect(disputes.data).toHaveLength(1)
    const dispute = disputes.data[0] as Stripe.Dispute
    expect(dispute).toMatchObject({
      object: 'dispute',
      amount: 3000,
      currency: 'usd',
      charge: charge.id,
      payment_intent: pi.id,
      reason: 'fraudulent',
      status: 'needs_response',
    })
    expect(dispute.id).toMatch(/^dp_/)
    expect((await stripe.disputes.retrieve(dispute.id)).id).toBe(dispute.id)
    const refund = await rejectionOf(stripe.refunds.create({ charge: charge.id }))
    expect(refund).toMatchObject({ type: 'StripeInvalidRequestError', code: 'charge_disputed' })
    expect(h.emu.charges()).toMatchObject([{ id: charge.id, disputed: true }])
  })

  it.each([
    ['disputeProductNotReceived', 'product_not_received', 'needs_response'],
    ['disputeInquiry', 'fraudulent', 'warning_needs_response'],
  ] as const)('opens the dispute of %s with reason %s, status %s', async (card, reason, status) => {
    const stripe = h.stripe()
    const pi = await stripe.paymentIntents.create({
      amount: 3000,
      currency: 'usd',
      payment_method: (await h.tokenize(card)).id,
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    await h.emu.flushWebhooks()
    const [dispute] = (await stripe.disputes.list({ payment_intent: pi.id })).data
    expect(dispute).toMatchObject({ reason, status })
  })

  it('opens a dispute on any succeeded charge on demand', async () => {
    const stripe = h.stripe()
    const pi = await paid(stripe)
    await h.emu.dispute(pi.latest_charge as string)
    expect(await stripe.charges.retrieve(pi.latest_charge as string)).toMatchObject({
      disputed: true,
    })
    await expect(h.emu.dispute(pi.latest_charge as string)).rejects.toThrow(/already disputed/)
    await expect(h.emu.dispute('ch_missing')).rejects.toThrow(/No charge/)
  })

  it('closes a chargeback won or lost, and an inquiry as warning_closed, with charge.dispute.closed', async () => {
    const stripe = h.stripe()
    const won = await paid(stripe)
    const wonId = await h.emu.dispute(won.latest_charge as string)
    await h.emu.closeDispute(wonId, 'won')
    expect(await stripe.disputes.retrieve(wonId)).toMatchObject({ status: 'won' })
    await expect(h.emu.closeDispute(wonId, 'lost')).rejects.toThrow(/already closed/)
    const inquiry = await paid(stripe)
    const inquiryId = await h.emu.dispute(inquiry.latest_charge as string, { inquiry: true })
    expect(await stripe.disputes.retrieve(inquiryId)).toMatchObject({
      status: 'warning_needs_response',
    })
    await h.emu.closeDispute(inquiryId, 'won')
    expect(await stripe.disputes.retrieve(inquiryId)).toMatchObject({ status: 'warning_closed' })
    const events = (await stripe.events.list({ limit: 100 })).data.filter((e) =>
      e.type.startsWith('charge.dispute.'),
    )
    expect(
      events
        .map((e) => [
          e.type,
          (e.data.object as Stripe.Dispute).id,
          (e.data.object as Stripe.Dispute).status,
        ])
        .reverse(),
    ).toEqual([
      ['charge.dispute.created', wonId, 'needs_response'],
      ['charge.dispute.closed', wonId, 'won'],
      ['charge.dispute.funds_reinstated', wonId, 'won'],
      ['charge.dispute.created', inquiryId, 'warning_needs_response'],
      ['charge.dispute.closed', inquiryId, 'warning_closed'],
    ])
  })
})
