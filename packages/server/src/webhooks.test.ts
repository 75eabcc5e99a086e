/** Signed Stripe webhooks over HTTP: lost top-ups credited, refunds and disputes clawed back. */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Paywall } from './paywall'
import {
  CARDS,
  crashingLedger,
  expectDeny,
  expectPaid,
  pay,
  payWithNewCard,
  paymentResponse,
  req,
  required,
  useEmulator,
  WEBHOOK_SECRET,
} from '../test/support/harness'

let server: Server | undefined
let current: Paywall | undefined

/**
 * The paywall's webhook endpoint over HTTP, the way an adapter serves it. One server for
 * the file, started before the emulator so that it is one of the emulator's initial endpoints.
 */
beforeAll(async () => {
  server = createServer(async (incoming, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of incoming) chunks.push(chunk as Buffer)
    const outcome = current
      ? await current.begin({
          method: incoming.method ?? 'GET',
          url: incoming.url ?? '/',
          headers: {
            get: (name) => (incoming.headers[name.toLowerCase()] as string | undefined) ?? null,
          },
        })
      : undefined
    if (outcome?.type !== 'webhook') {
      res.writeHead(404).end()
      return
    }
    const answer = await outcome.handle(new Uint8Array(Buffer.concat(chunks)))
    res.writeHead(answer.status, answer.headers).end(answer.body)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
})

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve))
})

const h = useEmulator({
  webhooks: () => [
    {
      url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/stripe402/webhook`,
      secret: WEBHOOK_SECRET,
    },
  ],
})

/** Sends the emulator's webhooks to `paywall` from now on. */
function listen(paywall: Paywall): void {
  current = paywall
}

const stripe = () => new Stripe(h.emu.keys().secretKey, h.emu.sdkConfig())

describe('webhooks', () => {
  it('credits a top-up the request lost (payment_intent.succeeded), exactly once', async () => {
    const { paywall, ledger } = h.paywall({ ledger: crashingLedger() })
    listen(paywall)
    const pm = await h.card()
    const lost = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: pm }) })),
    )
    expect(lost.status).toBe(503)
    await h.emu.flushWebhooks()
    const [charge] = h.emu.charges()
    const accountId = (await stripe().paymentIntents.retrieve(charge!.payment_intent!)).metadata
      .stripe402_account!
    expect(await ledger.balance(accountId, 'usd')).toBe(5_000)
    // The client retries: served from the repaired balance, no second charge.
    const retried = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    expect(paymentResponse(retried).creditsRemaining).toBe(4_500)
    expect(h.emu.charges()).toHaveLength(1)
    expect((await ledger.journal(accountId)).filter((e) => e.kind === 'top_up')).toHaveLength(1)
  })

  it('does not credit twice when both the request and the webhook apply a top-up', async () => {
    const { paywall, ledger } = h.paywall()
    listen(paywall)
    const { outcome } = await payWithNewCard(h, paywall)
    await h.emu.flushWebhooks()
    expect(
      h.emu.webhookDeliveries().filter((d) => d.type === 'payment_intent.succeeded' && d.delivered),
    ).toHaveLength(1)
    expect(await ledger.balance(outcome.payment.accountId, 'usd')).toBe(4_500)
  })

  it('claws back a refund (charge.refunded), once per refund', async () => {
    const { paywall } = h.paywall({
      routes: { 'GET /api/joke': { amount: 500, minTopUp: 20_000 } },
    })
    listen(paywall)
    const { clientId } = await payWithNewCard(h, paywall)
    const piId = h.emu.charges()[0]!.payment_intent!
    await stripe().refunds.create({ payment_intent: piId, amount: 50 })
    await h.emu.flushWebhooks()
    expect(await paywall.balance(clientId)).toBe(19_500 - 5_000)
    await stripe().refunds.create({ payment_intent: piId, amount: 30 })
    await h.emu.flushWebhooks()
    expect(await paywall.balance(clientId)).toBe(19_500 - 5_000 - 3_000)
  })

  it('claws back a dispute (never below zero) and freezes the account', async () => {
    const { paywall, events } = h.paywall()
    listen(paywall)
    const { clientId } = await payWithNewCard(h, paywall)
    await h.emu.dispute(h.emu.charges()[0]!.id)
    await h.emu.flushWebhooks()
    expect(await paywall.balance(clientId)).toBe(0)
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'dispute', units: 4_500, frozen: true }),
    )
    const refused = expectDeny(
      await paywall.begin(req('/api/joke', { payment: pay({ clientId }) })),
    )
    expect(refused.status).toBe(403)
    expect(
      expectDeny(
        await paywall.begin(
          req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) }),
        ),
      ).status,
    ).toBe(403)
    expect(h.emu.charges()).toHaveLength(1)
  })

  it('handles the dispute test card end to end, and can leave the account unfrozen', async () => {
    const { paywall } = h.paywall({ freezeOnDispute: false })
    listen(paywall)
    const { clientId } = await payWithNewCard(h, paywall, '/api/joke', CARDS.dispute)
    await h.emu.flushWebhooks()
    expect(await paywall.balance(clientId)).toBe(0)
    expect(
      required(await paywall.begin(req('/api/joke', { payment: pay({ clientId }) }))).error,
    ).toBe('insufficient_credits')
  })

  it('refuses a bad signature with 400 and changes nothing', async () => {
    const { paywall } = h.paywall()
    const body = JSON.stringify({
      id: 'evt_1',
      type: 'payment_intent.succeeded',
      data: { object: {} },
    })
    const forged = Stripe.webhooks.generateTestHeaderString({
      payload: body,
      secret: 'whsec_wrong',
    })
    expect((await paywall.handleWebhook(body, forged)).status).toBe(400)
    expect((await paywall.handleWebhook(body, null)).status).toBe(400)
    expect((await paywall.handleWebhook(body, 't=1,v1=abc')).status).toBe(400)
  })

  it('routes the webhook path only for POST and only when configured', async () => {
    const { paywall } = h.paywall()
    expect((await paywall.begin(req('/stripe402/webhook', { method: 'POST' }))).type).toBe(
      'webhook',
    )
    expect((await paywall.begin(req('/stripe402/webhook'))).type).toBe('free')
    const { paywall: bare } = h.paywall({ webhook: undefined })
    expect((await bare.begin(req('/stripe402/webhook', { method: 'POST' }))).type).toBe('free')
    expect((await bare.handleWebhook('{}', 'x')).status).toBe(404)
  })
})
