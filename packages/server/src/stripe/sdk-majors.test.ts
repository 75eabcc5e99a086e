/** The paywall on the `stripe` SDK the app already has: the oldest and the newest major of the peer range. */
import { createRequire } from 'node:module'
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import {
  CARDS,
  expectDeny,
  expectPaid,
  pay,
  paymentResponse,
  req,
  useEmulator,
  WEBHOOK_SECRET,
} from '../../test/support/harness'

const h = useEmulator()
// stripe 18's types declare the module 'stripe', so the alias is loaded untyped.
const Stripe18 = createRequire(import.meta.url)('stripe18') as new (
  key: string,
  config: object,
) => Stripe

const majors = [
  ['18', (key: string, config: object) => new Stripe18(key, config)],
  ['23', (key: string, config: object) => new Stripe(key, config)],
] as const

describe.each(majors)('stripe SDK %s given as stripe.client', (major, create) => {
  const paywallOn = () => {
    const client = create(h.emu.keys().secretKey, { ...h.emu.sdkConfig(), maxNetworkRetries: 0 })
    return h.paywall({ stripe: { publishableKey: h.emu.keys().publishableKey, client } })
  }

  it('charges one top-up, credits it once and spends from it', async () => {
    const { paywall } = paywallOn()
    const first = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    await first.settle(200)
    const { clientId, creditsRemaining } = paymentResponse(first)
    expect(creditsRemaining).toBe(5_000 - 500)
    const again = expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })))
    await again.settle(200)
    expect(paymentResponse(again).creditsRemaining).toBe(5_000 - 1_000)
    const charges = h.emu.charges()
    expect(charges).toHaveLength(1)
    expect(charges[0]).toMatchObject({ amount: 50, currency: 'usd', status: 'succeeded' })
    // The SDK sent its own pinned version, and the emulator answered for it.
    const sent = h.emu.requests({ path: '/v1/payment_intents' }).map((r) => r.apiVersion)
    expect(sent).toEqual([major === '18' ? '2025-08-27.basil' : Stripe.API_VERSION])
  })

  it('tells the payer why a card was declined, in Stripe words without a request id', async () => {
    const { paywall } = paywallOn()
    const payment = pay({ paymentMethodId: await h.card(CARDS.declined) })
    const deny = expectDeny(await paywall.begin(req('/api/joke', { payment })))
    expect(deny.status).toBe(402)
    const answer = paymentResponse(deny)
    expect(answer.errorCode).toBe('card_declined')
    expect(answer.error).not.toMatch(/req_/)
    expect(h.emu.charges().filter((c) => c.status === 'succeeded')).toHaveLength(0)
  })

  it('verifies webhook signatures with that SDK', async () => {
    const { paywall } = paywallOn()
    const body = JSON.stringify({
      id: 'evt_1',
      object: 'event',
      type: 'customer.created',
      data: { object: {} },
    })
    const good = Stripe.webhooks.generateTestHeaderString({ payload: body, secret: WEBHOOK_SECRET })
    expect((await paywall.handleWebhook(body, good)).status).toBe(200)
    const forged = Stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: 'whsec_wrong',
    })
    expect((await paywall.handleWebhook(body, forged)).status).toBe(400)
  })
})
