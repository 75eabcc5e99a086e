// Spec 14.7: an origin that names another Stripe publishable key (another Stripe account) is reported, and refused on request.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  createMemoryStore,
  createPayingFetch,
  getPaymentInfo,
  type PaymentEvent,
  type Policy,
} from '../index'
import type { ClientStore } from '../store/types'
import { type FakeServer, startFakeServer } from '../../test/support/fake-server'
import { CARDS } from '../../test/support/stack'
import type { WalletSnapshot } from '../wallet/snapshot'

let server: FakeServer
let store: ClientStore
beforeEach(async () => {
  server = await startFakeServer({
    routes: {
      'GET /a': { amount: 500, minTopUp: 50_000 },
      'GET /b': { amount: 500, minTopUp: 50_000 },
      'GET /c': { amount: 500, minTopUp: 50_000 },
    },
    extensions: ['maxAmount', 'idempotencyKey'],
  })
  store = createMemoryStore()
})
afterEach(async () => {
  await server.close()
})

/** A fresh paying fetch on the shared store: what it knows of the origin comes from the store. */
const agent = (events: PaymentEvent[], policy: Policy = {}) =>
  createPayingFetch({
    card: CARDS.visa,
    stripeApiBase: server.url,
    store,
    policy,
    onEvent: (e) => events.push(e),
  })
const keyEvents = (events: PaymentEvent[]) =>
  events.filter((e) => e.type === 'publishable_key_changed' || e.type === 'refused')
const rememberedKey = async () =>
  ((await store.load()) as WalletSnapshot).origins[server.url]?.publishableKey

describe("an origin's publishable key", () => {
  it('is remembered, and a change is reported once, then paid (warn, the default)', async () => {
    const first = server.publishableKey
    expect((await agent([])(`${server.url}/a`)).status).toBe(200)
    expect(await rememberedKey()).toBe(first)

    server.publishableKey = 'pk_test_moved'
    const events: PaymentEvent[] = []
    const pay = agent(events)
    const res = await pay(`${server.url}/b`)
    expect(res.status).toBe(200)
    expect(getPaymentInfo(res)).toMatchObject({ outcome: 'paid' })
    expect(keyEvents(events)).toEqual([
      {
        type: 'publishable_key_changed',
        origin: server.url,
        route: 'GET /b',
        previous: first,
        current: 'pk_test_moved',
        action: 'warn',
      },
    ])
    expect(await rememberedKey()).toBe('pk_test_moved')

    expect((await pay(`${server.url}/c`)).status).toBe(200)
    expect(keyEvents(events)).toHaveLength(1)
  })

  it("is refused when it changes and the policy says 'refuse', before any money moves, until the operator accepts it", async () => {
    const first = server.publishableKey
    expect((await agent([], { onPublishableKeyChange: 'refuse' })(`${server.url}/a`)).status).toBe(
      200,
    )
    server.publishableKey = 'pk_test_moved'
    const events: PaymentEvent[] = []
    const pay = agent(events, { onPublishableKeyChange: 'refuse' })

    for (const path of ['/b', '/c']) {
      const res = await pay(`${server.url}${path}`)
      expect(res.status).toBe(402)
      expect(getPaymentInfo(res)).toMatchObject({
        outcome: 'refused',
        reason: 'publishable_key_changed',
        requests: 1,
      })
    }
    expect(
      keyEvents(events).map((e) => (e.type === 'refused' ? e.reason : `${e.type}:${e.action}`)),
    ).toEqual([
      'publishable_key_changed:refuse',
      'publishable_key_changed',
      'publishable_key_changed:refuse',
      'publishable_key_changed',
    ])
    expect(await rememberedKey()).toBe(first)
    expect(server.charges).toHaveLength(1)
    expect(server.requests.filter((r) => r.payment !== undefined)).toHaveLength(1)

    // Accepting it: one call with 'warn' remembers the new key.
    expect((await agent([])(`${server.url}/b`)).status).toBe(200)
    expect(await rememberedKey()).toBe('pk_test_moved')
  })
})
