// The payment header stays on its origin (spec 14.1): redirects elsewhere are followed without it, and plain HTTP gets none.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { encodePaymentPayload } from '@stripe402/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryStore, createPayingFetch, getPaymentInfo, type PaymentEvent } from '../index'
import { startFakeServer } from '../../test/support/fake-server'
import { startPaidApi } from '../../test/support/paid-api'
import { CARDS, useStack } from '../../test/support/stack'

const stack = useStack()

/** Another origin a paid API may redirect to: it records the headers it was sent. */
let third: { url: string; seen: IncomingHttpHeaders[]; close(): Promise<void> }
beforeEach(async () => {
  const seen: IncomingHttpHeaders[] = []
  const server = createServer((req, res) => {
    seen.push(req.headers)
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ third: true }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  third = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
})
afterEach(async () => {
  await third.close()
})

const agent = (options: Parameters<typeof createPayingFetch>[0] = {}) =>
  createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url, ...options })
const sentTo = (path: string) =>
  stack.api.requests.filter((r) => r.path === path).map((r) => r.payment)

describe('redirects of a send that carries a payment header', () => {
  it('to another origin are followed without the header (nor the Authorization), with the payment recorded from the origin', async () => {
    stack.api.redirect.to = `${third.url}/landing`
    const pay = agent()
    const paid = await pay(`${stack.api.url}/api/moved`, {
      headers: { authorization: 'Bearer caller-secret' },
    })
    expect(paid.status).toBe(200)
    expect(await paid.json()).toEqual({ third: true })
    expect(getPaymentInfo(paid)).toMatchObject({
      outcome: 'paid',
      amount: 500,
      creditsRemaining: 49_500,
      topUp: { units: 50_000 },
    })

    // Steady state: the credential goes up front, and stays with the origin too.
    const upFront = await pay(`${stack.api.url}/api/moved`)
    expect(getPaymentInfo(upFront)).toMatchObject({
      outcome: 'paid',
      requests: 1,
      creditsRemaining: 49_000,
    })

    expect(third.seen).toHaveLength(2)
    for (const headers of third.seen) {
      expect(headers.payment).toBeUndefined()
      expect(headers.authorization).toBeUndefined()
    }
    const [unpaid, topUp, credential] = sentTo('/api/moved')
    expect(unpaid).toBeUndefined()
    expect(topUp?.paymentMethodId).toBeDefined()
    expect(credential?.clientId).toBeDefined()
    expect(stack.emulator.charges()).toHaveLength(1)
  })

  it('within the origin carry the header to the route that charges, before it answered the payment', async () => {
    stack.api.redirect.to = '/api/joke'
    const pay = agent()
    const first = await pay(`${stack.api.url}/moved`)
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ joke: 'A 402 walks into a bar.' })
    expect(getPaymentInfo(first)).toMatchObject({
      outcome: 'paid',
      creditsRemaining: 49_500,
      topUp: { units: 50_000 },
    })
    const again = await pay(`${stack.api.url}/moved`)
    expect(getPaymentInfo(again)).toMatchObject({
      outcome: 'paid',
      requests: 1,
      creditsRemaining: 49_000,
    })
    expect(
      sentTo('/api/joke').map((p) =>
        p?.paymentMethodId ? 'top-up' : p?.clientId ? 'credential' : 'none',
      ),
    ).toEqual(['none', 'top-up', 'credential'])
    expect(stack.emulator.charges()).toHaveLength(1)
  })

  it('after the origin answered the payment go without it: one call is never paid twice', async () => {
    stack.api.redirect.to = '/api/joke'
    const pay = agent()
    const res = await pay(`${stack.api.url}/api/moved`)
    // /api/moved was paid; where it leads asks again, and the caller sees that.
    expect(res.status).toBe(402)
    expect(getPaymentInfo(res)).toMatchObject({
      outcome: 'paid',
      creditsRemaining: 49_500,
      topUp: { units: 50_000 },
    })
    expect(sentTo('/api/joke')).toEqual([undefined])
    expect(stack.emulator.charges()).toHaveLength(1)
  })

  it('stop after 5 hops within the origin: the redirect is handed back', async () => {
    stack.api.redirect.to = '/moved'
    const payment = encodePaymentPayload({
      stripe402Version: 1,
      clientId: 'cid_caller',
      maxAmount: 500,
    })
    const res = await agent()(`${stack.api.url}/moved`, { headers: { payment } })
    expect(res.status).toBe(302)
    expect(sentTo('/moved')).toHaveLength(6)
  })

  it("keep a caller's own payment header on its origin too", async () => {
    stack.api.redirect.to = `${third.url}/landing`
    const payment = encodePaymentPayload({
      stripe402Version: 1,
      clientId: 'cid_caller',
      maxAmount: 500,
    })
    const res = await agent()(`${stack.api.url}/moved`, { headers: { payment } })
    expect(await res.json()).toEqual({ third: true })
    expect(sentTo('/moved')).toEqual([
      { stripe402Version: 1, clientId: 'cid_caller', maxAmount: 500 },
    ])
    expect(third.seen.map((h) => h.payment)).toEqual([undefined])
  })

  it('in a browser come back as an opaque redirect, handed to the caller as is', async () => {
    let opaque: Response | undefined
    const browserish: typeof fetch = async (input, init) => {
      if (init?.redirect !== 'manual') return fetch(input, init)
      // What a browser gives for `redirect: 'manual'`: status 0, no headers, nothing to follow.
      opaque = new Response(null, { status: 200 })
      Object.defineProperties(opaque, {
        type: { value: 'opaqueredirect' },
        status: { value: 0 },
        ok: { value: false },
      })
      return opaque
    }
    const res = await agent({ fetch: browserish })(`${stack.api.url}/api/moved`)
    expect(res).toBe(opaque)
    expect(res.type).toBe('opaqueredirect')
    expect(getPaymentInfo(res)).toMatchObject({ requests: 2 })
  })
})

describe('a request redirected, unpaid, to another origin', () => {
  it('is not paid even when that origin asks for payment', async () => {
    const other = await startFakeServer({
      routes: { 'GET /a': { amount: 500, minTopUp: 50_000 } },
      extensions: ['maxAmount', 'idempotencyKey'],
    })
    try {
      stack.api.redirect.to = `${other.url}/a`
      const events: PaymentEvent[] = []
      const res = await agent({ onEvent: (e) => events.push(e) })(`${stack.api.url}/moved`)
      expect(res.status).toBe(402)
      expect(getPaymentInfo(res)).toMatchObject({ outcome: 'none', requests: 1 })
      expect(events).toEqual([])
      expect(other.requests.map((r) => r.payment)).toEqual([undefined])
      expect(stack.emulator.requests()).toEqual([])
    } finally {
      await other.close()
    }
  })
})

describe('plain HTTP to a host that is not loopback', () => {
  const insecure = 'http://api.example.test'
  /** Reaches the test API under a non-loopback http name; Stripe calls go straight through. */
  const viaName: typeof fetch = (input, init) =>
    fetch(
      String(input instanceof Request ? input.url : input).replace(insecure, stack.api.url),
      init,
    )
  // Reached by that name, as behind a proxy: the API lists it among its origins (spec §7.4).
  beforeEach(async () => {
    await stack.api.close()
    stack.api = await startPaidApi(stack.emulator, { aliases: [insecure] })
  })

  it('gets no payment header: a 402 from it is refused before any money moves, unless allowInsecureHttp', async () => {
    const store = createMemoryStore()
    const events: PaymentEvent[] = []
    const refused = await agent({ fetch: viaName, store, onEvent: (e) => events.push(e) })(
      `${insecure}/api/joke`,
    )
    expect(refused.status).toBe(402)
    expect(getPaymentInfo(refused)).toMatchObject({
      outcome: 'refused',
      reason: 'insecure_transport',
      requests: 1,
    })
    expect(events.map((e) => e.type === 'refused' && e.reason)).toEqual(['insecure_transport'])
    expect(stack.emulator.requests()).toEqual([])

    const allowed = await agent({ fetch: viaName, store, allowInsecureHttp: true })(
      `${insecure}/api/joke`,
    )
    expect(allowed.status).toBe(200)

    // The credential now in the store is not sent up front over plain HTTP either.
    const again = await agent({ fetch: viaName, store })(`${insecure}/api/joke`)
    expect(getPaymentInfo(again)).toMatchObject({
      outcome: 'refused',
      reason: 'insecure_transport',
      requests: 1,
    })
    expect(
      sentTo('/api/joke').map((p) =>
        p?.paymentMethodId ? 'top-up' : p?.clientId ? 'credential' : 'none',
      ),
    ).toEqual(['none', 'none', 'top-up', 'none'])
    expect(stack.emulator.charges()).toHaveLength(1)
  })
})
