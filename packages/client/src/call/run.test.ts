// The origin's single flight is never stranded: a call that fails while holding it lets it go, and a call waiting on it gives up in time.
import { describe, expect, it } from 'vitest'
import { createPayingFetch, getPaymentInfo } from '../index'
import { startFakeServer } from '../../test/support/fake-server'
import { CARDS, useStack } from '../../test/support/stack'

const stack = useStack()

/** Settles with the promise's outcome, or with 'still waiting' after `ms`. */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    new Promise<'still waiting'>((r) => setTimeout(() => r('still waiting'), ms)),
  ])

describe('the top-up flight', () => {
  it('is released when the 402 answering a top-up breaks off mid-body, so the next call to the origin goes ahead', async () => {
    const server = await startFakeServer({
      routes: { 'GET /a': { amount: 500, minTopUp: 50_000 } },
      extensions: ['maxAmount', 'idempotencyKey'],
      breakTopUpAnswers: 1,
    })
    try {
      const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: server.url })
      const first = await within(pay(`${server.url}/a`), 5_000)
      expect(first).toMatchObject({ error: expect.any(Error) })

      const second = await within(pay(`${server.url}/a`), 5_000)
      expect(second).not.toBe('still waiting')
      const response = (second as { value: Response }).value
      expect(response.status).toBe(200)
      expect(getPaymentInfo(response)).toMatchObject({ outcome: 'paid', creditsRemaining: 49_500 })
      // The broken answer's key was replayed (it might have been charged); the card was charged once.
      const topUps = server.requests.filter((r) => r.payment?.paymentMethodId !== undefined)
      expect(topUps).toHaveLength(2)
      expect(topUps[1]?.payment?.idempotencyKey).toBe(topUps[0]?.payment?.idempotencyKey)
      expect(server.charges).toHaveLength(1)
    } finally {
      await server.close()
    }
  })

  it('is waited on for topUpWaitMs at most: a call behind a top-up that does not end gives up, and money moves once', async () => {
    let release!: () => void
    let arrived!: () => void
    const held = new Promise<void>((r) => (arrived = r))
    stack.api.hold.until = new Promise<void>((r) => (release = r))
    stack.api.hold.arrived = arrived
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      topUpWaitMs: 200,
    })

    // The first call tops up, and the API then holds its answer: the flight stays taken.
    const first = pay(`${stack.api.url}/api/slow`)
    await held
    const second = await within(pay(`${stack.api.url}/api/joke`), 5_000)
    expect(second).not.toBe('still waiting')
    const response = (second as { value: Response }).value
    expect(response.status).toBe(402)
    expect(getPaymentInfo(response)).toMatchObject({ outcome: 'failed', reason: 'top_up_timeout' })
    expect(stack.api.requests.filter((r) => r.path === '/api/joke').map((r) => r.payment)).toEqual([
      undefined,
    ])

    release()
    expect((await first).status).toBe(200)
    expect(stack.emulator.charges()).toHaveLength(1)
  })
})
