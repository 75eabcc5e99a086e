import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Stripe from 'stripe'
import { afterEach, describe, expect, it } from 'vitest'
import { signWebhookPayload } from './webhooks/signature'
import { STRIPE_API_VERSION } from './http/versions'
import {
  rejectionOf,
  startReceiver,
  unusedPort,
  useEmulator,
  type WebhookReceiver,
} from '../test/support/harness'

const SECRET = 'whsec_emulator_test'
const h = useEmulator({ webhookRetry: { baseDelayMs: 10, timeoutMs: 500 } })

let receivers: WebhookReceiver[] = []
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()))
  receivers = []
})

async function receiver(
  secret = SECRET,
  options: { failFirst?: number } = {},
  endpoint: { events?: string[]; account?: string } = {},
) {
  const r = await startReceiver(secret, options)
  receivers.push(r)
  h.emu.addWebhook({ url: r.url, secret, ...endpoint })
  return r
}

const types = (r: WebhookReceiver) => r.events.map((e) => e.type).sort()

describe('webhook deliveries', () => {
  it('delivers payment events signed so that stripe.webhooks.constructEvent accepts them', async () => {
    const r = await receiver()
    const stripe = h.stripe()
    const pi = await stripe.paymentIntents.create({
      amount: 1200,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
      metadata: { order: '9' },
    })
    await h.emu.flushWebhooks()
    expect(r.rejected).toEqual([])
    expect(types(r)).toEqual(['charge.succeeded', 'payment_intent.succeeded'])
    const event = r.events.find(
      (e) => e.type === 'payment_intent.succeeded',
    ) as Stripe.PaymentIntentSucceededEvent
    expect(event).toMatchObject({
      object: 'event',
      livemode: false,
      api_version: STRIPE_API_VERSION,
      data: { object: { id: pi.id, status: 'succeeded', metadata: { order: '9' } } },
    })
    expect(event.id).toMatch(/^evt_/)
    expect(event.request?.id).toBe(pi.lastResponse.requestId)
    expect(r.signatures[0]).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/)
    // The same events are listed by the API.
    const listed = await stripe.events.list({ type: 'payment_intent.succeeded' })
    expect(listed.data.map((e) => e.id)).toEqual([event.id])
    expect((await stripe.events.retrieve(event.id)).type).toBe('payment_intent.succeeded')
    expect(h.emu.webhookDeliveries()).toHaveLength(2)
    expect(
      h.emu.webhookDeliveries().every((d) => d.delivered && d.attempts === 1 && !d.pending),
    ).toBe(true)
  })

  it('delivers payment_intent.payment_failed for a decline', async () => {
    const r = await receiver()
    await rejectionOf(
      h.stripe().paymentIntents.create({
        amount: 1200,
        currency: 'usd',
        payment_method: 'pm_card_chargeDeclined',
        confirm: true,
        allowed_payment_method_types: ['card'],
      }),
    )
    await h.emu.flushWebhooks()
    const failed = r.events.find(
      (e) => e.type === 'payment_intent.payment_failed',
    ) as Stripe.PaymentIntentPaymentFailedEvent
    expect(failed.data.object).toMatchObject({
      status: 'requires_payment_method',
      last_payment_error: { code: 'card_declined', decline_code: 'generic_decline' },
    })
  })

  it('delivers charge.refunded and charge.dispute.created', async () => {
    const r = await receiver()
    const stripe = h.stripe()
    const refunded = await stripe.paymentIntents.create({
      amount: 1200,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    await stripe.refunds.create({ payment_intent: refunded.id, amount: 200 })
    const disputed = await stripe.paymentIntents.create({
      amount: 1200,
      currency: 'usd',
      payment_method: 'pm_card_createDispute',
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    await h.emu.flushWebhooks()
    const refund = r.events.find((e) => e.type === 'charge.refunded') as Stripe.ChargeRefundedEvent
    expect(refund.data.object).toMatchObject({
      id: refunded.latest_charge,
      amount_refunded: 200,
      refunded: false,
    })
    const dispute = r.events.find(
      (e) => e.type === 'charge.dispute.created',
    ) as Stripe.ChargeDisputeCreatedEvent
    expect(dispute.data.object).toMatchObject({
      object: 'dispute',
      charge: disputed.latest_charge,
      reason: 'fraudulent',
      amount: 1200,
    })
    expect(dispute.request).toEqual({ id: null, idempotency_key: null })
  })

  it('answers the API call without waiting for the receiver', async () => {
    // A receiver that holds every delivery until released.
    const held: ServerResponse[] = []
    const server = createServer((_req, res) => held.push(res))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    try {
      h.emu.addWebhook({
        url: `http://127.0.0.1:${port}/hook`,
        secret: SECRET,
        events: ['payment_intent.succeeded'],
      })
      const pi = await h.stripe().paymentIntents.create({
        amount: 1200,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        allowed_payment_method_types: ['card'],
      })
      expect(pi.status).toBe('succeeded')
      expect(h.emu.webhookDeliveries()).toMatchObject([{ pending: true, delivered: false }])
      while (held.length === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      held[0]?.writeHead(200).end()
      await h.emu.flushWebhooks()
      expect(h.emu.webhookDeliveries()).toMatchObject([
        { pending: false, delivered: true, attempts: 1 },
      ])
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('retries a failing receiver until it accepts', async () => {
    const r = await receiver(SECRET, { failFirst: 2 })
    await h.stripe().customers.create({})
    await h.stripe().paymentIntents.create({
      amount: 1200,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
      expand: [],
    })
    await h.emu.flushWebhooks()
    // Two events; the first two attempts (whichever events they were) got 500.
    expect(r.hits).toBe(4)
    expect(types(r)).toEqual(['charge.succeeded', 'payment_intent.succeeded'])
    const deliveries = h.emu.webhookDeliveries()
    expect(deliveries.every((d) => d.delivered)).toBe(true)
    expect(deliveries.reduce((n, d) => n + d.attempts, 0)).toBe(4)
    // Each attempt is signed afresh and still verifies.
    expect(r.rejected).toEqual([])
  })

  it('gives up after 6 attempts on an unreachable receiver', async () => {
    const port = await unusedPort()
    h.emu.addWebhook({
      url: `http://127.0.0.1:${port}/hook`,
      secret: SECRET,
      events: ['payment_intent.succeeded'],
    })
    await h.stripe().paymentIntents.create({
      amount: 1200,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    await h.emu.flushWebhooks()
    expect(h.emu.webhookDeliveries()).toMatchObject([
      {
        type: 'payment_intent.succeeded',
        attempts: 6,
        delivered: false,
        pending: false,
        lastStatus: null,
      },
    ])
  })

  it('is refused by a receiver holding another secret', async () => {
    const r = await startReceiver('whsec_the_real_one')
    receivers.push(r)
    h.emu.addWebhook({ url: r.url, secret: 'whsec_wrong', events: ['payment_intent.succeeded'] })
    await h.stripe().paymentIntents.create({
      amount: 1200,
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: true,
      allowed_payment_method_types: ['card'],
    })
    await h.emu.flushWebhooks()
    expect(r.events).toEqual([])
    expect(r.rejected[0]?.error).toMatch(/No signatures found matching the expected signature/)
    expect(h.emu.webhookDeliveries()).toMatchObject([
      { delivered: false, attempts: 6, lastStatus: 400 },
    ])
  })

  it('sends only the subscribed events, and only for the chosen account', async () => {
    const all = await receiver(SECRET, {}, { events: ['*'] })
    const onlyShop = await receiver(SECRET, {}, { account: 'shop', events: ['customer.created'] })
    await h.stripe('shop').customers.create({})
    await h.stripe('other').customers.create({})
    await h.emu.flushWebhooks()
    expect(types(all)).toEqual(['customer.created', 'customer.created'])
    expect(types(onlyShop)).toEqual(['customer.created'])
    expect(onlyShop.events[0]?.data.object).toMatchObject({ object: 'customer' })
  })

  it('signs like Stripe, also for payloads signed with the exported helper', () => {
    const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'ping' })
    const header = signWebhookPayload(payload, SECRET)
    const event = new Stripe('sk_test_x').webhooks.constructEvent(payload, header, SECRET)
    expect(event.id).toBe('evt_1')
    const stale = signWebhookPayload(payload, SECRET, Math.floor(Date.now() / 1000) - 3600)
    expect(() => new Stripe('sk_test_x').webhooks.constructEvent(payload, stale, SECRET)).toThrow(
      /tolerance/,
    )
  })
})

describe('endpoints given at start', () => {
  it('receive events from the first request on', async () => {
    const r = await startReceiver(SECRET)
    receivers.push(r)
    const { startStripeEmulator } = await import('./emulator')
    const emu = await startStripeEmulator({ webhooks: [{ url: r.url, secret: SECRET }] })
    try {
      const stripe = new Stripe(emu.keys().secretKey, { ...emu.sdkConfig(), maxNetworkRetries: 0 })
      await stripe.paymentIntents.create({
        amount: 1200,
        currency: 'usd',
        payment_method: 'pm_card_visa',
        confirm: true,
        allowed_payment_method_types: ['card'],
      })
      await emu.flushWebhooks()
      expect(types(r)).toEqual(['charge.succeeded', 'payment_intent.succeeded'])
    } finally {
      await emu.close()
    }
  })
})
