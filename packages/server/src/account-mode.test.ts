/** `credentials: 'account'`: the account id spends, so it appears nowhere but the payer's own receipt header. */
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import {
  crashingLedger,
  expectDeny,
  expectPaid,
  pay,
  paymentResponse,
  req,
  SECRET,
  useEmulator,
} from '../test/support/harness'
import { accountIdFor } from './identity'
import { openAccountId, sealAccountId } from './stripe/sealed-account'

const h = useEmulator()

describe("credentials: 'account'", () => {
  it('keeps the spending account id out of events, logs and the receipt', async () => {
    const { paywall, events, logs } = h.paywall({ credentials: 'account' })
    const first = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    await first.settle(200)
    const { clientId } = paymentResponse(first)
    // The bearer: it spends by itself.
    const spent = expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
    await spent.settle(500)
    expect(await paywall.balance(clientId)).toBe(4_500)

    const stripe = new Stripe(h.emu.keys().secretKey, h.emu.sdkConfig())
    const customers = (await stripe.customers.list()).data
    const seen: Record<string, unknown> = {
      events,
      logs,
      receipts: [first.payment, spent.payment],
    }
    expect(customers.length).toBeGreaterThan(0)
    expect(events.length).toBeGreaterThan(0)
    for (const [where, value] of Object.entries(seen))
      expect(JSON.stringify(value), where).not.toContain(clientId)
  })

  it('keeps the spending account id out of PaymentIntent and Customer metadata', async () => {
    const { paywall } = h.paywall({ credentials: 'account' })
    const first = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    const { clientId } = paymentResponse(first)
    const stripe = new Stripe(h.emu.keys().secretKey, h.emu.sdkConfig())
    const customers = (await stripe.customers.list()).data
    expect(JSON.stringify(h.emu.paymentIntents().map((pi) => pi.metadata))).not.toContain(clientId)
    expect(JSON.stringify(customers.map((c) => c.metadata))).not.toContain(clientId)
  })

  it('still credits a top-up lost in a crash from the sealed metadata, after a secret rotation too', async () => {
    const ledger = crashingLedger()
    const { paywall } = h.paywall({ credentials: 'account', ledger })
    const paymentMethodId = await h.card()
    const crashed = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })),
    )
    expect(crashed.status).toBe(503)
    expect(h.emu.charges()).toHaveLength(1)
    const stripe = new Stripe(h.emu.keys().secretKey, h.emu.sdkConfig())
    const fingerprint = (await stripe.paymentMethods.retrieve(paymentMethodId)).card?.fingerprint
    const accountId = accountIdFor(SECRET, fingerprint as string)
    expect(await paywall.balance(accountId)).toBe(0)
    // The next deployment rotated its secret; the PaymentIntent was sealed under the old one.
    const rotated = h.paywall({
      credentials: 'account',
      ledger,
      secret: ['rotated-secret-0123456789-abcdefghijklmnopqrstuvwxyz', SECRET],
    }).paywall
    expect(await rotated.reconcile()).toMatchObject({ credited: 1 })
    expect(await rotated.balance(accountId)).toBe(5_000)
    expect(await rotated.reconcile()).toMatchObject({ credited: 0, alreadyCredited: 1 })
    expect(h.emu.charges()).toHaveLength(1)
  })
})

describe('sealed account ids', () => {
  const account = 'a'.repeat(64)
  it('seal to the same value every time, open under any secret of the rotation, and only there', () => {
    const sealed = sealAccountId([SECRET], account)
    expect(sealed).toBe(sealAccountId([SECRET], account))
    expect(sealed).not.toContain(account)
    expect(sealed.length).toBeLessThanOrEqual(500) // Stripe's limit for a metadata value
    expect(openAccountId(['newer-secret-0123456789-abcdefghijklmnop', SECRET], sealed)).toBe(
      account,
    )
    expect(openAccountId(['another-secret-0123456789-abcdefghijklmnop'], sealed)).toBeNull()
    const forged = `${sealed.slice(0, -4)}AAAA`
    expect(openAccountId([SECRET], forged)).toBeNull()
    expect(openAccountId([SECRET], 'sealed1_')).toBeNull()
    // Token mode and records written before sealing: the plain value.
    expect(openAccountId([SECRET], account)).toBe(account)
  })
})
