// A top-up whose answer was lost after Stripe charged: the next top-up replays it (same key, units, PaymentMethod) and the card is charged once.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  decodePaymentPayload,
  decodePaymentRequired,
  decodePaymentResponse,
  encodePaymentRequired,
  HEADERS,
  type PaymentPayload,
} from '@stripe402/protocol'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFileStore } from '../file-store'
import { createPayingFetch, getPaymentInfo } from '../index'
import type { ClientStore } from '../store/types'
import { startFakeServer } from '../../test/support/fake-server'
import { CARDS, useStack } from '../../test/support/stack'

const stack = useStack()
let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stripe402-lost-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const agent = (store: ClientStore) =>
  createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url, store })
const joke = () => `${stack.api.url}/api/joke`
/** What each top-up attempt sent: the payloads that carried a PaymentMethod. */
const topUpsSent = () =>
  stack.api.requests.flatMap((r) => (r.payment?.paymentMethodId ? [r.payment] : []))

describe('a top-up whose answer was lost', () => {
  it('is replayed by the next top-up, even after a restart, and charges the card once', async () => {
    // Stripe charges, then the server's connection drops before it hears so, on its retry too.
    stack.emulator.inject({
      path: '/v1/payment_intents',
      afterResponse: true,
      drop: true,
      times: 2,
    })
    const file = join(dir, 'wallet.json')

    const first = await agent(createFileStore(file))(joke())
    expect(first.status).toBe(503)
    expect(stack.emulator.charges()).toHaveLength(1)
    // The key is on disk before the answer is known, so a new process can replay it.
    expect(await readFile(file, 'utf8')).toContain(topUpsSent()[0]?.idempotencyKey)

    const restarted = agent(createFileStore(file))
    const next = await restarted(joke())
    expect(next.status).toBe(200)
    expect(getPaymentInfo(next)).toMatchObject({ outcome: 'paid', creditsRemaining: 49_500 })

    expect(stack.emulator.charges()).toHaveLength(1)
    expect(stack.emulator.paymentIntents()).toHaveLength(1)
    const sent = topUpsSent()
    expect(sent).toHaveLength(2)
    for (const payload of sent) {
      expect(payload).toMatchObject({
        idempotencyKey: sent[0]?.idempotencyKey,
        topUpAmount: 50_000,
        paymentMethodId: sent[0]?.paymentMethodId,
      })
    }
    expect(
      await stack.api.paywall.balance(
        decodePaymentResponse(next.headers.get(HEADERS.PAYMENT_RESPONSE)).clientId,
      ),
    ).toBe(49_500)
    // Counted once against budgets, and the key is gone once answered.
    expect((await restarted.wallet()).spent.usd).toMatchObject({ total: 50_000 })
    expect(await readFile(file, 'utf8')).not.toContain(sent[0]?.idempotencyKey)
  })

  it('costs one charge at any server that honours idempotencyKey, with no repair of its own', async () => {
    const server = await startFakeServer({
      routes: { 'GET /api/joke': { amount: 500, minTopUp: 50_000 } },
      extensions: ['maxAmount', 'idempotencyKey'],
      loseTopUpAnswers: 1,
    })
    try {
      const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: server.url })
      expect((await pay(`${server.url}/api/joke`)).status).toBe(503)
      const next = await pay(`${server.url}/api/joke`)
      expect(next.status).toBe(200)
      expect(getPaymentInfo(next)).toMatchObject({ outcome: 'paid', creditsRemaining: 49_500 })
      expect(server.charges).toHaveLength(1)
    } finally {
      await server.close()
    }
  })

  it('is dropped when the server says its key was used for a different top-up, and the next top-up starts afresh', async () => {
    // A server in front of the real one: it loses the first top-up's answer, then says its key was used for something else.
    const attempts: PaymentPayload[] = []
    const fetchThrough: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers)
      const header = headers.get(HEADERS.PAYMENT)
      const payload = header ? decodePaymentPayload(header) : undefined
      if (!payload?.paymentMethodId) return fetch(input, init)
      attempts.push(payload)
      if (attempts.length === 1)
        return Response.json({ error: 'payment_unavailable' }, { status: 503 })
      if (attempts.length > 2) return fetch(input, init)
      headers.delete(HEADERS.PAYMENT)
      const plain = await fetch(input, { ...init, headers })
      const required = {
        ...decodePaymentRequired(plain.headers.get(HEADERS.PAYMENT_REQUIRED)),
        error: 'invalid_payment',
      }
      return Response.json(required, {
        status: 402,
        headers: { [HEADERS.PAYMENT_REQUIRED]: encodePaymentRequired(required) },
      })
    }
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      fetch: fetchThrough,
    })

    expect((await pay(joke())).status).toBe(503)
    const refused = await pay(joke())
    expect(refused.status).toBe(402)
    expect(getPaymentInfo(refused)).toMatchObject({ outcome: 'failed', reason: 'invalid_payment' })
    const next = await pay(joke())
    expect(next.status).toBe(200)

    const [lost, replayed, fresh] = attempts.map((a) => a.idempotencyKey)
    expect(replayed).toBe(lost)
    expect(fresh).not.toBe(lost)
    expect(stack.emulator.charges()).toHaveLength(1)
  })
})
