/** `credentials: 'account'`: the account id spends, so it appears nowhere but the payer's own receipt header. */
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { expectPaid, pay, paymentResponse, req, useEmulator } from '../test/support/harness'

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

  // Still open: webhooks and reconcile read the account from `stripe402_account` metadata, so it
  // needs a sealed (decryptable, non-spending) form first. Flips to failing once it is fixed.
  it.fails('keeps the spending account id out of PaymentIntent and Customer metadata', async () => {
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
})
