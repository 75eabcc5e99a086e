/**
 * `@stripe402/client` core inside workerd, without `nodejs_compat`: a Worker pays a paid API
 * served by Node in this process, so a Node-only API anywhere on the client's path fails the call.
 */
import { serve } from '@hono/node-server'
import { withPaywall } from '@stripe402/fetch'
import { decodePaymentResponse, HEADERS, type PaymentResponse } from '@stripe402/protocol'
import { createPaywall, MemoryLedger, type Paywall } from '@stripe402/server'
import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { requireRuntime } from './harness/runtimes'
import { type RuntimeServer, startWorker } from './harness/start'

const workerd = await requireRuntime('workerd')

interface CallSeen {
  status: number
  body: string
  payment?: {
    outcome: string
    requests: number
    creditsRemaining?: number
    topUp?: { units: number; chargeId?: string }
  }
}

describe.skipIf(!workerd.available)('createPayingFetch in workerd', () => {
  const account = 'runtimeclient'
  let emulator: StripeEmulator
  let paywall: Paywall
  let api: { url: string; close(): Promise<void> }
  let worker: RuntimeServer
  /** Every receipt the API sent, decoded: the client's credential and what it had left. */
  const receipts: PaymentResponse[] = []

  beforeAll(async () => {
    emulator = await startStripeEmulator({ port: 0 })
    paywall = createPaywall({
      stripe: { ...emulator.keys(account), apiBase: emulator.url, maxNetworkRetries: 0 },
      secret: 'runtime-client-secret-that-is-long-enough-0123456789',
      ledger: new MemoryLedger(),
      routes: { 'GET /api/joke': { amount: 500, minTopUp: 50_000 } },
      webhook: { secret: 'whsec_runtime_client' },
      rateLimits: false,
    })
    const paid = withPaywall(paywall, () => Response.json({ joke: 'A 402 walks into a bar.' }))
    api = await new Promise((resolve) => {
      const server = serve(
        {
          hostname: '127.0.0.1',
          port: 0,
          fetch: async (req: Request) => {
            const res = await paid(req)
            const receipt = res.headers.get(HEADERS.PAYMENT_RESPONSE)
            if (receipt) receipts.push(decodePaymentResponse(receipt))
            return res
          },
        },
        (info) =>
          resolve({
            url: `http://127.0.0.1:${info.port}`,
            close: () => new Promise<void>((done) => server.close(() => done())),
          }),
      )
    })
    // No compatibility flags: no `node:` modules, no `process`, no Buffer in the Worker.
    worker = await startWorker(
      'client-worker',
      {
        STRIPE402_CLIENT_CONFIG: { stripeApiBase: emulator.url },
      },
      [],
    )
    console.info(`[stripe402] runtimes: client core on ${worker.version}`)
  })
  afterAll(async () => {
    await worker?.close()
    await api?.close()
    await emulator?.close()
  })

  it('tops up once with a card it tokenizes itself, then pays the next call from credits', async () => {
    const res = await fetch(
      `${worker.url}/?calls=2&url=${encodeURIComponent(`${api.url}/api/joke`)}`,
    )
    expect(res.status).toBe(200)
    const { calls, hasProcess } = (await res.json()) as { calls: CallSeen[]; hasProcess: boolean }
    expect(hasProcess).toBe(false)
    const [first, second] = calls
    expect(first).toMatchObject({
      status: 200,
      payment: { outcome: 'paid', creditsRemaining: 49_500 },
    })
    expect(JSON.parse(first?.body ?? '')).toEqual({ joke: 'A 402 walks into a bar.' })
    expect(first?.payment?.topUp).toMatchObject({ units: 50_000 })
    // The credential from the first call goes up front: one request, no new charge.
    expect(second).toMatchObject({
      status: 200,
      payment: { outcome: 'paid', requests: 1, creditsRemaining: 49_000 },
    })
    expect(second?.payment?.topUp).toBeUndefined()

    const charges = emulator.charges({ account })
    expect(charges).toHaveLength(1)
    expect(charges[0]).toMatchObject({ amount: 500, currency: 'usd', status: 'succeeded' })
    // The card was tokenized by the Worker with the publishable key the 402 named.
    expect(
      emulator.requests({ method: 'POST', path: '/v1/payment_methods', account }),
    ).toHaveLength(1)
    expect(receipts).toHaveLength(2)
    const [topUp, onCredits] = receipts
    expect(onCredits?.clientId).toBe(topUp?.clientId)
    expect(await paywall.balance(onCredits?.clientId ?? '')).toBe(49_000)
  })
})
