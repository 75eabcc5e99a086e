/** The Stripe gateway outside Node: the fetch HTTP client and Web Crypto webhook verification. */
import Stripe from 'stripe'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { expectPaid, pay, req, useEmulator, WEBHOOK_SECRET } from '../../test/support/harness'
import { defaultHttpClient } from './gateway'

const h = useEmulator()

describe('the Stripe HTTP client', () => {
  afterEach(() => vi.restoreAllMocks())

  it('defaults to fetch wherever Node is absent (Workers, Deno, browsers)', () => {
    expect(defaultHttpClient(undefined)).toBe('fetch')
    expect(defaultHttpClient({ versions: {} })).toBe('fetch')
    expect(defaultHttpClient(process)).toBe('node')
  })

  it('with httpClient: fetch, charges through fetch and verifies webhooks with Web Crypto', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch')
    const { paywall } = h.paywall({
      stripe: { ...h.emu.keys(), apiBase: h.emu.url, maxNetworkRetries: 0, httpClient: 'fetch' },
    })
    const outcome = expectPaid(
      await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId: await h.card() }) })),
    )
    const stripeCalls = fetchSpy.mock.calls.filter(([url]) => String(url).startsWith(h.emu.url))
    expect(stripeCalls.map(([url]) => new URL(String(url)).pathname)).toEqual(
      expect.arrayContaining(['/v1/customers', '/v1/payment_intents']),
    )
    expect(h.emu.charges()).toHaveLength(1)

    const pi = await new Stripe(h.emu.keys().secretKey, h.emu.sdkConfig()).paymentIntents.retrieve(
      outcome.payment.chargeId!,
    )
    const payload = JSON.stringify({
      id: 'evt_fetch',
      object: 'event',
      type: 'payment_intent.succeeded',
      data: { object: pi },
    })
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET })
    // A raw body as Workers hand it over: bytes, no Buffer.
    const answer = await paywall.handleWebhook(new TextEncoder().encode(payload), signature)
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).toEqual({ received: true, handled: true })
    const forged = Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_wrong' })
    expect((await paywall.handleWebhook(payload, forged)).status).toBe(400)
  })

  it('with httpClient: node, never touches fetch', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch')
    const { paywall } = h.paywall({
      stripe: { ...h.emu.keys(), apiBase: h.emu.url, maxNetworkRetries: 0, httpClient: 'node' },
    })
    const paymentMethodId = await h.card()
    fetchSpy.mockClear()
    expectPaid(await paywall.begin(req('/api/joke', { payment: pay({ paymentMethodId }) })))
    expect(fetchSpy.mock.calls.filter(([url]) => String(url).startsWith(h.emu.url))).toEqual([])
  })
})
