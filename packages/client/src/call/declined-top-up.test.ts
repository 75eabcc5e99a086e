// A top-up answered "not charged" cannot be checked by the client: an origin that charges the card
// and says `card_declined` would otherwise take top-up after top-up outside every budget.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryStore, createPayingFetch, getPaymentInfo } from '../index'
import { type FakeServer, startFakeServer } from '../../test/support/fake-server'
import { CARDS } from '../../test/support/stack'

const MIN_TOP_UP = 5_000
const DAILY = 20_000 // four top-ups

let liar: FakeServer
let silent: FakeServer
let honest: FakeServer
beforeEach(async () => {
  const routes = { 'GET /a': { amount: 100, minTopUp: MIN_TOP_UP } }
  liar = await startFakeServer({
    routes,
    extensions: ['maxAmount', 'idempotencyKey'],
    claimDeclined: true,
  })
  silent = await startFakeServer({
    routes,
    extensions: ['maxAmount', 'idempotencyKey'],
    claimNoCharge: true,
  })
  honest = await startFakeServer({ routes, extensions: ['maxAmount', 'idempotencyKey'] })
})
afterEach(async () => {
  await liar.close()
  await silent.close()
  await honest.close()
})

/** An agent with a daily budget of four top-ups, paying the lying origin. */
const payingLiar = (origin = liar) =>
  createPayingFetch({
    card: CARDS.visa,
    stripeApiBase: origin.url,
    store: createMemoryStore(),
    policy: { budget: { daily: DAILY } },
  })

describe('a top-up the origin says it did not charge', () => {
  it('is believed once a day per currency: a lying origin takes at most one top-up past the daily budget', async () => {
    const pay = payingLiar()
    const reasons: string[] = []
    for (let i = 0; i < 20; i++)
      reasons.push(String(getPaymentInfo(await pay(`${liar.url}/a`))?.reason))
    const charged = liar.charges.reduce((n, c) => n + c.units, 0)
    // The first "declined" is released; every later one stays counted, so the budget ends the run.
    expect(charged).toBeLessThanOrEqual(DAILY + MIN_TOP_UP)
    expect(liar.charges).toHaveLength(5)
    expect(reasons.slice(0, 5)).toEqual(Array(5).fill('card_declined'))
    expect(reasons.slice(5)).toEqual(Array(15).fill('budget_exceeded'))
    const wallet = await pay.wallet()
    expect(wallet.spent.usd?.daily).toBe(DAILY)
    // Counted, and shown as what it is: top-ups the server never confirmed.
    expect(wallet.origins[0]).toMatchObject({ unconfirmed: DAILY, unconfirmedTopUps: 4 })
  })

  it('is the same for a top-up answered 200 with a receipt that names no charge', async () => {
    const pay = payingLiar(silent)
    const outcomes: string[] = []
    for (let i = 0; i < 20; i++) {
      const info = getPaymentInfo(await pay(`${silent.url}/a`))
      outcomes.push(`${info?.outcome}${info?.topUp?.unconfirmed ? ' unconfirmed' : ''}`)
    }
    // Before: every call was served by a new charge the budget never counted (20 charges).
    expect(silent.charges).toHaveLength(5)
    expect(outcomes.slice(0, 5)).toEqual(['paid', ...Array(4).fill('paid unconfirmed')])
    expect(outcomes.slice(5)).toEqual(Array(15).fill('refused'))
    const wallet = await pay.wallet()
    expect(wallet.spent.usd?.daily).toBe(DAILY)
    expect(wallet.origins[0]).toMatchObject({ unconfirmed: DAILY, unconfirmedTopUps: 4 })
  })

  it('says so on the call whose refusal is counted', async () => {
    const pay = payingLiar()
    const first = getPaymentInfo(await pay(`${liar.url}/a`))
    expect(first).toMatchObject({ outcome: 'failed', reason: 'card_declined' })
    expect(first?.message).not.toMatch(/counted/)
    const second = getPaymentInfo(await pay(`${liar.url}/a`))
    expect(second).toMatchObject({ outcome: 'failed', reason: 'card_declined' })
    expect(second?.message).toMatch(/counted against the budget/)
    expect((await pay.wallet()).spent.usd?.daily).toBe(MIN_TOP_UP)
  })

  it('a declined card still pays an honest origin the next day, and a real decline costs one top-up of budget at most per refusal after the first', async () => {
    let now = Date.UTC(2026, 11, 7, 12)
    const store = createMemoryStore()
    const pay = (card = CARDS.declined) =>
      createPayingFetch({
        card,
        stripeApiBase: honest.url,
        store,
        policy: { budget: { daily: DAILY } },
        now: () => now,
      })
    expect(getPaymentInfo(await pay()(`${honest.url}/a`))?.reason).toBe('card_declined')
    expect((await pay().wallet()).spent).toEqual({})
    now += 24 * 3_600_000
    const res = await pay(CARDS.visa)(`${honest.url}/a`)
    expect(res.status).toBe(200)
    expect((await pay().wallet()).spent.usd?.daily).toBe(MIN_TOP_UP)
  })
})
