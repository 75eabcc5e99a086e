// AbortSignal is honoured at every step: waiting for approval, tokenizing the card, waiting for another call's top-up, and on the wire.
import { describe, expect, it } from 'vitest'
import { CARDS, useStack } from '../test/support/stack'
import { createPayingFetch } from './index'

const stack = useStack()

describe('AbortSignal', () => {
  it('stops before sending when already aborted', async () => {
    const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const error = await pay(`${stack.api.url}/api/joke`, { signal: AbortSignal.abort() }).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ name: 'AbortError' })
    expect(stack.api.requests).toEqual([])
  })

  it('gives up while the approve hook deliberates, before any money moves', async () => {
    const controller = new AbortController()
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      policy: {
        approve: () => {
          controller.abort()
          return new Promise<boolean>(() => {}) // a human who never answers
        },
      },
    })
    const error = await pay(`${stack.api.url}/api/joke`, { signal: controller.signal }).catch(
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ name: 'AbortError' })
    expect(stack.emulator.requests()).toEqual([])
    expect(stack.api.requests).toHaveLength(1)
    expect((await pay.wallet()).spent).toEqual({})
  })

  it("lets a call waiting on another call's top-up go, without disturbing the top-up", async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let reached!: () => void
    const leaderApproving = new Promise<void>((r) => (reached = r))
    const pay = createPayingFetch({
      card: CARDS.visa,
      stripeApiBase: stack.emulator.url,
      policy: {
        approve: () => {
          reached()
          return gate.then(() => true)
        },
      },
    })
    const leader = pay(`${stack.api.url}/api/joke`)
    await leaderApproving // the leader now holds the origin's top-up flight
    const controller = new AbortController()
    const waiter = pay(`${stack.api.url}/api/joke`, { signal: controller.signal })
    controller.abort()
    await expect(waiter).rejects.toMatchObject({ name: 'AbortError' })
    release()
    expect((await leader).status).toBe(200)
    expect(stack.emulator.charges()).toHaveLength(1)
    // The waiter never reached the API: it was waiting for the credential the leader was buying.
    expect(stack.api.requests).toHaveLength(2)
  })

  it('gives up while the card is being tokenized: no payment is sent and nothing is charged', async () => {
    // Stripe takes its time with the PaymentMethod: the tokenization request hangs until aborted.
    stack.emulator.inject({ method: 'POST', path: '/v1/payment_methods', hang: true })
    const controller = new AbortController()
    const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    const call = pay(`${stack.api.url}/api/joke`, { signal: controller.signal }).catch(
      (e: unknown) => e,
    )
    // Abort once the tokenization request has reached Stripe (and hangs there).
    while (stack.emulator.requests({ path: '/v1/payment_methods' }).length === 0)
      await new Promise((r) => setTimeout(r, 5))
    controller.abort()
    const error = await call
    expect(error).toMatchObject({ name: 'AbortError' })
    expect(stack.emulator.requests({ path: '/v1/payment_methods' })).toHaveLength(1)
    // Only the unpaid request reached the API: no payment header followed.
    expect(stack.api.requests).toHaveLength(1)
    expect(stack.emulator.charges()).toEqual([])
    expect((await pay.wallet()).spent).toEqual({})
  })

  it('aborts a request in flight on the wire', async () => {
    const pay = createPayingFetch({ card: CARDS.visa, stripeApiBase: stack.emulator.url })
    await pay(`${stack.api.url}/api/joke`)
    let release!: () => void
    stack.api.hold.until = new Promise<void>((r) => (release = r))
    const arrived = new Promise<void>((r) => (stack.api.hold.arrived = r))
    const controller = new AbortController()
    const pending = pay(`${stack.api.url}/api/slow`, { signal: controller.signal })
    await arrived
    controller.abort(new Error('caller gave up'))
    await expect(pending).rejects.toThrow('caller gave up')
    release()
  })
})
