/** Refunds and disputes in any order with the credit they take back, and shortfalls the next top-up pays. */
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { accountIdFor } from '../identity'
import type { Paywall } from '../paywall'
import {
  crashingLedger,
  expectDeny,
  expectPaid,
  pay,
  paymentResponse,
  req,
  required,
  SECRET,
  useEmulator,
  WEBHOOK_SECRET,
} from '../../test/support/harness'

const h = useEmulator()
const stripe = () => new Stripe(h.emu.keys().secretKey, h.emu.sdkConfig())

/** Delivers a signed event straight to the paywall, so each test decides the order events arrive in. */
async function deliver(
  paywall: Paywall,
  type: string,
  object: unknown,
): Promise<{ handled: boolean }> {
  const payload = JSON.stringify({
    id: `evt_${type}_${Math.random().toString(36).slice(2)}`,
    object: 'event',
    type,
    data: { object },
    created: Math.floor(Date.now() / 1000),
    livemode: false,
  })
  const answer = await paywall.handleWebhook(
    payload,
    Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }),
  )
  expect(answer.status).toBe(200)
  return JSON.parse(answer.body) as { handled: boolean }
}

/** Pays with a fresh card through a paywall whose credit is lost: Stripe charged 5,000 units, the ledger has nothing. */
async function chargeWithoutCredit(paywall: Paywall) {
  const paymentMethodId = await h.card()
  expect(
    expectDeny(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) }))).status,
  ).toBe(503)
  const [charge] = h.emu.charges()
  return {
    paymentMethodId,
    chargeId: charge!.id,
    piId: charge!.payment_intent!,
    accountId: accountIdFor(SECRET, charge!.fingerprint),
  }
}

describe('events that arrive before the credit they concern', () => {
  it('a refund before the lost credit: the top-up is credited net of the refund, once', async () => {
    const { paywall, ledger } = h.paywall({ ledger: crashingLedger() })
    const lost = await chargeWithoutCredit(paywall)
    await stripe().refunds.create({ payment_intent: lost.piId, amount: 30 })
    await deliver(paywall, 'charge.refunded', await stripe().charges.retrieve(lost.chargeId))
    expect(await ledger.balance(lost.accountId, 'usd')).toBe(5_000 - 3_000)
    // The late payment_intent.succeeded, a reconcile and the client's retry change nothing more.
    await deliver(
      paywall,
      'payment_intent.succeeded',
      await stripe().paymentIntents.retrieve(lost.piId),
    )
    expect(await paywall.reconcile()).toEqual({ checked: 1, credited: 0, alreadyCredited: 1 })
    expect(await ledger.balance(lost.accountId, 'usd')).toBe(2_000)
    expect(await ledger.shortfall(lost.accountId, 'usd')).toBe(0)
    const served = expectPaid(
      await paywall.begin(
        req('/api/joke', { payment: pay({ paymentMethodId: lost.paymentMethodId }) }),
      ),
    )
    expect(paymentResponse(served).creditsRemaining).toBe(1_500)
    expect(h.emu.charges()).toHaveLength(1)
  })

  it('a dispute before the lost credit: nothing of the top-up is spendable, and the account is frozen', async () => {
    const { paywall, ledger, events } = h.paywall({ ledger: crashingLedger() })
    const lost = await chargeWithoutCredit(paywall)
    await h.emu.dispute(lost.chargeId)
    const [dispute] = (await stripe().disputes.list({ payment_intent: lost.piId })).data
    await deliver(paywall, 'charge.dispute.created', dispute)
    await deliver(
      paywall,
      'payment_intent.succeeded',
      await stripe().paymentIntents.retrieve(lost.piId),
    )
    expect(await ledger.balance(lost.accountId, 'usd')).toBe(0)
    expect(await ledger.shortfall(lost.accountId, 'usd')).toBe(0)
    expect((await ledger.journal(lost.accountId)).map((e) => [e.kind, e.units])).toEqual([
      ['dispute', 0],
      ['top_up', 5_000],
      ['shortfall', -5_000],
    ])
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'dispute', frozen: true, chargeId: lost.chargeId }),
    )
    expect(
      expectDeny(
        await paywall.begin(
          req('/api/joke', { payment: pay({ paymentMethodId: lost.paymentMethodId }) }),
        ),
      ).status,
    ).toBe(403)
  })

  it('reconcile, without any webhook, credits a lost top-up net of its refund', async () => {
    const { paywall, ledger } = h.paywall({ ledger: crashingLedger(), webhook: undefined })
    const lost = await chargeWithoutCredit(paywall)
    await stripe().refunds.create({ payment_intent: lost.piId, amount: 20 })
    expect(await paywall.reconcile()).toEqual({ checked: 1, credited: 1, alreadyCredited: 0 })
    expect(await paywall.reconcile()).toEqual({ checked: 1, credited: 0, alreadyCredited: 1 })
    expect(await ledger.balance(lost.accountId, 'usd')).toBe(3_000)
  })
})

describe('shortfalls', () => {
  it('a refund of credits already spent is owed, and the next top-up pays it before the request', async () => {
    const { paywall, ledger } = h.paywall()
    const paymentMethodId = await h.card()
    const first = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    const { clientId } = paymentResponse(first)
    for (let i = 0; i < 9; i++)
      expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
    const { accountId } = first.payment
    const [charge] = h.emu.charges()
    await stripe().refunds.create({ payment_intent: charge!.payment_intent!, amount: 50 })
    await deliver(paywall, 'charge.refunded', await stripe().charges.retrieve(charge!.id))
    expect(await ledger.balance(accountId, 'usd')).toBe(0)
    expect(await ledger.shortfall(accountId, 'usd')).toBe(5_000)
    // The next top-up covers what is owed plus the price: 5,500 units, one charge, served.
    const next = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId, clientId }) })),
    )
    expect(h.emu.charges().map((c) => c.amount)).toEqual([50, 55])
    expect(paymentResponse(next)).toMatchObject({ success: true, creditsRemaining: 0, clientId })
    expect(await ledger.shortfall(accountId, 'usd')).toBe(0)
    // A topUpAmount that cannot cover the debt is refused before any charge.
    await stripe().refunds.create({
      payment_intent: h.emu.charges()[1]!.payment_intent!,
      amount: 55,
    })
    await deliver(
      paywall,
      'charge.refunded',
      await stripe().charges.retrieve(h.emu.charges()[1]!.id),
    )
    const short = expectDeny(
      await paywall.begin(
        req('/api/joke', { payment: pay({ paymentMethodId, topUpAmount: 5_000 }) }),
      ),
    )
    expect(JSON.parse(short.body)).toMatchObject({ error: 'top_up_below_minimum' })
    expect(h.emu.charges()).toHaveLength(2)
  })
})

describe('deployments sharing a Stripe account', () => {
  it("never apply each other's top-ups, refunds or disputes", async () => {
    const staging = h.paywall({ ledger: crashingLedger(), paywallId: 'staging' })
    const production = h.paywall({ paywallId: 'production' })
    const lost = await chargeWithoutCredit(staging.paywall)
    const pi = await stripe().paymentIntents.retrieve(lost.piId)
    expect(pi.metadata.stripe402_paywall).toBe('staging')
    // Same secret, so the same account id in both ledgers: only the paywall id tells them apart.
    expect(await deliver(production.paywall, 'payment_intent.succeeded', pi)).toEqual({
      received: true,
      handled: false,
    })
    expect(await production.paywall.reconcile()).toEqual({
      checked: 0,
      credited: 0,
      alreadyCredited: 0,
    })
    await stripe().refunds.create({ payment_intent: lost.piId, amount: 10 })
    expect(
      await deliver(
        production.paywall,
        'charge.refunded',
        await stripe().charges.retrieve(lost.chargeId),
      ),
    ).toMatchObject({ handled: false })
    expect(await production.ledger.journal(lost.accountId)).toEqual([])
    expect(await staging.paywall.reconcile()).toEqual({
      checked: 1,
      credited: 1,
      alreadyCredited: 0,
    })
    expect(await staging.ledger.balance(lost.accountId, 'usd')).toBe(4_000)
  })

  it('keep their id through a secret rotation, so earlier top-ups are still theirs', async () => {
    const ledger = crashingLedger()
    const before = h.paywall({ ledger })
    const lost = await chargeWithoutCredit(before.paywall)
    const after = h.paywall({
      ledger,
      secret: ['rotated-secret-4f8e2d1c9b7a6e5d4c3b2a1f0e9d8c7b', SECRET],
    })
    expect(await after.paywall.reconcile()).toEqual({ checked: 1, credited: 1, alreadyCredited: 0 })
    expect(await ledger.balance(lost.accountId, 'usd')).toBe(5_000)
  })

  it('tell apart paywalls with different secrets by default', async () => {
    const other = h.paywall({ secret: 'another-deployment-8c1f2a9e7d3b4c5a6f0e1d2c3b4a5968' })
    const { paywall, ledger } = h.paywall({ ledger: crashingLedger() })
    const lost = await chargeWithoutCredit(paywall)
    expect(await other.paywall.reconcile()).toEqual({ checked: 0, credited: 0, alreadyCredited: 0 })
    expect(await paywall.reconcile()).toEqual({ checked: 1, credited: 1, alreadyCredited: 0 })
    expect(await ledger.balance(lost.accountId, 'usd')).toBe(5_000)
  })
})

describe('a top-up sized by the challenge after a refund left the account owing', () => {
  /** An account that spent its whole 5,000-unit top-up, then had it fully refunded: 5,000 units owed. */
  async function owingAccount(paywall: Paywall) {
    const paymentMethodId = await h.card()
    const first = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    const { clientId } = paymentResponse(first)
    for (let i = 0; i < 9; i++)
      expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
    const [charge] = h.emu.charges()
    await stripe().refunds.create({ payment_intent: charge!.payment_intent! })
    await deliver(paywall, 'charge.refunded', await stripe().charges.retrieve(charge!.id))
    return { paymentMethodId, clientId, accountId: first.payment.accountId }
  }

  it("is served: the credential's insufficient_credits challenge asks for the price plus what is owed", async () => {
    const { paywall, ledger } = h.paywall()
    const { paymentMethodId, clientId, accountId } = await owingAccount(paywall)
    expect(await ledger.shortfall(accountId, 'usd')).toBe(5_000)
    const empty = required(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
    expect(empty.error).toBe('insufficient_credits')
    expect(empty.accepts[0]!.minTopUp).toBe(5_500)
    // A client pays exactly the challenge's minTopUp.
    const served = expectPaid(
      await paywall.begin(
        req('/api/joke', {
          payment: pay({ clientId, paymentMethodId, topUpAmount: empty.accepts[0]!.minTopUp }),
        }),
      ),
    )
    expect(paymentResponse(served)).toMatchObject({ success: true, creditsRemaining: 0 })
    expect(h.emu.charges().map((c) => c.amount)).toEqual([50, 55])
    expect(await ledger.shortfall(accountId, 'usd')).toBe(0)
  })

  it('is served: a top-up refused as too small comes back with a minTopUp that covers', async () => {
    const { paywall } = h.paywall()
    const { paymentMethodId } = await owingAccount(paywall)
    // A client that knows only the first challenge's minTopUp (5,000).
    const tooSmall = await paywall.begin(
      req('/api/joke', { payment: pay({ paymentMethodId, topUpAmount: 5_000 }) }),
    )
    expect(required(tooSmall)).toMatchObject({
      error: 'top_up_below_minimum',
      accepts: [{ minTopUp: 5_500 }],
    })
    expect(h.emu.charges()).toHaveLength(1)
    expectPaid(
      await paywall.begin(
        req('/api/joke', {
          payment: pay({ paymentMethodId, topUpAmount: required(tooSmall).accepts[0]!.minTopUp }),
        }),
      ),
    )
    expect(h.emu.charges().map((c) => c.amount)).toEqual([50, 55])
  })

  it('is capped at maxTopUp: a debt beyond it is named in the message, not asked for', async () => {
    const { paywall } = h.paywall({ routes: { 'GET /api/joke': { amount: 500, maxTopUp: 5_200 } } })
    const { paymentMethodId } = await owingAccount(paywall)
    const refused = await paywall.begin(
      req('/api/joke', { payment: pay({ paymentMethodId, topUpAmount: 5_000 }) }),
    )
    expect(required(refused).accepts[0]).toMatchObject({ minTopUp: 5_200, maxTopUp: 5_200 })
  })
})

describe('refunds and disputes whose money comes back', () => {
  /** A card that paid one joke: 4,500 units left of a 5,000-unit top-up. */
  async function paidOnce(paywall: Paywall) {
    const paymentMethodId = await h.card()
    const paid = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    const [charge] = h.emu.charges()
    return {
      paymentMethodId,
      clientId: paymentResponse(paid).clientId,
      accountId: paid.payment.accountId,
      chargeId: charge!.id,
      piId: charge!.payment_intent!,
    }
  }
  const disputeOf = async (id: string) => stripe().disputes.retrieve(id)

  it('an inquiry (warning_needs_response) takes nothing and freezes nothing; its close changes nothing', async () => {
    const { paywall, ledger, events } = h.paywall()
    const card = await paidOnce(paywall)
    const inquiry = await h.emu.dispute(card.chargeId, { inquiry: true })
    await deliver(paywall, 'charge.dispute.created', await disputeOf(inquiry))
    expect(await ledger.balance(card.accountId, 'usd')).toBe(4_500)
    expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId: card.clientId }) })))
    await h.emu.closeDispute(inquiry, 'won')
    await deliver(paywall, 'charge.dispute.closed', await disputeOf(inquiry))
    expect(await ledger.balance(card.accountId, 'usd')).toBe(4_000)
    expect(events.filter((e) => e.type === 'dispute' || e.type === 'clawback_reversed')).toEqual([])
  })

  it('a dispute won gives back what it took (its shortfall too) and lifts its freeze, once', async () => {
    const { paywall, ledger, events } = h.paywall()
    const card = await paidOnce(paywall)
    const disputeId = await h.emu.dispute(card.chargeId)
    await deliver(paywall, 'charge.dispute.created', await disputeOf(disputeId))
    expect(await ledger.balance(card.accountId, 'usd')).toBe(0)
    expect(await ledger.shortfall(card.accountId, 'usd')).toBe(500)
    expect(
      expectDeny(
        await paywall.begin(req('/api/joke', { payment: pay({ clientId: card.clientId }) })),
      ).status,
    ).toBe(403)
    await h.emu.closeDispute(disputeId, 'won')
    for (const type of [
      'charge.dispute.closed',
      'charge.dispute.funds_reinstated',
      'charge.dispute.closed',
    ])
      await deliver(paywall, type, await disputeOf(disputeId))
    expect(await ledger.balance(card.accountId, 'usd')).toBe(4_500)
    expect(await ledger.shortfall(card.accountId, 'usd')).toBe(0)
    expect(events.filter((e) => e.type === 'clawback_reversed')).toEqual([
      expect.objectContaining({
        accountId: card.accountId,
        units: 5_000,
        source: 'dispute',
        stripeId: disputeId,
        chargeId: card.chargeId,
        unfrozen: true,
      }),
    ])
    expect(
      paymentResponse(
        expectPaid(
          await paywall.begin(req('/api/joke', { payment: pay({ clientId: card.clientId }) })),
        ),
      ).creditsRemaining,
    ).toBe(4_000)
    // Reconcile sees the won dispute too, and changes nothing more.
    await paywall.reconcile()
    expect(await ledger.balance(card.accountId, 'usd')).toBe(4_000)
  })

  it('a dispute lost keeps what it took, and the account frozen', async () => {
    const { paywall, ledger } = h.paywall()
    const card = await paidOnce(paywall)
    const disputeId = await h.emu.dispute(card.chargeId)
    await deliver(paywall, 'charge.dispute.created', await disputeOf(disputeId))
    await h.emu.closeDispute(disputeId, 'lost')
    await deliver(paywall, 'charge.dispute.closed', await disputeOf(disputeId))
    expect(await ledger.balance(card.accountId, 'usd')).toBe(0)
    expect(
      expectDeny(
        await paywall.begin(req('/api/joke', { payment: pay({ clientId: card.clientId }) })),
      ).status,
    ).toBe(403)
  })

  it("a won dispute whose creation event arrives late takes nothing: Stripe's current state decides", async () => {
    const { paywall, ledger } = h.paywall()
    const card = await paidOnce(paywall)
    const disputeId = await h.emu.dispute(card.chargeId)
    const created = await disputeOf(disputeId)
    await h.emu.closeDispute(disputeId, 'won')
    await deliver(paywall, 'charge.dispute.closed', await disputeOf(disputeId))
    await deliver(paywall, 'charge.dispute.created', created)
    expect(await ledger.balance(card.accountId, 'usd')).toBe(4_500)
    expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId: card.clientId }) })))
  })

  it('the freeze stays while another dispute of the account is still taken', async () => {
    const { paywall, ledger } = h.paywall()
    const card = await paidOnce(paywall)
    // A second top-up of the same card: 500 left, the next joke needs a new 5,000.
    for (let i = 0; i < 9; i++)
      expectPaid(
        await paywall.begin(req('/api/joke', { payment: pay({ clientId: card.clientId }) })),
      )
    expectPaid(
      await paywall.begin(
        req('/api/joke', { payment: pay({ paymentMethodId: card.paymentMethodId }) }),
      ),
    )
    const [first, second] = h.emu.charges()
    const disputes = [await h.emu.dispute(first!.id), await h.emu.dispute(second!.id)]
    for (const id of disputes) await deliver(paywall, 'charge.dispute.created', await disputeOf(id))
    await h.emu.closeDispute(disputes[0]!, 'won')
    await deliver(paywall, 'charge.dispute.closed', await disputeOf(disputes[0]!))
    expect(
      expectDeny(
        await paywall.begin(req('/api/joke', { payment: pay({ clientId: card.clientId }) })),
      ).status,
    ).toBe(403)
    await h.emu.closeDispute(disputes[1]!, 'won')
    await deliver(paywall, 'charge.dispute.closed', await disputeOf(disputes[1]!))
    expect(await ledger.balance(card.accountId, 'usd')).toBe(4_500)
    expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId: card.clientId }) })))
  })

  it('in account credential mode a won dispute gives the units back but never lifts a freeze (it may be a revocation)', async () => {
    const { paywall, ledger } = h.paywall({ credentials: 'account' })
    const card = await paidOnce(paywall)
    const disputeId = await h.emu.dispute(card.chargeId)
    await deliver(paywall, 'charge.dispute.created', await disputeOf(disputeId))
    await h.emu.closeDispute(disputeId, 'won')
    await deliver(paywall, 'charge.dispute.closed', await disputeOf(disputeId))
    // In account mode the credential is the account id; the receipt carries only a reference to it.
    expect(await ledger.balance(card.clientId, 'usd')).toBe(4_500)
    expect(
      expectDeny(
        await paywall.begin(req('/api/joke', { payment: pay({ clientId: card.clientId }) })),
      ).status,
    ).toBe(403)
  })

  it('a refund that fails gives its units back, once; one that failed before its event takes nothing', async () => {
    const { paywall, ledger, events } = h.paywall()
    const card = await paidOnce(paywall)
    const refund = await stripe().refunds.create({ payment_intent: card.piId, amount: 20 })
    await deliver(paywall, 'charge.refunded', await stripe().charges.retrieve(card.chargeId))
    expect(await ledger.balance(card.accountId, 'usd')).toBe(2_500)
    await h.emu.failRefund(refund.id)
    for (let i = 0; i < 2; i++)
      await deliver(paywall, 'charge.refund.updated', await stripe().refunds.retrieve(refund.id))
    expect(await ledger.balance(card.accountId, 'usd')).toBe(4_500)
    expect(events.filter((e) => e.type === 'clawback_reversed')).toEqual([
      expect.objectContaining({
        units: 2_000,
        source: 'refund',
        stripeId: refund.id,
        unfrozen: false,
      }),
    ])
    // A second refund fails before its charge.refunded event is delivered: nothing is taken.
    const late = await stripe().refunds.create({ payment_intent: card.piId, amount: 10 })
    const staleCharge = await stripe().charges.retrieve(card.chargeId)
    await h.emu.failRefund(late.id, 'canceled')
    await deliver(paywall, 'charge.refund.updated', await stripe().refunds.retrieve(late.id))
    await deliver(paywall, 'charge.refunded', staleCharge)
    expect(await ledger.balance(card.accountId, 'usd')).toBe(4_500)
  })
})
