/**
 * `@stripe402/fetch` on Bun, Deno and workerd: the adapter suite's core (test/adapters) against a
 * bundled paid API served by each runtime, paying through the Stripe emulator in this process.
 */
import {
  decodePaymentRequired,
  decodePaymentResponse,
  encodePaymentPayload,
  HEADERS,
} from '@stripe402/protocol'
import { startStripeEmulator, type StripeEmulator } from '@stripe402/stripe-emulator'
import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PaidApiConfig } from './app/paid-api'
import { type Runtime, type RuntimeName, requireRuntime } from './harness/runtimes'
import { type RuntimeServer, startBun, startDeno, startWorker } from './harness/start'

const STARTERS: Record<
  RuntimeName,
  (runtime: Runtime, config: PaidApiConfig) => Promise<RuntimeServer>
> = {
  bun: startBun,
  deno: startDeno,
  // The engine imports `node:crypto`: an app on Workers needs this flag too.
  workerd: (_runtime, config) =>
    startWorker('worker', { STRIPE402_RUNTIME_CONFIG: config }, ['nodejs_compat']),
}

const runtimes = await Promise.all(
  (['bun', 'deno', 'workerd'] as const).map((name) => requireRuntime(name)),
)

let emulator: StripeEmulator
beforeAll(async () => {
  emulator = await startStripeEmulator({ port: 0 })
})
afterAll(async () => {
  await emulator?.close()
})

for (const runtime of runtimes) {
  describe.skipIf(!runtime.available)(`withPaywall on ${runtime.name}`, () => {
    const account = `runtime${runtime.name}`
    let server: RuntimeServer
    let publishable: Stripe

    beforeAll(async () => {
      const keys = emulator.keys(account)
      server = await STARTERS[runtime.name](runtime, { ...keys, apiBase: emulator.url })
      console.info(`[stripe402] runtimes: ${server.version} at ${server.url}`)
      publishable = new Stripe(keys.publishableKey, {
        ...emulator.sdkConfig(),
        maxNetworkRetries: 0,
      })
    })
    afterAll(async () => {
      await server?.close()
    })

    const charges = () => emulator.charges({ account })
    const get = (path: string, init: RequestInit = {}) => fetch(server.url + path, init)
    const withPayment = (payload: Record<string, unknown>): RequestInit => ({
      headers: { [HEADERS.PAYMENT]: encodePaymentPayload({ stripe402Version: 1, ...payload }) },
    })
    const receipt = (res: Response) =>
      decodePaymentResponse(res.headers.get(HEADERS.PAYMENT_RESPONSE))
    /** The ledger balance and handler runs, read from inside the runtime. */
    const state = async (clientId?: string) =>
      (await (
        await get(`/__test/state${clientId ? `?clientId=${encodeURIComponent(clientId)}` : ''}`)
      ).json()) as { balance: number | null; hits: Record<string, number> }
    const hitsOf = async (path: string) => (await state()).hits[path] ?? 0

    it('lets a free route through untouched', async () => {
      const res = await get('/health')
      expect(res.status).toBe(200)
      expect(await res.text()).toBe('ok')
      expect(res.headers.get(HEADERS.PAYMENT_REQUIRED)).toBeNull()
      expect(res.headers.get(HEADERS.PAYMENT_RESPONSE)).toBeNull()
    })

    it('answers an unpaid request with a 402 whose header equals its body, and runs no handler', async () => {
      const res = await get('/api/joke')
      expect(res.status).toBe(402)
      const header = decodePaymentRequired(res.headers.get(HEADERS.PAYMENT_REQUIRED))
      expect(await res.json()).toEqual(header)
      expect(header.accepts[0]).toMatchObject({
        scheme: 'stripe',
        currency: 'usd',
        amount: 500,
        minTopUp: 50_000,
        publishableKey: emulator.keys(account).publishableKey,
      })
      expect(res.headers.get('cache-control')).toContain('no-store')
      expect(await hitsOf('/api/joke')).toBe(0)
      expect(charges()).toHaveLength(0)
    })

    let clientId = ''
    it('charges one top-up with a new PaymentMethod and serves the request', async () => {
      const paymentMethod = await publishable.paymentMethods.create({
        type: 'card',
        card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123' },
      })
      const res = await get('/api/joke', withPayment({ paymentMethodId: paymentMethod.id }))
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ path: '/api/joke' })
      const paid = receipt(res)
      expect(paid).toMatchObject({ success: true, creditsRemaining: 49_500 })
      expect(paid.chargeId).toMatch(/^pi_/)
      // $5.00 top-up (50,000 units), charged once, to this card.
      expect(charges()).toHaveLength(1)
      expect(charges()[0]).toMatchObject({
        amount: 500,
        currency: 'usd',
        status: 'succeeded',
        payment_method: paymentMethod.id,
      })
      clientId = paid.clientId
      expect((await state(clientId)).balance).toBe(49_500)
    })

    it('spends credits with the credential alone, without charging again', async () => {
      const res = await get('/api/joke', withPayment({ clientId }))
      expect(res.status).toBe(200)
      expect(receipt(res)).toMatchObject({ success: true, creditsRemaining: 49_000 })
      expect(receipt(res).chargeId).toBeUndefined()
      expect((await state(clientId)).balance).toBe(49_000)
      expect(charges()).toHaveLength(1)
    })

    it.each(['/api/fail', '/api/throw'])(
      'gives the debit back when %s answers 500',
      async (path) => {
        const before = await hitsOf(path)
        const res = await get(path, withPayment({ clientId }))
        expect(res.status).toBe(500)
        expect(await hitsOf(path)).toBe(before + 1)
        await expect.poll(async () => (await state(clientId)).balance).toBe(49_000)
        expect(charges()).toHaveLength(1)
      },
    )

    it('streams a paid response chunk by chunk and debits it once', async () => {
      const res = await get('/api/stream', {
        // Miniflare gzips a compressible body when asked to, as Cloudflare's edge does, and a
        // gzip stream holds small chunks back; the runtime's own streaming is what is tested here.
        headers: { ...withPayment({ clientId }).headers, 'accept-encoding': 'identity' },
      })
      expect(res.status).toBe(200)
      expect(receipt(res).creditsRemaining).toBe(48_500)
      const reader = (res.body as ReadableStream<Uint8Array>).getReader()
      const decoder = new TextDecoder()
      let seen = ''
      // The handler holds its second chunk until released: reading the first one alone proves streaming.
      while (!seen.includes('chunk-1;')) {
        const { value, done } = await reader.read()
        if (done) break
        seen += decoder.decode(value, { stream: true })
      }
      expect(seen).toBe('chunk-1;')
      expect(await (await get('/__test/release')).json()).toEqual({ released: 1 })
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        seen += decoder.decode(value, { stream: true })
      }
      expect(seen).toBe('chunk-1;chunk-2')
      expect((await state(clientId)).balance).toBe(48_500)
      expect(await hitsOf('/api/stream')).toBe(1)
      expect(charges()).toHaveLength(1)
    })
  })
}
